package portal

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"

	"github.com/opencode-portal/portal/internal/lifecycle"
	"github.com/opencode-portal/portal/internal/procfs"
	"github.com/opencode-portal/portal/internal/registry"
)

// dialFunc is the DialContext of an http.Transport.
type dialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// guardDial wraps the dialer of the transport every OpenCode client shares,
// so that no connection, and so no credential, goes to a port the
// instance's own OpenCode does not hold: after a crash, another local user
// may listen on the freed port. Each new connection looks up the instance
// registered on the port (a restart's new pid is followed) and:
//
//   - refuses an instance supervised here that is not running, or one
//     whose registered process is gone (ENOTRUNNING);
//   - before connecting, checks that the sockets listening on the address
//     are held by the instance's process or its descendants (the npm
//     `opencode` may be a wrapper whose child listens);
//   - after connecting and before anything is sent, checks again, at the
//     address actually connected to: a port taken over between the first
//     check and the connect is caught here, and the connection closed
//     unused. What is left is a listener that changes hands twice within
//     that microsecond window; the socket that accepted the connection is
//     not looked up, as that means reading every connection of the
//     machine (tens of milliseconds with a few thousand).
//
// Where the system offers no check (neither Linux nor macOS), only the
// first point holds.
func (p *Portal) guardDial(dial dialFunc) dialFunc {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		_, portText, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		port, err := strconv.Atoi(portText)
		if err != nil {
			return nil, fmt.Errorf("dial %s: bad port", addr)
		}
		e, err := p.runningEntry(port)
		if err != nil {
			return nil, err
		}
		if to, err := netip.ParseAddrPort(addr); err == nil {
			if err := heldError(port, e.ID, p.life.Holds(e, to)); err != nil {
				return nil, err
			}
		}
		conn, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		remote, ok := conn.RemoteAddr().(*net.TCPAddr)
		if !ok {
			conn.Close()
			return nil, fmt.Errorf("dial %s: not a TCP connection", addr)
		}
		if err := heldError(port, e.ID, p.life.Holds(e, remote.AddrPort())); err != nil {
			conn.Close()
			return nil, err
		}
		return conn, nil
	}
}

// runningEntry returns the entry of the instance registered on port, whose
// OpenCode must run. An instance supervised here must be running; any
// other must have a live process (or container), else the client and
// repository kept for it are dropped.
func (p *Portal) runningEntry(port int) (registry.Entry, error) {
	e, err := p.registeredOn(port)
	if err != nil {
		return e, err
	}
	if run := p.life.Run(e.ID); run != nil {
		st := run.Status()
		if st.State != StateRunning || st.PID == 0 {
			return e, notRunning(port, e.ID, st.State)
		}
		return e, nil
	}
	alive := e.OpencodePID != nil && procfs.Alive(*e.OpencodePID)
	if e.ContainerID != nil { // a container runs when its Engine says so
		alive = p.life.Alive(e)
	}
	if !alive {
		// Another portal's (or no portal's) instance that stopped: what
		// was kept for it goes now, not when its port is reused.
		p.instanceEnded(port, false)
		// The state every portal reads: starting while its owner restarts
		// it, crashed or stopped as recorded.
		state, _ := lifecycle.EntryState(e, false, func() bool { return false })
		if state == StateRunning { // the original CLI's web UI outlived it
			state = "its OpenCode process has exited"
		}
		return e, notRunning(port, e.ID, state)
	}
	return e, nil
}

// notRunning is the error for a relay to an instance whose OpenCode is not
// running.
func notRunning(port int, id, state string) error {
	if state == StateStarting {
		return &Error{Code: ENOTRUNNING, Hint: HintInstanceLog, Instance: id, Message: fmt.Sprintf(
			"The instance on port %d is starting; retry in a moment, or read its log", port)}
	}
	return &Error{Code: ENOTRUNNING, Hint: HintRestartInstance, Instance: id, Message: fmt.Sprintf(
		"The instance on port %d is not running (%s); restart it", port, state)}
}

// heldError turns the failure of a socket ownership check into the error
// for the relay it stops; a system without a check lets the relay go on.
func heldError(port int, id string, err error) error {
	switch {
	case err == nil, errors.Is(err, errors.ErrUnsupported):
		return nil
	case errors.Is(err, procfs.ErrNoListener):
		return &Error{Code: ENOTRUNNING, Err: err, Hint: HintRestartInstance, Instance: id, Message: fmt.Sprintf(
			"The instance on port %d is not running: nothing listens on its port; restart it", port)}
	case errors.Is(err, procfs.ErrNotHeld):
		return &Error{Code: ENOTRUNNING, Err: err, Hint: HintStopInstance, Instance: id, Message: fmt.Sprintf(
			"The instance on port %d is not running: another program listens on its port, so nothing was sent there; "+
				"to move it to a free port, start its folder again once you stop the instance", port)}
	}
	return &Error{Code: EINTERNAL, Err: err, Hint: HintRestartInstance, Instance: id, Message: fmt.Sprintf(
		"Checking that port %d belongs to the instance's OpenCode failed, so nothing was sent there: %v; try again, or restart the instance", port, err)}
}
