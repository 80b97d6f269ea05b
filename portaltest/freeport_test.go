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

func TestPortsOutside(t *testing.T) {
	for _, tt := range []struct {
		lo, hi, first, last int
	}{
		{32768, 60999, 10000, 32767}, // Linux's default
		{49152, 65535, 10000, 49151}, // IANA's, macOS's
		{5000, 40000, 40001, 65535},  // no room below
		{1024, 9000, 10000, 65535},   // the whole range below 10000
		{1024, 65535, 0, 0},          // the whole range: no room on either side
		{1024, 65000, 0, 0},          // fewer than 1000 on either side
		{10500, 64600, 0, 0},
	} {
		first, last := portsOutside(tt.lo, tt.hi)
		if first != tt.first || last != tt.last {
			t.Errorf("portsOutside(%d, %d) = %d-%d, want %d-%d", tt.lo, tt.hi, first, last, tt.first, tt.last)
		}
	}
}
