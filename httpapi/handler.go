package httpapi

import (
	"log/slog"
	"net/http"

	"github.com/opencode-portal/portal"
)

// Option configures the handler returned by New.
type Option func(*handler)

// WithLogger sets the logger for request errors. Default: the Portal's logger.
func WithLogger(l *slog.Logger) Option { return func(h *handler) { h.log = l } }

type handler struct {
	p           *portal.Portal
	log         *slog.Logger
	maxBody     int64 // WithMaxBodyBytes
	maxPrompt   int64 // WithMaxPromptBytes
	credentials auth  // passwords, tokens and the failed-attempt limiter (auth.go)
	mux         *http.ServeMux
	patterns    []string // every pattern registered, in order

	allowedHosts   []string // from WithAllowedHosts
	allowedOrigins []string // from WithAllowedOrigins
	unguarded      bool     // withoutGuards
	guards         guards
}

// New returns an http.Handler serving p's API under /api/.
func New(p *portal.Portal, opts ...Option) http.Handler {
	h := &handler{p: p, log: p.Config().Logger, maxBody: DefaultMaxBodyBytes, maxPrompt: DefaultMaxPromptBytes, mux: http.NewServeMux()}
	for _, o := range opts {
		o(h)
	}
	h.guards = h.newGuards()
	h.routes()
	return h
}

// apiFunc is a route handler; a returned error is written as the JSON error
// envelope by writeError.
type apiFunc func(w http.ResponseWriter, r *http.Request) error

// handle registers fn for pattern, with the request body limit of the
// given kind (smallBody when none is given) applied.
func (h *handler) handle(pattern string, fn apiFunc, body ...bodyKind) {
	kind := smallBody
	if len(body) > 0 {
		kind = body[0]
	}
	limit := h.bodyLimit(kind)
	h.patterns = append(h.patterns, pattern)
	h.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		if mw, ok := w.(*muxWriter); ok { // routed: the route answers itself
			mw.routed = true
			w = mw.ResponseWriter
		}
		if err := limit.apply(w, r); err != nil {
			h.writeError(w, r, err)
			return
		}
		if err := fn(w, r); err != nil {
			h.writeError(w, r, err)
		}
	})
}

// ServeHTTP serves the API. Every request passes the guards first (see
// guard), then needs the credentials WithPassword and WithTokens ask for
// (see authenticate). Unknown paths and wrong methods get the same JSON
// error envelope as every other error.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := h.guard(w, r); err != nil {
		h.writeError(w, r, err)
		return
	}
	if !h.authenticate(w, r) {
		return
	}
	// One lookup: the mux routes the request, or answers 404 or 405 (and
	// computes Allow) itself, which is then answered in our envelope.
	mw := &muxWriter{ResponseWriter: w}
	h.mux.ServeHTTP(mw, r)
	if mw.routed {
		return
	}
	if mw.status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", mw.header.Get("Allow"))
		h.writeError(w, r, portal.Errorf(portal.EMETHOD, "Method %s is not allowed on %s; allowed: %s", r.Method, r.URL.Path, mw.header.Get("Allow")))
		return
	}
	h.writeError(w, r, portal.Errorf(portal.ENOTFOUND, "No route for %s %s; see the API table in the README", r.Method, r.URL.Path))
}

// muxWriter is what the mux is given to answer on. A route takes the
// ResponseWriter under it (see handle); what the mux writes itself, its
// 404 or 405 and their headers, is recorded and its plain-text body
// discarded.
type muxWriter struct {
	http.ResponseWriter
	routed bool

	header http.Header
	status int
}

func (m *muxWriter) Header() http.Header {
	if m.header == nil {
		m.header = http.Header{}
	}
	return m.header
}
func (m *muxWriter) Write(b []byte) (int, error) { return len(b), nil }
func (m *muxWriter) WriteHeader(code int)        { m.status = code }
