package httpapi_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/opencode-portal/portal"
	"github.com/opencode-portal/portal/httpapi"
	"github.com/opencode-portal/portal/internal/credentials"
)

const testPassword = "correct horse battery"

// newAuthHandler returns the API handler of a Portal on an empty registry,
// with opts. The token file tokens goes next to the registry.
func newAuthHandler(t testing.TB, opts ...httpapi.Option) (h http.Handler, tokens *credentials.Store) {
	t.Helper()
	dir := t.TempDir()
	p, err := portal.New(portal.Config{RegistryPath: filepath.Join(dir, "portal.json")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	tokens = credentials.NewStore(filepath.Join(dir, "portal.tokens.json"))
	return newHandler(t, p, append([]httpapi.Option{httpapi.WithTokens(tokens.Path())}, opts...)...), tokens
}

// createToken makes a token in s and returns its id and secret.
func createToken(t testing.TB, s *credentials.Store) (id, secret string) {
	t.Helper()
	tok, secret, err := s.Create(context.Background(), "test")
	if err != nil {
		t.Fatal(err)
	}
	return tok.ID, secret
}

// authRequest sends GET /api/instances from addr to h with the
// Authorization header auth (none if empty) and returns the answer.
func authRequest(h http.Handler, addr, auth string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("GET", "/api/instances", nil)
	req.Host = "127.0.0.1:3000" // an address the Host guard lets through
	req.RemoteAddr = addr
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func basic(user, password string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))
}

func TestAuthCombinations(t *testing.T) {
	h, store := newAuthHandler(t, httpapi.WithPassword(testPassword))
	_, kept := createToken(t, store)
	revokedID, revoked := createToken(t, store)
	if err := store.Revoke(context.Background(), revokedID); err != nil {
		t.Fatal(err)
	}
	// Made after the handler's first request, while it serves.
	authRequest(h, "192.0.2.9:1", basic("", testPassword))
	_, later := createToken(t, store)

	tests := []struct {
		name   string
		auth   string
		status int
	}{
		{"no credentials", "", 401},
		{"wrong password", basic("portal", "correct horse batter"), 401},
		{"password with a space more", basic("portal", testPassword+" "), 401},
		{"right password", basic("portal", testPassword), 200},
		{"right password, any user", basic("phone", testPassword), 200},
		{"right password, no user", basic("", testPassword), 200},
		{"token as Bearer", "Bearer " + kept, 200},
		{"token as Bearer, scheme in other case", "bearer " + kept, 200},
		{"token as the Basic password", basic("me", kept), 200},
		{"token as the Basic user name", basic(kept, ""), 401},
		{"token cut short", "Bearer " + kept[:len(kept)-1], 401},
		{"revoked token", "Bearer " + revoked, 401},
		{"revoked token as Basic", basic("", revoked), 401},
		{"token made while serving", "Bearer " + later, 200},
		{"password as Bearer", "Bearer " + testPassword, 200},
		{"other scheme", "Digest username=x", 401},
		{"Basic not base64", "Basic !!!", 401},
		{"empty Bearer", "Bearer ", 401},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Each row from its own address, so that no row is slowed down.
			rec := authRequest(h, fmt.Sprintf("192.0.2.%d:1234", i+10), tt.auth)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			wantChallenge := ""
			if tt.status == 401 {
				wantChallenge = `Basic realm="portal", charset="UTF-8"`
			}
			if diff := cmp.Diff(wantChallenge, rec.Header().Get("WWW-Authenticate")); diff != "" {
				t.Errorf("WWW-Authenticate (-want +got):\n%s", diff)
			}
		})
	}
	rec := authRequest(h, "192.0.2.1:1", "")
	want := map[string]any{"statusCode": float64(401), "statusMessage": "Unauthorized", "code": "EUNAUTHORIZED",
		"message": "This portal needs its password or an access token: send either as the password of HTTP Basic authentication (any user name), or the token as Authorization: Bearer TOKEN"}
	if diff := cmp.Diff(want, decodeBody(t, rec)); diff != "" {
		t.Errorf("envelope (-want +got):\n%s", diff)
	}
}

// decodeBody decodes rec's JSON body.
func decodeBody(t testing.TB, rec *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	var body map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("body %q: %v", rec.Body, err)
	}
	return body
}

