package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/hashicorp/go-multierror"

	"github.com/opencode-portal/portal/internal/registry"
	"github.com/opencode-portal/portal/internal/supervisor"
)

// Stop stops the entry's instance (supervised here, or by no live portal:
// then its Runner terminates it) and removes it from the registry.
func (m *Manager) Stop(ctx context.Context, e registry.Entry) error {
	var err error
	if s := m.take(e.ID); s != nil {
		err = s.run.Stop(ctx)
	} else {
		if r, ok := m.runnerFor(e); ok && r.Alive(e) {
			err = r.Terminate(ctx, e, m.cfg.StopTimeout)
		}
		if webAlive(e) { // the original CLI's web UI
			err = errors.Join(err, supervisor.Terminate(ctx, *e.WebPID, m.cfg.StopTimeout))
		}
		if err == nil {
			m.removeKept(e)
		}
	}
	if err != nil {
		return &Error{Kind: Internal, Err: err, Message: fmt.Sprintf("Stopping instance %s failed: %v; stop it again, or end its processes by hand", e.ID, err)}
	}
	if err := m.Remove(e.ID); err != nil {
		return &Error{Kind: Internal, Err: err, Message: fmt.Sprintf("Instance %s stopped, but removing it from the registry failed: %v; stop it again to remove it", e.ID, err)}
	}
	return nil
}

// Restart stops the entry's instance and starts it again on the same port
// with a new password, and returns once it answers. An instance no live
// portal supervises is taken over.
func (m *Manager) Restart(ctx context.Context, e registry.Entry) (Started, error) {
	if s := m.get(e.ID); s != nil {
		if err := s.run.Restart(ctx); err != nil {
			return Started{}, startError(e.Directory, err)
		}
		return Started{Entry: e, Run: s.run}, nil
	}
	if err := m.open(); err != nil {
		return Started{}, err
	}
	runner, ok := m.runnerFor(e)
	if !ok {
		return Started{}, errorf(Conflict, "Instance %s is of type %q, which this portal can not run; restart it with the program that started it", e.ID, e.InstanceType)
	}
	// Claim the entry first, so the portal that supervised it lets it go.
	old := e
	err := m.updateEntry(ctx, e.ID, false, func(e *registry.Entry) {
		e.Owner, e.OpencodePID, e.ContainerID, e.State = m.owner, nil, nil, StateStarting
		if e.LogFile == "" {
			e.LogFile = filepath.Join(m.cfg.LogDir, e.ID+".log")
		}
		e.Password = newPasswordText() // each start has its own
	})
	if err != nil {
		return Started{}, RegistryError(err)
	}
	if runner.Alive(old) {
		if err := runner.Terminate(ctx, old, m.cfg.StopTimeout); err != nil {
			return Started{}, &Error{Kind: Internal, Err: err, Message: fmt.Sprintf("Stopping instance %s failed: %v; stop it again, or end its processes by hand", e.ID, err)}
		}
	}
	if e, err = m.entry(e.ID); err != nil {
		return Started{}, err
	}
	if err := os.MkdirAll(filepath.Dir(e.LogFile), 0o700); err != nil {
		return Started{}, errorf(Internal, "Creating the log folder: %v; check that the user running the portal may write beside the registry", err)
	}
	run, err := supervise(ctx, runner, e, m.supervision(e))
	if err != nil {
		return Started{}, startError(e.Directory, err)
	}
	if err := m.add(e, run, true); err != nil {
		run.Stop(context.WithoutCancel(ctx))
		return Started{}, err
	}
	return Started{Entry: e, Run: run}, nil
}

// entry reads the entry with this id from the registry.
func (m *Manager) entry(id string) (registry.Entry, error) {
	f, err := m.reg.Read()
	if err != nil {
		return registry.Entry{}, RegistryError(err)
	}
	for _, e := range f.Instances {
		if e.ID == id {
			return e, nil
		}
	}
	return registry.Entry{}, errorf(NotFound, "Instance %s is no longer registered: another portal stopped it meanwhile; list the instances to see which run now, and start it again if it is still wanted", id)
}

