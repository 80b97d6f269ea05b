package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/opencode-portal/portal/internal/registry"
	"github.com/opencode-portal/portal/internal/testwait"
)

// fastPolicy restarts on failure with a backoff too short to wait for.
var fastPolicy = Policy{OnFailure: true, Backoff: time.Millisecond}

// superviseFake supervises a fake OpenCode started by runner, and stops it
// when the test ends.
func superviseFake(t testing.TB, runner *fakeRunner, sv supervision) Run {
	t.Helper()
	e := registry.Entry{ID: "inst0001", Directory: t.TempDir(), OpencodePort: 24200, Password: "secret"}
	run, err := supervise(context.Background(), runner, e, sv)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { run.Stop(context.Background()) })
	return run
}

// settled waits until the run's state is want.
func settled(t testing.TB, run Run, want string) Status {
	t.Helper()
	testwait.Until(t, "state "+want, func() bool { return run.Status().State == want })
	return run.Status()
}

func TestCrashIsRestartedOnFailure(t *testing.T) {
	runner := newFakeRunner()
	run := superviseFake(t, runner, supervision{Policy: fastPolicy})
	first := runner.last()
	first.crash("exit status 3")
	testwait.Until(t, "a restart", func() bool { return run.Status().Restarts == 1 && run.Status().State == StateRunning })
	st := run.Status()
	second := runner.last()
	if second == first || st.PID != second.pid {
		t.Errorf("pids: first %d, restarted %d, status %d", first.pid, second.pid, st.PID)
	}
	if st.Port != first.Port() {
		t.Errorf("port changed on restart: %d -> %d", first.Port(), st.Port)
	}
	if st.LastExit != "exit status 3" {
		t.Errorf("last exit = %q, want exit status 3", st.LastExit)
	}
	// The output of the crashed run is kept with the new run's.
	if diff := cmp.Diff([]string{"supervised output of inst0001", "supervised output of inst0001"}, run.Logs(0)); diff != "" {
		t.Errorf("logs (-want +got):\n%s", diff)
	}
}

func TestCrashStaysDownUnderNever(t *testing.T) {
	runner := newFakeRunner()
	run := superviseFake(t, runner, supervision{})
	first := runner.last()
	first.crash("exit status 3")
	st := settled(t, run, StateCrashed)
	if st.PID != 0 || st.Restarts != 0 || st.LastExit != "exit status 3" || runner.starts() != 1 {
		t.Fatalf("status after crash = %+v after %d starts", st, runner.starts())
	}
	// A crashed instance can be restarted on request.
	if err := run.Restart(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st := run.Status(); st.State != StateRunning || st.Restarts != 1 || st.PID == first.pid {
		t.Fatalf("status after Restart = %+v", st)
	}
}

func TestCleanExitIsAStop(t *testing.T) {
	runner := newFakeRunner()
	run := superviseFake(t, runner, supervision{Policy: fastPolicy})
	runner.last().crash("exit status 0")
	st := settled(t, run, StateStopped)
	if st.Restarts != 0 || st.LastExit != "exit status 0" || runner.starts() != 1 {
		t.Fatalf("status after a clean exit = %+v after %d starts", st, runner.starts())
	}
}

func TestRestartsGiveUpAtTheMaximum(t *testing.T) {
	runner := newFakeRunner()
	policy := fastPolicy
	policy.MaxRestarts = 2
	run := superviseFake(t, runner, supervision{Policy: policy})
	runner.mu.Lock()
	runner.crashAtOnce = "exit status 3"
	runner.mu.Unlock()
	runner.last().crash("exit status 3")
	testwait.Until(t, "giving up", func() bool {
		st := run.Status()
		return st.State == StateCrashed && st.Restarts == 2
	})
	if n := runner.starts(); n != 3 {
		t.Errorf("%d starts, want the first and 2 restarts", n)
	}
}

func TestFailedRestartsCountTowardsTheMaximum(t *testing.T) {
	runner := newFakeRunner()
	policy := fastPolicy
	policy.MaxRestarts = 3
	run := superviseFake(t, runner, supervision{Policy: policy})
	runner.mu.Lock()
	runner.startErr = ErrExited
	runner.mu.Unlock()
	runner.last().crash("signal: killed")
	testwait.Until(t, "giving up", func() bool {
		st := run.Status()
		return st.State == StateCrashed && st.Restarts == 3
	})
	if diff := cmp.Diff([]string{"supervised output of inst0001", "fake: failed", "fake: failed", "fake: failed"}, run.Logs(0)); diff != "" {
		t.Errorf("logs (-want +got):\n%s", diff)
	}
}

func TestMayRestartVetoesARestart(t *testing.T) {
	runner := newFakeRunner()
	run := superviseFake(t, runner, supervision{Policy: fastPolicy, MayRestart: func() bool { return false }})
	runner.last().crash("exit status 3")
	st := settled(t, run, StateStopped)
	if st.Restarts != 0 || st.PID != 0 || runner.starts() != 1 {
		t.Fatalf("status = %+v after %d starts, want stopped without a restart", st, runner.starts())
	}
}

func TestCrashIsNotifiedBeforeTheRestart(t *testing.T) {
	runner := newFakeRunner()
	var mu sync.Mutex
	var got []string
	run := superviseFake(t, runner, supervision{Policy: fastPolicy, Notify: func(s Status) {
		mu.Lock()
		got = append(got, s.State)
		mu.Unlock()
	}})
	runner.last().crash("exit status 3")
	testwait.Until(t, "the second run", func() bool { return run.Status().Restarts == 1 && run.Status().State == StateRunning })
	mu.Lock()
	defer mu.Unlock()
	want := []string{StateStarting, StateRunning, StateCrashed, StateStarting, StateStarting, StateRunning}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("notified states (-want +got):\n%s", diff)
	}
}

