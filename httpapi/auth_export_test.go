package httpapi

import (
	"net/http"
	"time"
)

// WithAuthClock sets the clock of the failed-attempt limiter, so that tests
// move time on instead of waiting.
func WithAuthClock(now func() time.Time) Option {
	return func(h *handler) { h.credentials.now = now }
}

// TrackedAddrs returns how many client addresses h's failed-attempt limiter
// remembers; h must come from New, or wrap such a handler.
func TrackedAddrs(h http.Handler) int {
	f := &inner(h).credentials.failures
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.byAddr)
}

// MaxTrackedAddrs is maxTrackedAddrs.
const MaxTrackedAddrs = maxTrackedAddrs

// Credential and ClientAddr are credential and clientAddr, for tests.
var (
	Credential = credential
	ClientAddr = clientAddr
)
