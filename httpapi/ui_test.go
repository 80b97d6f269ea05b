package httpapi_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/opencode-portal/portal"
	"github.com/opencode-portal/portal/httpapi"
)

// uiIndex is the index.html of the test UI: long enough that gzip makes it
// smaller.
var uiIndex = "<!doctype html><title>portal</title>" + strings.Repeat("<p>the portal's web UI</p>", 40)

// testUI is a web UI's tree with a file of each kind.
func testUI() fstest.MapFS {
	return fstest.MapFS{
		"index.html":           {Data: []byte(uiIndex)},
		"app.css":              {Data: []byte(strings.Repeat("body { color: black; }\n", 30))},
		"js/main.js":           {Data: []byte(strings.Repeat("export const x = 1;\n", 30))},
		"js/tiny.js":           {Data: []byte("1")}, // gzip would only grow it
		"icon.svg":             {Data: []byte(`<svg xmlns="http://www.w3.org/2000/svg"></svg>`)},
		"manifest.webmanifest": {Data: []byte(`{"name":"portal"}`)},
		"data.json":            {Data: []byte(`{"a":1}`)},
		"logo.png":             {Data: []byte("\x89PNG\r\n\x1a\n not really")},
		"font.woff2":           {Data: []byte("wOF2")},
		"notes.unknownext":     {Data: []byte("text")},
		".env":                 {Data: []byte("SECRET=1")},
		"js/.secret.js":        {Data: []byte("secret")},
	}
}

