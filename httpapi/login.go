package httpapi

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"sync"
	"time"

	"github.com/opencode-portal/portal"
)

// A sign-in through POST /api/auth/login lasts SessionMaxAge at most, and
// ends sooner when its cookie goes unused for SessionIdle. The portal keeps
// at most MaxSessions sign-ins; a new one beyond that ends the one used
// least recently.
const (
	SessionMaxAge = 30 * 24 * time.Hour
	SessionIdle   = 7 * 24 * time.Hour
	MaxSessions   = 1000
)

// sessionCookie names the cookie that carries a sign-in.
const sessionCookie = "portal_session"

// sessions are the sign-ins that stand, kept in memory (a restart ends
// them all) by the SHA-256 of their cookie's value: the values themselves
// are kept nowhere. The zero value is ready.
type sessions struct {
	mu     sync.Mutex
	byHash map[[sha256.Size]byte]*session
}

// session is one sign-in.
type session struct {
	created, used time.Time
	tokenID       string // the token signed in with; "" for the password
}

// create starts a session signed in at now with the token tokenID ("" for
// the password) and returns the value of its cookie: 32 random bytes.
func (s *sessions) create(now time.Time, tokenID string) string {
	var secret [32]byte
	rand.Read(secret[:]) // never fails (crypto/rand)
	value := base64.RawURLEncoding.EncodeToString(secret[:])
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byHash == nil {
		s.byHash = map[[sha256.Size]byte]*session{}
	}
	if len(s.byHash) >= MaxSessions {
		s.evict(now)
	}
	s.byHash[sha256.Sum256([]byte(value))] = &session{created: now, used: now, tokenID: tokenID}
	return value
}

// evict drops the sessions that ended, and when none did, the one used
// least recently. s.mu is held.
func (s *sessions) evict(now time.Time) {
	var oldest [sha256.Size]byte
	var oldestUse time.Time
	for key, ses := range s.byHash {
		if ses.ended(now) {
			delete(s.byHash, key)
		} else if oldestUse.IsZero() || ses.used.Before(oldestUse) {
			oldest, oldestUse = key, ses.used
		}
	}
	if len(s.byHash) >= MaxSessions {
		delete(s.byHash, oldest)
	}
}

// ended reports whether the session is over at now.
func (ses *session) ended(now time.Time) bool {
	return now.Sub(ses.created) >= SessionMaxAge || now.Sub(ses.used) >= SessionIdle
}

// use returns the session whose cookie value is value, marked used at now,
// if it stands; a session found over is dropped.
func (s *sessions) use(value string, now time.Time) (session, bool) {
	key := sha256.Sum256([]byte(value))
	s.mu.Lock()
	defer s.mu.Unlock()
	ses := s.byHash[key]
	if ses == nil {
		return session{}, false
	}
	if ses.ended(now) {
		delete(s.byHash, key)
		return session{}, false
	}
	ses.used = now
	return *ses, true
}

// drop ends the session whose cookie value is value, if any.
func (s *sessions) drop(value string) {
	key := sha256.Sum256([]byte(value))
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.byHash, key)
}

// signedIn reports whether r carries the cookie of a session that stands
// at now. A session signed in with a token ends when the token is revoked;
// while the token file cannot be used, it is not accepted.
func (h *handler) signedIn(r *http.Request, now time.Time) bool {
	for _, c := range r.CookiesNamed(sessionCookie) {
		ses, ok := h.sessions.use(c.Value, now)
		if !ok {
			continue
		}
		if ses.tokenID == "" {
			return true
		}
		tok, found, err := h.credentials.tokens.Lookup(ses.tokenID)
		if err != nil {
			continue
		}
		if !found {
			h.sessions.drop(c.Value)
			continue
		}
		h.markUsed(r.Context(), tok, now)
		return true
	}
	return false
}

// authState is the answer of GET /api/auth.
type authState struct {
	Required bool `json:"required"` // credentials are needed
	SignedIn bool `json:"signedIn"` // this request's session cookie stands, or none is needed
}

// authStatus answers GET /api/auth, without credentials: whether they are
// needed, and whether the caller's session cookie stands.
func (h *handler) authStatus(w http.ResponseWriter, r *http.Request) error {
	required, _ := h.credentialsRequired()
	return writeJSON(w, http.StatusOK, authState{Required: required, SignedIn: !required || h.signedIn(r, h.credentials.clock())})
}

// loginBody is the body of POST /api/auth/login.
type loginBody struct {
	Password string `json:"password"` // the portal's password or an access token
}

// login answers POST /api/auth/login: the password or a token, checked as
// the Authorization header's are (failed attempts counted), starts a
// session and sets its cookie. When no credentials are needed there is
// nothing to sign in to: 204, and no cookie.
func (h *handler) login(w http.ResponseWriter, r *http.Request) error {
	var body loginBody
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	if body.Password == "" {
		return portal.Errorf(portal.EINVALID, `Send the portal's password or an access token as {"password": "..."}`)
	}
	required, tokensErr := h.credentialsRequired()
	if !required {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	now := h.credentials.clock()
	tokenID, ok, err := h.attempt(w, r, now, body.Password, true, tokensErr)
	if err != nil {
		return err
	}
	if !ok {
		return portal.Errorf(portal.EUNAUTHORIZED, "Wrong password or token: give the password the portal was started with, or one of its access tokens")
	}
	http.SetCookie(w, newSessionCookie(r, h.sessions.create(now, tokenID), int(SessionMaxAge/time.Second)))
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// logout answers POST /api/auth/logout: the sessions of r's cookies end,
// and the cookie is cleared.
func (h *handler) logout(w http.ResponseWriter, r *http.Request) error {
	for _, c := range r.CookiesNamed(sessionCookie) {
		h.sessions.drop(c.Value)
	}
	http.SetCookie(w, newSessionCookie(r, "", -1))
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// newSessionCookie is the session cookie with value for an answer to r:
// scripts cannot read it, other sites' pages and links do not send it, and
// over TLS it is sent over TLS only. maxAge is in seconds; below zero
// clears it.
func newSessionCookie(r *http.Request, value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name:     sessionCookie,
		Value:    value,
		Path:     "/",
		MaxAge:   maxAge,
		HttpOnly: true,
		Secure:   r.TLS != nil,
		SameSite: http.SameSiteStrictMode,
	}
}