// TestTokensAloneTurnAuthOn: without a password, the API is open until the
// token file exists, and stays closed after every token is revoked or the
// file removed.
func TestTokensAloneTurnAuthOn(t *testing.T) {
	h, store := newAuthHandler(t)
	if rec := authRequest(h, "192.0.2.1:1", ""); rec.Code != 200 {
		t.Fatalf("no password, no token file: status %d, want 200", rec.Code)
	}
	id, secret := createToken(t, store)
	steps := []struct {
		name   string
		before func()
		auth   string
		status int
	}{
		{"token made: no credentials", nil, "", 401},
		{"token made: the token", nil, "Bearer " + secret, 200},
		{"token made: a wrong one", nil, "Bearer portal_x", 401},
		{"every token revoked", func() { store.Revoke(context.Background(), id) }, "", 401},
		{"every token revoked: the old token", nil, "Bearer " + secret, 401},
		{"file removed", func() { os.Remove(store.Path()) }, "", 401},
	}
	for i, s := range steps {
		if s.before != nil {
			s.before()
		}
		if rec := authRequest(h, fmt.Sprintf("192.0.2.%d:1", i+10), s.auth); rec.Code != s.status {
			t.Errorf("%s: status %d, want %d", s.name, rec.Code, s.status)
		}
	}
}

// TestUnreadableTokenFile: a token file others may read accepts no token
// (and says so in the log), while the password still works.
func TestUnreadableTokenFile(t *testing.T) {
	var log bytes.Buffer
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	h, store := newAuthHandler(t, httpapi.WithPassword(testPassword), httpapi.WithAuthClock(clock.now), httpapi.WithLogger(slog.New(slog.NewJSONHandler(&log, nil))))
	_, secret := createToken(t, store)
	os.Chmod(store.Path(), 0o644)
	rec := authRequest(h, "192.0.2.1:1", "Bearer "+secret)
	if got := decodeBody(t, rec)["message"]; rec.Code != 500 || got != "The portal cannot read its token file, so it accepts no token now; the server log says why" {
		t.Errorf("token with a readable token file: status %d, message %q; want 500 and why", rec.Code, got)
	}
	if !strings.Contains(log.String(), "chmod 600 "+store.Path()) {
		t.Errorf("the log does not say to chmod the file:\n%s", &log)
	}
	if rec := authRequest(h, "192.0.2.1:1", basic("", testPassword)); rec.Code != 200 {
		t.Errorf("password with a readable token file: status %d, want 200", rec.Code)
	}
	// The password is still checked, so wrong ones still spend the bucket.
	var codes []int
	for range httpapi.DefaultAuthBurst + 1 {
		codes = append(codes, authRequest(h, "198.51.100.7:1", basic("", "wrong guess")).Code)
	}
	if diff := cmp.Diff(append(slices.Repeat([]int{500}, httpapi.DefaultAuthBurst), 429), codes); diff != "" {
		t.Errorf("wrong passwords with a readable token file (-want +got):\n%s", diff)
	}
	os.Chmod(store.Path(), 0o600)
	if rec := authRequest(h, "192.0.2.1:1", "Bearer "+secret); rec.Code != 200 {
		t.Errorf("token once the file is private again: status %d, want 200", rec.Code)
	}
}

func TestTokenUseIsRecorded(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	h, store := newAuthHandler(t, httpapi.WithAuthClock(clock.now))
	_, secret := createToken(t, store)
	createToken(t, store) // never used
	if rec := authRequest(h, "192.0.2.1:1", "Bearer "+secret); rec.Code != 200 {
		t.Fatalf("status %d", rec.Code)
	}
	list, err := store.List()
	if err != nil {
		t.Fatal(err)
	}
	if !list[0].LastUsed.Equal(clock.t) || !list[1].LastUsed.IsZero() {
		t.Errorf("last used %v and %v; want %v for the token used and zero for the other", list[0].LastUsed, list[1].LastUsed, clock.t)
	}
}

