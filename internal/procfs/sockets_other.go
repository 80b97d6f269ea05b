//go:build !linux && !darwin

package procfs

import (
	"errors"
	"net/netip"
)

// ListenerHeldBy would tell whether pid or its descendants hold the
// sockets listening at addr; this system has no way to tell that this
// package knows of, so it returns errors.ErrUnsupported.
func ListenerHeldBy(pid int, addr netip.AddrPort) error { return errors.ErrUnsupported }
