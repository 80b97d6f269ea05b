package httpapi

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"

	"github.com/opencode-portal/portal"
)

// WithPassword requires HTTP Basic authentication with this password (any
// user name) on every route. Browsers ask for it themselves, so the original
// Portal web UI works behind it unchanged, event streams included. An empty
// password leaves the API open.
func WithPassword(password string) Option {
	return func(h *handler) {
		if password != "" {
			sum := sha256.Sum256([]byte(password))
			h.passwordSum = &sum
		}
	}
}

// authorized reports whether r carries the configured password. Comparing
// digests in constant time reveals neither the password nor its length.
func (h *handler) authorized(r *http.Request) bool {
	if h.passwordSum == nil {
		return true
	}
	_, password, ok := r.BasicAuth()
	sum := sha256.Sum256([]byte(password))
	return ok && subtle.ConstantTimeCompare(sum[:], h.passwordSum[:]) == 1
}

// unauthorized answers a request without the right password.
func (h *handler) unauthorized(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("WWW-Authenticate", `Basic realm="portal", charset="UTF-8"`)
	h.writeError(w, r, portal.Errorf(portal.EUNAUTHORIZED, "This portal needs its password: send it with HTTP Basic authentication (any user name)"))
}
