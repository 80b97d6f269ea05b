package main

import (
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/opencode-portal/portal"
	"github.com/opencode-portal/portal/webui"
)

func TestMountedUnderPrefix(t *testing.T) {
	p, err := portal.New(portal.Config{RegistryPath: filepath.Join(t.TempDir(), "portal.json")})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	index, err := fs.ReadFile(webui.FS(), "index.html")
	if err != nil {
		t.Fatal(err)
	}
	mainJS, err := fs.ReadFile(webui.FS(), "js/main.js")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(newMux(p, webui.FS()))
	defer srv.Close()

	tests := []struct {
		path   string
		status int
		want   string
	}{
		{"/hello", 200, "hello from the host program\n"},
		{"/portal/", 200, string(index)},
		{"/portal/js/main.js", 200, string(mainJS)},
		{"/portal/i/3101", 200, string(index)},
		{"/portal/api/instances", 200, `{"instances":[],"total":0}`},
		{"/portal/api/nope", 404, `{"code":"ENOTFOUND","message":"No route for GET /api/nope; see the API table in the README","statusCode":404,"statusMessage":"Not Found"}`},
		{"/portal/api/opencode/abc/config", 400, `{"code":"EINVALID","message":"Invalid port","statusCode":400,"statusMessage":"Bad Request"}`},
	}
	for _, tt := range tests {
		resp, err := http.Get(srv.URL + tt.path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.status {
			t.Errorf("GET %s: status %d, want %d", tt.path, resp.StatusCode, tt.status)
		}
		if got := normalize(body); got != tt.want {
			t.Errorf("GET %s:\n%s", tt.path, cmp.Diff(tt.want, got))
		}
	}
}

// normalize re-encodes JSON with sorted keys, and leaves other text alone.
func normalize(body []byte) string {
	var v any
	if json.Unmarshal(body, &v) != nil {
		return string(body)
	}
	out, _ := json.Marshal(v)
	return string(out)
}
