package procfs

import (
	"errors"
	"fmt"
	"net/netip"
)

// Errors of the socket ownership checks, for errors.Is.
var (
	// ErrNoListener means nothing listens where a connection was to go.
	ErrNoListener = errors.New("nothing listens there")
	// ErrNotHeld means a socket is held by a process that is neither the
	// one named nor one of its descendants.
	ErrNotHeld = errors.New("the socket is held by another process")
)

// NotHeldError says who holds a socket that is not the expected process's.
// It matches ErrNotHeld.
type NotHeldError struct {
	Addr netip.AddrPort // where the socket listens or is connected
	PID  int            // the process expected to hold it
	UID  uint32         // the user the socket belongs to
}

func (e *NotHeldError) Error() string {
	return fmt.Sprintf("%s is held by a process of user %d that is neither pid %d nor one of its descendants", e.Addr, e.UID, e.PID)
}

// Is makes errors.Is(err, ErrNotHeld) true.
func (e *NotHeldError) Is(target error) bool { return target == ErrNotHeld }
