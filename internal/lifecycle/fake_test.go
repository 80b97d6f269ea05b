package lifecycle

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opencode-portal/portal/internal/registry"
)

// fakeRunner runs no OpenCode: its procs are values the test drives. One
// fakeRunner may serve several Managers, as one machine serves several
// portals.
type fakeRunner struct {
	mu         sync.Mutex
	alive      map[string]bool // by instance id: its OpenCode is alive
	procs      []*fakeProc
	terminated []string // the instances Terminate ended
	pid        int
	// crashAtOnce, if set, is the exit of every proc started from now on,
	// right after it answered.
	crashAtOnce string
	// startErr, if set, fails every start from now on.
	startErr error
	// adoptErr, if set, fails every adoption of a live OpenCode, as one
	// that does not answer.
	adoptErr error
}

func newFakeRunner() *fakeRunner { return &fakeRunner{alive: make(map[string]bool), pid: 1000} }

func (f *fakeRunner) proc(spec Spec) *fakeProc {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pid++
	f.alive[spec.Entry.ID] = true
	p := &fakeProc{f: f, spec: spec, pid: f.pid, done: make(chan struct{})}
	f.procs = append(f.procs, p)
	return p
}

func (f *fakeRunner) Start(ctx context.Context, spec Spec) (Proc, error) {
	f.mu.Lock()
	err, crash := f.startErr, f.crashAtOnce
	f.mu.Unlock()
	if err != nil {
		return nil, &StartError{Err: err, Output: []string{"fake: failed"}}
	}
	p := f.proc(spec)
	if spec.Spawned != nil {
		spec.Spawned(p.pid, "")
	}
	if crash != "" {
		p.crash(crash)
	}
	return p, nil
}

func (f *fakeRunner) Adopt(ctx context.Context, spec Spec) (Proc, error) {
	if !f.Alive(spec.Entry) {
		return nil, errors.New("not running")
	}
	if f.adoptErr != nil {
		return nil, f.adoptErr
	}
	return f.proc(spec), nil
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

func (f *fakeRunner) Holds(registry.Entry, netip.AddrPort) error { return nil }

func (f *fakeRunner) Remove(e registry.Entry) error {
	if e.LogFile == "" {
		return nil
	}
	if err := os.Remove(e.LogFile); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

func (f *fakeRunner) starts() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.procs)
}

// last returns the newest proc.
func (f *fakeRunner) last() *fakeProc {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.procs[len(f.procs)-1]
}

// fakeProc is one run of a fake OpenCode.
type fakeProc struct {
	f    *fakeRunner
	spec Spec
	pid  int
	done chan struct{}

	mu       sync.Mutex
	exit     string
	stopped  bool
	detached bool
}

func (p *fakeProc) PID() int                   { return p.pid }
func (p *fakeProc) Port() int                  { return p.spec.Entry.OpencodePort }
func (p *fakeProc) Done() <-chan struct{}      { return p.done }
func (p *fakeProc) Holds(netip.AddrPort) error { return nil }
func (p *fakeProc) Container() string          { return "" }

func (p *fakeProc) Exit() (string, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.exit, p.exit == "exit status 0"
}

func (p *fakeProc) Logs(n int) []string {
	return []string{"supervised output of " + p.spec.Entry.ID}
}

// end records how the proc ended and closes Done, once.
func (p *fakeProc) end(exit string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.exit != "" || p.detached {
		return false
	}
	p.exit = exit
	close(p.done)
	p.f.mu.Lock()
	p.f.alive[p.spec.Entry.ID] = false
	p.f.mu.Unlock()
	return true
}

func (p *fakeProc) Stop(ctx context.Context) error {
	if p.end("signal: terminated") {
		p.mu.Lock()
		p.stopped = true
		p.mu.Unlock()
	}
	return nil
}

func (p *fakeProc) Detach() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.detached && p.exit == "" {
		p.detached = true
		close(p.done)
	}
}

// crash ends the proc on its own with exit.
func (p *fakeProc) crash(exit string) { p.end(exit) }

// wasStopped reports whether Stop ended the proc.
func (p *fakeProc) wasStopped() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stopped
}

// testBed is a registry shared by the Managers of a test, and a fake
// runner they share.
type testBed struct {
	t        testing.TB
	reg      *registry.Registry
	runner   *fakeRunner
	mu       sync.Mutex
	released []int
	changes  []string        // "id state"
	log      strings.Builder // what the Managers logged, as text
}

func newTestBed(t testing.TB) *testBed {
	return &testBed{t: t, reg: registry.New(filepath.Join(t.TempDir(), "portal.json")), runner: newFakeRunner()}
}

// manager returns a Manager on the bed's registry, closed when the test
// ends; change, if given, changes the bed's Config first.
func (b *testBed) manager(policy Policy, change ...func(*Config)) *Manager {
	b.t.Helper()
	cfg := Config{
		Registry:     b.reg,
		Runners:      map[string]Runner{ProcessType: b.runner},
		LogDir:       filepath.Join(b.t.TempDir(), "logs"),
		FirstPort:    24100,
		StartTimeout: 10 * time.Second,
		ProbeTimeout: time.Second,
		StopTimeout:  time.Second,
		Policy:       policy,
		Logger:       slog.New(slog.NewTextHandler(lockedWriter{&b.mu, &b.log}, nil)),
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
	}
	for _, f := range change {
		f(&cfg)
	}
	m, err := New(cfg)
	if err != nil {
		b.t.Fatal(err)
	}
	b.t.Cleanup(func() { m.Close(false) })
	return m
}

// logged returns what the bed's Managers logged.
func (b *testBed) logged() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.log.String()
}

// lockedWriter writes to w under mu.
type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
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

// start starts a new folder with m and returns its entry, its run and the
// fake proc the run started.
func (b *testBed) start(m *Manager) (registry.Entry, Run, *fakeProc) {
	b.t.Helper()
	in, err := m.Start(context.Background(), StartOptions{Directory: b.t.TempDir(), Hostname: "127.0.0.1"})
	if err != nil {
		b.t.Fatal(err)
	}
	return in.Entry, in.Run, b.runner.last()
}

// deadOwner is an owner token whose portal process is gone.
const deadOwner = "2147483646-dead"

// liveOwner is an owner token of another portal whose process is alive
// (it names the test's own process).
func liveOwner() string { return strconv.Itoa(os.Getpid()) + "-live" }

func pid(n int) *int { return &n }
