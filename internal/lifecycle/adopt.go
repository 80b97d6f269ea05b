package lifecycle

import (
	"context"
	"errors"
	"os"
	"sync"

	"github.com/opencode-portal/portal/internal/registry"
)

// adopt supervises the registered instances that no live portal supervises
// and whose OpenCode is alive and answers. The others are left out (Clean
// removes the dead ones from the registry).
func (m *Manager) adopt() error {
	f, err := m.reg.Read()
	if err != nil {
		return RegistryError(err)
	}
	var found []registry.Entry
	for _, e := range f.Instances {
		if names(e) && e.OpencodePort != 0 && !OwnerAlive(e.Owner) && m.Alive(e) {
			found = append(found, e)
		}
	}
	if len(found) == 0 {
		return nil
	}
	runs := make([]Run, len(found))
	var wg sync.WaitGroup
	for i, e := range found {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), m.cfg.ProbeTimeout)
			defer cancel()
			runner, _ := m.runnerFor(e)
			run, err := adopt(ctx, runner, e, m.supervision(e))
			if err != nil {
				m.cfg.Logger.Info("not adopting instance", "instance", e.ID, "err", err)
				return
			}
			runs[i] = run
		})
	}
	wg.Wait()

	// Claim them, unless another portal did meanwhile.
	claimed := make(map[string]bool)
	ctx, cancel := context.WithTimeout(context.Background(), registryWait)
	defer cancel()
	err = m.reg.Update(ctx, func(f *registry.File) error {
		clear(claimed)
		for i := range f.Instances {
			e := &f.Instances[i]
			for j, c := range found {
				if runs[j] != nil && e.ID == c.ID && e.Owner == c.Owner && sameRun(*e, c) {
					e.Owner = m.owner
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
	m.written()
	if err != nil && !errors.Is(err, errUnchanged) {
		clear(claimed)
		m.cfg.Logger.Warn("claiming adopted instances in the registry failed", "err", err)
	}
	for j, run := range runs {
		switch {
		case run == nil:
		case claimed[found[j].ID]:
			m.add(found[j], run, false)
			m.cfg.Logger.Info("adopted instance", "instance", found[j].ID, "port", found[j].OpencodePort)
		default:
			run.Detach()
		}
	}
	return nil
}

// names reports whether the entry names a run to adopt: a process other
// than this one, or a container.
func names(e registry.Entry) bool {
	return e.OpencodePID != nil && *e.OpencodePID != os.Getpid() || e.ContainerID != nil && *e.ContainerID != ""
}

// sameRun reports whether two versions of an entry name the same run: the
// same process and the same container.
func sameRun(a, b registry.Entry) bool {
	return same(a.OpencodePID, b.OpencodePID) && same(a.ContainerID, b.ContainerID)
}

func same[T comparable](a, b *T) bool {
	return a == nil && b == nil || a != nil && b != nil && *a == *b
}
