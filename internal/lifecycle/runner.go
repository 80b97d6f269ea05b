package lifecycle

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/opencode-portal/portal/internal/registry"
	"github.com/opencode-portal/portal/internal/supervisor"
)

// Runner starts and drives the OpenCode servers of one instance type (the
// registry's instanceType: "process" today). Its methods are safe for
// concurrent use.
type Runner interface {
	// Start starts the OpenCode of spec.Entry, returns once it answers,
	// then supervises it until Stop or Detach, restarting it by
	// spec.Policy. A failed start leaves nothing running; its error wraps
	// ErrStartTimeout, ErrExited or a context error, and may be a
	// *StartError with the last lines OpenCode printed.
	Start(ctx context.Context, spec Spec) (Run, error)
	// Adopt supervises the OpenCode of spec.Entry that is already running,
	// started by a portal that has exited or by the original CLI (Alive
	// said so). It fails unless that OpenCode answers.
	Adopt(ctx context.Context, spec Spec) (Run, error)
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
}

// Run is one instance's OpenCode supervised by a Runner. Its methods are
// safe for concurrent use.
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
}

// Spec is what a Runner starts or adopts, and how the lifecycle wants it
// supervised.
type Spec struct {
	// Entry is the instance's registry entry: folder, hostname, port,
	// password, log file; for Adopt also its pid (or container).
	Entry  registry.Entry
	Policy Policy
	// MayRestart is asked before each restart by policy; false leaves the
	// instance stopped (its owner removed it, or another portal took it).
	MayRestart func() bool
	// NewPassword is called before every start but the first; its answer
	// replaces the entry's password, so that no run's password outlives it.
	NewPassword func(ctx context.Context) (string, error)
	// Notify is told every change of state, pid or port, one call at a
	// time. It must not call the Run's methods.
	Notify func(Status)
	Logger *slog.Logger
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
	PID       int // 0 when none runs
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
	// MaxRestarts is how many restarts in a row are tried (default 5).
	MaxRestarts int
	// Backoff is the wait before the first restart (default 1s), doubled
	// with each failure in a row up to 30s.
	Backoff time.Duration
}

// The errors of a Runner's start are supervisor's, which the process runner
// returns as they are; any other Runner returns them too.
var (
	// ErrStartTimeout means OpenCode did not answer within the start
	// timeout.
	ErrStartTimeout = supervisor.ErrStartTimeout
	// ErrExited means OpenCode exited while it was starting.
	ErrExited = supervisor.ErrExited
	// ErrStopped means the instance was stopped; it can not be restarted.
	ErrStopped = supervisor.ErrStopped
	// ErrNoOutput is Runner.Logs's error for an instance whose output was
	// never captured (started by no portal).
	ErrNoOutput = errors.New("no captured output")
)

// StartError is a failed start with the last lines OpenCode printed.
type StartError = supervisor.StartError