// fakeClock is a clock that moves only when told.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func TestFailedAttemptsSlowDownOneAddress(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	var log bytes.Buffer
	h, _ := newAuthHandler(t, httpapi.WithPassword(testPassword), httpapi.WithAuthClock(clock.now),
		httpapi.WithFailedAuthLimit(2*time.Second, 3), httpapi.WithLogger(slog.New(slog.NewJSONHandler(&log, nil))))
	const attacker, other = "198.51.100.7:5000", "203.0.113.5:6000"
	wrong, right := basic("", "wrong guess"), basic("", testPassword)

	steps := []struct {
		name       string
		advance    time.Duration
		addr, auth string
		status     int
		retryAfter string
	}{
		{"no credentials spend nothing", 0, attacker, "", 401, ""},
		{"no credentials spend nothing", 0, attacker, "", 401, ""},
		{"wrong 1", 0, attacker, wrong, 401, ""},
		{"wrong 2", 0, attacker, wrong, 401, ""},
		{"wrong 3 empties the bucket", 0, attacker, wrong, 401, ""},
		{"wrong 4 is refused unchecked", 0, attacker, wrong, 429, "2"},
		{"the right password is not checked either", 0, attacker, right, 429, "2"},
		{"nor are missing credentials", 0, attacker, "", 429, "2"},
		{"another address: right password", 0, other, right, 200, ""},
		{"another address: wrong password", 0, other, wrong, 401, ""},
		{"half the wait later", time.Second, attacker, wrong, 429, "1"},
		{"one attempt earned", time.Second, attacker, wrong, 401, ""},
		{"and spent", 0, attacker, wrong, 429, "2"},
		{"the right password after the wait", 2 * time.Second, attacker, right, 200, ""},
		{"right ones spend nothing", 0, attacker, right, 200, ""},
		{"the earned attempt is still there", 0, attacker, wrong, 401, ""},
		{"back to waiting", 0, attacker, wrong, 429, "2"},
	}
	for i, s := range steps {
		clock.advance(s.advance)
		rec := authRequest(h, s.addr, s.auth)
		if rec.Code != s.status || rec.Header().Get("Retry-After") != s.retryAfter {
			t.Fatalf("step %d (%s): status %d, Retry-After %q; want %d, %q", i, s.name, rec.Code, rec.Header().Get("Retry-After"), s.status, s.retryAfter)
		}
		if s.status == 429 {
			body := decodeBody(t, rec)
			if body["code"] != "ETOOMANY" || body["statusCode"] != float64(429) || !strings.Contains(body["message"].(string), "wait "+s.retryAfter+" s") {
				t.Fatalf("step %d (%s): envelope %v", i, s.name, body)
			}
		}
	}

	var warnings []map[string]any
	for line := range strings.Lines(log.String()) {
		var entry map[string]any
		json.Unmarshal([]byte(line), &entry)
		if entry["level"] == "WARN" {
			delete(entry, "time")
			warnings = append(warnings, entry)
		}
	}
	want := []map[string]any{{"level": "WARN", "msg": "too many wrong credentials: slowing down this address",
		"addr": "198.51.100.7", "failures": float64(3), "retryEvery": "2s"}}
	if diff := cmp.Diff(want, warnings); diff != "" {
		t.Errorf("warnings: once per burst, with the address and count (-want +got):\n%s", diff)
	}
	if strings.Contains(log.String(), "wrong guess") || strings.Contains(log.String(), testPassword) || strings.Contains(log.String(), strings.TrimPrefix(wrong, "Basic ")) {
		t.Errorf("the log holds a credential:\n%s", &log)
	}
}

func TestFailedAuthLimitDefaults(t *testing.T) {
	for _, opt := range []httpapi.Option{httpapi.WithFailedAuthLimit(0, 0), httpapi.WithFailedAuthLimit(-time.Second, -3)} {
		clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
		h, _ := newAuthHandler(t, httpapi.WithPassword(testPassword), httpapi.WithAuthClock(clock.now), opt)
		var codes []int
		for range httpapi.DefaultAuthBurst + 1 {
			codes = append(codes, authRequest(h, "198.51.100.7:5000", basic("", "wrong guess")).Code)
		}
		want := append(slices.Repeat([]int{401}, httpapi.DefaultAuthBurst), 429)
		if diff := cmp.Diff(want, codes); diff != "" {
			t.Errorf("statuses (-want +got):\n%s", diff)
		}
		clock.advance(httpapi.DefaultAuthEvery)
		if rec := authRequest(h, "198.51.100.7:5000", basic("", testPassword)); rec.Code != 200 {
			t.Errorf("after DefaultAuthEvery: status %d, want 200", rec.Code)
		}
	}
}

// TestBruteForceTakesTheBackOff: an attacker who retries the moment
// Retry-After allows needs at least (N - burst) × the interval for N
// guesses, on the limiter's clock, while another client signs in meanwhile.
func TestBruteForceTakesTheBackOff(t *testing.T) {
	const n, burst, every = 200, 10, time.Second
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := &fakeClock{t: start}
	h, _ := newAuthHandler(t, httpapi.WithPassword(testPassword), httpapi.WithAuthClock(clock.now), httpapi.WithFailedAuthLimit(every, burst))
	checked, refused := 0, 0
	for checked < n {
		rec := authRequest(h, "198.51.100.7:5000", basic("", fmt.Sprint("guess ", checked)))
		switch rec.Code {
		case 401:
			checked++
		case 429:
			refused++
			secs, err := time.ParseDuration(rec.Header().Get("Retry-After") + "s")
			if err != nil || secs <= 0 {
				t.Fatalf("Retry-After %q", rec.Header().Get("Retry-After"))
			}
			clock.advance(secs)
		default:
			t.Fatalf("guess %d: status %d", checked, rec.Code)
		}
		if checked%50 == 0 {
			if rec := authRequest(h, "203.0.113.5:6000", basic("", testPassword)); rec.Code != 200 {
				t.Fatalf("another client's right password after %d guesses: status %d", checked, rec.Code)
			}
		}
	}
	elapsed := clock.t.Sub(start)
	if min := (n - burst) * every; elapsed < min {
		t.Errorf("%d guesses took %v on the limiter's clock; want at least %v", n, elapsed, min)
	}
	if refused < n-burst {
		t.Errorf("%d refusals for %d guesses; want at least %d", refused, n, n-burst)
	}
	t.Logf("%d guesses: %v on the limiter's clock, %d refused with 429", n, elapsed, refused)
}

