package httpapi

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

// Defaults for the zero fields of BodyTimeouts.
const (
	DefaultBodyIdleTimeout  = 15 * time.Second
	DefaultBodyTotalTimeout = 2 * time.Minute
)

// BodyTimeouts bound how long a request body may take to arrive. The zero
// value uses the defaults.
type BodyTimeouts struct {
	// Idle is the longest wait for more bytes of a body: a body that stops
	// arriving for this long ends its request.
	Idle time.Duration
	// Total is the longest time a whole body may take, however steadily it
	// arrives.
	Total time.Duration
}

// LimitBodyReads returns next with read deadlines on request bodies, so
// that a client that announces a body and stops sending it (or trickles it)
// cannot hold its connection and handler forever. The deadline is set on
// the connection while the body is read, moved on after each read that
// returns bytes (never past Total from the request's start), and lifted
// by net/http once the body is read to its end.
//
// Requests without a body, such as event streams, are left alone, and so
// is whatever a handler does after reading its body (waiting for a prompt's
// answer, say). http.Server.ReadTimeout spares them too (net/http lifts the
// deadline once a body has been read), but it bounds only the whole
// request, so a body that pauses is caught no sooner than it expires. A
// ResponseWriter that cannot set deadlines leaves the request without them.
//
// A server that mounts the API should use it together with
// http.Server.ReadHeaderTimeout and IdleTimeout, without WriteTimeout (it
// would end event streams and the answers of long prompts), and with a cap
// on simultaneous connections (golang.org/x/net/netutil.LimitListener) high
// enough for an event stream per open page: `portal serve` does all this.
func LimitBodyReads(next http.Handler, t BodyTimeouts) http.Handler {
	if t.Idle <= 0 {
		t.Idle = DefaultBodyIdleTimeout
	}
	if t.Total <= 0 {
		t.Total = DefaultBodyTotalTimeout
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody {
			next.ServeHTTP(w, r)
			return
		}
		b := &deadlineBody{body: r.Body, rc: http.NewResponseController(w), t: t, end: time.Now().Add(t.Total)}
		if b.extend() == nil {
			r.Body = b
		}
		next.ServeHTTP(w, r)
	})
}

// deadlineBody is a request body read under a moving read deadline.
type deadlineBody struct {
	body io.ReadCloser
	rc   *http.ResponseController
	t    BodyTimeouts
	end  time.Time // the deadline for the whole body
}

// extend moves the read deadline to Idle from now, at most to end.
func (b *deadlineBody) extend() error {
	d := time.Now().Add(b.t.Idle)
	if d.After(b.end) {
		d = b.end
	}
	return b.rc.SetReadDeadline(d)
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.body.Read(p)
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		err = fmt.Errorf("the request body stopped arriving (no bytes for %v, or not all within %v); send it without pauses: %w", b.t.Idle, b.t.Total, err)
	case n > 0 && err == nil: // not at the end, where net/http lifted the deadline
		b.extend()
	}
	return n, err
}

func (b *deadlineBody) Close() error { return b.body.Close() }
