package supervisor

import (
	"context"
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/opencode-portal/portal/internal/fakeopencode"
	"github.com/opencode-portal/portal/internal/procfs"
	"github.com/opencode-portal/portal/portaltest"
)

// fakeOptions returns Options that run the fake OpenCode (package
// fakeopencode) on a free port with the given FAKE_* settings. The fake is
// this test binary.
func fakeOptions(t testing.TB, env ...string) Options {
	t.Helper()
	exe, err := fakeopencode.Bin()
	if err != nil {
		t.Fatal(err)
	}
	return Options{
		Bin:         exe,
		Dir:         t.TempDir(),
		Port:        freePort(t),
		Password:    "secret",
		Env:         append([]string{fakeopencode.EnvVar + "=1"}, env...),
		LogFile:     filepath.Join(t.TempDir(), "out.log"),
		StopTimeout: 5 * time.Second,
	}
}

// freePort returns a port of 127.0.0.1 no one listens on now.
func freePort(t testing.TB) int {
	t.Helper()
	port, err := portaltest.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return port
}

// startFake starts the fake, waits until it listens, and stops it when the
// test ends.
func startFake(t testing.TB, opts Options) *Process {
	t.Helper()
	p, err := Start(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Stop(context.Background()) })
	waitAnswers(t, p)
	return p
}

