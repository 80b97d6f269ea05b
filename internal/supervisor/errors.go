package supervisor

import (
	"errors"
	"fmt"
	"strings"
)

var (
	// ErrStartTimeout means OpenCode did not become ready within the start
	// timeout: it never printed its listening line or never answered its
	// health check.
	ErrStartTimeout = errors.New("opencode did not become ready in time")

	// ErrExited means the process exited while it was starting.
	ErrExited = errors.New("opencode exited while starting")

	// ErrNotRunning means a process to adopt is gone or does not answer as
	// OpenCode.
	ErrNotRunning = errors.New("no running opencode at that pid and port")
)

// StartError is returned when a start fails. It carries the last lines the
// process printed, which usually say why (a busy port, a bad config).
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
