package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"time"

	"github.com/opencode-portal/portal/internal/procfs"
	"github.com/opencode-portal/portal/internal/registry"
	"github.com/opencode-portal/portal/internal/supervisor"
)

// ProcessRunner runs OpenCode as a local process, `opencode serve` in the
// instance's folder, run by package supervisor: the Runner of
// ProcessType.
type ProcessRunner struct {
	Bin         string        // the opencode executable
	Env         []string      // added to the process's environment
	StopTimeout time.Duration // between SIGTERM and SIGKILL
}

// options describes the process of spec.
func (r ProcessRunner) options(spec Spec) supervisor.Options {
	e := spec.Entry
	o := supervisor.Options{
		Bin:         r.Bin,
		Dir:         e.Directory,
		Hostname:    e.Hostname,
		Port:        e.OpencodePort,
		Password:    e.Password,
		Env:         r.Env,
		LogFile:     e.LogFile,
		StopTimeout: r.StopTimeout,
		Logger:      spec.Logger,
	}
	if spec.Spawned != nil {
		o.Notify = func(s supervisor.Status) {
			if s.State == supervisor.StateStarting && s.PID > 0 {
				spec.Spawned(s.PID, "")
			}
		}
	}
	return o
}

// Start starts `opencode serve` for spec.Entry.
func (r ProcessRunner) Start(ctx context.Context, spec Spec) (Proc, error) {
	p, err := supervisor.Start(ctx, r.options(spec))
	if err != nil {
		return nil, err
	}
	if err := spec.AwaitReady(ctx, processProc{p}); err != nil {
		return nil, err
	}
	return processProc{p}, nil
}

// Adopt follows the entry's process, which must answer as OpenCode.
func (r ProcessRunner) Adopt(ctx context.Context, spec Spec) (Proc, error) {
	if spec.Entry.OpencodePID == nil {
		return nil, errors.New("the entry names no process")
	}
	p, err := supervisor.Adopt(ctx, r.options(spec), *spec.Entry.OpencodePID)
	if err != nil {
		return nil, err
	}
	if err := spec.Answers(ctx, processProc{p}); err != nil {
		p.Detach()
		return nil, fmt.Errorf("%w: port %d: %v", supervisor.ErrNotRunning, spec.Entry.OpencodePort, err)
	}
	return processProc{p}, nil
}

// Alive reports whether the entry's pid is alive and runs `serve` on the
// entry's port (not a process that reused the pid).
func (ProcessRunner) Alive(e registry.Entry) bool {
	return e.OpencodePID != nil && procfs.Alive(*e.OpencodePID) && supervisor.Serves(*e.OpencodePID, e.OpencodePort)
}

// Terminate ends the entry's process and its process group, and waits
// until its port can be bound again (supervisor.AwaitPortFree), unless ctx
// ended.
func (ProcessRunner) Terminate(ctx context.Context, e registry.Entry, grace time.Duration) error {
	if e.OpencodePID == nil {
		return nil
	}
	if err := supervisor.Terminate(ctx, *e.OpencodePID, grace); err != nil {
		return err
	}
	if ctx.Err() == nil {
		supervisor.AwaitPortFree(e.Hostname, e.OpencodePort)
	}
	return nil
}

// Logs reads the last lines of the entry's log file.
func (ProcessRunner) Logs(e registry.Entry, tail int) ([]string, error) {
	if e.LogFile == "" {
		return nil, ErrNoOutput
	}
	return supervisor.TailFile(e.LogFile, tail)
}

// Holds reports whether the socket at addr is held by the entry's process
// or one of its descendants.
func (ProcessRunner) Holds(e registry.Entry, addr netip.AddrPort) error {
	if e.OpencodePID == nil {
		return procfs.ErrNoListener
	}
	return procfs.ListenerHeldBy(*e.OpencodePID, addr)
}

// Remove removes the entry's log file.
func (ProcessRunner) Remove(e registry.Entry) error {
	if e.LogFile == "" {
		return nil
	}
	if err := os.Remove(e.LogFile); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// processProc is a supervisor.Process as a Proc.
type processProc struct{ p *supervisor.Process }

func (r processProc) PID() int                       { return r.p.Status().PID }
func (r processProc) Container() string              { return "" }
func (r processProc) Port() int                      { return r.p.Status().Port }
func (r processProc) Done() <-chan struct{}          { return r.p.Done() }
func (r processProc) Logs(n int) []string            { return r.p.Logs(n) }
func (r processProc) Stop(ctx context.Context) error { return r.p.Stop(ctx) }
func (r processProc) Detach()                        { r.p.Detach() }

// Holds reports whether the socket at addr is held by the process or one
// of its descendants.
func (r processProc) Holds(addr netip.AddrPort) error {
	return procfs.ListenerHeldBy(r.PID(), addr)
}

func (r processProc) Exit() (string, bool) {
	e := r.p.Status().LastExit
	if e == nil {
		return "", false
	}
	return e.String(), e.Clean()
}
