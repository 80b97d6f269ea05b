package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/opencode-portal/portal/httpapi"
	"github.com/opencode-portal/portal/internal/credentials"
)

// webRequest sends method path to h as the web UI does (X-Portal-Client:
// web, JSON body), from addr, with the cookies given, and returns the answer.
func webRequest(h http.Handler, method, path, addr, body string, cookies ...*http.Cookie) *httptest.ResponseRecorder {
	var req *http.Request
	if body == "" {
		req = httptest.NewRequest(method, "http://127.0.0.1:3000"+path, nil)
	} else {
		req = httptest.NewRequest(method, "http://127.0.0.1:3000"+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
	}
	req.RemoteAddr = addr
	req.Header.Set("X-Portal-Client", "web")
	for _, c := range cookies {
		req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// loginBody is the body of a sign-in with secret.
func loginBody(secret string) string { return fmt.Sprintf(`{"password":%q}`, secret) }

// sessionCookie returns the session cookie rec sets; it fails the test if
// there is none.
func sessionCookie(t *testing.T, rec *httptest.ResponseRecorder) *http.Cookie {
	t.Helper()
	for _, c := range rec.Result().Cookies() {
		if c.Name == "portal_session" {
			return c
		}
	}
	t.Fatalf("no session cookie set: %d %v %s", rec.Code, rec.Header(), rec.Body)
	return nil
}

// authState returns GET /api/auth's answer to a request with cookies.
func authState(t *testing.T, h http.Handler, cookies ...*http.Cookie) map[string]any {
	t.Helper()
	rec := webRequest(h, "GET", "/api/auth", "192.0.2.1:1", "", cookies...)
	if rec.Code != 200 {
		t.Fatalf("GET /api/auth: %d %s", rec.Code, rec.Body)
	}
	return decodeBody(t, rec)
}

func TestLoginFlow(t *testing.T) {
	h, _ := newAuthHandler(t, httpapi.WithPassword(testPassword))
	const addr = "192.0.2.1:1"
	if diff := cmp.Diff(map[string]any{"required": true, "signedIn": false}, authState(t, h)); diff != "" {
		t.Errorf("GET /api/auth before signing in (-want +got):\n%s", diff)
	}
	rec := webRequest(h, "POST", "/api/auth/login", addr, loginBody(testPassword))
	if rec.Code != 204 {
		t.Fatalf("login: %d %s", rec.Code, rec.Body)
	}
	cookie := sessionCookie(t, rec)
	want := http.Cookie{Name: "portal_session", Value: cookie.Value, Path: "/", MaxAge: int(httpapi.SessionMaxAge / time.Second),
		HttpOnly: true, SameSite: http.SameSiteStrictMode}
	got := http.Cookie{Name: cookie.Name, Value: cookie.Value, Path: cookie.Path, MaxAge: cookie.MaxAge, HttpOnly: cookie.HttpOnly, Secure: cookie.Secure, SameSite: cookie.SameSite}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("session cookie (-want +got):\n%s", diff)
	}
	if len(cookie.Value) != 43 || strings.Contains(cookie.Value, testPassword) {
		t.Errorf("cookie value %q: want 32 random bytes in base64url", cookie.Value)
	}
	if diff := cmp.Diff(map[string]any{"required": true, "signedIn": true}, authState(t, h, cookie)); diff != "" {
		t.Errorf("GET /api/auth signed in (-want +got):\n%s", diff)
	}
	routes := []struct{ method, path string }{
		{"GET", "/api/instances"},
		{"GET", "/api/system/hostname"},
		{"GET", "/api/opencode/1/events"}, // no such instance: 404, once past the credentials
		{"GET", "/api/nope"},
	}
	for _, r := range routes {
		with, without := webRequest(h, r.method, r.path, addr, "", cookie), webRequest(h, r.method, r.path, addr, "")
		if with.Code == 401 || without.Code != 401 {
			t.Errorf("%s %s: %d with the cookie, %d without; want it let through with it only", r.method, r.path, with.Code, without.Code)
		}
	}
	other := &http.Cookie{Name: "portal_session", Value: strings.Repeat("A", 43)}
	if rec := webRequest(h, "GET", "/api/instances", addr, "", other, cookie); rec.Code != 200 {
		t.Errorf("a stale cookie beside the right one: %d, want 200", rec.Code)
	}

	rec = webRequest(h, "POST", "/api/auth/logout", addr, "", cookie)
	if rec.Code != 204 {
		t.Fatalf("logout: %d %s", rec.Code, rec.Body)
	}
	if cleared := sessionCookie(t, rec); cleared.Value != "" || cleared.MaxAge >= 0 || !cleared.HttpOnly {
		t.Errorf("logout's cookie %+v, want it cleared", cleared)
	}
	if rec := webRequest(h, "GET", "/api/instances", addr, "", cookie); rec.Code != 401 {
		t.Errorf("the cookie after logout: %d, want 401", rec.Code)
	}
	if diff := cmp.Diff(map[string]any{"required": true, "signedIn": false}, authState(t, h, cookie)); diff != "" {
		t.Errorf("GET /api/auth after logout (-want +got):\n%s", diff)
	}
	if rec := webRequest(h, "POST", "/api/auth/logout", addr, ""); rec.Code != 204 {
		t.Errorf("logout without a cookie: %d, want 204", rec.Code)
	}
}

// TestLoginCookieOverTLS: over TLS the cookie is sent over TLS only.
func TestLoginCookieOverTLS(t *testing.T) {
	h, _ := newAuthHandler(t, httpapi.WithPassword(testPassword))
	req := httptest.NewRequest("POST", "https://127.0.0.1:3000/api/auth/login", strings.NewReader(loginBody(testPassword)))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if c := sessionCookie(t, rec); !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode {
		t.Errorf("cookie over TLS %+v: want Secure, HttpOnly, SameSite=Strict", c)
	}
}

func TestLoginWithToken(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	h, store := newAuthHandler(t, httpapi.WithPassword(testPassword), httpapi.WithAuthClock(clock.now))
	id, secret := createToken(t, store)
	keptID, kept := createToken(t, store)
	const addr = "192.0.2.1:1"
	cookie := sessionCookie(t, webRequest(h, "POST", "/api/auth/login", addr, loginBody(secret)))
	keptCookie := sessionCookie(t, webRequest(h, "POST", "/api/auth/login", addr, loginBody(kept)))
	if rec := webRequest(h, "GET", "/api/instances", addr, "", cookie); rec.Code != 200 {
		t.Fatalf("signed in with a token: %d %s", rec.Code, rec.Body)
	}
	if err := store.Revoke(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	if rec := webRequest(h, "GET", "/api/instances", addr, "", cookie); rec.Code != 401 {
		t.Errorf("signed in with a token since revoked: %d, want 401", rec.Code)
	}
	if rec := webRequest(h, "POST", "/api/auth/login", addr, loginBody(secret)); rec.Code != 401 {
		t.Errorf("signing in with a revoked token: %d, want 401", rec.Code)
	}
	// A session's use is its token's use.
	clock.advance(2 * time.Hour)
	if rec := webRequest(h, "GET", "/api/instances", addr, "", keptCookie); rec.Code != 200 {
		t.Errorf("signed in with another token: %d, want 200", rec.Code)
	}
	list, err := store.List()
	if err != nil {
		t.Fatal(err)
	}
	if i := slices.IndexFunc(list, func(tok credentials.Token) bool { return tok.ID == keptID }); i < 0 || !list[i].LastUsed.Equal(clock.now()) {
		t.Errorf("tokens %+v: want %s last used %s", list, keptID, clock.now())
	}
}

func TestLoginRefusals(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	h, _ := newAuthHandler(t, httpapi.WithPassword(testPassword), httpapi.WithAuthClock(clock.now), httpapi.WithFailedAuthLimit(time.Minute, 3))
	tests := []struct {
		name   string
		body   string
		status int
	}{
		{"wrong password", loginBody("wrong password!"), 401},
		{"password with a space more", loginBody(testPassword + " "), 401},
		{"empty password", loginBody(""), 400},
		{"no password", `{}`, 400},
		{"password not a string", `{"password":1}`, 400},
		{"not JSON", `{"password"`, 400},
	}
	for i, tt := range tests {
		rec := webRequest(h, "POST", "/api/auth/login", fmt.Sprintf("192.0.2.%d:1", i+10), tt.body)
		if rec.Code != tt.status || rec.Header().Get("Set-Cookie") != "" || rec.Header().Get("WWW-Authenticate") != "" {
			t.Errorf("%s: %d, Set-Cookie %q, WWW-Authenticate %q; want %d, neither header", tt.name, rec.Code,
				rec.Header().Get("Set-Cookie"), rec.Header().Get("WWW-Authenticate"), tt.status)
		}
	}

	// Wrong sign-ins spend the address's failed attempts, as wrong
	// Authorization headers do; the address then waits, even with the right
	// password, while others are served.
	const attacker = "198.51.100.7:5000"
	var codes []int
	codes = append(codes, authRequest(h, attacker, basic("", "wrong guess")).Code)
	for range 3 {
		codes = append(codes, webRequest(h, "POST", "/api/auth/login", attacker, loginBody("wrong guess")).Code)
	}
	rec := webRequest(h, "POST", "/api/auth/login", attacker, loginBody(testPassword))
	codes = append(codes, rec.Code)
	if diff := cmp.Diff([]int{401, 401, 401, 429, 429}, codes); diff != "" {
		t.Errorf("wrong sign-ins from one address (-want +got):\n%s", diff)
	}
	if rec.Header().Get("Retry-After") != "60" || rec.Header().Get("Set-Cookie") != "" {
		t.Errorf("429: Retry-After %q, Set-Cookie %q; want 60 and none", rec.Header().Get("Retry-After"), rec.Header().Get("Set-Cookie"))
	}
	if rec := webRequest(h, "POST", "/api/auth/login", "203.0.113.5:1", loginBody(testPassword)); rec.Code != 204 {
		t.Errorf("another address: %d, want 204", rec.Code)
	}
	clock.advance(time.Minute)
	if rec := webRequest(h, "POST", "/api/auth/login", attacker, loginBody(testPassword)); rec.Code != 204 {
		t.Errorf("the address a minute later, right password: %d, want 204", rec.Code)
	}

	// A page of another site cannot sign in (nor out): the guards refuse it.
	for _, path := range []string{"/api/auth/login", "/api/auth/logout"} {
		req := httptest.NewRequest("POST", "http://127.0.0.1:3000"+path, strings.NewReader(loginBody(testPassword)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Origin", "https://evil.example")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 403 || rec.Header().Get("Set-Cookie") != "" {
			t.Errorf("cross-site POST %s: %d, Set-Cookie %q; want 403, no cookie", path, rec.Code, rec.Header().Get("Set-Cookie"))
		}
	}
}

// TestSessionExpiry: a session ends after SessionIdle unused, and after
// SessionMaxAge however much it is used.
func TestSessionExpiry(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	h, _ := newAuthHandler(t, httpapi.WithPassword(testPassword), httpapi.WithAuthClock(clock.now))
	const addr = "192.0.2.1:1"
	login := func() *http.Cookie {
		return sessionCookie(t, webRequest(h, "POST", "/api/auth/login", addr, loginBody(testPassword)))
	}
	status := func(c *http.Cookie) int { return webRequest(h, "GET", "/api/instances", addr, "", c).Code }

	idle := login()
	clock.advance(httpapi.SessionIdle - time.Second)
	if got := status(idle); got != 200 {
		t.Errorf("used a second before its idle limit: %d, want 200", got)
	}
	clock.advance(httpapi.SessionIdle - time.Second) // idle again, as long, since that use
	if got := status(idle); got != 200 {
		t.Errorf("used again a second before its idle limit: %d, want 200", got)
	}
	clock.advance(httpapi.SessionIdle)
	if got := status(idle); got != 401 {
		t.Errorf("unused for the idle limit: %d, want 401", got)
	}

	busy := login()
	var codes []int
	for range httpapi.SessionMaxAge/(httpapi.SessionIdle/2) + 1 { // the last one past SessionMaxAge
		clock.advance(httpapi.SessionIdle / 2)
		codes = append(codes, status(busy))
	}
	want := slices.Repeat([]int{200}, len(codes)-1)
	if diff := cmp.Diff(append(want, 401), codes); diff != "" {
		t.Errorf("a session used every %v (-want +got):\n%s", httpapi.SessionIdle/2, diff)
	}
}

// TestSessionsBounded: beyond MaxSessions, a new sign-in ends the session
// used least recently.
func TestSessionsBounded(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	h, _ := newAuthHandler(t, httpapi.WithPassword(testPassword), httpapi.WithAuthClock(clock.now))
	const addr = "192.0.2.1:1"
	var cookies []*http.Cookie
	for range httpapi.MaxSessions {
		clock.advance(time.Second)
		cookies = append(cookies, sessionCookie(t, webRequest(h, "POST", "/api/auth/login", addr, loginBody(testPassword))))
	}
	clock.advance(time.Second)
	if rec := webRequest(h, "GET", "/api/instances", addr, "", cookies[0]); rec.Code != 200 { // now the second is the least recently used
		t.Fatalf("first session: %d", rec.Code)
	}
	clock.advance(time.Second)
	sessionCookie(t, webRequest(h, "POST", "/api/auth/login", addr, loginBody(testPassword)))
	for i, want := range map[int]int{0: 200, 1: 401, 2: 200, httpapi.MaxSessions - 1: 200} {
		if rec := webRequest(h, "GET", "/api/instances", addr, "", cookies[i]); rec.Code != want {
			t.Errorf("session %d after one more sign-in: %d, want %d", i, rec.Code, want)
		}
	}
}

// TestLoginWithoutCredentials: with no password and no token file, the
// caller counts as signed in, and signing in sets no cookie.
func TestLoginWithoutCredentials(t *testing.T) {
	h, _ := newAuthHandler(t)
	if diff := cmp.Diff(map[string]any{"required": false, "signedIn": true}, authState(t, h)); diff != "" {
		t.Errorf("GET /api/auth (-want +got):\n%s", diff)
	}
	rec := webRequest(h, "POST", "/api/auth/login", "192.0.2.1:1", loginBody("anything at all"))
	if rec.Code != 204 || rec.Header().Get("Set-Cookie") != "" {
		t.Errorf("login: %d, Set-Cookie %q; want 204 without a cookie", rec.Code, rec.Header().Get("Set-Cookie"))
	}
}

// TestWebClientGetsNoChallenge: a 401 to the web UI (its header, or its
// session cookie) has no WWW-Authenticate (the browser would show its own
// password dialog); to anything else it keeps it.
func TestWebClientGetsNoChallenge(t *testing.T) {
	h, _ := newAuthHandler(t, httpapi.WithPassword(testPassword))
	const challenge = `Basic realm="portal", charset="UTF-8"`
	tests := []struct {
		client    string
		cookie    string // a session cookie's value, "" for none
		challenge string
	}{
		{"web", "", ""},
		{"WEB", "", ""},
		{"", "", challenge},
		{"cli", "", challenge},
		{"", "stale", ""}, // an EventSource of the web UI, after its session ended
	}
	for _, tt := range tests {
		for _, path := range []string{"/api/instances", "/api/opencode/1/events", "/api/nope"} {
			req := httptest.NewRequest("GET", "http://127.0.0.1:3000"+path, nil)
			if tt.client != "" {
				req.Header.Set("X-Portal-Client", tt.client)
			}
			if tt.cookie != "" {
				req.AddCookie(&http.Cookie{Name: "portal_session", Value: tt.cookie})
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != 401 || rec.Header().Get("WWW-Authenticate") != tt.challenge {
				t.Errorf("X-Portal-Client %q, cookie %q, GET %s: %d, WWW-Authenticate %q; want 401, %q", tt.client, tt.cookie, path, rec.Code, rec.Header().Get("WWW-Authenticate"), tt.challenge)
			}
		}
	}
}

// TestSessionsConcurrently signs in, uses and ends sessions from many
// goroutines at once (run with -race): each session works until its own
// logout, whatever the others do.
func TestSessionsConcurrently(t *testing.T) {
	t.Parallel()
	h, _ := newAuthHandler(t, httpapi.WithPassword(testPassword))
	errs := make(chan error, 8)
	for g := range 8 {
		go func() {
			addr := fmt.Sprintf("192.0.2.%d:1", g+1)
			for range 20 {
				rec := webRequest(h, "POST", "/api/auth/login", addr, loginBody(testPassword))
				var cookie *http.Cookie
				for _, c := range rec.Result().Cookies() {
					cookie = c
				}
				if rec.Code != 204 || cookie == nil {
					errs <- fmt.Errorf("login: %d", rec.Code)
					return
				}
				before := webRequest(h, "GET", "/api/instances", addr, "", cookie).Code
				webRequest(h, "POST", "/api/auth/logout", addr, "", cookie)
				after := webRequest(h, "GET", "/api/instances", addr, "", cookie).Code
				if before != 200 || after != 401 {
					errs <- fmt.Errorf("a session: %d before its logout, %d after; want 200, 401", before, after)
					return
				}
			}
			errs <- nil
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// TestSessionCookieOpensEventStream: the session cookie opens an
// instance's event stream, as an EventSource sends it.
func TestSessionCookieOpensEventStream(t *testing.T) {
	b := newGuardBed(t, httpapi.WithPassword(testPassword))
	resp, err := http.Post(b.url+"/api/auth/login", "application/json", strings.NewReader(loginBody(testPassword)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cookies := resp.Cookies()
	if resp.StatusCode != 204 || len(cookies) != 1 {
		t.Fatalf("login: %d, cookies %v", resp.StatusCode, cookies)
	}
	events := b.url + b.path(t, "GET /api/opencode/{port}/events")
	for _, tt := range []struct {
		name   string
		cookie *http.Cookie
		status int
	}{
		{"signed in", cookies[0], 200},
		{"no cookie", nil, 401},
	} {
		ctx, cancel := context.WithCancel(context.Background())
		req, _ := http.NewRequestWithContext(ctx, "GET", events, nil)
		req.Header.Set("Accept", "text/event-stream")
		if tt.cookie != nil {
			req.AddCookie(tt.cookie)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != tt.status || tt.status == 200 && !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
			t.Errorf("%s: %d %s, want %d", tt.name, resp.StatusCode, resp.Header.Get("Content-Type"), tt.status)
		}
		resp.Body.Close()
		cancel()
	}
}
