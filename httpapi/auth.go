package httpapi

import (
	"cmp"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/opencode-portal/portal"
	"github.com/opencode-portal/portal/internal/credentials"
)

// Failed sign-ins from one client address are limited to a burst of
// DefaultAuthBurst, then one more each DefaultAuthEvery, unless
// WithFailedAuthLimit says otherwise.
const (
	DefaultAuthBurst = 10
	DefaultAuthEvery = time.Second
)

// auth is what the handler checks credentials with.
type auth struct {
	passwordSum *[32]byte             // SHA-256 of the password WithPassword set, if any
	tokens      *credentials.Verifier // the token file WithTokens named, if any
	every       time.Duration         // WithFailedAuthLimit, else DefaultAuthEvery
	burst       int                   // WithFailedAuthLimit, else DefaultAuthBurst
	now         func() time.Time      // the clock of the failed-attempt limiter; time.Now unless a test sets it
	failures    failures              // failed sign-ins per client address
}

// WithPassword requires credentials on every route, and accepts this
// password sent with HTTP Basic authentication (any user name). Browsers ask
// for it themselves, so the original Portal web UI works behind it
// unchanged, event streams included. An empty password sets nothing. Use at
// least 12 characters: portal serve refuses shorter ones.
func WithPassword(password string) Option {
	return func(h *handler) {
		if password != "" {
			sum := sha256.Sum256([]byte(password))
			h.credentials.passwordSum = &sum
		}
	}
}

// WithTokens accepts the access tokens in the token file at path (made with
// `portal token create --tokens path`), sent as "Authorization: Bearer
// TOKEN" or as the password of HTTP Basic authentication. The file is read
// again whenever it changes, so tokens made or revoked take effect at once,
// and each token's last use is written to it, at most once an hour.
// Credentials are required on every route as soon as the file exists (with
// or without WithPassword), and stay required if it is removed afterwards.
// A file that group or others may read, or that is not a valid token file,
// makes every token fail (and credentials required) until it is fixed.
func WithTokens(path string) Option {
	return func(h *handler) { h.credentials.tokens = credentials.NewVerifier(path) }
}

// WithFailedAuthLimit sets how many requests with wrong credentials one
// client address may send in a row (burst), after which it may send one more
// each every; until then it gets 429 Too Many Requests, with Retry-After,
// and its credentials are not checked. Requests with the right credentials
// spend nothing, and other addresses are unaffected. IPv6 addresses count by
// their /64 prefix. Behind a reverse proxy every client has the proxy's
// address, so they share one limit. A value that is zero or less keeps its
// default.
func WithFailedAuthLimit(every time.Duration, burst int) Option {
	return func(h *handler) {
		h.credentials.every, h.credentials.burst = max(every, 0), max(burst, 0)
	}
}

// authenticate reports whether r may be served: no credentials are
// required, or r carries a session cookie of a sign-in that still stands
// (login.go), or the password or a token in its Authorization header. When
// it may not, it has answered: 401 for missing or wrong credentials, 429 for
// an address that sent too many wrong ones.
func (h *handler) authenticate(w http.ResponseWriter, r *http.Request) bool {
	required, tokensErr := h.credentialsRequired()
	if !required {
		return true
	}
	now := h.credentials.clock()
	if h.signedIn(r, now) {
		return true
	}
	header := r.Header.Get("Authorization")
	// Nothing is guessed without a header, so that does not count as a
	// failed attempt.
	_, ok, err := h.attempt(w, r, now, credential(header), header != "", tokensErr)
	switch {
	case err != nil:
		h.writeError(w, r, err)
	case !ok:
		h.unauthorized(w, r)
	}
	return ok && err == nil
}

// credentialsRequired reports whether requests need credentials: a password
// is set, or the token file is in use. It returns the token file's error
// when that file cannot be used.
func (h *handler) credentialsRequired() (bool, error) {
	a := &h.credentials
	tokensInUse, tokensErr := false, error(nil)
	if a.tokens != nil {
		tokensInUse, tokensErr = a.tokens.InUse()
	}
	return a.passwordSum != nil || tokensInUse, tokensErr
}

// clock returns the time now, by the clock WithAuthClock set if any.
func (a *auth) clock() time.Time {
	if a.now != nil {
		return a.now()
	}
	return time.Now()
}

