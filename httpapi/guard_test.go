package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/opencode-portal/portal"
	"github.com/opencode-portal/portal/httpapi"
	"github.com/opencode-portal/portal/internal/fakeopencode"
	"github.com/opencode-portal/portal/portaltest"
)

// guardBed serves a Portal whose registry holds one stand-in OpenCode
// working in a git repository with a changed file, so that a request that
// got through would leave a trace: a request to that OpenCode (counted), a
// changed registry, index or worktree, or a started instance.
type guardBed struct {
	url     string
	handler http.Handler
	root    string // holds the registry and the project
	project string
	port    int // the stand-in OpenCode's port
	// upstream counts the requests that reached the stand-in OpenCode,
	// but for its event stream: the portal opens and holds that on its own
	// (a kept session listing subscribes to it after an earlier, allowed
	// listing), at any time, so it tells nothing of the request refused.
	upstream atomic.Int64
}

// richBody has a valid value for every field any route reads, so that a
// request carrying it would act if it got through.
func (b *guardBed) richBody() string {
	return `{"directory":` + strconv.Quote(filepath.Join(b.root, "other")) + `,"title":"t","text":"hi",` +
		`"paths":["README.md"],"message":"guarded","branch":"guard-topic","create":true,` +
		`"reply":"once","answers":[["A"]],"remote":"origin"}`
}

func newGuardBed(t *testing.T, opts ...httpapi.Option) *guardBed {
	t.Helper()
	b := &guardBed{root: t.TempDir()}
	b.project = filepath.Join(b.root, "project")
	for _, dir := range []string{b.project, filepath.Join(b.root, "other"), filepath.Join(b.root, "registry")} {
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := portaltest.InitGitRepo(b.project); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(b.project, "README.md"), []byte("# changed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	exe, err := fakeopencode.Bin()
	if err != nil {
		t.Fatal(err)
	}
	reg := filepath.Join(b.root, "registry", "portal.json")
	p, err := portal.New(portal.Config{RegistryPath: reg, OpenCodeBin: exe, Env: []string{fakeopencode.EnvVar + "=1"},
		FirstPort: 26400, StopTimeout: 2 * time.Second, StopOnClose: true})
	if err != nil {
		t.Fatal(err)
	}
	oc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/event" {
			w.Header().Set("Content-Type", "text/event-stream")
			io.WriteString(w, "data: {\"type\":\"server.connected\",\"properties\":{}}\n\n")
			w.(http.Flusher).Flush()
			<-r.Context().Done()
			return
		}
		b.upstream.Add(1)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, "{}")
	}))
	b.port = oc.Listener.Addr().(*net.TCPAddr).Port
	if _, err := (&portaltest.OpenCode{Port: b.port, Dir: b.project, Password: "pw"}).Register(reg); err != nil {
		t.Fatal(err)
	}
	b.handler = newStandInHandler(t, p, opts...)
	srv := httptest.NewServer(b.handler)
	b.url = srv.URL
	t.Cleanup(func() { srv.Close(); p.Close(); oc.Close() })
	return b
}

// path turns a route pattern's path into a request path for the bed.
func (b *guardBed) path(t *testing.T, pattern string) string {
	t.Helper()
	_, path, _ := strings.Cut(pattern, " ")
	port := strconv.Itoa(b.port)
	ids := map[string]string{"{port}": port, "{requestId}": "per_guard"}
	if strings.HasPrefix(path, "/api/instances/") {
		ids["{id}"] = port
	} else {
		ids["{id}"] = "ses_guard"
	}
	if strings.Contains(path, "/question/") {
		ids["{requestId}"] = "que_guard"
	}
	for w, v := range ids {
		path = strings.ReplaceAll(path, w, v)
	}
	if strings.Contains(path, "{") {
		t.Fatalf("pattern %q has a wildcard this test cannot fill: teach guardBed.path about it", pattern)
	}
	return path
}

