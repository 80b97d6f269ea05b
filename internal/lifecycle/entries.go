package lifecycle

import (
	"context"
	"errors"
	"fmt"

	"github.com/opencode-portal/portal/internal/registry"
)

// supervision says how the entry's instance is supervised here.
func (m *Manager) supervision(e registry.Entry) supervision {
	id := e.ID
	return supervision{
		Policy:      m.cfg.Policy,
		MayRestart:  func() bool { return m.owns(id) },
		NewPassword: func(ctx context.Context) (string, error) { return m.newPassword(ctx, id) },
		Notify:      func(s Status) { m.changed(id, s) },
		Logger:      m.cfg.Logger.With("instance", id, "name", e.Name),
		Ready:       m.ready,
	}
}

// owns reports whether the registry still has the entry and names this
// Manager its owner. When the registry can not be read, it says yes.
func (m *Manager) owns(id string) bool {
	f, err := m.reg.Read()
	if err != nil {
		return true
	}
	for _, e := range f.Instances {
		if e.ID == id {
			return e.Owner == m.owner
		}
	}
	return false
}

// newPassword records a fresh OpenCode password for the next start of the
// instance with this id, which must still be supervised here, and returns
// it. Each start has its own, so that no one who learnt an earlier one (say,
// a program that took over the port of a crashed run) can use it.
func (m *Manager) newPassword(ctx context.Context, id string) (string, error) {
	pw := newPasswordText()
	if err := m.updateEntry(ctx, id, true, func(e *registry.Entry) { e.Password = pw }); err != nil {
		return "", fmt.Errorf("recording the new password in the registry: %w", err)
	}
	return pw, nil
}

// changed records a supervised run's new pid, port and start time in the
// registry, then tells Config.Changed. An instance whose entry was removed
// or taken over by another program is let go.
func (m *Manager) changed(id string, s Status) {
	ctx, cancel := context.WithTimeout(context.Background(), registryWait)
	defer cancel()
	err := m.updateEntry(ctx, id, true, func(e *registry.Entry) {
		// Between runs the entry keeps the last pid, which is gone; its
		// state tells the rest.
		if s.PID > 0 {
			pid := s.PID
			e.OpencodePID = &pid
		}
		if s.Container != "" {
			id := s.Container
			e.ContainerID = &id
		}
		if s.Port > 0 {
			e.OpencodePort = s.Port
		}
		if s.State == StateRunning && !s.StartedAt.IsZero() {
			e.StartedAt = Timestamp(s.StartedAt)
		}
		// For the other portal processes (see EntryState).
		e.State, e.Restarts, e.LastExit = s.State, s.Restarts, s.LastExit
	})
	switch {
	case errors.Is(err, errNotOurs):
		if s.down() {
			m.letGo(id)
		}
	case err != nil:
		m.cfg.Logger.Warn("recording an instance change in the registry failed", "instance", id, "err", err)
	}
	if m.cfg.Changed != nil {
		m.cfg.Changed(id, s)
	}
}

// updateEntry applies change to the entry with this id under the registry
// lock. With ours, an entry that does not name this Manager its owner is
// left alone and the error is errNotOurs.
func (m *Manager) updateEntry(ctx context.Context, id string, ours bool, change func(*registry.Entry)) error {
	err := m.reg.Update(ctx, func(f *registry.File) error {
		for i := range f.Instances {
			if e := &f.Instances[i]; e.ID == id {
				if ours && e.Owner != m.owner {
					return errNotOurs
				}
				change(e)
				return nil
			}
		}
		return errNotOurs
	})
	m.written()
	return err
}

// Remove removes the entry with this id from the registry, and tells
// Config.Released its port. An entry already gone is not an error.
func (m *Manager) Remove(id string) error {
	ctx, cancel := context.WithTimeout(context.Background(), registryWait)
	defer cancel()
	port := 0
	err := m.reg.Update(ctx, func(f *registry.File) error {
		for i, e := range f.Instances {
			if e.ID == id {
				port = e.OpencodePort
				f.Instances = append(f.Instances[:i], f.Instances[i+1:]...)
				return nil
			}
		}
		return errUnchanged
	})
	m.written()
	if err == nil {
		m.released(port)
	}
	if errors.Is(err, errUnchanged) {
		return nil
	}
	return err
}