func TestEachRestartHasANewPassword(t *testing.T) {
	runner := newFakeRunner()
	n := 0
	run := superviseFake(t, runner, supervision{Policy: fastPolicy, NewPassword: func(context.Context) (string, error) {
		n++ // called by one run at a time
		return fmt.Sprintf("password-%d", n), nil
	}})
	runner.last().crash("exit status 3")
	testwait.Until(t, "the restart after the crash", func() bool { return run.Status().Restarts == 1 && run.Status().State == StateRunning })
	if err := run.Restart(context.Background()); err != nil {
		t.Fatal(err)
	}
	var got []string
	runner.mu.Lock()
	for _, p := range runner.procs {
		got = append(got, p.spec.Entry.Password)
	}
	runner.mu.Unlock()
	if diff := cmp.Diff([]string{"secret", "password-1", "password-2"}, got); diff != "" {
		t.Errorf("passwords of the runs (-want +got):\n%s", diff)
	}
	if !runner.procs[1].wasStopped() {
		t.Error("Restart did not stop the running proc")
	}
}

func TestRestartFailsWithoutANewPassword(t *testing.T) {
	runner := newFakeRunner()
	run := superviseFake(t, runner, supervision{NewPassword: func(context.Context) (string, error) {
		return "", errors.New("registry locked")
	}})
	if err := run.Restart(context.Background()); err == nil {
		t.Fatal("Restart succeeded without a new password")
	}
	if st := run.Status(); st.State != StateCrashed || st.PID != 0 || runner.starts() != 1 {
		t.Errorf("after the failed restart: %+v after %d starts, want crashed with no process", st, runner.starts())
	}
}

func TestStopIsIdempotent(t *testing.T) {
	runner := newFakeRunner()
	run := superviseFake(t, runner, supervision{})
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() { errs[i] = run.Stop(context.Background()) })
	}
	wg.Wait()
	errs = append(errs, run.Stop(context.Background()))
	if diff := cmp.Diff(make([]error, 5), errs, cmp.Comparer(func(a, b error) bool { return a == b })); diff != "" {
		t.Errorf("Stop errors (-want +got):\n%s", diff)
	}
	run.Detach() // does nothing after Stop
	if st := run.Status(); st.State != StateStopped || !runner.last().wasStopped() {
		t.Errorf("state = %s, proc stopped %v", st.State, runner.last().wasStopped())
	}
	if err := run.Restart(context.Background()); !errors.Is(err, ErrStopped) {
		t.Errorf("Restart after Stop = %v, want ErrStopped", err)
	}
}

func TestAdoptedRunIsRestartedAsANewStart(t *testing.T) {
	runner := newFakeRunner()
	e := registry.Entry{ID: "inst0002", Directory: t.TempDir(), OpencodePort: 24201, OpencodePID: pid(4244), Password: "secret"}
	runner.alive[e.ID] = true
	run, err := adopt(context.Background(), runner, e, supervision{Policy: fastPolicy})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { run.Stop(context.Background()) })
	adopted := runner.last()
	if st := run.Status(); st.State != StateRunning || st.PID != adopted.pid || !st.StartedAt.IsZero() {
		t.Fatalf("adopted status = %+v", st)
	}
	adopted.crash("exited")
	testwait.Until(t, "the restart", func() bool { return run.Status().State == StateRunning && run.Status().PID != adopted.pid })
	if st := run.Status(); st.Port != e.OpencodePort || st.Restarts != 1 || st.LastExit != "exited" || runner.starts() != 2 {
		t.Errorf("status after restart = %+v after %d procs", st, runner.starts())
	}
	run.Detach()
	if runner.last().wasStopped() {
		t.Error("Detach stopped the proc")
	}
}

func TestRestartDelay(t *testing.T) {
	p := Policy{Backoff: 4 * time.Second}.withDefaults()
	var got []time.Duration
	for n := range 6 {
		got = append(got, p.delay(n))
	}
	want := []time.Duration{4 * time.Second, 8 * time.Second, 16 * time.Second, 30 * time.Second, 30 * time.Second, 30 * time.Second}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("delays (-want +got):\n%s", diff)
	}
}
