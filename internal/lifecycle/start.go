package lifecycle

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/opencode-portal/portal/internal/registry"
	"github.com/opencode-portal/portal/internal/supervisor"
)

// StartOptions says what Start starts. Directory is a folder the caller
// checked, symlinks resolved; Hostname is required.
type StartOptions struct {
	Directory string
	Name      string // default: the folder's name
	Port      int    // default: the first free port from Config.FirstPort
	Hostname  string
	// Type is the instance type, whose Runner runs it (default
	// ProcessType); Image, CPUs and Memory are a container's (see
	// registry.Entry), checked by the caller.
	Type   string
	Image  string
	CPUs   float64
	Memory int64
}

// Started is what Start returns: the folder's instance, with its run when it
// is supervised here (else nil: another portal, or none, runs it).
type Started struct {
	Entry registry.Entry
	Run   Run
}

// startCall is one start of a folder, shared by every caller that asks
// for the folder while it runs.
type startCall struct {
	done chan struct{} // closed when in and err are set
	in   Started
	err  error
}

// Start starts the folder's OpenCode and returns once it answers. If the
// folder already has a live instance, that one is returned and nothing is
// started, also when several callers (in this or other processes) start
// the same folder at once.
//
// The callers of one folder share its start, which belongs to none of them:
// it runs with ctx's values but not its cancellation, bounded by
// Config.StartTimeout and the Manager's life. When ctx ends first, this
// caller stops waiting and gets ctx's error; the start goes on for the
// others.
func (m *Manager) Start(ctx context.Context, opts StartOptions) (Started, error) {
	call, err := m.startOnce(ctx, opts.Directory, func(ctx context.Context) (Started, error) {
		return m.start(ctx, opts)
	})
	if err != nil {
		return Started{}, err
	}
	select {
	case <-call.done:
		return call.in, call.err
	case <-ctx.Done():
		return Started{}, ctx.Err()
	}
}

// startOnce returns the start under way for dir, or begins one that runs
// start in a goroutine of its own.
func (m *Manager) startOnce(ctx context.Context, dir string, start func(context.Context) (Started, error)) (*startCall, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, errClosed
	}
	if c := m.starts[dir]; c != nil {
		return c, nil
	}
	c := &startCall{done: make(chan struct{})}
	m.starts[dir] = c
	m.wg.Go(func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), m.cfg.StartTimeout)
		defer cancel()
		defer context.AfterFunc(m.ctx, cancel)()
		c.in, c.err = start(ctx)
		m.mu.Lock()
		delete(m.starts, dir)
		m.mu.Unlock()
		close(c.done)
	})
	return c, nil
}

// start does Start's work for one folder at a time.
func (m *Manager) start(ctx context.Context, opts StartOptions) (Started, error) {
	dir := opts.Directory
	if err := m.open(); err != nil {
		return Started{}, err
	}
	if _, ok := m.cfg.Runners[cmp.Or(opts.Type, ProcessType)]; !ok {
		return Started{}, errorf(Conflict, "This portal can not run instances of type %q; start the folder as a process", opts.Type)
	}
	for attempt := 1; ; attempt++ {
		r, err := m.reserve(ctx, opts)
		if err != nil {
			if s := m.byDir(dir); s != nil && errors.Is(err, registry.ErrCorrupt) {
				return m.existing(ctx, s.entry) // still ours, though the registry is damaged
			}
			return Started{}, err
		}
		switch {
		case r.existing != nil:
			in, err := m.existing(ctx, *r.existing)
			if err != nil || in.Run != nil || r.existing.State != StateStarting || !OwnerAlive(r.existing.Owner) {
				return in, err
			}
			fallthrough // another portal is starting it: wait until it answers or fails
		case r.wait: // another portal is starting this folder
			if err := sleep(ctx, 200*time.Millisecond); err != nil {
				return Started{}, &Error{Kind: Timeout, Err: err, Message: "Waiting for another portal to start " + dir + ": " + err.Error() + "; start it again to wait longer"}
			}
			continue
		}
		e := r.entry
		runner, _ := m.runnerFor(e)
		if err := os.MkdirAll(filepath.Dir(e.LogFile), 0o700); err != nil {
			m.Remove(e.ID)
			return Started{}, errorf(Internal, "Creating the log folder for %s: %v; check that the user running the portal may write beside the registry", dir, err)
		}
		run, err := supervise(ctx, runner, e, m.supervision(e))
		if err != nil {
			m.Remove(e.ID)
			// A port picked for us was taken meanwhile: pick another.
			if opts.Port == 0 && attempt < 3 && !supervisor.PortFree(e.Hostname, e.OpencodePort) {
				continue
			}
			return Started{}, startError(dir, err)
		}
		if err := m.add(e, run, true); err != nil {
			run.Stop(context.WithoutCancel(ctx))
			m.Remove(e.ID)
			return Started{}, err
		}
		return Started{Entry: e, Run: run}, nil
	}
}

