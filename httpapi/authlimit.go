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
// whose bucket is empty is refused until it refills. Credentials being
// checked count as spent until the check ends, so that parallel requests
// cannot get more guesses than the bucket holds. The zero value is ready;
// nothing runs in the background.
type failures struct {
	mu     sync.Mutex
	byAddr map[string]*failureBucket
}

// failureBucket is one address's bucket.
type failureBucket struct {
	lim      *rate.Limiter
	checking int  // requests admitted whose check has not ended
	failed   int  // failed attempts since the bucket was last full
	limited  bool // the bucket ran empty since it was last full (and that was logged)
}

// admit returns zero when addr may have its credentials checked now; the
// caller must then call done once the check is over. Otherwise it returns
// how long addr must wait.
func (f *failures) admit(addr string, now time.Time, every time.Duration, burst int) time.Duration {
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
	tokens := b.lim.TokensAt(now)
	if tokens >= float64(burst) && b.checking == 0 {
		b.failed, b.limited = 0, false
	}
	if left := tokens - float64(b.checking); left < 1 {
		return time.Duration((1 - left) * float64(every))
	}
	b.checking++
	return 0
}

// done ends a check admit let through. A failed one spends a token of
// addr's bucket; done then returns the failures since the bucket was last
// full, and whether this one emptied it for the first time since then, so
// that it is logged once per burst.
func (f *failures) done(addr string, now time.Time, failed bool, burst int) (failures int, limited bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b := f.byAddr[addr]
	if b == nil {
		return 0, false // forgotten meanwhile, in a crowd of addresses
	}
	b.checking = max(b.checking-1, 0) // 0 if forgotten and made again meanwhile
	if !failed {
		if b.checking == 0 && b.lim.TokensAt(now) >= float64(burst) {
			delete(f.byAddr, addr) // as good as new
		}
		return 0, false
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
// those whose bucket is full and that have no check under way, then those
// not limited, then any.
func (f *failures) forget(now time.Time, burst int) {
	keep := maxTrackedAddrs * 9 / 10
	for _, drop := range []func(*failureBucket) bool{
		func(b *failureBucket) bool { return b.checking == 0 && b.lim.TokensAt(now) >= float64(burst) },
		func(b *failureBucket) bool { return b.lim.TokensAt(now)-float64(b.checking) >= 1 },
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
