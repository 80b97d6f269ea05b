package httpapi

import (
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/opencode-portal/portal"
)

// Default request body limits. Prompts carry what users paste (logs,
// files), so they get far more room than the other routes' small JSON
// bodies.
const (
	DefaultMaxBodyBytes   = 1 << 20
	DefaultMaxPromptBytes = 32 << 20
)

// WithMaxBodyBytes sets the largest request body accepted by every route
// but the prompt routes (see WithMaxPromptBytes); larger ones get 413.
// n <= 0 keeps DefaultMaxBodyBytes.
func WithMaxBodyBytes(n int64) Option {
	return func(h *handler) {
		if n > 0 {
			h.maxBody = n
		}
	}
}

// WithMaxPromptBytes sets the largest request body accepted by the routes
// that send a user's text to the agent (prompt and prompt_async); larger
// ones get 413. n <= 0 keeps DefaultMaxPromptBytes.
func WithMaxPromptBytes(n int64) Option {
	return func(h *handler) {
		if n > 0 {
			h.maxPrompt = n
		}
	}
}

// bodyKind names the limit a route applies to request bodies. Each route's
// entry in routes.go gives it; smallBody unless it says otherwise.
type bodyKind int

const (
	smallBody  bodyKind = iota // WithMaxBodyBytes
	promptBody                 // WithMaxPromptBytes
)

// bodyLimit is a request body limit and how to raise it.
type bodyLimit struct {
	bytes  int64
	what   string // what the limit is for, in the error message
	option string // the serve flag and the Option that raise it
}

// bodyLimit returns the limit of bodies of the given kind.
func (h *handler) bodyLimit(k bodyKind) bodyLimit {
	if k == promptBody {
		return bodyLimit{h.maxPrompt, "the limit for prompts", "--max-prompt-mib (httpapi.WithMaxPromptBytes)"}
	}
	return bodyLimit{h.maxBody, "the limit for this route", "--max-body-mib (httpapi.WithMaxBodyBytes)"}
}

// apply refuses r when it declares a body over the limit, before anything
// reads it, and otherwise bounds what can be read of r's body.
func (l bodyLimit) apply(w http.ResponseWriter, r *http.Request) error {
	if r.ContentLength > l.bytes {
		return l.exceeded()
	}
	r.Body = &limitedBody{ReadCloser: http.MaxBytesReader(w, r.Body, l.bytes), limit: l}
	return nil
}

// exceeded is the ETOOLARGE error for a body over l, naming l and how to
// raise it.
func (l bodyLimit) exceeded() error {
	size := fmt.Sprintf("%d bytes", l.bytes)
	if l.bytes%(1<<20) == 0 {
		size = fmt.Sprintf("%d MiB", l.bytes>>20)
	}
	return portal.Errorf(portal.ETOOLARGE, "Request body is larger than %s, %s; send less, or raise the limit with %s", size, l.what, l.option)
}

// limitedBody is a request body read under a limit: reading past it fails
// with the limit's ETOOLARGE error.
type limitedBody struct {
	io.ReadCloser // an http.MaxBytesReader
	limit         bodyLimit
}

func (b *limitedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) && tooLarge.Limit == b.limit.bytes {
		err = b.limit.exceeded()
	}
	return n, err
}
