package procfs

import (
	"net"
	"os"
	"testing"
	"time"
)

// BenchmarkHeldDial measures what the checks add to a new loopback
// connection: ListenerHeldBy, the connect, then ListenerHeldBy again (as
// the portal's dialer does), against the connect alone, in the same run; it reports the ratio as x-vs-dial.
func BenchmarkHeldDial(b *testing.B) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	// The server keeps the connection it accepted last open, as OpenCode
	// keeps its clients' (a socket closed while it is checked is refused),
	// and closes the one before.
	go func() {
		var last net.Conn
		for {
			c, err := l.Accept()
			if last != nil {
				last.Close()
			}
			if err != nil {
				return
			}
			last = c
		}
	}()
	addr := l.Addr().(*net.TCPAddr).AddrPort()
	pid := os.Getpid()
	dial := func(check bool) time.Duration {
		start := time.Now()
		if check {
			if err := ListenerHeldBy(pid, addr); err != nil {
				b.Fatal(err)
			}
		}
		c, err := net.Dial("tcp", addr.String())
		if err != nil {
			b.Fatal(err)
		}
		if check {
			if err := ListenerHeldBy(pid, addr); err != nil {
				b.Fatal(err)
			}
		}
		d := time.Since(start)
		c.Close()
		return d
	}
	var plain, checked time.Duration
	for b.Loop() {
		plain += dial(false)
		checked += dial(true)
	}
	b.ReportMetric(float64(checked)/float64(plain), "x-vs-dial")
	b.ReportMetric(float64(checked-plain)/float64(b.N)/1e3, "µs-added/op")
}