// Logs returns up to tail of the last lines the entry's instance printed
// (all that are kept for tail <= 0).
func (m *Manager) Logs(e registry.Entry, tail int) ([]string, error) {
	if s := m.get(e.ID); s != nil {
		return s.run.Logs(tail), nil
	}
	runner, ok := m.runnerFor(e)
	if !ok {
		return nil, errorf(NotFound, "Instance %s has no captured output: this portal can not run instances of type %q; read its output where it runs", e.ID, e.InstanceType)
	}
	lines, err := runner.Logs(e, tail)
	switch {
	case errors.Is(err, ErrNoOutput):
		return nil, errorf(NotFound, "Instance %s has no captured output: it was not started by a portal; restart it to capture its output from now on", e.ID)
	case errors.Is(err, fs.ErrNotExist):
		return nil, errorf(NotFound, "Instance %s has no captured output: its log file %s is gone; restart it to capture its output from now on", e.ID, e.LogFile)
	case err != nil:
		return nil, &Error{Kind: Internal, Err: err, Message: fmt.Sprintf(
			"Reading the output of instance %s failed (%v); check that its log file %s is readable by the user running the portal", e.ID, err, e.LogFile)}
	}
	return lines, nil
}

// Clean removes from the registry the instances that are down: crashed or
// stopped, whoever supervises them, or with their OpenCode gone; and
// returns them as they were (with their run, if supervised here). It stops
// nothing.
func (m *Manager) Clean(ctx context.Context) ([]Started, error) {
	var removed []Started
	held := make(map[int]bool) // the ports of the instances kept
	err := m.reg.Update(ctx, func(f *registry.File) error {
		removed = nil
		clear(held)
		kept := f.Instances[:0:0]
		for _, e := range f.Instances {
			if m.Driven(e) && !m.Occupies(e) {
				removed = append(removed, Started{Entry: e, Run: m.Run(e.ID)})
				continue
			}
			kept = append(kept, e)
			held[e.OpencodePort] = true
		}
		if len(removed) == 0 {
			return errUnchanged
		}
		f.Instances = kept
		return nil
	})
	m.written()
	if err != nil && !errors.Is(err, errUnchanged) {
		return nil, RegistryError(err)
	}
	for _, in := range removed {
		m.letGo(in.Entry.ID)
		m.removeKept(in.Entry)
		if !held[in.Entry.OpencodePort] {
			m.released(in.Entry.OpencodePort)
		}
	}
	return removed, nil
}

// removeKept removes what the runner kept for the entry's instance, which
// is stopped for good; a failure is logged, as the instance is gone all
// the same.
func (m *Manager) removeKept(e registry.Entry) {
	if r, ok := m.runnerFor(e); ok {
		if err := r.Remove(e); err != nil {
			m.cfg.Logger.Warn("removing what a stopped instance kept", "instance", e.ID, "err", err)
		}
	}
}

// Close ends supervision: with stop, the instances this Manager started are
// stopped and removed from the registry; the others are left running and
// released for the next portal to adopt.
func (m *Manager) Close(stop bool) error {
	m.mu.Lock()
	m.closed = true
	procs := m.procs
	m.procs = make(map[string]*supervised)
	m.mu.Unlock()
	m.cancel() // a start under way stops what it started (add fails once closed)
	// Instances released into a registry that can not be read would be
	// orphaned: no portal could find them again. They are stopped instead.
	_, unreadable := m.reg.Read()
	orphans := !stop && unreadable != nil && len(procs) > 0
	if orphans {
		m.cfg.Logger.Warn("stopping the instances supervised here: the registry can not record them for the next portal", "err", unreadable)
	}

	var mu sync.Mutex
	var errs *multierror.Error
	var stopped, released []string
	var wg sync.WaitGroup
	for id, s := range procs {
		wg.Go(func() {
			if stop && s.started || orphans {
				ctx, cancel := context.WithTimeout(context.Background(), m.cfg.StopTimeout+registryWait)
				defer cancel()
				err := s.run.Stop(ctx)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					errs = multierror.Append(errs, fmt.Errorf("stopping instance %s: %w", id, err))
					return
				}
				stopped = append(stopped, id)
				return
			}
			s.run.Detach()
			mu.Lock()
			released = append(released, id)
			mu.Unlock()
		})
	}
	wg.Wait()
	m.wg.Wait()
	if len(stopped)+len(released) == 0 {
		return errs.ErrorOrNil()
	}
	ctx, cancel := context.WithTimeout(context.Background(), registryWait)
	defer cancel()
	err := m.reg.Update(ctx, func(f *registry.File) error {
		kept := f.Instances[:0]
		for _, e := range f.Instances {
			switch {
			case e.Owner != m.owner:
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
	m.written()
	if err != nil {
		errs = multierror.Append(errs, fmt.Errorf("updating the registry: %w", err))
	}
	return errs.ErrorOrNil()
}
