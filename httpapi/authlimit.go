package httpapi

import (
	"net/http"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// maxTrackedAddrs bounds how many client addresses the failed-attempt
// limiter remembers. When it is reached, addresses whose bucket is full
// again are forgotten first (they are as good as new), then those not
// limited, then any, down to nine tenths, so a crowd of addresses cannot
// grow the map without bound.
const maxTrackedAddrs = 10_000

// failures counts failed sign-ins per client address in token buckets
// (golang.org/x/time/rate): each failure spends a token, and an address
// whose bucket is empty is refused until it refills. The zero value is
// ready; nothing runs in the background.
type failures struct {
	mu     sync.Mutex
	byAddr map[string]*failureBucket
}

// failureBucket is one address's bucket.
type failureBucket struct {
	lim     *rate.Limiter
	failed  int  // failed attempts since the bucket was last full
	limited bool // the bucket ran empty since it was last full (and that was logged)
}

// wait returns how long addr must wait before its credentials are checked
// again: zero unless its bucket is empty.
func (f *failures) wait(addr string, now time.Time, every time.Duration, burst int) time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	b := f.byAddr[addr]
	if b == nil {
		return 0
	}
	tokens := b.lim.TokensAt(now)
	if tokens >= float64(burst) {
		delete(f.byAddr, addr) // full again: as good as new
		return 0
	}
	if tokens >= 1 {
		return 0
	}
	return time.Duration((1 - tokens) * float64(every))
}

// fail spends a token of addr's bucket for a failed attempt. It returns the
// failures since the bucket was last full, and whether this one emptied it
// for the first time since then, so that it is logged once per burst.
func (f *failures) fail(addr string, now time.Time, every time.Duration, burst int) (failed int, limited bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b := f.byAddr[addr]
	if b == nil {
		if f.byAddr == nil {
			f.byAddr = map[string]*failureBucket{}
		}
		if len(f.byAddr) >= maxTrackedAddrs {
			f.forget(now, burst)
		}
		b = &failureBucket{lim: rate.NewLimiter(rate.Every(every), burst)}
		f.byAddr[addr] = b
	}
	b.lim.AllowN(now, 1)
	b.failed++
	if b.lim.TokensAt(now) < 1 && !b.limited {
		b.limited = true
		return b.failed, true
	}
	return b.failed, false
}

// forget drops addresses down to nine tenths of maxTrackedAddrs: first
// those whose bucket is full, then those not limited, then any.
func (f *failures) forget(now time.Time, burst int) {
	keep := maxTrackedAddrs * 9 / 10
	for _, drop := range []func(*failureBucket) bool{
		func(b *failureBucket) bool { return b.lim.TokensAt(now) >= float64(burst) },
		func(b *failureBucket) bool { return b.lim.TokensAt(now) >= 1 },
		func(*failureBucket) bool { return true },
	} {
		for addr, b := range f.byAddr {
			if len(f.byAddr) <= keep {
				return
			}
			if drop(b) {
				delete(f.byAddr, addr)
			}
		}
	}
}

// clientAddr returns the address r came from, as the failed-attempt limiter
// counts it: the IP address, or for IPv6 its /64 prefix (one client often
// holds a whole /64).
func clientAddr(r *http.Request) string {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	ip := ap.Addr().Unmap()
	if ip.Is4() {
		return ip.String()
	}
	prefix, _ := ip.WithZone("").Prefix(64)
	return prefix.String()
}
