// Package lifecycle runs the life of OpenCode instances that every portal
// process shares through the registry file: reserving a folder and a port,
// starting, adopting after a portal restart, restarting, stopping and
// cleaning up, which portal owns an instance, and the state every portal
// reads from an entry (EntryState).
//
// Running OpenCode is a Runner's: start, stop, observe exit, logs,
// liveness and adoption, one Runner per instance type of the registry
// ("process", "docker"). The rest (registry, ports, passwords, ownership, the
// restart policy given to the Runner, the states) is the same for every
// type.
package lifecycle

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/opencode-portal/portal/internal/registry"
)

// ProcessType is the instance type of OpenCode run as a local process, and
// of the entries that name no type.
const ProcessType = "process"

// registryWait bounds how long bookkeeping done in the background waits for
// the registry lock.
const registryWait = 30 * time.Second

// Config configures a Manager. Registry and a Runner for ProcessType are
// required.
type Config struct {
	Registry *registry.Registry
	// Runners run the instances of each type (registry instanceType).
	// Entries of a type without a Runner are left alone: never started,
	// adopted, listed as live or cleaned.
	Runners map[string]Runner
	// LogDir is where started instances' output goes.
	LogDir string
	// FirstPort is the first port tried for a new instance.
	FirstPort int
	// MaxInstances is how many instances may run at once; 0 or less for no
	// limit.
	MaxInstances int
	// StartTimeout bounds a start shared by its callers (see Start), and
	// each start until OpenCode answers (default 60s).
	StartTimeout time.Duration
	// ProbeTimeout bounds one health check, and the adoption of one
	// instance (default 500ms).
	ProbeTimeout time.Duration
	// StopTimeout is how long a stopping instance gets before it is killed.
	StopTimeout time.Duration
	Policy      Policy
	Logger      *slog.Logger
	// Changed, if set, is told each change of an instance supervised here,
	// once the registry recorded it.
	Changed func(id string, st Status)
	// Released, if set, is told the port of an instance removed from the
	// registry, or taken by a new instance: what was kept for it goes.
	Released func(port int)
	// Written, if set, is told after each write of the registry.
	Written func()
}

// Manager runs the lifecycle of the instances of one portal process. It is
// safe for concurrent use.
type Manager struct {
	cfg   Config
	reg   *registry.Registry
	ready *readiness // one for every start and adoption
	owner string     // "PID-TOKEN": written into the registry entries supervised here
	// ctx ends when the Manager closes; it ends the starts under way.
	ctx    context.Context
	cancel context.CancelFunc

	mu     sync.Mutex
	procs  map[string]*supervised // by instance id
	starts map[string]*startCall  // the starts under way, by folder
	closed bool
	wg     sync.WaitGroup // starts, and goroutines stopping runs let go by their owner
}

// supervised is one instance supervised here.
type supervised struct {
	run     Run
	entry   registry.Entry // its registry entry when supervision began
	started bool           // started by this Manager, not adopted
}

// Supervised is an instance supervised by this Manager: its registry entry
// when supervision began, and its run.
type Supervised struct {
	Entry registry.Entry
	Run   Run
}

// New returns a Manager that has adopted the registered instances no live
// portal supervises and whose OpenCode answers.
func New(cfg Config) (*Manager, error) {
	cfg.Logger = cmp.Or(cfg.Logger, slog.New(slog.DiscardHandler))
	ready := newReadiness(cfg.StartTimeout, cfg.ProbeTimeout)
	cfg.StartTimeout, cfg.ProbeTimeout = ready.startTimeout, ready.probeTimeout
	ctx, cancel := context.WithCancel(context.Background())
	m := &Manager{
		cfg:    cfg,
		reg:    cfg.Registry,
		ready:  ready,
		owner:  strconv.Itoa(os.Getpid()) + "-" + randomHex(4),
		ctx:    ctx,
		cancel: cancel,
		procs:  make(map[string]*supervised),
		starts: make(map[string]*startCall),
	}
	if err := m.adopt(); err != nil {
		cancel()
		return nil, err
	}
	return m, nil
}

// runnerFor returns the Runner of the entry's instance type.
func (m *Manager) runnerFor(e registry.Entry) (Runner, bool) {
	r, ok := m.cfg.Runners[cmp.Or(e.InstanceType, ProcessType)]
	return r, ok
}

// Driven reports whether a Runner drives the entry's instance type; the
// others (types a portal does not know) are left alone.
func (m *Manager) Driven(e registry.Entry) bool {
	_, ok := m.runnerFor(e)
	return ok
}

func (m *Manager) open() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return errClosed
	}
	return nil
}

// Run returns the run of the instance with this id if it is supervised
// here, else nil.
func (m *Manager) Run(id string) Run {
	m.mu.Lock()
	defer m.mu.Unlock()
	if s := m.procs[id]; s != nil {
		return s.run
	}
	return nil
}

func (m *Manager) get(id string) *supervised {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.procs[id]
}

func (m *Manager) add(e registry.Entry, run Run, started bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return &Error{Kind: Unavailable, Message: "The portal was closed while the instance started; it was stopped"}
	}
	m.procs[e.ID] = &supervised{run: run, entry: e, started: started}
	return nil
}

// All returns the instances supervised here, oldest first.
func (m *Manager) All() []Supervised {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Supervised, 0, len(m.procs))
	for _, s := range m.procs {
		out = append(out, Supervised{Entry: s.entry, Run: s.run})
	}
	slices.SortFunc(out, func(a, b Supervised) int {
		return strings.Compare(a.Entry.StartedAt+a.Entry.ID, b.Entry.StartedAt+b.Entry.ID)
	})
	return out
}

// byDir returns the instance supervised here for a folder, or nil.
func (m *Manager) byDir(dir string) *supervised {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, s := range m.procs {
		if s.entry.Directory == dir {
			return s
		}
	}
	return nil
}

// take removes the instance from those supervised here and returns it, or
// nil.
func (m *Manager) take(id string) *supervised {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.procs[id]
	delete(m.procs, id)
	return s
}

// letGo stops supervising an instance whose entry another program removed
// or took over; its OpenCode is already gone or someone else's.
func (m *Manager) letGo(id string) {
	s := m.take(id)
	if s == nil {
		return
	}
	m.wg.Go(func() { s.run.Detach() })
}

// written tells Config.Written.
func (m *Manager) written() {
	if m.cfg.Written != nil {
		m.cfg.Written()
	}
}

// released tells Config.Released.
func (m *Manager) released(port int) {
	if m.cfg.Released != nil && port != 0 {
		m.cfg.Released(port)
	}
}

// newID returns an 8-character base-36 id, like the original CLI's.
func newID() string {
	const digits = "0123456789abcdefghijklmnopqrstuvwxyz"
	b := make([]byte, 8)
	rand.Read(b)
	for i := range b {
		b[i] = digits[int(b[i])%len(digits)]
	}
	return string(b)
}

// newPasswordText returns a fresh OPENCODE_SERVER_PASSWORD.
func newPasswordText() string { return randomHex(16) }

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Timestamp formats t as the original CLI does (JavaScript's toISOString).
func Timestamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
