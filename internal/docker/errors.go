package docker

import (
	"context"
	"errors"
	"fmt"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"
)

// Kind says what kind of failure an *Error is, for the caller to map onto
// its own error codes.
type Kind int

// The kinds of Error.
const (
	Internal    Kind = iota // the engine failed a request, or answered what the portal did not expect
	Unavailable             // the engine does not answer
	NotFound                // no such image, container or volume
	Conflict                // the request clashes with the engine's state: a name in use, a container running
	Invalid                 // the request or an address is malformed, or a file it names is not usable
	Timeout                 // the caller's context ended before the engine answered
)

// Error is a failure of the Docker Engine or of a request to it: Message
// says what failed and what to do; Err is the cause.
type Error struct {
	Kind    Kind
	Message string
	Err     error
}

func (e *Error) Error() string { return e.Message }

func (e *Error) Unwrap() error { return e.Err }

// fail turns an error of the engine's client, met while doing what (in
// words that follow "failed while"), into an *Error of the matching kind.
// An *Error is returned as it is.
func (c *Client) fail(err error, what string) error {
	var de *Error
	switch {
	case errors.As(err, &de):
		return err
	case client.IsErrConnectionFailed(err):
		return &Error{Kind: Unavailable, Err: err, Message: fmt.Sprintf(
			"The Docker Engine at %s does not answer: start dockerd or set DOCKER_HOST", c.Host())}
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return &Error{Kind: Timeout, Err: err, Message: fmt.Sprintf(
			"The Docker Engine at %s did not answer in time while %s (%v): check that dockerd is not overloaded", c.Host(), what, err)}
	case cerrdefs.IsNotFound(err):
		return &Error{Kind: NotFound, Err: err, Message: fmt.Sprintf("The Docker Engine found nothing while %s: %v", what, err)}
	case cerrdefs.IsConflict(err), cerrdefs.IsAlreadyExists(err):
		return &Error{Kind: Conflict, Err: err, Message: fmt.Sprintf("The Docker Engine refused %s, which clashes with its state: %v", what, err)}
	case cerrdefs.IsInvalidArgument(err):
		return &Error{Kind: Invalid, Err: err, Message: fmt.Sprintf("The Docker Engine refused the request while %s as malformed: %v", what, err)}
	}
	return &Error{Kind: Internal, Err: err, Message: fmt.Sprintf(
		"The Docker Engine at %s failed while %s: %v; its log (journalctl -u docker, or dockerd's output) may say why", c.Host(), what, err)}
}
