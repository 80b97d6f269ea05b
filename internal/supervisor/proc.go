package supervisor

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/opencode-portal/portal/internal/procfs"
)

// ExitStatus says how a process ended.
type ExitStatus struct {
	Code   int            // exit code; -1 when killed by a signal or unknown
	Signal syscall.Signal // the signal that killed it, or 0
	Time   time.Time      // when the exit was noticed
}

// String reads like os.ProcessState: "exit status 1", "signal: killed", or
// "exited" when the status is unknown (a process this program did not start).
func (e ExitStatus) String() string {
	switch {
	case e.Signal != 0:
		return "signal: " + e.Signal.String()
	case e.Code >= 0:
		return "exit status " + strconv.Itoa(e.Code)
	default:
		return "exited"
	}
}

// Clean reports an exit with status 0.
func (e ExitStatus) Clean() bool { return e.Signal == 0 && e.Code == 0 }

func exitStatus(ws syscall.WaitStatus) ExitStatus {
	e := ExitStatus{Code: -1, Time: time.Now()}
	switch {
	case ws.Exited():
		e.Code = ws.ExitStatus()
	case ws.Signaled():
		e.Signal = ws.Signal()
	}
	return e
}

// proc is one running OS process: a child this program started (and must
// reap) or an adopted one (started by someone else).
type proc struct {
	pid   int
	own   bool // our child, not reaped yet: wait4 reaps it
	group bool // it leads its own process group: signals go to the group
	exit  *ExitStatus
}

// spawn starts argv in dir, in a new session and so a new process group
// (no terminal can signal it), with stdin on /dev/null and stdout and stderr
// appended to logPath.
func spawn(argv, env []string, dir, logPath string) (*proc, error) {
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		return nil, err
	}
	defer devnull.Close()
	out, err := os.OpenFile(logPath, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open output file: %w", err)
	}
	defer out.Close()
	p, err := os.StartProcess(argv[0], argv, &os.ProcAttr{
		Dir:   dir,
		Env:   env,
		Files: []*os.File{devnull, out, out},
		Sys:   &syscall.SysProcAttr{Setsid: true},
	})
	if err != nil {
		return nil, err
	}
	pid := p.Pid
	// We reap with wait4 ourselves; drop the handle os keeps.
	_ = p.Release()
	return &proc{pid: pid, own: true, group: true}, nil
}

// adopted describes a running process this program did not start. It gets
// group signals only if it leads its own group, so that a CLI's group that
// merely contains it is never hit.
func adopted(pid int) *proc {
	pgid, err := syscall.Getpgid(pid)
	return &proc{pid: pid, group: err == nil && pgid == pid}
}

// exited reports whether the process has ended, reaping it if it is our
// child. The status is known only for our own children.
func (p *proc) exited() (bool, ExitStatus) {
	if p.exit != nil {
		return true, *p.exit
	}
	if p.own {
		var ws syscall.WaitStatus
		wpid, err := syscall.Wait4(p.pid, &ws, syscall.WNOHANG, nil)
		for errors.Is(err, syscall.EINTR) {
			wpid, err = syscall.Wait4(p.pid, &ws, syscall.WNOHANG, nil)
		}
		switch {
		case err == nil && wpid == p.pid:
			e := exitStatus(ws)
			p.own, p.exit = false, &e // reaped: never wait for this pid again
			return true, e
		case err == nil:
			return false, ExitStatus{}
		}
		// ECHILD: reaped elsewhere; fall back to the liveness check.
		p.own = false
	}
	if procfs.Alive(p.pid) {
		return false, ExitStatus{}
	}
	p.exit = &ExitStatus{Code: -1, Time: time.Now()}
	return true, *p.exit
}

// signal sends sig to the process group, or to the process alone when it
// does not lead a group.
func (p *proc) signal(sig syscall.Signal) error {
	if p.group {
		return syscall.Kill(-p.pid, sig)
	}
	return syscall.Kill(p.pid, sig)
}

// groupGone reports whether no live member of the process group is left.
// Members that died but wait for init to reap them do not count (some
// inits reap orphans only every few seconds); a member whose main thread
// exited while its other threads run does (procfs.Alive).
func (p *proc) groupGone() bool {
	if !p.group || errors.Is(syscall.Kill(-p.pid, 0), syscall.ESRCH) {
		return true
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return false
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		_, pgrp, ok := procfs.Stat(pid)
		if ok && pgrp == p.pid && procfs.Alive(pid) {
			return false
		}
	}
	return true
}

// Serves reports whether pid runs `... serve ... --port PORT`: it tells the
// process a registry names from an unrelated one that reused its pid. It
// reports true where /proc is not available to tell.
func Serves(pid, port int) bool {
	args := procfs.Args(pid)
	if args == nil {
		_, err := os.Stat("/proc/self/cmdline")
		return err != nil
	}
	want := strconv.Itoa(port)
	serve, onPort := false, false
	for i, a := range args {
		switch {
		case a == "serve":
			serve = true
		case a == "--port" && i+1 < len(args) && args[i+1] == want, a == "--port="+want:
			onPort = true
		}
	}
	return serve && onPort
}

// mergeEnv returns base with extra applied: a later KEY=value replaces an
// earlier one, in place, so each key appears once.
func mergeEnv(base []string, extra ...string) []string {
	out := make([]string, 0, len(base)+len(extra))
	index := make(map[string]int, len(base)+len(extra))
	for _, kv := range append(append([]string(nil), base...), extra...) {
		k, _, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		if i, seen := index[k]; seen {
			out[i] = kv
			continue
		}
		index[k] = len(out)
		out = append(out, kv)
	}
	return out
}