// waitAnswers waits until p answers its health check, as the lifecycle
// waits for a started OpenCode.
func waitAnswers(t testing.TB, p *Process) {
	t.Helper()
	waitFor(t, "the health check", func() bool {
		req, _ := http.NewRequest("GET", p.URL()+"/global/health", nil)
		req.SetBasicAuth("opencode", "secret")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

// waitFor polls cond until it holds; the limit only guards against a hang.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// gone reports whether neither the process nor a live member of its group
// is left (dead members waiting for init to reap them do not count).
func gone(pid int) bool {
	return !procfs.Alive(pid) && (&proc{pid: pid, group: true}).groupGone()
}

func TestStartReadyAndStop(t *testing.T) {
	opts := fakeOptions(t)
	var mu sync.Mutex
	var states []State
	opts.Notify = func(s Status) {
		mu.Lock()
		states = append(states, s.State)
		mu.Unlock()
	}
	p, err := Start(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	waitAnswers(t, p)
	st := p.Status()
	if st.State != StateRunning || st.PID <= 0 || st.Port <= 0 || st.StartedAt.IsZero() {
		t.Fatalf("status after start = %+v", st)
	}
	if pgid, _ := syscall.Getpgid(st.PID); pgid != st.PID {
		t.Errorf("pgid = %d, want its own group %d", pgid, st.PID)
	}
	waitFor(t, "the listening line", func() bool {
		return slices.Contains(p.Logs(0), "opencode server listening on http://127.0.0.1:"+strconv.Itoa(st.Port))
	})
	// The server answers with the password and refuses without it.
	req, _ := http.NewRequest("GET", p.URL()+"/global/health", nil)
	req.SetBasicAuth("opencode", "secret")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("health with password: %v %v", resp, err)
	}
	if resp, err := http.Get(p.URL() + "/global/health"); err != nil || resp.StatusCode != 401 {
		t.Fatalf("health without password: %v %v", resp, err)
	}

	if err := p.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	st2 := p.Status()
	if st2.State != StateStopped || st2.PID != 0 || st2.LastExit == nil || st2.LastExit.String() != "exit status 0" {
		t.Errorf("status after stop = %+v", st2)
	}
	if !gone(st.PID) {
		t.Errorf("pid %d still exists after Stop", st.PID)
	}
	if !PortFree("127.0.0.1", st.Port) {
		t.Errorf("port %d still bound after Stop", st.Port)
	}
	if _, err := os.Stat(opts.LogFile); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("log file left after Stop: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if diff := cmp.Diff([]State{StateStarting, StateRunning, StateStopped}, states); diff != "" {
		t.Errorf("notified states (-want +got):\n%s", diff)
	}
}

func TestCrashIsObserved(t *testing.T) {
	t.Parallel()
	opts := fakeOptions(t, "FAKE_CRASH_MS=200")
	var mu sync.Mutex
	var states []State
	opts.Notify = func(s Status) {
		mu.Lock()
		states = append(states, s.State)
		mu.Unlock()
	}
	p := startFake(t, opts)
	pid := p.Status().PID
	<-p.Done()
	st := p.Status()
	if st.State != StateCrashed || st.PID != 0 || st.LastExit == nil || st.LastExit.Code != 3 {
		t.Fatalf("status after the crash = %+v, want crashed with exit status 3", st)
	}
	if !gone(pid) {
		t.Errorf("crashed pid %d not reaped", pid)
	}
	if !slices.Contains(p.Logs(0), "fake: crashing") {
		t.Errorf("logs lack the crash: %q", p.Logs(0))
	}
	mu.Lock()
	defer mu.Unlock()
	if diff := cmp.Diff([]State{StateStarting, StateRunning, StateCrashed}, states); diff != "" {
		t.Errorf("notified states (-want +got):\n%s", diff)
	}
}

func TestStopEscalatesToSIGKILL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		grace time.Duration
		ctx   func() context.Context
	}{
		{"after the grace period", 200 * time.Millisecond, context.Background},
		{"when the context ends", time.Hour, func() context.Context {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pidfile := filepath.Join(t.TempDir(), "pids")
			opts := fakeOptions(t, "FAKE_IGNORE_TERM=1", "FAKE_GRANDCHILD=1", "FAKE_PIDFILE="+pidfile)
			opts.StopTimeout = tt.grace
			p := startFake(t, opts)
			if err := p.Stop(tt.ctx()); err != nil {
				t.Fatal(err)
			}
			st := p.Status()
			if st.LastExit == nil || st.LastExit.Signal != syscall.SIGKILL {
				t.Errorf("last exit = %v, want signal: killed", st.LastExit)
			}
			for _, pid := range fakeopencode.ReadPIDs(t, pidfile) {
				if !gone(pid) {
					t.Errorf("pid %d (or its group) left behind", pid)
				}
			}
		})
	}
}

// TestStopWaitsForThePortToComeFree stops a fake that, on SIGTERM, leaves a
// child in a session of its own holding the listening socket for a moment,
// as OpenCode's child does when a stop comes between its fork and its exec
// (the group a stop signals does not hold it): Stop returns once the port
// can be bound again, where a start on it would have failed.
func TestStopWaitsForThePortToComeFree(t *testing.T) {
	t.Parallel()
	p := startFake(t, fakeOptions(t, "FAKE_TERM_CHILD_MS=700"))
	port := p.Status().Port
	if err := p.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !PortFree("127.0.0.1", port) {
		t.Errorf("port %d still bound after Stop", port)
	}
}

func TestStopIsIdempotent(t *testing.T) {
	t.Parallel()
	p := startFake(t, fakeOptions(t))
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() { errs[i] = p.Stop(context.Background()) })
	}
	wg.Wait()
	errs = append(errs, p.Stop(context.Background()))
	if diff := cmp.Diff(make([]error, 5), errs, cmp.Comparer(func(a, b error) bool { return a == b })); diff != "" {
		t.Errorf("Stop errors (-want +got):\n%s", diff)
	}
	p.Detach() // does nothing after Stop
	if st := p.Status(); st.State != StateStopped {
		t.Errorf("state = %s", st.State)
	}
}

