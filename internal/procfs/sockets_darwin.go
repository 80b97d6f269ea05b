package procfs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os/exec"
	"strconv"
	"time"
)

// lsofTimeout bounds one run of lsof.
const lsofTimeout = 5 * time.Second

// ListenerHeldBy returns nil when every process listening on addr's port
// that this user may see is pid or a child of pid, and there is one.
// macOS has no /proc: this asks lsof(8) for the TCP listeners of the port,
// whatever their address. Processes of other users are hidden from lsof
// without root, so a port held only by another user's process counts as
// nothing listening (an error wrapping ErrNoListener): it is refused all
// the same. Descendants beyond children are not followed.
func ListenerHeldBy(pid int, addr netip.AddrPort) error {
	ctx, cancel := context.WithTimeout(context.Background(), lsofTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, "/usr/sbin/lsof", "-nP", "-w",
		"-iTCP:"+strconv.Itoa(int(addr.Port())), "-sTCP:LISTEN", "-FpR").Output()
	var exit *exec.ExitError
	if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 1) { // 1: nothing found
		return fmt.Errorf("procfs: lsof: %w", err)
	}
	return checkLsof(pid, addr, out)
}

// checkLsof checks lsof's -FpR output (lines "pPID" and "RPPID", one pair a
// process): every process is pid or a child of pid, and there is one.
func checkLsof(pid int, addr netip.AddrPort, out []byte) error {
	procs := parseLsof(out)
	if len(procs) == 0 {
		return fmt.Errorf("procfs: %s: %w", addr, ErrNoListener)
	}
	for _, p := range procs {
		if p[0] != pid && p[1] != pid {
			return fmt.Errorf("procfs: %s: pid %d listens there: %w", addr, p[0], ErrNotHeld)
		}
	}
	return nil
}

// parseLsof returns the [pid, ppid] pairs of lsof's -FpR output.
func parseLsof(out []byte) [][2]int {
	var procs [][2]int
	for _, line := range bytes.Split(out, []byte("\n")) {
		if len(line) < 2 {
			continue
		}
		n, err := strconv.Atoi(string(line[1:]))
		if err != nil {
			continue
		}
		switch line[0] {
		case 'p':
			procs = append(procs, [2]int{n, 0})
		case 'R':
			if len(procs) > 0 {
				procs[len(procs)-1][1] = n
			}
		}
	}
	return procs
}