// TestFailedAttemptsAreBounded: the limiter remembers a bounded number of
// addresses, and forgets limited ones last.
func TestFailedAttemptsAreBounded(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	h, _ := newAuthHandler(t, httpapi.WithPassword(testPassword), httpapi.WithAuthClock(clock.now), httpapi.WithFailedAuthLimit(time.Minute, 2))
	const attacker = "198.51.100.7:5000"
	wrong := basic("", "wrong guess")
	authRequest(h, attacker, wrong)
	authRequest(h, attacker, wrong)
	// The flood's answers are the 401 just checked against the document;
	// it goes to the handler without the check, which would cost more CPU
	// than the handler's own work.
	flood := h.(*checkedHandler).Unwrap()
	for i := range httpapi.MaxTrackedAddrs + 500 {
		authRequest(flood, fmt.Sprintf("10.%d.%d.%d:1", i>>16&255, i>>8&255, i&255), wrong)
		if n := httpapi.TrackedAddrs(h); n > httpapi.MaxTrackedAddrs {
			t.Fatalf("%d addresses remembered, more than %d", n, httpapi.MaxTrackedAddrs)
		}
	}
	if rec := authRequest(h, attacker, wrong); rec.Code != 429 {
		t.Errorf("the limited address after %d others: status %d, want 429 (still remembered)", httpapi.MaxTrackedAddrs+500, rec.Code)
	}
}

func TestClientAddr(t *testing.T) {
	for remote, want := range map[string]string{
		"192.0.2.1:1234":              "192.0.2.1",
		"[::ffff:192.0.2.1]:1234":     "192.0.2.1",
		"[2001:db8:1:2:3:4:5:6]:1234": "2001:db8:1:2::/64",
		"[2001:db8:1:2:ffff::1]:99":   "2001:db8:1:2::/64",
		"[2001:db8:1:3::1]:99":        "2001:db8:1:3::/64",
		"[fe80::1%eth0]:99":           "fe80::/64",
		"pipe":                        "pipe",
		"":                            "",
	} {
		req := httptest.NewRequest("GET", "/", nil)
		req.RemoteAddr = remote
		if got := httpapi.ClientAddr(req); got != want {
			t.Errorf("ClientAddr(%q) = %q, want %q", remote, got, want)
		}
	}
}

// FuzzCredential checks the Authorization header parser against net/http's
// Basic parser: whenever that finds a password, so does credential.
func FuzzCredential(f *testing.F) {
	for _, seed := range []string{basic("u", "p"), basic("", "a:b"), "Bearer portal_x", "bearer  x", "Basic !!", "BASIC " + base64.StdEncoding.EncodeToString([]byte("x")), "", "Basic"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, header string) {
		got := httpapi.Credential(header)
		req := httptest.NewRequest("GET", "/", nil)
		req.Header.Set("Authorization", header)
		if _, password, ok := req.BasicAuth(); ok && got != password {
			t.Errorf("credential(%q) = %q; net/http reads password %q", header, got, password)
		}
		if token, ok := strings.CutPrefix(header, "Bearer "); ok && !strings.HasPrefix(token, " ") && got != token {
			t.Errorf("credential(%q) = %q, want the token %q", header, got, token)
		}
	})
}

// BenchmarkWrongPasswords sends wrong passwords from one address as fast as
// it can, in real time, and reports how many were checked per second
// (checked/s), that count against what the default limit allows in the
// same time, a burst of 10 then 1/s (vs-allowed, at most 1), and the share
// refused with 429.
func BenchmarkWrongPasswords(b *testing.B) {
	h, _ := newAuthHandler(b, httpapi.WithPassword(testPassword))
	srv := httptest.NewServer(h)
	defer srv.Close()
	checked := 0
	start := time.Now()
	for i := 0; b.Loop(); i++ {
		req, _ := http.NewRequest("GET", srv.URL+"/api/instances", nil)
		req.SetBasicAuth("", fmt.Sprint("guess ", i))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == 401 {
			checked++
		}
	}
	elapsed := time.Since(start).Seconds()
	b.ReportMetric(float64(checked)/elapsed, "checked/s")
	b.ReportMetric(float64(checked)/(httpapi.DefaultAuthBurst+elapsed/httpapi.DefaultAuthEvery.Seconds()), "vs-allowed")
	b.ReportMetric(float64(b.N-checked)/float64(b.N), "refused-ratio")
}
