package lifecycle

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"sync/atomic"
	"testing"

	"github.com/opencode-portal/portal/internal/supervisor"
)

// TestAdoptSendsNoPasswordToAnotherProcess adopts a live pid whose port is
// held by another process (a healthy-looking stand-in run by this test
// process, not by the pid): Adopt refuses without probing it.
func TestAdoptSendsNoPasswordToAnotherProcess(t *testing.T) {
	var probes atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		probes.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"healthy":true}`))
	}))
	defer other.Close()
	port := other.Listener.Addr().(*net.TCPAddr).Port
	runner, owner := fakeProcess(t) // alive, holding a port of its own
	op, err := runner.Start(context.Background(), owner)
	if err != nil {
		t.Fatal(err)
	}
	defer op.Stop(context.Background())
	ownerPID := op.PID()
	_, spec := fakeProcess(t)
	spec.Entry.OpencodePort, spec.Entry.OpencodePID = port, &ownerPID
	if p, err := runner.Adopt(context.Background(), spec); !errors.Is(err, supervisor.ErrNotRunning) {
		if err == nil {
			p.Detach()
		}
		t.Fatalf("Adopt of a pid that does not hold the port: %v, want ErrNotRunning", err)
	}
	if n := probes.Load(); n != 0 {
		t.Errorf("the port's holder was probed %d times", n)
	}
	// Control: the holder of the port, this process, is adopted.
	self := os.Getpid()
	spec.Entry.OpencodePID = &self
	p, err := runner.Adopt(context.Background(), spec)
	if err != nil {
		t.Fatalf("Adopt of the port's holder: %v", err)
	}
	p.Detach()
	if probes.Load() == 0 {
		t.Error("the port's holder was not probed")
	}
}
