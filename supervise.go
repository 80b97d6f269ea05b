package portal

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-multierror"

	"github.com/opencode-portal/portal/internal/procfs"
	"github.com/opencode-portal/portal/internal/registry"
	"github.com/opencode-portal/portal/internal/supervisor"
)

// RestartPolicy says what happens to an instance whose OpenCode exits on
// its own (a crash, a kill): anything but a stop through the portal or an
// exit with status 0.
type RestartPolicy string

// The restart policies.
const (
	RestartNever     RestartPolicy = "never"      // leave it crashed (the default)
	RestartOnFailure RestartPolicy = "on-failure" // start it again, with backoff
)

// registryWait bounds how long bookkeeping done in the background waits for
// the registry lock.
const registryWait = 30 * time.Second

// errUnchanged makes a registry update write nothing.
var errUnchanged = errors.New("registry unchanged")

// instanceSet holds the instances this Portal supervises.
type instanceSet struct {
	owner  string // "PID-TOKEN": written into the registry entries supervised here
	logDir string // where started instances' output goes
	// ctx ends when the Portal closes; it ends the starts under way.
	ctx    context.Context
	cancel context.CancelFunc

	mu     sync.Mutex
	procs  map[string]*supervised // by instance id
	starts map[string]*startCall  // the starts under way, by folder
	closed bool
	wg     sync.WaitGroup // starts, and goroutines stopping processes let go by their owner
}

// startCall is one start of a folder, shared by every caller that asks
// for the folder while it runs.
type startCall struct {
	done chan struct{} // closed when in and err are set
	in   Instance
	err  error
}

// supervised is one instance supervised here.
type supervised struct {
	proc    *supervisor.Process
	entry   registry.Entry // its registry entry when supervision began
	started bool           // started by this Portal, not adopted
}

func newInstanceSet(registryPath string) *instanceSet {
	ctx, cancel := context.WithCancel(context.Background())
	return &instanceSet{
		owner:  strconv.Itoa(os.Getpid()) + "-" + randomHex(4),
		logDir: filepath.Join(filepath.Dir(registryPath), ".portal-logs"),
		ctx:    ctx,
		cancel: cancel,
		procs:  make(map[string]*supervised),
		starts: make(map[string]*startCall),
	}
}

// startOnce returns the start under way for dir, or begins one that runs
// start in a goroutine of its own. The start belongs to no caller: it runs
// with ctx's values but not its cancellation, bounded by timeout and by the
// Portal's life, so that a caller who stops waiting does not end it for the
// others.
func (in *instanceSet) startOnce(ctx context.Context, dir string, timeout time.Duration, start func(context.Context) (Instance, error)) (*startCall, error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.closed {
		return nil, Errorf(EUNAVAILABLE, "The portal is closed; create a new one to start instances")
	}
	if c := in.starts[dir]; c != nil {
		return c, nil
	}
	c := &startCall{done: make(chan struct{})}
	in.starts[dir] = c
	in.wg.Go(func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
		defer cancel()
		defer context.AfterFunc(in.ctx, cancel)()
		c.in, c.err = start(ctx)
		in.mu.Lock()
		delete(in.starts, dir)
		in.mu.Unlock()
		close(c.done)
	})
	return c, nil
}

func (in *instanceSet) open() error {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.closed {
		return Errorf(EUNAVAILABLE, "The portal is closed; create a new one to start instances")
	}
	return nil
}

func (in *instanceSet) get(id string) *supervised {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.procs[id]
}

func (in *instanceSet) add(e registry.Entry, proc *supervisor.Process, started bool) error {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.closed {
		return Errorf(EUNAVAILABLE, "The portal was closed while the instance started; it was stopped")
	}
	in.procs[e.ID] = &supervised{proc: proc, entry: e, started: started}
	return nil
}

// all returns the instances supervised here.
func (in *instanceSet) all() []*supervised {
	in.mu.Lock()
	defer in.mu.Unlock()
	out := make([]*supervised, 0, len(in.procs))
	for _, s := range in.procs {
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b *supervised) int {
		return strings.Compare(a.entry.StartedAt+a.entry.ID, b.entry.StartedAt+b.entry.ID)
	})
	return out
}

