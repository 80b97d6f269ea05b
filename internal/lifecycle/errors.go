package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/opencode-portal/portal/internal/registry"
)

// Kind says what kind of failure an *Error is, for the caller to map onto
// its own error codes.
type Kind int

// The kinds of Error.
const (
	Internal    Kind = iota // a failure of the machine or the registry
	Conflict                // the request clashes with the state: a port taken, the instance limit
	Unavailable             // the lifecycle is closed, or OpenCode could not run
	Timeout                 // a start did not end in time, or its caller left
	NotFound                // no such thing: an instance's output
)

// Hint names the step an Error's Message ends by advising when that step
// is a setting of the caller's (which the caller names in its own words).
type Hint int

// The steps an Error's Hint names.
const (
	NoHint           Hint = iota
	HintMaxInstances      // raise the most instances that may run at once (Config.MaxInstances)
	HintStartTimeout      // give a start longer (Config.StartTimeout)
	HintOpenCodeBin       // check which opencode executable runs (ProcessRunner.Bin)
)

// Error is a failure of the lifecycle: what failed and what to do, in
// Message, which speaks of the lifecycle's own things; Hint names the
// setting its advice is about, if any.
type Error struct {
	Kind    Kind
	Message string
	Err     error // the cause, if any
	Hint    Hint
}

func (e *Error) Error() string { return e.Message }

func (e *Error) Unwrap() error { return e.Err }

func errorf(kind Kind, format string, args ...any) error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// errUnchanged makes a registry update write nothing.
var errUnchanged = errors.New("registry unchanged")

// errNotOurs means the entry is gone or supervised by another portal.
var errNotOurs = errors.New("registry entry is not supervised here")

// errClosed refuses a start once the Manager is closed.
var errClosed = &Error{Kind: Unavailable, Message: "The portal is closed; create a new one to start instances"}

// RegistryError is the *Error for a failed read or update of the registry.
// A damaged registry is never written over: the message says how to repair
// it. An *Error is returned as it is.
func RegistryError(err error) error {
	var le *Error
	switch {
	case errors.As(err, &le):
		return err
	case errors.Is(err, registry.ErrCorrupt):
		return &Error{Kind: Internal, Err: err, Message: fmt.Sprintf(
			"The instance registry is damaged, so instances can be neither started nor stopped by it (%v). "+
				"To repair it: stop the opencode processes of the instances it listed, then restore the file from a backup or remove it", err)}
	}
	return &Error{Kind: Internal, Err: err, Message: fmt.Sprintf(
		"Using the instance registry failed (%v); check that its file and folder are readable and writable by the user running the portal", err)}
}

// startError turns a failed start into an *Error that says why, with the
// last lines OpenCode printed.
func startError(dir string, err error) error {
	var output string
	reason := err
	var se *StartError
	if errors.As(err, &se) {
		reason = se.Err
		if len(se.Output) > 0 {
			output = "; its last output:\n" + strings.Join(se.Output, "\n")
		}
	}
	switch {
	case errors.Is(err, ErrStartTimeout):
		// What it waited for last (a health check's answer), and what to do.
		detail := strings.TrimPrefix(reason.Error(), ErrStartTimeout.Error())
		if strings.Contains(detail, "; ") { // the health check's answer says what to do
			return &Error{Kind: Timeout, Err: err, Message: fmt.Sprintf(
				"OpenCode for %s did not become ready in time%s%s", dir, detail, output)}
		}
		return &Error{Kind: Timeout, Err: err, Hint: HintStartTimeout, Message: fmt.Sprintf(
			"OpenCode for %s did not become ready in time%s; start it again, or give starts longer%s", dir, detail, output)}
	case errors.Is(err, ErrExited):
		return &Error{Kind: Unavailable, Err: err, Message: fmt.Sprintf(
			"OpenCode for %s failed to start: %v; check its configuration and that its port is free%s", dir, reason, output)}
	case errors.Is(err, context.DeadlineExceeded):
		return &Error{Kind: Timeout, Err: err, Hint: HintStartTimeout, Message: fmt.Sprintf(
			"OpenCode for %s was not ready within the start timeout; start it again, or give starts longer if it needs more time%s", dir, output)}
	case errors.Is(err, context.Canceled):
		return &Error{Kind: Timeout, Err: err, Message: fmt.Sprintf(
			"Starting OpenCode for %s was cancelled before it was ready (its caller left, or the portal closed); start it again%s", dir, output)}
	case errors.Is(err, ErrStopped):
		return &Error{Kind: Conflict, Err: err, Message: fmt.Sprintf(
			"The instance for %s was stopped meanwhile; start it again", dir)}
	}
	var le *Error
	if errors.As(err, &le) { // a Runner's own failure, which says what to do
		return &Error{Kind: le.Kind, Err: err, Message: fmt.Sprintf("Starting OpenCode for %s failed: %s", dir, le.Message)}
	}
	return &Error{Kind: Internal, Err: err, Hint: HintOpenCodeBin, Message: fmt.Sprintf(
		"Starting OpenCode for %s failed: %v; check which opencode executable the portal runs", dir, err)}
}
