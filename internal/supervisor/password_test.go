package supervisor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// passwordOf returns the OPENCODE_SERVER_PASSWORD pid runs with.
func passwordOf(t *testing.T, pid int) string {
	t.Helper()
	env, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
	if err != nil {
		t.Skipf("no /proc to read the environment from: %v", err)
	}
	pw := ""
	for kv := range bytes.SplitSeq(env, []byte{0}) {
		if v, ok := bytes.CutPrefix(kv, []byte("OPENCODE_SERVER_PASSWORD=")); ok {
			pw = string(v)
		}
	}
	return pw
}

func TestEachRestartHasANewPassword(t *testing.T) {
	opts := fakeOptions(t, "FAKE_CRASH_MS=200", "FAKE_CRASH_ONCE="+filepath.Join(t.TempDir(), "crashed"))
	opts.Restart = RestartPolicy{Mode: RestartOnFailure, Backoff: 10 * time.Millisecond}
	var mu sync.Mutex
	n := 0
	opts.NewPassword = func(context.Context) (string, error) {
		mu.Lock()
		defer mu.Unlock()
		n++
		return fmt.Sprintf("password-%d", n), nil
	}
	p := startFake(t, opts)
	var got []string
	got = append(got, passwordOf(t, p.Status().PID))
	waitFor(t, "the restart after the crash", func() bool { return p.Status().Restarts == 1 && p.Status().State == StateRunning })
	got = append(got, passwordOf(t, p.Status().PID))
	if err := p.Restart(context.Background()); err != nil {
		t.Fatal(err)
	}
	got = append(got, passwordOf(t, p.Status().PID))
	// The health checks that found each run ready used its password (the
	// fake refuses any other); a probe with an earlier one is refused.
	if diff := cmp.Diff([]string{"secret", "password-1", "password-2"}, got); diff != "" {
		t.Errorf("passwords of the runs (-want +got):\n%s", diff)
	}
	ctx := context.Background()
	if err := probe(ctx, p.client, p.URL(), "opencode", "password-1"); err == nil {
		t.Error("the previous run's password is still accepted")
	}
	if err := probe(ctx, p.client, p.URL(), "opencode", "password-2"); err != nil {
		t.Errorf("the current password: %v", err)
	}
}

func TestRestartFailsWithoutANewPassword(t *testing.T) {
	opts := fakeOptions(t)
	opts.NewPassword = func(context.Context) (string, error) { return "", fmt.Errorf("registry locked") }
	p := startFake(t, opts)
	err := p.Restart(context.Background())
	if err == nil {
		t.Fatal("Restart succeeded without a new password")
	}
	if st := p.Status(); st.State != StateCrashed || st.PID != 0 {
		t.Errorf("after the failed restart: %+v, want crashed with no process", st)
	}
}

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
	owner := startFake(t, fakeOptions(t)) // alive, holding a port of its own
	opts := fakeOptions(t)
	opts.Port = port
	if p, err := Adopt(context.Background(), opts, owner.Status().PID); !errors.Is(err, ErrNotRunning) {
		if err == nil {
			p.Detach()
		}
		t.Fatalf("Adopt of a pid that does not hold the port: %v, want ErrNotRunning", err)
	}
	if n := probes.Load(); n != 0 {
		t.Errorf("the port's holder was probed %d times", n)
	}
	// Control: the holder of the port, this process, is adopted.
	p, err := Adopt(context.Background(), opts, os.Getpid())
	if err != nil {
		t.Fatalf("Adopt of the port's holder: %v", err)
	}
	p.Detach()
	if probes.Load() == 0 {
		t.Error("the port's holder was not probed")
	}
}