// attempt checks secret, which r sent, through the failed-attempt limiter:
// an address that sent too many wrong credentials gets an ETOOMANY error
// (with Retry-After set on w) and secret is not checked. sent says whether
// r sent credentials at all; only then does a miss count as a failure. It
// returns the ID of the token that matched ("" for the password), and an
// EINTERNAL error when nothing matched and the token file cannot be used
// (tokensErr, or the error the verifier found).
func (h *handler) attempt(w http.ResponseWriter, r *http.Request, now time.Time, secret string, sent bool, tokensErr error) (tokenID string, ok bool, err error) {
	a := &h.credentials
	every, burst := cmp.Or(a.every, DefaultAuthEvery), cmp.Or(a.burst, DefaultAuthBurst)
	addr := clientAddr(r)
	if wait := a.failures.admit(addr, now, every, burst); wait > 0 {
		secs := int(math.Ceil(wait.Seconds()))
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		return "", false, portal.Errorf(portal.ETOOMANY, "Too many wrong credentials from your address: wait %d s, then send the right password or token", secs)
	}
	if sent {
		tokenID, ok, err = h.checkSecret(r.Context(), secret, now, tokensErr)
	}
	// With the token file unusable the password was still checked, so a
	// miss counts.
	failed, limited := a.failures.done(addr, now, sent && !ok, burst)
	if limited {
		h.log.Warn("too many wrong credentials: slowing down this address", "addr", addr, "failures", failed, "retryEvery", every.String())
	}
	if err != nil {
		h.log.Error("no token is accepted: the token file cannot be used", "file", a.tokens.Path(), "err", err)
		return "", false, portal.Errorf(portal.EINTERNAL, "The portal cannot read its token file, so it accepts no token now; the server log says why")
	}
	return tokenID, ok, nil
}

// checkSecret reports whether secret is the password or a token, and
// records a token's use at now. It returns the token's ID ("" for the
// password), and tokensErr, or the token file's error, when neither matched
// and the token file cannot be used.
func (h *handler) checkSecret(ctx context.Context, secret string, now time.Time, tokensErr error) (tokenID string, ok bool, err error) {
	a := &h.credentials
	if a.passwordSum != nil {
		sum := sha256.Sum256([]byte(secret))
		if subtle.ConstantTimeCompare(sum[:], a.passwordSum[:]) == 1 {
			return "", true, nil
		}
	}
	if a.tokens != nil {
		tok, ok, err := a.tokens.Check(secret)
		if ok {
			h.markUsed(ctx, tok, now)
			return tok.ID, true, nil
		}
		tokensErr = cmp.Or(err, tokensErr)
	}
	return "", false, tokensErr
}

// markUsed records in the token file that tok was accepted at now (at most
// once an hour per token, see credentials.Verifier.MarkUsed), and logs a
// failure to.
func (h *handler) markUsed(ctx context.Context, tok credentials.Token, now time.Time) {
	// Recording the use is bounded in time and survives the client leaving.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	defer cancel()
	if err := h.credentials.tokens.MarkUsed(ctx, tok, now); err != nil {
		h.log.Warn("could not record when a token was last used", "token", tok.ID, "err", err)
	}
}

// unauthorized answers a request without the right credentials. The
// challenge that makes a browser ask for the password itself is left out
// for the web UI, which asks on its own page: a request that says
// X-Portal-Client: web, or carries a session cookie (one that no longer
// stands, from an EventSource, which cannot send headers).
func (h *handler) unauthorized(w http.ResponseWriter, r *http.Request) {
	if !strings.EqualFold(r.Header.Get("X-Portal-Client"), "web") && len(r.CookiesNamed(sessionCookie)) == 0 {
		w.Header().Set("WWW-Authenticate", `Basic realm="portal", charset="UTF-8"`)
	}
	h.writeError(w, r, portal.Errorf(portal.EUNAUTHORIZED, "This portal needs its password or an access token: send either as the password of HTTP Basic authentication (any user name), or the token as Authorization: Bearer TOKEN"))
}

// credential returns the secret an Authorization header value carries: the
// password of Basic credentials (any user name) or a Bearer token. The
// scheme is case-insensitive. Anything else gives "", which matches nothing.
func credential(header string) string {
	scheme, value, _ := strings.Cut(header, " ")
	value = strings.TrimLeft(value, " ")
	switch {
	case strings.EqualFold(scheme, "Bearer"):
		return value
	case strings.EqualFold(scheme, "Basic"):
		decoded, err := base64.StdEncoding.DecodeString(value)
		if err != nil {
			return ""
		}
		_, password, _ := strings.Cut(string(decoded), ":")
		return password
	}
	return ""
}