// byDir returns the instance supervised here for a folder, or nil.
func (in *instanceSet) byDir(dir string) *supervised {
	in.mu.Lock()
	defer in.mu.Unlock()
	for _, s := range in.procs {
		if s.entry.Directory == dir {
			return s
		}
	}
	return nil
}

// take removes the instance from the set and returns it, or nil.
func (in *instanceSet) take(id string) *supervised {
	in.mu.Lock()
	defer in.mu.Unlock()
	s := in.procs[id]
	delete(in.procs, id)
	return s
}

// letGo stops supervising an instance whose entry another program removed
// or took over; the process is already gone or someone else's.
func (in *instanceSet) letGo(id string) {
	s := in.take(id)
	if s == nil {
		return
	}
	in.wg.Go(func() { s.proc.Detach() })
}

// supervisorOptions describes the process of a registry entry.
func (p *Portal) supervisorOptions(e registry.Entry) supervisor.Options {
	id := e.ID
	return supervisor.Options{
		Bin:          p.cfg.OpenCodeBin,
		Dir:          e.Directory,
		Hostname:     e.Hostname,
		Port:         e.OpencodePort,
		Password:     e.Password,
		Env:          p.cfg.Env,
		LogFile:      e.LogFile,
		StartTimeout: p.cfg.StartTimeout,
		ProbeTimeout: p.cfg.ProbeTimeout,
		StopTimeout:  p.cfg.StopTimeout,
		Restart: supervisor.RestartPolicy{
			Mode:        supervisor.RestartMode(p.cfg.Restart),
			MaxRestarts: p.cfg.MaxRestarts,
			Backoff:     p.cfg.RestartBackoff,
		},
		MayRestart:  func() bool { return p.owns(id) },
		NewPassword: func(ctx context.Context) (string, error) { return p.newPassword(ctx, id) },
		Notify:      func(s supervisor.Status) { p.instanceChanged(id, s) },
		Logger:      p.log.With("instance", id, "name", e.Name),
	}
}

// owns reports whether the registry still has the entry and names this
// Portal its owner. When the registry can not be read, it says yes.
func (p *Portal) owns(id string) bool {
	f, err := p.registry.Read()
	if err != nil {
		return true
	}
	for _, e := range f.Instances {
		if e.ID == id {
			return e.Owner == p.instances.owner
		}
	}
	return false
}

// newPassword records a fresh OpenCode password for the next start of the
// instance with this id, which must still be supervised here, and returns
// it. Each start has its own, so that no one who learnt an earlier one (say,
// a program that took over the port of a crashed run) can use it.
func (p *Portal) newPassword(ctx context.Context, id string) (string, error) {
	pw := randomPassword()
	if err := p.updateEntry(ctx, id, true, func(e *registry.Entry) { e.Password = pw }); err != nil {
		return "", fmt.Errorf("recording the new password in the registry: %w", err)
	}
	return pw, nil
}

// instanceChanged records a supervised process's new pid, port and start
// time in the registry, then tells the instance's event subscribers. An
// instance whose entry was removed or taken over by another program is let
// go.
func (p *Portal) instanceChanged(id string, s supervisor.Status) {
	ctx, cancel := context.WithTimeout(context.Background(), registryWait)
	defer cancel()
	err := p.updateEntry(ctx, id, true, func(e *registry.Entry) {
		// Between runs the entry keeps the last pid, which is gone; its
		// state tells the rest.
		if s.PID > 0 {
			pid := s.PID
			e.OpencodePID = &pid
		}
		if s.Port > 0 {
			e.OpencodePort = s.Port
		}
		if s.State == supervisor.StateRunning && !s.StartedAt.IsZero() {
			e.StartedAt = timestamp(s.StartedAt)
		}
		// For the other portal processes (see entryState).
		e.State, e.Restarts, e.LastExit = string(s.State), s.Restarts, lastExit(s)
	})
	switch {
	case errors.Is(err, errNotOurs):
		if s.State == supervisor.StateStopped || s.State == supervisor.StateCrashed {
			p.instances.letGo(id)
		}
	case err != nil:
		p.log.Warn("recording an instance change in the registry failed", "instance", id, "err", err)
	}
	p.events.instanceChanged(id, s.Port, string(s.State))
	if s.State == supervisor.StateStopped || s.State == supervisor.StateCrashed {
		p.instanceEnded(s.Port, false)
	}
}