// snapshot is every file and folder under the bed's root, each with its
// mode, size and modification time: a file written, even with the content
// it had, or a file or folder made, removed or renamed, changes it.
func (b *guardBed) snapshot(t *testing.T) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(b.root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		files[path] = fmt.Sprintf("%v %d %d", info.Mode(), info.Size(), info.ModTime().UnixNano())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// guardRequest is a request to send to every route.
type guardRequest struct {
	name        string
	host        string // "" keeps the server's own 127.0.0.1:port
	headers     map[string]string
	body        string // "rich" for guardBed.richBody
	chunked     bool   // send the body with an unknown length
	contentType string
}

func (b *guardBed) do(t *testing.T, method, path string, g guardRequest) (int, map[string]any) {
	t.Helper()
	var body io.Reader
	text := g.body
	if text == "rich" {
		text = b.richBody()
	}
	if text != "" {
		body = strings.NewReader(text)
		if g.chunked {
			body = io.MultiReader(body)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel() // ends event streams once their status is read
	req, err := http.NewRequestWithContext(ctx, method, b.url+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if g.host != "" {
		req.Host = g.host
	}
	if g.contentType != "" {
		req.Header.Set("Content-Type", g.contentType)
	}
	for k, v := range g.headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var envelope map[string]any
	if resp.Header.Get("Content-Type") == "application/json" {
		data, _ := io.ReadAll(resp.Body)
		json.Unmarshal(data, &envelope)
	}
	return resp.StatusCode, envelope
}

var (
	crossSite   = map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}
	sameSite    = map[string]string{"Origin": "http://app.localhost:3000", "Sec-Fetch-Site": "same-site"}
	oldBrowser  = map[string]string{"Origin": "https://evil.example"} // no Sec-Fetch-Site
	nullOrigin  = map[string]string{"Origin": "null", "Sec-Fetch-Site": "cross-site"}
	trustedSite = map[string]string{"Origin": "https://trusted.example", "Sec-Fetch-Site": "cross-site"}
)

func safe(method string) bool { return method == "GET" || method == "HEAD" }

// TestGuardsRefuseOnEveryRoute sends every route of the route table the
// requests the guards must refuse, and checks that each is refused in the
// JSON envelope and that nothing reached the Portal.
func TestGuardsRefuseOnEveryRoute(t *testing.T) {
	t.Parallel()
	b := newGuardBed(t, httpapi.WithAllowedHosts("portal.example"), httpapi.WithAllowedOrigins("https://trusted.example"))
	const jsonType = "application/json"
	type refusal struct {
		guardRequest
		status   int
		code     string
		anyRoute bool // sent to GET routes too
	}
	refusals := []refusal{
		{guardRequest{name: "foreign host", host: "evil.example:3000", body: "rich", contentType: jsonType}, 421, "EMISDIRECTED", true},
		{guardRequest{name: "foreign host, same-origin browser", host: "evil.example", body: "rich", contentType: jsonType,
			headers: map[string]string{"Origin": "http://evil.example", "Sec-Fetch-Site": "same-origin"}}, 421, "EMISDIRECTED", true},
		{guardRequest{name: "name ending in localhost", host: "localhost.evil.example:3000"}, 421, "EMISDIRECTED", true},
		{guardRequest{name: "subdomain of an allowed host", host: "a.portal.example"}, 421, "EMISDIRECTED", true},
		{guardRequest{name: "cross-site JSON", headers: crossSite, body: "rich", contentType: jsonType}, 403, "EFORBIDDEN", false},
		{guardRequest{name: "cross-site text/plain", headers: crossSite, body: "rich", contentType: "text/plain;charset=UTF-8"}, 403, "EFORBIDDEN", false},
		{guardRequest{name: "cross-site without a body", headers: crossSite}, 403, "EFORBIDDEN", false},
		{guardRequest{name: "same-site", headers: sameSite, body: "rich", contentType: jsonType}, 403, "EFORBIDDEN", false},
		{guardRequest{name: "null origin", headers: nullOrigin, body: "rich", contentType: jsonType}, 403, "EFORBIDDEN", false},
		{guardRequest{name: "old browser, foreign origin", headers: oldBrowser, body: "rich", contentType: jsonType}, 403, "EFORBIDDEN", false},
		{guardRequest{name: "text/plain", body: "rich", contentType: "text/plain"}, 415, "EUNSUPPORTED", false},
		{guardRequest{name: "text/plain, same-origin browser", body: "rich", contentType: "text/plain",
			headers: map[string]string{"Sec-Fetch-Site": "same-origin"}}, 415, "EUNSUPPORTED", false},
		{guardRequest{name: "form", body: "directory=%2Ftmp&paths=README.md", contentType: "application/x-www-form-urlencoded"}, 415, "EUNSUPPORTED", false},
		{guardRequest{name: "multipart form", body: "--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nb\r\n--x--\r\n",
			contentType: "multipart/form-data; boundary=x"}, 415, "EUNSUPPORTED", false},
		{guardRequest{name: "body without a content type", body: "rich"}, 415, "EUNSUPPORTED", false},
		{guardRequest{name: "chunked text/plain", body: "rich", chunked: true, contentType: "text/plain"}, 415, "EUNSUPPORTED", false},
		{guardRequest{name: "JSON-looking type", body: "rich", contentType: "application/jsonx"}, 415, "EUNSUPPORTED", false},
		{guardRequest{name: "trusted origin, text/plain", headers: trustedSite, body: "rich", contentType: "text/plain"}, 415, "EUNSUPPORTED", false},
	}
	patterns := httpapi.Patterns(b.handler)
	src, err := os.ReadFile("routes.go")
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(src), "h.handle(\"") + strings.Count(string(src), "h.handleOpen(\""); len(patterns) != n {
		t.Fatalf("%d patterns recorded, routes.go registers %d: %v", len(patterns), n, patterns)
	}
	for _, pattern := range append(patterns, "GET /api/nope", "PUT /api/instances", "POST /api/opencode/{port}/health") {
		method, _, _ := strings.Cut(pattern, " ")
		path := b.path(t, pattern)
		for _, r := range refusals {
			if safe(method) && !r.anyRoute {
				continue
			}
			t.Run(pattern+"/"+r.name, func(t *testing.T) {
				before, calls := b.snapshot(t), b.upstream.Load()
				status, envelope := b.do(t, method, path, r.guardRequest)
				if status != r.status || envelope["code"] != r.code || envelope["statusCode"] != float64(r.status) {
					t.Errorf("status %d %v, want %d %s", status, envelope, r.status, r.code)
				}
				if n := b.upstream.Load() - calls; n != 0 {
					t.Errorf("%d requests reached OpenCode", n)
				}
				if diff := cmp.Diff(before, b.snapshot(t)); diff != "" {
					t.Errorf("files changed (-before +after):\n%s", diff)
				}
			})
		}
	}
}

// TestGuardsAllowOnEveryRoute sends every route the requests the guards
// must let through: what answers is the route, not a guard.
func TestGuardsAllowOnEveryRoute(t *testing.T) {
	t.Parallel()
	b := newGuardBed(t, httpapi.WithAllowedHosts("portal.example"), httpapi.WithAllowedOrigins("HTTPS://Trusted.Example"))
	const jsonType = "application/json"
	allowed := []guardRequest{
		{name: "loopback host", body: "{}", contentType: jsonType},
		{name: "localhost", host: "localhost:3000", body: "{}", contentType: jsonType},
		{name: "IPv6 loopback", host: "[::1]:3000", body: "{}", contentType: jsonType},
		{name: "LAN address", host: "192.168.1.20:3000", body: "{}", contentType: jsonType},
		{name: "allowed host", host: "Portal.Example.:8443", body: "{}", contentType: jsonType},
		{name: "same-origin browser", body: "{}", contentType: "application/json; charset=utf-8",
			headers: map[string]string{"Origin": "PLACEHOLDER", "Sec-Fetch-Site": "same-origin"}},
		{name: "old browser, same origin", body: "{}", contentType: jsonType, headers: map[string]string{"Origin": "PLACEHOLDER"}},
		{name: "typed URL", headers: map[string]string{"Sec-Fetch-Site": "none"}},
		{name: "trusted origin", headers: trustedSite, body: "{}", contentType: jsonType},
		{name: "non-browser JSON", body: "{}", contentType: jsonType},
		{name: "chunked JSON", body: "{}", chunked: true, contentType: jsonType},
		{name: "no body, no content type"},
		{name: "no body, text/plain", contentType: "text/plain"},
	}
	for _, pattern := range httpapi.Patterns(b.handler) {
		method, _, _ := strings.Cut(pattern, " ")
		path := b.path(t, pattern)
		for _, g := range allowed {
			if g.headers["Origin"] == "PLACEHOLDER" {
				g.headers = map[string]string{"Origin": b.url, "Sec-Fetch-Site": g.headers["Sec-Fetch-Site"]}
			}
			if safe(method) {
				g.body, g.contentType = "", ""
			}
			t.Run(pattern+"/"+g.name, func(t *testing.T) {
				status, envelope := b.do(t, method, path, g)
				switch envelope["code"] {
				case "EMISDIRECTED", "EUNSUPPORTED", "EFORBIDDEN":
					t.Errorf("refused: %d %v", status, envelope)
				}
			})
		}
	}
}

// TestGuardsOff shows what the guards stop: without them, a page's
// text/plain cross-site POST starts OpenCode and stages files, and a
// rebound host name reads the project's files.
func TestGuardsOff(t *testing.T) {
	t.Parallel()
	b := newGuardBed(t, httpapi.WithoutGuards())
	attack := guardRequest{headers: crossSite, body: "rich", contentType: "text/plain;charset=UTF-8"}
	before := b.snapshot(t)
	if status, env := b.do(t, "POST", b.path(t, "POST /api/opencode/{port}/git/stage"), attack); status != 200 {
		t.Fatalf("stage without guards: %d %v", status, env)
	}
	if cmp.Equal(before, b.snapshot(t)) {
		t.Error("staging changed no file: the guard tests' check that nothing changed proves nothing")
	}
	if status, env := b.do(t, "POST", "/api/instances", attack); status != 201 {
		t.Errorf("start without guards: %d %v", status, env)
	}
	status, env := b.do(t, "GET", b.path(t, "GET /api/opencode/{port}/files/read")+"?path=README.md", guardRequest{host: "evil.example:3000"})
	if status != 200 || env["content"] != "# changed\n" {
		t.Errorf("read through a rebound name without guards: %d %v", status, env)
	}
}

// TestResourcePolicy checks that every answer forbids pages of other
// origins to load it (a project's .js file as a script, say), refusals and
// raw files included, and that without the guards nothing does.
func TestResourcePolicy(t *testing.T) {
	t.Parallel()
	guarded, open := newGuardBed(t), newGuardBed(t, httpapi.WithoutGuards())
	for _, tt := range []struct {
		b    *guardBed
		host string
		want string
	}{
		{guarded, "", "same-origin"},
		{guarded, "evil.example", "same-origin"},
		{open, "", ""},
	} {
		for _, path := range []string{tt.b.path(t, "GET /api/opencode/{port}/files/read") + "?path=README.md&raw=1", "/api/instances", "/api/nope"} {
			req, _ := http.NewRequest("GET", tt.b.url+path, nil)
			if tt.host != "" {
				req.Host = tt.host
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if got := resp.Header.Get("Cross-Origin-Resource-Policy"); got != tt.want {
				t.Errorf("%s (Host %q): Cross-Origin-Resource-Policy %q, want %q", path, tt.host, got, tt.want)
			}
		}
	}
}

func TestHostGuard(t *testing.T) {
	p, err := portal.New(portal.Config{RegistryPath: filepath.Join(t.TempDir(), "portal.json")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	h := newHandler(t, p, httpapi.WithAllowedHosts("portal.example", "LAN-Box.", "bad:3000", "http://x"))
	withPassword := newHandler(t, p, httpapi.WithPassword("s3cret"))
	mux := http.NewServeMux()
	mux.Handle("/portal/", http.StripPrefix("/portal", h))
	tests := []struct {
		name    string
		handler http.Handler
		host    string
		path    string
		status  int
	}{
		{"loopback", h, "127.0.0.1:3000", "/api/instances", 200},
		{"loopback range", h, "127.8.9.10", "/api/instances", 200},
		{"localhost", h, "localhost", "/api/instances", 200},
		{"localhost, any case, trailing dot", h, "LocalHost.:3000", "/api/instances", 200},
		{"IPv6 loopback", h, "[::1]:3000", "/api/instances", 200},
		{"IPv4-mapped loopback", h, "[::ffff:127.0.0.1]:3000", "/api/instances", 200},
		{"LAN address", h, "192.168.1.20:3000", "/api/instances", 200},
		{"any address", h, "0.0.0.0:3000", "/api/instances", 200},
		{"link-local IPv6", h, "[fe80::1]", "/api/instances", 200},
		{"allowed name", h, "portal.example", "/api/instances", 200},
		{"allowed name, other case and port", h, "PORTAL.example:8080", "/api/instances", 200},
		{"allowed with a trailing dot", h, "lan-box", "/api/instances", 200},
		{"foreign name", h, "evil.example:3000", "/api/instances", 421},
		{"foreign name, unknown route", h, "evil.example", "/api/nope", 421},
		{"foreign name, raw file", h, "evil.example", "/api/opencode/3100/files/read?path=a&raw=1", 421},
		{"foreign name, events", h, "evil.example", "/api/opencode/3100/events", 421},
		{"subdomain of localhost", h, "app.localhost:3000", "/api/instances", 421},
		{"localhost as a subdomain", h, "localhost.evil.example", "/api/instances", 421},
		{"name with an address in it", h, "127.0.0.1.nip.io", "/api/instances", 421},
		{"decimal address", h, "2130706433", "/api/instances", 421},
		{"name refused as allowed host (had a port)", h, "bad", "/api/instances", 421},
		{"unbracketed IPv6", h, "::1", "/api/instances", 421},
		{"zone", h, "[fe80::1%25eth0]", "/api/instances", 421},
		{"bad port", h, "localhost:http", "/api/instances", 421},
		{"empty", h, "", "/api/instances", 421},
		{"under a prefix, loopback", mux, "127.0.0.1", "/portal/api/instances", 200},
		{"under a prefix, foreign", mux, "evil.example", "/portal/api/instances", 421},
		{"before auth: foreign", withPassword, "evil.example", "/api/instances", 421},
		{"before auth: loopback", withPassword, "localhost", "/api/instances", 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", tt.path, nil)
			r.Host = tt.host
			w := httptest.NewRecorder()
			tt.handler.ServeHTTP(w, r)
			if w.Code != tt.status {
				t.Errorf("status %d, want %d: %s", w.Code, tt.status, w.Body)
			}
		})
	}

	r := httptest.NewRequest("GET", "/api/instances", nil)
	r.Host = "Evil.Example:3000"
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	var got map[string]any
	json.Unmarshal(w.Body.Bytes(), &got)
	want := map[string]any{"statusCode": float64(421), "statusMessage": "Misdirected Request", "code": "EMISDIRECTED",
		"message": `This portal does not answer to host "Evil.Example:3000": it serves localhost, IP addresses and the names it was told to allow. If you reached it by this name on purpose, restart it with --allow-host evil.example (httpapi.WithAllowedHosts)`}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("envelope (-want +got):\n%s", diff)
	}
}

func TestCrossOriginAndBodyMessages(t *testing.T) {
	h := newEmptyHandler(t, httpapi.WithPassword("s3cret"))
	tests := []struct {
		name, contentType, body string
		headers                 map[string]string
		want                    map[string]any
	}{
		{"cross-site, before auth", "application/json", "{}", crossSite, map[string]any{"statusCode": float64(403), "statusMessage": "Forbidden", "code": "EFORBIDDEN",
			"message": `Cross-origin request from "https://evil.example" refused: pages of other sites may not change anything here. If you trust that site, allow its origin with --allow-origin (httpapi.WithAllowedOrigins)`}},
		{"text body, before auth", "text/plain", "{}", nil, map[string]any{"statusCode": float64(415), "statusMessage": "Unsupported Media Type", "code": "EUNSUPPORTED",
			"message": `Request body must be JSON: send it with Content-Type: application/json (got "text/plain")`}},
		{"no content type", "", "{}", nil, map[string]any{"statusCode": float64(415), "statusMessage": "Unsupported Media Type", "code": "EUNSUPPORTED",
			"message": `Request body must be JSON: send it with Content-Type: application/json (got none)`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/api/instances", strings.NewReader(tt.body))
			r.Host = "127.0.0.1:3000"
			if tt.contentType != "" {
				r.Header.Set("Content-Type", tt.contentType)
			}
			for k, v := range tt.headers {
				r.Header.Set(k, v)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			var got map[string]any
			json.Unmarshal(w.Body.Bytes(), &got)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("envelope (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCheckAllowed(t *testing.T) {
	for _, tt := range []struct {
		check func(string) error
		in    string
		ok    bool
	}{
		{httpapi.CheckAllowedHost, "portal.example", true},
		{httpapi.CheckAllowedHost, "My-Box.", true},
		{httpapi.CheckAllowedHost, "portal.example:3000", false},
		{httpapi.CheckAllowedHost, "http://portal.example", false},
		{httpapi.CheckAllowedHost, "portal.example/", false},
		{httpapi.CheckAllowedHost, "[::1]", false},
		{httpapi.CheckAllowedHost, "", false},
		{httpapi.CheckAllowedHost, ".", false},
		{httpapi.CheckAllowedOrigin, "https://portal.example", true},
		{httpapi.CheckAllowedOrigin, "http://192.168.1.20:3000", true},
		{httpapi.CheckAllowedOrigin, "portal.example", false},
		{httpapi.CheckAllowedOrigin, "https://portal.example/", false},
	} {
		if err := tt.check(tt.in); (err == nil) != tt.ok {
			t.Errorf("%q: %v, want ok %v", tt.in, err, tt.ok)
		}
	}
}

func TestHostName(t *testing.T) {
	type result struct {
		Name string
		OK   bool
	}
	for in, want := range map[string]result{
		"localhost":               {"localhost", true},
		"LOCALHOST.:3000":         {"localhost", true},
		"127.0.0.1:3000":          {"127.0.0.1", true},
		"[::1]":                   {"::1", true},
		"[::FFFF:7F00:1]:80":      {"::ffff:7f00:1", true},
		"a_b-c.example":           {"a_b-c.example", true},
		"":                        {"", true},
		"::1":                     {"", false},
		"[127.0.0.1]":             {"", false},
		"[::1":                    {"", false},
		"[::1]x":                  {"", false},
		"[fe80::1%25eth0]":        {"", false},
		"host:123456":             {"", false},
		"a..":                     {"", false},
		"a..b":                    {"", false},
		".a":                      {"", false},
		".":                       {"", true},
		"host:-1":                 {"", false},
		"user@host":               {"", false},
		"host/path":               {"", false},
		"h\u00e9te":               {"", false},
		"evil.example%2F":         {"", false},
		"localhost\x00.evil.test": {"", false},
	} {
		name, ok := httpapi.HostName(in)
		if diff := cmp.Diff(want, result{name, ok}); diff != "" {
			t.Errorf("%q (-want +got):\n%s", in, diff)
		}
	}
}

// FuzzHostName checks the Host parser against net/url: what it accepts, a
// browser could have sent for a URL of that host, and it finds the same
// host as url.URL.Hostname does, in canonical form.
func FuzzHostName(f *testing.F) {
	for _, s := range []string{"localhost", "LocalHost.:3000", "127.0.0.1:80", "[::1]:3000", "[fe80::1%25en0]", "evil.example", "::1", "[::1", "a:b:c", "", ":", "x:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		name, ok := httpapi.HostName(in)
		if !ok {
			return
		}
		u, err := url.Parse("http://" + in + "/")
		if err != nil {
			t.Fatalf("accepted %q, which is no URL host: %v", in, err)
		}
		if want := strings.TrimSuffix(strings.ToLower(u.Hostname()), "."); name != want {
			t.Fatalf("%q: host %q, url.Parse finds %q", in, name, want)
		}
		if ip, err := netip.ParseAddr(name); err == nil {
			if ip.Zone() != "" || (ip.Is6() && !strings.HasPrefix(in, "[")) {
				t.Fatalf("%q: accepted address %v", in, ip)
			}
		} else if strings.Trim(name, "abcdefghijklmnopqrstuvwxyz0123456789-_.") != "" {
			t.Fatalf("%q: accepted name %q", in, name)
		}
		again := name
		if strings.Contains(name, ":") {
			again = "[" + name + "]"
		}
		if n, ok := httpapi.HostName(again + ":8080"); !ok || n != name {
			t.Fatalf("%q: %q with a port gives %q %v", in, name, n, ok)
		}
	})
}

// BenchmarkGuards reports what the guards add to a request that passes them:
// the time of a guarded handler over an unguarded one, for a JSON POST from
// a same-origin page (to a route that answers 404 at once).
func BenchmarkGuards(b *testing.B) {
	p, err := portal.New(portal.Config{RegistryPath: filepath.Join(b.TempDir(), "portal.json")})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { p.Close() })
	handlers := []http.Handler{newHandler(b, p, httpapi.WithAllowedHosts("portal.example")), newHandler(b, p, httpapi.WithoutGuards())}
	var spent [2]time.Duration
	for b.Loop() {
		for i, h := range handlers {
			r := httptest.NewRequest("POST", "/api/nope", strings.NewReader(`{"a":1}`))
			r.Host = "portal.example:3000"
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("Origin", "https://portal.example:3000")
			r.Header.Set("Sec-Fetch-Site", "same-origin")
			w := httptest.NewRecorder()
			start := time.Now()
			h.ServeHTTP(w, r)
			spent[i] += time.Since(start)
			if w.Code != 404 {
				b.Fatalf("status %d: %s", w.Code, w.Body)
			}
		}
	}
	b.ReportMetric(float64(spent[0])/float64(spent[1]), "guarded/unguarded")
}
