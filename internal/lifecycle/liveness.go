package lifecycle

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/opencode-portal/portal/internal/procfs"
	"github.com/opencode-portal/portal/internal/registry"
)

// The liveness facts the lifecycle asks about a registry entry, all here:
// whether its OpenCode is alive and its own (the runner of its type tells),
// whether the original CLI's web UI is alive, and whether the portal that
// owns it is alive. Whether a socket is held by the instance's process is
// procfs.ListenerHeldBy's, asked by the portal's dialer.

// Alive reports whether the entry's OpenCode is alive and is the one the
// entry names, as the runner of its instance type tells; false for a type
// no runner drives.
func (m *Manager) Alive(e registry.Entry) bool {
	r, ok := m.runnerFor(e)
	return ok && r.Alive(e)
}

// webAlive reports whether the original CLI's web UI of the entry is alive.
func webAlive(e registry.Entry) bool { return e.WebPID != nil && procfs.Alive(*e.WebPID) }

// OwnerAlive reports whether the portal process named by an entry's owner
// ("PID-TOKEN") is alive.
func OwnerAlive(owner string) bool {
	pid, _, ok := strings.Cut(owner, "-")
	if !ok {
		return false
	}
	n, err := strconv.Atoi(pid)
	return err == nil && procfs.Alive(n)
}

// EntryState derives the state of an instance supervised by another portal
// (or by none) from its registry entry and its liveness (alive: the
// entry's OpenCode is alive and its own, see Runner.Alive), as every portal
// process does, so that all read it as its own portal does:
//
//   - while that portal lives, the state it recorded holds (starting covers
//     a restart awaited), unless it says running of a process that is gone;
//   - else a live OpenCode is running if it answers the health check
//     (healthy), starting if not; a live web UI of the original CLI is
//     running;
//   - else a recorded crashed or stopped holds, whoever recorded it;
//   - else the process is gone: stopped, and unknown (false).
func EntryState(e registry.Entry, alive bool, healthy func() bool) (string, bool) {
	switch {
	case e.State != "" && OwnerAlive(e.Owner) && (alive || e.State != StateRunning):
		return e.State, true
	case alive:
		if healthy() {
			return StateRunning, true
		}
		return StateStarting, true
	case webAlive(e):
		return StateRunning, true
	case e.State == StateCrashed || e.State == StateStopped:
		return e.State, true
	}
	return StateStopped, false
}

// Holds reports whether the socket listening at addr is that of the
// entry's OpenCode: its current run's when supervised here, else as the
// runner of its type tells (see Proc.Holds).
func (m *Manager) Holds(e registry.Entry, addr netip.AddrPort) error {
	if s := m.get(e.ID); s != nil {
		return s.run.Holds(addr)
	}
	r, ok := m.runnerFor(e)
	if !ok {
		return fmt.Errorf("this portal can not tell who holds the sockets of instances of type %q", e.InstanceType)
	}
	return r.Holds(e, addr)
}