// errNotOurs means the entry is gone or supervised by another portal.
var errNotOurs = errors.New("registry entry is not supervised here")

// updateEntry applies change to the entry with this id under the registry
// lock. With ours, an entry that does not name this Portal its owner is
// left alone and the error is errNotOurs.
func (p *Portal) updateEntry(ctx context.Context, id string, ours bool, change func(*registry.Entry)) error {
	err := p.registry.Update(ctx, func(f *registry.File) error {
		for i := range f.Instances {
			if e := &f.Instances[i]; e.ID == id {
				if ours && e.Owner != p.instances.owner {
					return errNotOurs
				}
				change(e)
				return nil
			}
		}
		return errNotOurs
	})
	p.forgetEntries()
	return err
}

// removeEntry removes the entry with this id from the registry, and ends
// the subscriptions to its events.
func (p *Portal) removeEntry(id string) error {
	ctx, cancel := context.WithTimeout(context.Background(), registryWait)
	defer cancel()
	port := 0
	err := p.registry.Update(ctx, func(f *registry.File) error {
		for i, e := range f.Instances {
			if e.ID == id {
				port = e.OpencodePort
				f.Instances = append(f.Instances[:i], f.Instances[i+1:]...)
				return nil
			}
		}
		return errUnchanged
	})
	p.forgetEntries()
	if err == nil {
		p.instanceEnded(port, true)
	}
	if errors.Is(err, errUnchanged) {
		return nil
	}
	return err
}

// forgetEntries drops the cached registry read after a write.
func (p *Portal) forgetEntries() {
	p.mu.Lock()
	p.entries = registryCache{}
	p.mu.Unlock()
}

// adopt supervises the registered instances that no live portal supervises
// and whose process is alive and answers as OpenCode on its port. The others
// are left out (Clean removes the dead ones from the registry).
func (p *Portal) adopt() error {
	f, err := p.registry.Read()
	if err != nil {
		return registryError(err)
	}
	var found []registry.Entry
	for _, e := range f.Instances {
		if e.InstanceType != "docker" && e.OpencodePID != nil && *e.OpencodePID != os.Getpid() &&
			e.OpencodePort != 0 && !ownerAlive(e.Owner) && supervisor.Serves(*e.OpencodePID, e.OpencodePort) {
			found = append(found, e)
		}
	}
	if len(found) == 0 {
		return nil
	}
	procs := make([]*supervisor.Process, len(found))
	var wg sync.WaitGroup
	for i, e := range found {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), p.cfg.ProbeTimeout)
			defer cancel()
			proc, err := supervisor.Adopt(ctx, p.supervisorOptions(e), *e.OpencodePID)
			if err != nil {
				p.log.Info("not adopting instance", "instance", e.ID, "err", err)
				return
			}
			procs[i] = proc
		})
	}
	wg.Wait()

	// Claim them, unless another portal did meanwhile.
	claimed := make(map[string]bool)
	ctx, cancel := context.WithTimeout(context.Background(), registryWait)
	defer cancel()
	err = p.registry.Update(ctx, func(f *registry.File) error {
		clear(claimed)
		for i := range f.Instances {
			e := &f.Instances[i]
			for j, c := range found {
				if procs[j] != nil && e.ID == c.ID && e.Owner == c.Owner && samePID(e.OpencodePID, c.OpencodePID) {
					e.Owner = p.instances.owner
					e.State, e.Restarts, e.LastExit = StateRunning, 0, "" // as supervised from now on
					claimed[e.ID] = true
				}
			}
		}
		if len(claimed) == 0 {
			return errUnchanged
		}
		return nil
	})
	p.forgetEntries()
	if err != nil && !errors.Is(err, errUnchanged) {
		clear(claimed)
		p.log.Warn("claiming adopted instances in the registry failed", "err", err)
	}
	for j, proc := range procs {
		switch {
		case proc == nil:
		case claimed[found[j].ID]:
			p.instances.add(found[j], proc, false)
			p.log.Info("adopted instance", "instance", found[j].ID, "pid", *found[j].OpencodePID, "port", found[j].OpencodePort)
		default:
			proc.Detach()
		}
	}
	return nil
}