func TestDetachThenAdopt(t *testing.T) {
	t.Parallel()
	opts := fakeOptions(t)
	p1, err := Start(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	waitAnswers(t, p1)
	st1 := p1.Status()
	p1.Detach()
	if err := p1.Stop(context.Background()); !errors.Is(err, ErrDetached) {
		t.Errorf("Stop after Detach = %v, want ErrDetached", err)
	}
	if !procfs.Alive(st1.PID) {
		t.Fatalf("pid %d died on Detach", st1.PID)
	}

	opts.Port = st1.Port
	p2, err := Adopt(context.Background(), opts, st1.PID)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p2.Stop(context.Background()) })
	if st := p2.Status(); st.State != StateRunning || st.PID != st1.PID {
		t.Fatalf("adopted status = %+v", st)
	}
	if !slices.ContainsFunc(p2.Logs(0), func(l string) bool { return strings.Contains(l, "listening on") }) {
		t.Errorf("adopted logs lack the earlier output: %q", p2.Logs(0))
	}

	// The adopted process dies: Done tells, though it is not our child.
	if err := syscall.Kill(st1.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p2.Done()
	// Reap the zombie the kill left (p1's child; p1 no longer waits for it).
	var ws syscall.WaitStatus
	syscall.Wait4(st1.PID, &ws, 0, nil)
	st := p2.Status()
	if st.State != StateCrashed || st.PID != 0 || st.LastExit == nil || st.LastExit.String() != "exited" {
		t.Errorf("status after the kill = %+v", st)
	}
	if err := p2.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !gone(st1.PID) {
		t.Errorf("pid %d left after Stop", st1.PID)
	}
}

func TestLogsAreBounded(t *testing.T) {
	t.Parallel()
	opts := fakeOptions(t, "FAKE_CHATTY=500")
	opts.LogLines = 10
	p := startFake(t, opts)
	waitFor(t, "the last line", func() bool { return slices.Contains(p.Logs(0), "line 500") })
	if diff := cmp.Diff([]string{"line 498", "line 499", "line 500"}, p.Logs(3)); diff != "" {
		t.Errorf("Logs(3) (-want +got):\n%s", diff)
	}
	if n := len(p.Logs(0)); n != 10 {
		t.Errorf("kept %d lines, want 10", n)
	}
}

func TestNoGoroutineOutlivesStopOrDetach(t *testing.T) {
	base := runtime.NumGoroutine()
	p := startFake(t, fakeOptions(t))
	p.Stop(context.Background())
	opts := fakeOptions(t)
	p2 := startFake(t, opts)
	pid := p2.Status().PID
	p2.Detach()
	t.Cleanup(func() {
		syscall.Kill(-pid, syscall.SIGKILL)
		var ws syscall.WaitStatus
		syscall.Wait4(pid, &ws, 0, nil)
	})
	waitFor(t, "goroutines to end", func() bool { return runtime.NumGoroutine() <= base })
}

func TestTerminateAnUnsupervisedGroup(t *testing.T) {
	t.Parallel()
	pidfile := filepath.Join(t.TempDir(), "pids")
	opts := fakeOptions(t, "FAKE_IGNORE_TERM=1", "FAKE_GRANDCHILD=1", "FAKE_PIDFILE="+pidfile)
	p, err := Start(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	waitAnswers(t, p)
	pid := p.Status().PID
	p.Detach()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := Terminate(ctx, pid, time.Hour); err != nil {
		t.Fatal(err)
	}
	// Terminate does not reap a child of ours; the zombie it leaves is not alive.
	for _, pid := range fakeopencode.ReadPIDs(t, pidfile) {
		if !gone(pid) {
			t.Errorf("pid %d (or its group) left behind", pid)
		}
	}
	var ws syscall.WaitStatus
	syscall.Wait4(pid, &ws, 0, nil)
	if err := Terminate(context.Background(), pid, time.Second); err != nil {
		t.Errorf("Terminate of a gone pid = %v", err)
	}
}

func TestAdoptWithoutALogFile(t *testing.T) {
	t.Parallel()
	opts := fakeOptions(t)
	p1 := startFake(t, opts)
	st := p1.Status()
	p1.Detach()
	opts.LogFile = ""
	opts.Port = st.Port
	p2, err := Adopt(context.Background(), opts, st.PID)
	if err != nil {
		t.Fatal(err)
	}
	if logs := p2.Logs(0); len(logs) != 0 {
		t.Errorf("logs of an instance with no log file = %q", logs)
	}
	if err := p2.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	var ws syscall.WaitStatus
	syscall.Wait4(st.PID, &ws, 0, nil)
	if !gone(st.PID) {
		t.Errorf("pid %d left after Stop", st.PID)
	}
}
