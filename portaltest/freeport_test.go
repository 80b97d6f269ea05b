package portaltest

import (
	"net"
	"strconv"
	"testing"
)

// TestFreePortIsOutsideTheEphemeralRange checks that the ports FreePort
// gives are free and outside the range the kernel takes a listener's port
// 0 from (as it takes a connection's near end), which it reads right.
func TestFreePortIsOutsideTheEphemeralRange(t *testing.T) {
	lo, hi := ephemeralPorts()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if p := l.Addr().(*net.TCPAddr).Port; p < lo || p > hi {
		t.Errorf("the kernel gave port %d to a listener on port 0, outside the ephemeral range %d-%d read", p, lo, hi)
	}
	l.Close()
	for range 20 {
		port, err := FreePort()
		if err != nil {
			t.Fatal(err)
		}
		if lo <= port && port <= hi {
			t.Errorf("FreePort gave %d, in the ephemeral range %d-%d", port, lo, hi)
		}
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			t.Errorf("listening on the port FreePort gave: %v", err)
			continue
		}
		l.Close()
	}
}
