package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"time"

	"github.com/opencode-portal/portal/internal/registry"
)

// Runner starts and stops the OpenCode servers of one instance type (the
// registry's instanceType: "process", "docker"), one run at a time: the
// lifecycle restarts them by its policy. Its methods are safe for
// concurrent use.
type Runner interface {
	// Start starts the OpenCode of spec.Entry once, tells spec.Spawned its
	// pid (and container), and returns once spec.AwaitReady says it answers. A failed start
	// leaves nothing running; its error wraps ErrStartTimeout, ErrExited
	// or a context error, and may be a *StartError with the last lines
	// OpenCode printed.
	Start(ctx context.Context, spec Spec) (Proc, error)
	// Adopt follows the OpenCode of spec.Entry that is already running,
	// started by a portal that has exited or by the original CLI (Alive
	// said so). It fails unless spec.Answers says that OpenCode answers.
	Adopt(ctx context.Context, spec Spec) (Proc, error)
	// Alive reports whether the OpenCode the entry names is alive and is
	// the one it names (not, say, another program that reused its pid).
	Alive(e registry.Entry) bool
	// Terminate ends the OpenCode the entry names, which no portal
	// supervises, within grace, or at once when ctx ends. One that is
	// already gone is not an error.
	Terminate(ctx context.Context, e registry.Entry, grace time.Duration) error
	// Logs returns up to tail of the last lines the entry's OpenCode
	// printed (all that are kept for tail <= 0) when no portal supervises
	// it. An error wrapping fs.ErrNotExist means its output is gone;
	// ErrNoOutput that it was never captured.
	Logs(e registry.Entry, tail int) ([]string, error)
	// Holds reports, as Proc.Holds does, whether the socket listening at
	// addr is that of the OpenCode the entry names, which no portal
	// supervises here.
	Holds(e registry.Entry, addr netip.AddrPort) error
	// Remove removes what the runner kept for the entry's instance across
	// its runs (its output, its data), once it is stopped for good and no
	// run of it is left. What is already gone is not an error.
	Remove(e registry.Entry) error
}

// Proc is one run of an instance's OpenCode, started or adopted by a
// Runner, until it exits, Stop or Detach. Its methods are safe for
// concurrent use.
type Proc interface {
	// PID is the process (or container's main process, as the host sees
	// it) it runs as.
	PID() int
	// Container is the id of the container it runs in; "" for a process.
	Container() string
	// Port is the port it answers on.
	Port() int
	// Done is closed once it exited, on its own or by Stop, or was
	// detached.
	Done() <-chan struct{}
	// Exit says, once Done is closed, how it ended ("exit status 1",
	// "signal: killed") and whether that was a clean exit (status 0).
	Exit() (status string, clean bool)
	// Logs returns up to n of the newest lines it printed, oldest first;
	// all that are kept for n <= 0.
	Logs(n int) []string
	// Holds reports whether the socket listening at addr is its own, and
	// why not; an error wrapping errors.ErrUnsupported where that can not
	// be told. The health check, which carries the password, goes only to
	// its own socket. A process's own sockets are those it or its
	// descendants hold; a container's, that of the Engine's proxy that
	// publishes its port.
	Holds(addr netip.AddrPort) error
	// Stop ends it, gracefully within the Runner's stop timeout or at
	// once when ctx ends, and waits until it is gone.
	Stop(ctx context.Context) error
	// Detach stops following it and leaves it running.
	Detach()
}

// Run is one instance's OpenCode supervised by the lifecycle: one Proc of
// its Runner after another, restarted by the policy. Its methods are safe
// for concurrent use.
type Run interface {
	// Status returns where the run is now.
	Status() Status
	// Logs returns up to n of the newest output lines, oldest first; all
	// that are kept for n <= 0.
	Logs(n int) []string
	// Restart stops the running OpenCode (if any) and starts it again, also
	// from the crashed state, and returns once it answers.
	Restart(ctx context.Context) error
	// Stop ends supervision and OpenCode, and what it left (its output).
	// After Stop, Restart fails with ErrStopped.
	Stop(ctx context.Context) error
	// Detach ends supervision and leaves OpenCode running, for a portal to
	// adopt later.
	Detach()
	// Holds reports whether the socket listening at addr is that of the
	// current OpenCode (see Proc.Holds); an error wrapping
	// procfs.ErrNoListener when none runs.
	Holds(addr netip.AddrPort) error
}

