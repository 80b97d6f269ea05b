package supervisor

import (
	"errors"
	"net"
	"testing"
)

func TestFreePort(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	busy := l.Addr().(*net.TCPAddr).Port
	if PortFree("127.0.0.1", busy) {
		t.Fatalf("PortFree(%d) = true while it listens", busy)
	}
	// The busy port and the one the caller claims are both skipped.
	claimed := busy + 1
	got, err := FreePort("127.0.0.1", busy, func(p int) bool { return p == claimed })
	if err != nil {
		t.Fatal(err)
	}
	if got <= claimed || !PortFree("127.0.0.1", got) {
		t.Errorf("FreePort from %d = %d, want a free port after %d", busy, got, claimed)
	}
	if _, err := FreePort("127.0.0.1", 65535, func(int) bool { return true }); !errors.Is(err, ErrNoFreePort) {
		t.Errorf("all taken: err = %v, want ErrNoFreePort", err)
	}
	if _, err := FreePort("192.0.2.1", 3100, nil); err == nil || errors.Is(err, ErrNoFreePort) {
		t.Errorf("unbindable host: err = %v, want a bind error", err)
	}
	if _, err := FreePort("127.0.0.1", 0, nil); err == nil {
		t.Error("first port 0: no error")
	}
}
