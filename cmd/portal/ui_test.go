package main

import (
	"bytes"
	"context"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/opencode-portal/portal"
	"github.com/opencode-portal/portal/httpapi"
	"github.com/opencode-portal/portal/webui"
)

// uiFolder makes a folder holding index.html with content and returns it.
func uiFolder(t *testing.T, content string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "index.html"), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestOpenUI(t *testing.T) {
	builtin := fstest.MapFS{"index.html": {Data: []byte("built in")}}
	good := uiFolder(t, "from a folder")
	empty := t.TempDir()
	indexDir := t.TempDir()
	os.Mkdir(filepath.Join(indexDir, "index.html"), 0o755)
	file := filepath.Join(good, "index.html")
	linkOut := t.TempDir()
	if err := os.Symlink(file, filepath.Join(linkOut, "index.html")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		value   string
		served  string // the body of GET /; "" for no UI
		wantErr string
	}{
		{"default", "", "built in", ""},
		{"none", "none", "", ""},
		{"a folder with index.html", good, "from a folder", ""},
		{"a folder without", empty, "", "--ui " + empty + ": the folder has no index.html"},
		{"index.html a folder", indexDir, "", "the folder has no index.html"},
		{"missing folder", filepath.Join(empty, "nope"), "", "no such file or directory; give the folder of a built web app"},
		{"a file", file, "", "not a directory"},
		{"index.html a link out of the folder", linkOut, "", "cannot read its index.html: statat index.html: path escapes from parent; give a folder"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ui, err := openUI(tt.value, builtin)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want one saying %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer ui.close()
			if got := ui.option != nil; got != (tt.served != "") {
				t.Errorf("serves a UI: %v, want %v", got, tt.served != "")
			}
			if tt.served == "" {
				return
			}
			p, err := portal.New(portal.Config{RegistryPath: filepath.Join(t.TempDir(), "portal.json")})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			rec := httptest.NewRecorder()
			httpapi.New(p, ui.options()...).ServeHTTP(rec, httptest.NewRequest("GET", "http://127.0.0.1:3000/", nil))
			if rec.Code != 200 || rec.Body.String() != tt.served {
				t.Errorf("GET /: %d %q, want 200 %q", rec.Code, rec.Body, tt.served)
			}
		})
	}
}

func TestUIURL(t *testing.T) {
	tests := []struct {
		addr string
		want string
	}{
		{"127.0.0.1:3000", "http://127.0.0.1:3000/"},
		{"0.0.0.0:3000", "http://localhost:3000/"},
		{"[::]:3000", "http://localhost:3000/"},
		{"[::1]:3000", "http://[::1]:3000/"},
		{"192.0.2.1:443", "http://192.0.2.1:443/"},
	}
	ui, err := openUI("", fstest.MapFS{"index.html": {}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		addr, err := net.ResolveTCPAddr("tcp", tt.addr)
		if err != nil {
			t.Fatal(err)
		}
		if got := ui.url("http://", addr); got != tt.want {
			t.Errorf("url on %s = %q, want %q", tt.addr, got, tt.want)
		}
	}
	if got := (webUI{}).url("http://", &net.TCPAddr{}); got != "none" {
		t.Errorf("url without a UI = %q, want none", got)
	}
}

// get returns the status, a header and the body of GET url.
func get(t *testing.T, url, header string) (int, string, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get(header), string(body)
}

func TestServeUI(t *testing.T) {
	t.Setenv("PORTAL_PASSWORD", "")
	index, err := fs.ReadFile(webui.FS(), "index.html")
	if err != nil {
		t.Fatal(err)
	}
	builtin := startServe(t)
	status, csp, body := get(t, "http://"+builtin.addr+"/i/3101", "Content-Security-Policy")
	if status != 200 || body != string(index) || !strings.HasPrefix(csp, "default-src 'none'; script-src 'self';") {
		t.Errorf("default, GET /i/3101: %d %.40q…, CSP %q; want the built-in index.html, under the strict policy", status, body, csp)
	}
	builtin.stop(t)

	dir := uiFolder(t, "<p>another web app</p>")
	s := startServe(t, "--ui", dir)
	status, csp, body = get(t, "http://"+s.addr+"/sessions/1", "Content-Security-Policy")
	if status != 200 || body != "<p>another web app</p>" || csp != "frame-ancestors 'none'" {
		t.Errorf("--ui DIR, GET /sessions/1: %d %q, CSP %q; want the folder's index.html, framing refused", status, body, csp)
	}
	if status, _, _ := get(t, "http://"+s.addr+"/api/nope", ""); status != 404 {
		t.Errorf("--ui DIR, GET /api/nope: %d, want 404", status)
	}
	s.stop(t)
	if want := `"ui":"http://` + s.addr + `/"`; !strings.Contains(s.stderr.String(), want) {
		t.Errorf("the startup log does not give the UI's address (%s):\n%s", want, &s.stderr)
	}

	none := startServe(t, "--ui", "none")
	if status, _, _ := get(t, "http://"+none.addr+"/", ""); status != 404 {
		t.Errorf("--ui none, GET /: %d, want 404", status)
	}
	none.stop(t)
	if !strings.Contains(none.stderr.String(), `"ui":"none"`) {
		t.Errorf("the startup log does not say no UI is served:\n%s", &none.stderr)
	}

	var stderr bytes.Buffer
	code := run(context.Background(), []string{"serve", "--addr", "127.0.0.1:0", "--registry", filepath.Join(t.TempDir(), "portal.json"), "--ui", t.TempDir()}, os.Stdout, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "the folder has no index.html") {
		t.Errorf("--ui of a folder without index.html: exit %d, stderr %q; want a refusal", code, &stderr)
	}
}
