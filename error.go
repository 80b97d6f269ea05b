package portal

import (
	"errors"
	"fmt"
)

// Error codes. Each names a kind of failure; httpapi maps them to HTTP status
// codes in one place.
const (
	EINVALID      = "EINVALID"      // the request is malformed
	EUNAUTHORIZED = "EUNAUTHORIZED" // credentials are missing or wrong
	EFORBIDDEN    = "EFORBIDDEN"    // the request is understood but not allowed
	ENOTFOUND     = "ENOTFOUND"     // the thing asked for does not exist
	EMETHOD       = "EMETHOD"       // the route exists but not for this HTTP method
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
type Error struct {
	Code    string
	Message string
	Err     error
}

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