// Spec is what a Runner starts or adopts.
type Spec struct {
	// Entry is the instance's registry entry: folder, hostname, port,
	// password, log file; for Adopt also its pid (or container).
	Entry registry.Entry
	// Spawned, if set, is told the pid (and the container, "" for a
	// process) as soon as OpenCode runs, before it answers, so that the
	// registry names it should this portal die during the start.
	Spawned func(pid int, container string)
	Logger  *slog.Logger
	ready   *readiness
}

// AwaitReady waits until p, just started for s.Entry, answers (see
// readiness). On failure it ends p at once and returns a *StartError.
func (s Spec) AwaitReady(ctx context.Context, p Proc) error {
	return s.ready.await(ctx, p, s.Entry)
}

// Answers checks once that p, adopted for s.Entry, answers as its OpenCode.
func (s Spec) Answers(ctx context.Context, p Proc) error {
	return s.ready.answers(ctx, p, s.Entry)
}

// The states of an instance.
const (
	StateStarting = "starting" // started, not answering yet (or waiting to be restarted)
	StateRunning  = "running"  // answering
	StateStopped  = "stopped"  // exited with status 0, or stopped
	StateCrashed  = "crashed"  // exited on its own and was not restarted
)

// Status is a snapshot of a Run.
type Status struct {
	State     string
	PID       int    // 0 when none runs
	Container string // the id of the container it runs in; "" for a process, or none
	Port      int
	Restarts  int       // starts after the first one
	LastExit  string    // how the last run ended ("exit status 1", "signal: killed"), "" if none did
	StartedAt time.Time // start of the current run (zero for an adopted one)
}

// down reports whether the run is crashed or stopped.
func (s Status) down() bool { return s.State == StateCrashed || s.State == StateStopped }

// Policy says what happens to an instance whose OpenCode exits on its own.
type Policy struct {
	// OnFailure restarts it after any exit but status 0; else it is left
	// crashed.
	OnFailure bool
	// MaxRestarts is how many restarts in a row are tried (default 5). A
	// run that lasts maxBackoff or longer resets the count.
	MaxRestarts int
	// Backoff is the wait before the first restart (default 1s), doubled
	// with each failure in a row up to maxBackoff.
	Backoff time.Duration
}

// maxBackoff is the longest wait before a restart.
const maxBackoff = 30 * time.Second

// withDefaults fills in the policy's defaults.
func (p Policy) withDefaults() Policy {
	if p.MaxRestarts <= 0 {
		p.MaxRestarts = 5
	}
	if p.Backoff <= 0 {
		p.Backoff = time.Second
	}
	p.Backoff = min(p.Backoff, maxBackoff)
	return p
}

// delay is the wait before restart number n in a row (0-based).
func (p Policy) delay(n int) time.Duration {
	d := p.Backoff
	for range n {
		if d >= maxBackoff/2 {
			return maxBackoff
		}
		d *= 2
	}
	return min(d, maxBackoff)
}

// The errors of a Runner's start and of its runs.
var (
	// ErrStartTimeout means OpenCode did not become ready within the start
	// timeout: it never printed its listening line or never answered its
	// health check.
	ErrStartTimeout = errors.New("opencode did not become ready in time")
	// ErrExited means OpenCode exited while it was starting.
	ErrExited = errors.New("opencode exited while starting")
	// ErrStopped means the instance was stopped; it can not be restarted.
	ErrStopped = errors.New("instance was stopped")
	// ErrNoOutput is Runner.Logs's error for an instance whose output was
	// never captured (started by no portal).
	ErrNoOutput = errors.New("no captured output")
)

// StartError is a failed start with the last lines OpenCode printed, which
// usually say why (a busy port, a bad config).
type StartError struct {
	Err    error    // why the start failed: ErrStartTimeout, ErrExited, a context error, ...
	Output []string // the last lines of output, oldest first
}

func (e *StartError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "start opencode: %v", e.Err)
	if len(e.Output) == 0 {
		b.WriteString(" (no output)")
		return b.String()
	}
	b.WriteString("; last output:")
	for _, l := range e.Output {
		b.WriteString("\n  ")
		b.WriteString(l)
	}
	return b.String()
}

func (e *StartError) Unwrap() error { return e.Err }
