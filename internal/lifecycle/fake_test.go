package lifecycle

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/opencode-portal/portal/internal/registry"
)

// fakeRunner runs no OpenCode: its runs are values the test drives. One
// fakeRunner may serve several Managers, as one machine serves several
// portals.
type fakeRunner struct {
	mu         sync.Mutex
	alive      map[string]bool // by instance id: its OpenCode is alive
	runs       []*fakeRun
	terminated []string // the instances Terminate ended
	pid        int
}

func newFakeRunner() *fakeRunner { return &fakeRunner{alive: make(map[string]bool), pid: 1000} }

func (f *fakeRunner) run(spec Spec, state string) *fakeRun {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pid++
	f.alive[spec.Entry.ID] = true
	r := &fakeRun{f: f, spec: spec, st: Status{State: state, PID: f.pid, Port: spec.Entry.OpencodePort}}
	f.runs = append(f.runs, r)
	return r
}

func (f *fakeRunner) Start(ctx context.Context, spec Spec) (Run, error) {
	r := f.run(spec, StateRunning)
	r.notify()
	return r, nil
}

func (f *fakeRunner) Adopt(ctx context.Context, spec Spec) (Run, error) {
	if !f.Alive(spec.Entry) {
		return nil, errors.New("not running")
	}
	return f.run(spec, StateRunning), nil
}

func (f *fakeRunner) Alive(e registry.Entry) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return e.OpencodePID != nil && f.alive[e.ID]
}

func (f *fakeRunner) Terminate(ctx context.Context, e registry.Entry, grace time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.alive[e.ID] = false
	f.terminated = append(f.terminated, e.ID)
	return nil
}

func (f *fakeRunner) Logs(e registry.Entry, tail int) ([]string, error) {
	if e.LogFile == "" {
		return nil, ErrNoOutput
	}
	return []string{"output of " + e.ID}, nil
}

func (f *fakeRunner) starts() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.runs)
}

// fakeRun is one supervised fake OpenCode.
type fakeRun struct {
	f    *fakeRunner
	spec Spec

	mu       sync.Mutex
	st       Status
	stopped  bool
	detached bool
}

func (r *fakeRun) Status() Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.st
}

func (r *fakeRun) notify() {
	if r.spec.Notify != nil {
		r.spec.Notify(r.Status())
	}
}

func (r *fakeRun) Logs(n int) []string { return []string{"supervised output of " + r.spec.Entry.ID} }

func (r *fakeRun) Restart(ctx context.Context) error {
	if _, err := r.spec.NewPassword(ctx); err != nil {
		return err
	}
	r.mu.Lock()
	r.st.State, r.st.Restarts = StateRunning, r.st.Restarts+1
	r.mu.Unlock()
	r.notify()
	return nil
}

func (r *fakeRun) Stop(ctx context.Context) error {
	r.mu.Lock()
	r.stopped, r.st.State, r.st.PID = true, StateStopped, 0
	r.mu.Unlock()
	r.f.mu.Lock()
	r.f.alive[r.spec.Entry.ID] = false
	r.f.mu.Unlock()
	return nil
}

func (r *fakeRun) Detach() {
	r.mu.Lock()
	r.detached = true
	r.mu.Unlock()
}

// crash ends the run on its own with exit, and applies the policy as a
// Runner must: restart unless the policy or MayRestart says no.
func (r *fakeRun) crash(exit string) {
	r.mu.Lock()
	r.st.State, r.st.PID, r.st.LastExit = StateCrashed, 0, exit
	r.mu.Unlock()
	r.notify()
	if !r.spec.Policy.OnFailure {
		return
	}
	if !r.spec.MayRestart() {
		r.mu.Lock()
		r.st.State = StateStopped
		r.mu.Unlock()
		r.notify()
		return
	}
	r.Restart(context.Background())
}

// testBed is a registry shared by the Managers of a test, and a fake
// runner they share.
type testBed struct {
	t        testing.TB
	reg      *registry.Registry
	runner   *fakeRunner
	mu       sync.Mutex
	released []int
	changes  []string // "id state"
}

func newTestBed(t testing.TB) *testBed {
	return &testBed{t: t, reg: registry.New(filepath.Join(t.TempDir(), "portal.json")), runner: newFakeRunner()}
}

// manager returns a Manager on the bed's registry, closed when the test
// ends.
func (b *testBed) manager(policy Policy) *Manager {
	b.t.Helper()
	m, err := New(Config{
		Registry:     b.reg,
		Runners:      map[string]Runner{ProcessType: b.runner},
		LogDir:       filepath.Join(b.t.TempDir(), "logs"),
		FirstPort:    24100,
		StartTimeout: 10 * time.Second,
		ProbeTimeout: time.Second,
		StopTimeout:  time.Second,
		Policy:       policy,
		Changed: func(id string, st Status) {
			b.mu.Lock()
			b.changes = append(b.changes, id+" "+st.State)
			b.mu.Unlock()
		},
		Released: func(port int) {
			b.mu.Lock()
			b.released = append(b.released, port)
			b.mu.Unlock()
		},
	})
	if err != nil {
		b.t.Fatal(err)
	}
	b.t.Cleanup(func() { m.Close(false) })
	return m
}

// entries reads the registry.
func (b *testBed) entries() []registry.Entry {
	b.t.Helper()
	f, err := b.reg.Read()
	if err != nil {
		b.t.Fatal(err)
	}
	return f.Instances
}

// write replaces the registry's entries.
func (b *testBed) write(entries ...registry.Entry) {
	b.t.Helper()
	err := b.reg.Update(context.Background(), func(f *registry.File) error {
		f.Instances = entries
		return nil
	})
	if err != nil {
		b.t.Fatal(err)
	}
}

// start starts a new folder with m and returns its entry and fake run.
func (b *testBed) start(m *Manager) (registry.Entry, *fakeRun) {
	b.t.Helper()
	in, err := m.Start(context.Background(), StartOptions{Directory: b.t.TempDir(), Hostname: "127.0.0.1"})
	if err != nil {
		b.t.Fatal(err)
	}
	r, ok := in.Run.(*fakeRun)
	if !ok {
		b.t.Fatalf("Start returned run %v, want one of the fake runner", in.Run)
	}
	return in.Entry, r
}

// deadOwner is an owner token whose portal process is gone.
const deadOwner = "2147483646-dead"

func pid(n int) *int { return &n }
