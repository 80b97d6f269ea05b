package portal

import (
	"errors"
	"fmt"
)

// Error codes. Each names a kind of failure; a front end maps them to its own
// answers (package httpapi to HTTP status codes) in one place.
const (
	EINVALID      = "EINVALID"      // the request is malformed
	EUNAUTHORIZED = "EUNAUTHORIZED" // credentials are missing or wrong
	EFORBIDDEN    = "EFORBIDDEN"    // the request is understood but not allowed
	ENOTFOUND     = "ENOTFOUND"     // the thing asked for does not exist
	EMETHOD       = "EMETHOD"       // the operation exists but not in the form it was asked for
	ECONFLICT     = "ECONFLICT"     // the request conflicts with the current state
	ETOOLARGE     = "ETOOLARGE"     // a body or file is over its size limit
	ETOOMANY      = "ETOOMANY"      // too many failed attempts: wait before trying again
	EINTERNAL     = "EINTERNAL"     // a bug or an unexpected failure
	EUNAVAILABLE  = "EUNAVAILABLE"  // OpenCode is unreachable or failed
	ETIMEOUT      = "ETIMEOUT"      // OpenCode did not answer in time
	ENOTRUNNING   = "ENOTRUNNING"   // the instance's OpenCode is not running: nothing was sent to it
	EMISDIRECTED  = "EMISDIRECTED"  // the request names a host this portal does not answer to
	EUNSUPPORTED  = "EUNSUPPORTED"  // the request's content is not in a format the portal accepts
)

// Sentinel errors for use with errors.Is:
// errors.Is(err, portal.ErrNotFound) is true for any *Error with code ENOTFOUND.
var (
	ErrInvalid      = &Error{Code: EINVALID}
	ErrUnauthorized = &Error{Code: EUNAUTHORIZED}
	ErrForbidden    = &Error{Code: EFORBIDDEN}
	ErrNotFound     = &Error{Code: ENOTFOUND}
	ErrConflict     = &Error{Code: ECONFLICT}
	ErrTooLarge     = &Error{Code: ETOOLARGE}
	ErrInternal     = &Error{Code: EINTERNAL}
	ErrUnavailable  = &Error{Code: EUNAVAILABLE}
	ErrTimeout      = &Error{Code: ETIMEOUT}
	ErrNotRunning   = &Error{Code: ENOTRUNNING}
)

// Error is the one error type the portal returns. Message is safe to show to
// a user and says what failed and what to do; Err, when set, is the cause.
//
// Message speaks of the portal's own things (instances, sessions, folders),
// never of how a front end reaches them. When it ends by advising a step a
// front end can name in its own words, Hint says which step and Instance which
// instance it applies to: package httpapi adds the route to call, the portal
// command the subcommand to run.
type Error struct {
	Code    string
	Message string
	Err     error

	// Hint is the step Message ends by advising, or "" for none.
	Hint Hint
	// Instance is the ID of the instance Hint applies to, when the step is
	// about one instance and its ID is known.
	Instance string
}

// Hint names a step a user can take about an error, so a front end can say
// how to take it: see Error.
type Hint string

// The steps an Error's Hint names.
const (
	HintListInstances   Hint = "list-instances"   // list the instances, with their IDs, ports and states
	HintInstanceLog     Hint = "instance-log"     // read the instance's log
	HintRestartInstance Hint = "restart-instance" // restart the instance
	HintStopInstance    Hint = "stop-instance"    // stop the instance
	HintMaxInstances    Hint = "max-instances"    // raise the most instances that may run at once (Config.MaxInstances)
	HintStartTimeout    Hint = "start-timeout"    // give an instance's start longer (Config.StartTimeout)
	HintOpenCodeBin     Hint = "opencode-bin"     // check which opencode executable runs (Config.OpenCodeBin)
)

// Errorf returns an *Error with the given code and a formatted message.
// A %w verb in format records the wrapped error as the cause.
func Errorf(code, format string, args ...any) *Error {
	err := fmt.Errorf(format, args...)
	return &Error{Code: code, Message: err.Error(), Err: errors.Unwrap(err)}
}

func (e *Error) Error() string {
	if e.Message == "" {
		return e.Code
	}
	return e.Message
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is an *Error with the same code, so the sentinel
// errors match any error of their code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && (t.Message == "" || t.Message == e.Message)
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-facing message of the first *Error in err's
// chain. Other errors get a generic message, so internal details never leak.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Error()
	}
	return "Internal error; the server log has the details."
}
