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
	maxBody     int64    // WithMaxBodyBytes
	maxPrompt   int64    // WithMaxPromptBytes
	credentials auth     // passwords, tokens and the failed-attempt limiter (auth.go)
	sessions    sessions // sign-ins of the web UI (login.go)
	ui          *ui      // WithUI or WithExternalUI, if any (ui.go)
	mux         *http.ServeMux
	patterns    []string // every pattern registered, in order

	allowedHosts   []string // from WithAllowedHosts
	allowedOrigins []string // from WithAllowedOrigins
	unguarded      bool     // withoutGuards
	guards         guards
}

// New returns an http.Handler serving p's API under /api/, and a web UI at
// / if WithUI or WithExternalUI gives one.
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
// given kind (smallBody when none is given) applied. The route needs
// credentials when they are required (see authenticate).
func (h *handler) handle(pattern string, fn apiFunc, body ...bodyKind) {
	h.register(pattern, fn, true, body...)
}

// handleOpen registers fn for pattern, answered without credentials: the
// routes that sign in and out.
func (h *handler) handleOpen(pattern string, fn apiFunc) {
	h.register(pattern, fn, false)
}

func (h *handler) register(pattern string, fn apiFunc, private bool, body ...bodyKind) {
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
		if private && !h.authenticate(w, r) {
			return
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

// ServeHTTP serves the API, and the web UI if one was given (see WithUI).
// Every request passes the guards first (see guard), then needs the
// credentials WithPassword and WithTokens ask for (see authenticate), but
// for the routes that sign in and the files of the embedded web UI. Unknown
// paths and wrong methods under /api/ get the same JSON error envelope as
// every other error.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := h.guard(w, r); err != nil {
		h.writeError(w, r, err)
		return
	}
	if h.ui != nil && !isAPIPath(r.URL.Path) {
		if h.ui.private && !h.authenticate(w, r) {
			return
		}
		if err := h.ui.serve(w, r); err != nil {
			h.writeError(w, r, err)
		}
		return
	}
	// One lookup: the mux routes the request, or answers 404 or 405 (and
	// computes Allow) itself, which is then answered in our envelope, to a
	// request with the credentials a route would need.
	mw := &muxWriter{ResponseWriter: w}
	h.mux.ServeHTTP(mw, r)
	if mw.routed || !h.authenticate(w, r) {
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