// closeInstances ends supervision: with stop, the instances this Portal
// started are stopped and removed from the registry; the others are left
// running and released for the next portal to adopt.
func (p *Portal) closeInstances(stop bool) error {
	in := p.instances
	in.mu.Lock()
	in.closed = true
	procs := in.procs
	in.procs = make(map[string]*supervised)
	in.mu.Unlock()
	in.cancel() // a start under way stops what it started (add fails once closed)
	// Instances released into a registry that can not be read would be
	// orphaned: no portal could find them again. They are stopped instead.
	_, unreadable := p.registry.Read()
	orphans := !stop && unreadable != nil && len(procs) > 0
	if orphans {
		p.log.Warn("stopping the instances supervised here: the registry can not record them for the next portal", "err", unreadable)
	}

	var mu sync.Mutex
	var errs *multierror.Error
	var stopped, released []string
	var wg sync.WaitGroup
	for id, s := range procs {
		wg.Go(func() {
			if stop && s.started || orphans {
				ctx, cancel := context.WithTimeout(context.Background(), p.cfg.StopTimeout+registryWait)
				defer cancel()
				err := s.proc.Stop(ctx)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					errs = multierror.Append(errs, fmt.Errorf("stopping instance %s: %w", id, err))
					return
				}
				stopped = append(stopped, id)
				return
			}
			s.proc.Detach()
			mu.Lock()
			released = append(released, id)
			mu.Unlock()
		})
	}
	wg.Wait()
	in.wg.Wait()
	if len(stopped)+len(released) == 0 {
		return errs.ErrorOrNil()
	}
	ctx, cancel := context.WithTimeout(context.Background(), registryWait)
	defer cancel()
	err := p.registry.Update(ctx, func(f *registry.File) error {
		kept := f.Instances[:0]
		for _, e := range f.Instances {
			switch {
			case e.Owner != in.owner:
			case slices.Contains(stopped, e.ID):
				continue
			case slices.Contains(released, e.ID):
				e.Owner = ""
			}
			kept = append(kept, e)
		}
		f.Instances = kept
		return nil
	})
	p.forgetEntries()
	if err != nil {
		errs = multierror.Append(errs, fmt.Errorf("updating the registry: %w", err))
	}
	return errs.ErrorOrNil()
}

// registryError is the *Error for a failed read or update of the registry.
// A damaged registry is never written over: the message says how to repair
// it.
func registryError(err error) error {
	var perr *Error
	switch {
	case errors.As(err, &perr):
		return err
	case errors.Is(err, registry.ErrCorrupt):
		return &Error{Code: EINTERNAL, Err: err, Message: fmt.Sprintf(
			"The instance registry is damaged, so instances can be neither started nor stopped by it (%v). "+
				"To repair it: stop the opencode processes of the instances it listed, then restore the file from a backup or remove it", err)}
	}
	return &Error{Code: EINTERNAL, Err: err, Message: fmt.Sprintf(
		"Using the instance registry failed (%v); check that its file and folder are readable and writable by the user running the portal", err)}
}

// ownerAlive reports whether the portal process named by an entry's owner
// ("PID-TOKEN") is alive.
func ownerAlive(owner string) bool {
	pid, _, ok := strings.Cut(owner, "-")
	if !ok {
		return false
	}
	n, err := strconv.Atoi(pid)
	return err == nil && procfs.Alive(n)
}

func samePID(a, b *int) bool { return a != nil && b != nil && *a == *b }

// randomID returns an 8-character base-36 id, like the original CLI's.
func randomID() string {
	const digits = "0123456789abcdefghijklmnopqrstuvwxyz"
	b := make([]byte, 8)
	rand.Read(b)
	for i := range b {
		b[i] = digits[int(b[i])%len(digits)]
	}
	return string(b)
}

// randomPassword returns a fresh OPENCODE_SERVER_PASSWORD.
func randomPassword() string { return randomHex(16) }

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