// reservation is what reserve found or wrote for a folder.
type reservation struct {
	existing *registry.Entry // the folder's live instance
	wait     bool            // another portal is starting the folder
	entry    registry.Entry  // else: the new entry, written without a pid
}

// reserve, under the registry lock, looks for the folder's live instance
// and otherwise picks a port and writes a new entry owned by this Manager,
// so that no other start takes the folder or the port meanwhile.
func (m *Manager) reserve(ctx context.Context, opts StartOptions) (reservation, error) {
	dir := opts.Directory
	var r reservation
	err := m.reg.Update(ctx, func(f *registry.File) error {
		kept := make([]registry.Entry, 0, len(f.Instances)+1)
		live := 0
		for _, e := range f.Instances {
			if filepath.Clean(e.Directory) != dir && ResolveDir(e.Directory) != dir {
				kept = append(kept, e)
				if m.Occupies(e) {
					live++
				}
				continue
			}
			switch {
			case m.get(e.ID) != nil, m.Alive(e), webAlive(e):
				r.existing = &e
				return errUnchanged
			case OwnerAlive(e.Owner) && e.State == StateStarting:
				r.wait = true
				return errUnchanged
			}
			// A dead instance of this folder: its entry is replaced.
		}
		if limit := m.cfg.MaxInstances; limit > 0 && live >= limit {
			return &Error{Kind: Conflict, Hint: HintMaxInstances, Message: fmt.Sprintf(
				"%d instances run already, the most allowed; stop one first, or raise the limit", live)}
		}
		port, err := m.pickPort(kept, opts.Hostname, opts.Port)
		if err != nil {
			return err
		}
		id := newID()
		r.entry = registry.Entry{
			ID:           id,
			Name:         cmp.Or(opts.Name, filepath.Base(dir)),
			Directory:    dir,
			OpencodePort: port,
			Hostname:     opts.Hostname,
			StartedAt:    Timestamp(time.Now()),
			InstanceType: cmp.Or(opts.Type, ProcessType),
			Image:        opts.Image,
			CPUs:         opts.CPUs,
			Memory:       opts.Memory,
			Password:     newPasswordText(),
			Owner:        m.owner,
			LogFile:      filepath.Join(m.cfg.LogDir, id+".log"),
			State:        StateStarting,
		}
		f.Instances = append(kept, r.entry)
		return nil
	})
	if err == nil && r.existing == nil && !r.wait {
		m.released(r.entry.OpencodePort) // whatever was kept for the port's last instance
	}
	m.written()
	if errors.Is(err, errUnchanged) {
		err = nil
	}
	if err != nil {
		err = RegistryError(err)
	}
	return r, err
}

// ResolveDir returns dir with its symlinks resolved, or cleaned when that
// fails: one folder has one name.
func ResolveDir(dir string) string {
	if r, err := filepath.EvalSymlinks(dir); err == nil {
		return r
	}
	return filepath.Clean(dir)
}

// Occupies reports whether an entry's instance counts against
// Config.MaxInstances: its OpenCode runs, or is being started or restarted.
func (m *Manager) Occupies(e registry.Entry) bool {
	if s := m.get(e.ID); s != nil {
		return !s.run.Status().down()
	}
	if !m.Driven(e) {
		return false
	}
	state, _ := EntryState(e, m.Alive(e), func() bool { return false }) // starting and running alike
	return state == StateStarting || state == StateRunning
}

// pickPort returns port if it is free, or the first free port from
// Config.FirstPort when port is 0. Ports of registered instances count as
// taken.
func (m *Manager) pickPort(entries []registry.Entry, host string, port int) (int, error) {
	taken := make(map[int]string)
	for _, e := range entries {
		taken[e.OpencodePort] = e.Name
		if e.Port != nil {
			taken[*e.Port] = e.Name
		}
	}
	if port != 0 {
		if name, ok := taken[port]; ok {
			return 0, errorf(Conflict, "Port %d is already used by instance %q; choose another port, or none to pick a free one", port, name)
		}
		if !supervisor.PortFree(host, port) {
			return 0, errorf(Conflict, "Port %d on %s is in use by another program; choose another port, or none to pick a free one", port, host)
		}
		return port, nil
	}
	port, err := supervisor.FreePort(host, m.cfg.FirstPort, func(port int) bool { _, ok := taken[port]; return ok })
	if err != nil {
		return 0, &Error{Kind: Unavailable, Err: err, Message: "No port to start OpenCode on: " + err.Error() + "; stop an instance, or free a port"}
	}
	return port, nil
}

// existing returns the live instance found for a folder; one of ours that
// is down is restarted.
func (m *Manager) existing(ctx context.Context, e registry.Entry) (Started, error) {
	s := m.get(e.ID)
	if s == nil {
		return Started{Entry: e}, nil
	}
	if s.run.Status().down() {
		if err := s.run.Restart(ctx); err != nil {
			return Started{}, startError(e.Directory, err)
		}
	}
	return Started{Entry: e, Run: s.run}, nil
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