// newEmptyHandler returns the handler (newHandler) of a Portal on an empty
// registry with opts.
func newEmptyHandler(t testing.TB, opts ...httpapi.Option) http.Handler {
	t.Helper()
	p, err := portal.New(portal.Config{RegistryPath: filepath.Join(t.TempDir(), "portal.json")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return newHandler(t, p, opts...)
}

// uiRequest sends method path to h with the given headers, from a client
// on loopback, and returns the answer.
func uiRequest(h http.Handler, method, path string, headers map[string]string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, "http://127.0.0.1:3000"+path, nil)
	req.RemoteAddr = "127.0.0.1:5000"
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestUIFiles(t *testing.T) {
	ui := testUI()
	h := newEmptyHandler(t, httpapi.WithUI(ui))
	index := string(ui["index.html"].Data)
	const html, js = "text/html; charset=utf-8", "text/javascript; charset=utf-8"
	const page = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8" // a browser's navigation
	tests := []struct {
		method, path string
		accept       string
		status       int
		contentType  string
		body         string // "" for none
	}{
		{"GET", "/", "", 200, html, index},
		{"GET", "/index.html", "", 200, html, index},
		{"HEAD", "/", "", 200, html, ""},
		{"GET", "/app.css", "", 200, "text/css; charset=utf-8", string(ui["app.css"].Data)},
		{"HEAD", "/app.css", "", 200, "text/css; charset=utf-8", ""},
		{"GET", "/js/main.js", "", 200, js, string(ui["js/main.js"].Data)},
		{"GET", "/icon.svg", "", 200, "image/svg+xml", string(ui["icon.svg"].Data)},
		{"GET", "/manifest.webmanifest", "", 200, "application/manifest+json", string(ui["manifest.webmanifest"].Data)},
		{"GET", "/data.json", "", 200, "application/json", string(ui["data.json"].Data)},
		{"GET", "/logo.png", "", 200, "image/png", string(ui["logo.png"].Data)},
		{"GET", "/font.woff2", "", 200, "font/woff2", string(ui["font.woff2"].Data)},
		{"GET", "/notes.unknownext", "", 200, "application/octet-stream", "text"},
		// The page's own routes and directories: index.html.
		{"GET", "/i/3101/s/ses_1", "", 200, html, index},
		{"GET", "/login?next=%2F", "", 200, html, index},
		{"GET", "/session/ses_1.2", page, 200, html, index},
		{"GET", "/js", "", 200, html, index},
		{"GET", "/js/", "", 200, html, index},
		{"GET", "/apix", "", 200, html, index},
		// A missing file: 404 to a script, a style sheet, an image (a build's
		// stale chunk, a missing icon), index.html to a navigation.
		{"GET", "/js/missing.js", "", 404, "application/json", ""},
		{"GET", "/js/missing.js", "*/*", 404, "application/json", ""},
		{"GET", "/missing.svg", "image/avif,image/webp,image/svg+xml,image/*,*/*;q=0.8", 404, "application/json", ""},
		{"HEAD", "/missing.css", "text/css,*/*;q=0.1", 404, "application/json", ""},
		{"GET", "/missing.html", page, 200, html, index},
		// Hidden files are not served.
		{"GET", "/.env", "", 404, "application/json", ""},
		{"GET", "/.env", page, 200, html, index},
		{"GET", "/js/.secret.js", "", 404, "application/json", ""},
		// Cleaned paths stay inside the tree.
		{"GET", "/js/../app.css", "", 200, "text/css; charset=utf-8", string(ui["app.css"].Data)},
		{"GET", "/../../etc/passwd", "", 200, html, index},
		{"GET", "/%2e%2e/%2e%2e/etc/passwd", "", 200, html, index},
		{"GET", "//app.css", "", 200, "text/css; charset=utf-8", string(ui["app.css"].Data)},
		// The API never falls back to the UI.
		{"GET", "/api/x", "", 404, "application/json", ""},
		{"GET", "/api", "", 404, "application/json", ""},
		{"GET", "/api/", "", 404, "application/json", ""},
		{"HEAD", "/api/nope", "", 404, "application/json", ""},
		{"GET", "/api/instances", "", 200, "application/json", ""},
		// Only GET and HEAD.
		{"DELETE", "/", "", 405, "application/json", ""},
		{"PUT", "/app.css", "", 405, "application/json", ""},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path+" "+tt.accept, func(t *testing.T) {
			rec := uiRequest(h, tt.method, tt.path, map[string]string{"Accept": tt.accept})
			if rec.Code != tt.status || rec.Header().Get("Content-Type") != tt.contentType {
				t.Fatalf("%d %s, want %d %s: %s", rec.Code, rec.Header().Get("Content-Type"), tt.status, tt.contentType, rec.Body)
			}
			if tt.contentType == "application/json" {
				return // the API's answer, or its error envelope (checked by newHandler)
			}
			if diff := cmp.Diff(tt.body, rec.Body.String()); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
			if tt.method == "HEAD" && rec.Header().Get("Content-Length") == "" {
				t.Error("HEAD without Content-Length")
			}
		})
	}
	if rec := uiRequest(h, "DELETE", "/", nil); rec.Header().Get("Allow") != "GET, HEAD" {
		t.Errorf("405 Allow = %q, want GET, HEAD", rec.Header().Get("Allow"))
	}
}

// gunzip returns data decompressed.
func gunzip(t *testing.T, data []byte) string {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func TestUIGzipAndETag(t *testing.T) {
	t.Parallel()
	ui := testUI()
	ui["js/huge.js.map"] = &fstest.MapFile{Data: bytes.Repeat([]byte("{}"), 4<<20+1)} // more than 8 MiB
	h := newEmptyHandler(t, httpapi.WithUI(ui))
	plain := uiRequest(h, "GET", "/js/main.js", nil)
	zipped := uiRequest(h, "GET", "/js/main.js", map[string]string{"Accept-Encoding": "gzip, deflate, br"})
	if plain.Header().Get("Content-Encoding") != "" || plain.Body.String() != string(ui["js/main.js"].Data) {
		t.Errorf("without Accept-Encoding: encoding %q, body %q", plain.Header().Get("Content-Encoding"), plain.Body)
	}
	if zipped.Header().Get("Content-Encoding") != "gzip" {
		t.Fatalf("with Accept-Encoding gzip: encoding %q", zipped.Header().Get("Content-Encoding"))
	}
	if got := gunzip(t, zipped.Body.Bytes()); got != string(ui["js/main.js"].Data) {
		t.Errorf("gunzipped body %q", got)
	}
	if zipped.Body.Len() >= plain.Body.Len() {
		t.Errorf("gzipped %d bytes, plain %d: not smaller", zipped.Body.Len(), plain.Body.Len())
	}
	for _, rec := range []*httptest.ResponseRecorder{plain, zipped} {
		if got := rec.Header().Get("Vary"); got != "Accept-Encoding" {
			t.Errorf("Vary = %q, want Accept-Encoding", got)
		}
		if got := rec.Header().Get("Cache-Control"); got != "no-cache" {
			t.Errorf("Cache-Control = %q, want no-cache", got)
		}
	}
	plainTag, zippedTag := plain.Header().Get("ETag"), zipped.Header().Get("ETag")
	if !strings.HasPrefix(plainTag, `"`) || plainTag == zippedTag || zippedTag == "" {
		t.Fatalf("ETags %q and %q: want two different strong ones", plainTag, zippedTag)
	}
	if again := uiRequest(h, "GET", "/js/main.js", nil).Header().Get("ETag"); again != plainTag {
		t.Errorf("ETag changed between two requests: %q, %q", plainTag, again)
	}
	if other := uiRequest(h, "GET", "/app.css", nil).Header().Get("ETag"); other == plainTag {
		t.Errorf("two files share the ETag %q", other)
	}

	encodings := []struct {
		acceptEncoding string
		gzip           bool
	}{
		{"gzip", true},
		{"GZIP;q=0.5", true},
		{"br;q=1, gzip;q=0.1", true},
		{"*", true},
		{"gzip;q=0", false},
		{"gzip; q=0.000", false},
		{"deflate, br", false},
		{"identity", false},
	}
	for _, e := range encodings {
		rec := uiRequest(h, "GET", "/app.css", map[string]string{"Accept-Encoding": e.acceptEncoding})
		if got := rec.Header().Get("Content-Encoding") == "gzip"; got != e.gzip {
			t.Errorf("Accept-Encoding %q: gzipped %v, want %v", e.acceptEncoding, got, e.gzip)
		}
	}
	for _, name := range []string{"/js/tiny.js", "/logo.png", "/font.woff2", "/js/huge.js.map"} {
		rec := uiRequest(h, "GET", name, map[string]string{"Accept-Encoding": "gzip"})
		if rec.Header().Get("Content-Encoding") != "" || rec.Header().Get("Vary") != "" || rec.Body.String() != string(ui[name[1:]].Data) {
			t.Errorf("%s: encoding %q, Vary %q, body %q; want it as it is", name, rec.Header().Get("Content-Encoding"), rec.Header().Get("Vary"), rec.Body)
		}
	}

	conditional := []struct {
		name    string
		headers map[string]string
		status  int
	}{
		{"plain ETag", map[string]string{"If-None-Match": plainTag}, 304},
		{"gzip ETag, gzip accepted", map[string]string{"If-None-Match": zippedTag, "Accept-Encoding": "gzip"}, 304},
		{"one of several", map[string]string{"If-None-Match": `"other", ` + plainTag}, 304},
		{"any", map[string]string{"If-None-Match": "*"}, 304},
		{"gzip ETag, gzip not accepted", map[string]string{"If-None-Match": zippedTag}, 200},
		{"plain ETag, gzip accepted", map[string]string{"If-None-Match": plainTag, "Accept-Encoding": "gzip"}, 200},
		{"stale", map[string]string{"If-None-Match": `"stale"`}, 200},
	}
	for _, c := range conditional {
		rec := uiRequest(h, "GET", "/js/main.js", c.headers)
		if rec.Code != c.status {
			t.Errorf("%s: status %d, want %d", c.name, rec.Code, c.status)
		}
		if c.status == 304 && rec.Body.Len() != 0 {
			t.Errorf("%s: 304 with a body of %d bytes", c.name, rec.Body.Len())
		}
	}
	// The fallback answers with index.html's own ETag.
	index := uiRequest(h, "GET", "/", nil).Header().Get("ETag")
	if rec := uiRequest(h, "GET", "/i/1/s/x", map[string]string{"If-None-Match": index}); rec.Code != 304 {
		t.Errorf("a page route with index.html's ETag: status %d, want 304", rec.Code)
	}
}

// TestUIFollowsChangedFiles: a folder's file that changes is served anew,
// with a new ETag.
func TestUIFollowsChangedFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(content string, mod time.Time) {
		t.Helper()
		file := filepath.Join(dir, "index.html")
		if err := os.WriteFile(file, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(file, mod, mod); err != nil {
			t.Fatal(err)
		}
	}
	first := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	write(uiIndex, first)
	h := newEmptyHandler(t, httpapi.WithExternalUI(os.DirFS(dir)))
	var tags []string
	for i, step := range []struct {
		content string
		mod     time.Time
	}{
		{uiIndex, first},
		{strings.ToUpper(uiIndex), first.Add(time.Second)}, // same size, later
		{uiIndex + "<p>more</p>", first.Add(time.Second)},  // other size, same time
		{strings.ToUpper(uiIndex) + "<p>more</p>", first},  // other content, earlier
	} {
		write(step.content, step.mod)
		for _, enc := range []string{"", "gzip"} {
			rec := uiRequest(h, "GET", "/", map[string]string{"Accept-Encoding": enc})
			body := rec.Body.String()
			if enc == "gzip" {
				body = gunzip(t, rec.Body.Bytes())
			}
			if rec.Code != 200 || body != step.content {
				t.Errorf("step %d, encoding %q: %d %.40q…, want the file as it is now", i, enc, rec.Code, body)
			}
			tags = append(tags, rec.Header().Get("ETag"))
		}
	}
	seen := map[string]bool{}
	for _, tag := range tags {
		if seen[tag] {
			t.Errorf("ETag %q given to two versions: %v", tag, tags)
		}
		seen[tag] = true
	}
}

func TestUISecurityHeaders(t *testing.T) {
	const strict = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; " +
		"manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
	tests := []struct {
		name string
		opt  httpapi.Option
		want map[string]string
	}{
		{"embedded", httpapi.WithUI(testUI()), map[string]string{
			"Content-Security-Policy": strict, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
			"X-Frame-Options": "DENY", "Cross-Origin-Resource-Policy": "same-origin"}},
		{"external", httpapi.WithExternalUI(testUI()), map[string]string{
			"Content-Security-Policy": "frame-ancestors 'none'", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
			"X-Frame-Options": "DENY", "Cross-Origin-Resource-Policy": "same-origin"}},
	}
	for _, tt := range tests {
		h := newEmptyHandler(t, tt.opt)
		for _, path := range []string{"/", "/js/main.js", "/i/1"} {
			rec := uiRequest(h, "GET", path, nil)
			got := map[string]string{}
			for k := range tt.want {
				got[k] = rec.Header().Get(k)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("%s UI, GET %s: headers (-want +got):\n%s", tt.name, path, diff)
			}
		}
	}
}

// TestUITraversal: no request path reaches a file outside the UI's
// folder, through os.DirFS, and through os.Root also not by a symbolic
// link.
func TestUITraversal(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	dir := filepath.Join(base, "ui")
	const secret = "SECRET-OUTSIDE"
	for name, content := range map[string]string{"ui/index.html": uiIndex, "secret.txt": secret, "ui/sub/a.txt": "a"} {
		os.MkdirAll(filepath.Dir(filepath.Join(base, name)), 0o755)
		if err := os.WriteFile(filepath.Join(base, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("../secret.txt", filepath.Join(dir, "link.txt")); err != nil {
		t.Fatal(err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { root.Close() })
	paths := []string{
		"/../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E/secret.txt", "/..%2fsecret.txt", "/sub/../../secret.txt",
		"/sub/%2e%2e/%2e%2e/secret.txt", "/..%5csecret.txt", "/.%2e/secret.txt", "/%2e./secret.txt", "/sub/..%2f..%2fsecret.txt",
		"/" + base + "/secret.txt", "/%00/../secret.txt",
	}
	for name, fsys := range map[string]fs.FS{"os.DirFS": os.DirFS(dir), "os.Root": root.FS()} {
		h := newEmptyHandler(t, httpapi.WithUI(fsys))
		for _, p := range paths {
			rec := uiRequest(h, "GET", p, nil)
			if strings.Contains(rec.Body.String(), secret) || rec.Code != 404 {
				t.Errorf("%s, GET %s: %d %.60q; want 404", name, p, rec.Code, rec.Body.String())
			}
			rec = uiRequest(h, "GET", p, map[string]string{"Accept": "text/html"})
			if strings.Contains(rec.Body.String(), secret) || rec.Code != 200 || rec.Body.String() != uiIndex {
				t.Errorf("%s, GET %s as a page: %d %.60q; want index.html", name, p, rec.Code, rec.Body.String())
			}
		}
	}
	// os.Root refuses the link out; os.DirFS would follow it.
	h := newEmptyHandler(t, httpapi.WithUI(root.FS()))
	if rec := uiRequest(h, "GET", "/link.txt", nil); strings.Contains(rec.Body.String(), secret) || rec.Code == 200 {
		t.Errorf("os.Root, GET /link.txt: %d %q; want it refused", rec.Code, rec.Body)
	}
}

// TestUICredentials: the embedded UI's files need no credentials (the API
// still does); a UI from elsewhere needs them as the API does, and asks the
// browser for them.
func TestUICredentials(t *testing.T) {
	tests := []struct {
		name      string
		opt       httpapi.Option
		auth      string
		status    int
		challenge bool
	}{
		{"embedded, none", httpapi.WithUI(testUI()), "", 200, false},
		{"external, none", httpapi.WithExternalUI(testUI()), "", 401, true},
		{"external, wrong", httpapi.WithExternalUI(testUI()), basic("", "wrong one"), 401, true},
		{"external, password", httpapi.WithExternalUI(testUI()), basic("", testPassword), 200, false},
	}
	for _, tt := range tests {
		h := newEmptyHandler(t, tt.opt, httpapi.WithPassword(testPassword))
		for _, path := range []string{"/", "/app.css", "/i/1"} {
			rec := uiRequest(h, "GET", path, map[string]string{"Authorization": tt.auth})
			if rec.Code != tt.status || (rec.Header().Get("WWW-Authenticate") != "") != tt.challenge {
				t.Errorf("%s: GET %s: %d, WWW-Authenticate %q; want %d, challenge %v", tt.name, path, rec.Code, rec.Header().Get("WWW-Authenticate"), tt.status, tt.challenge)
			}
		}
		if rec := uiRequest(h, "GET", "/api/instances", nil); rec.Code != 401 {
			t.Errorf("%s: the API without credentials: %d, want 401", tt.name, rec.Code)
		}
	}
}

// TestUIGuards: the Host guard applies to the UI's files as to the API.
func TestUIGuards(t *testing.T) {
	h := newEmptyHandler(t, httpapi.WithUI(testUI()))
	for host, status := range map[string]int{"evil.example": 421, "localhost.evil.example:3000": 421, "localhost:3000": 200, "[::1]:3000": 200} {
		req := httptest.NewRequest("GET", "/", nil)
		req.Host = host
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != status {
			t.Errorf("Host %s: %d, want %d", host, rec.Code, status)
		}
	}
}

// TestUIMountedUnderPrefix: mounted under /portal/, the UI is at /portal/
// and its API at /portal/api/.
func TestUIMountedUnderPrefix(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle("/portal/", http.StripPrefix("/portal", newEmptyHandler(t, httpapi.WithUI(testUI()))))
	tests := []struct {
		path   string
		status int
		body   string // "" to skip
	}{
		{"/portal/", 200, uiIndex},
		{"/portal/app.css", 200, string(testUI()["app.css"].Data)},
		{"/portal/i/1/s/ses_1", 200, uiIndex},
		{"/portal/api/instances", 200, `{"total":0,"instances":[]}` + "\n"},
		{"/portal/api/nope", 404, ""},
		{"/elsewhere", 404, ""},
	}
	for _, tt := range tests {
		rec := uiRequest(mux, "GET", tt.path, nil)
		if rec.Code != tt.status || tt.body != "" && rec.Body.String() != tt.body {
			t.Errorf("GET %s: %d %.60q, want %d %.60q", tt.path, rec.Code, rec.Body, tt.status, tt.body)
		}
	}
}

// TestNoUI: without a UI, / is an unknown route like any other.
func TestNoUI(t *testing.T) {
	h := newEmptyHandler(t)
	for _, path := range []string{"/", "/index.html"} {
		if rec := uiRequest(h, "GET", path, nil); rec.Code != 404 || rec.Header().Get("Content-Type") != "application/json" {
			t.Errorf("GET %s without a UI: %d %s, want the 404 envelope", path, rec.Code, rec.Header().Get("Content-Type"))
		}
	}
	h = newEmptyHandler(t, httpapi.WithUI(fstest.MapFS{"app.css": {Data: []byte("x")}}))
	rec := uiRequest(h, "GET", "/", nil)
	if rec.Code != 404 || !strings.Contains(rec.Body.String(), "no index.html") {
		t.Errorf("GET / of a UI without index.html: %d %s, want 404 saying so", rec.Code, rec.Body)
	}
}
