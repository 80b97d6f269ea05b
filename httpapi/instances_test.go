package httpapi_test

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/opencode-portal/portal"
	"github.com/opencode-portal/portal/internal/fakeopencode"
	"github.com/opencode-portal/portal/internal/procfs"
)

// init lets the test binary play `opencode serve` for the instance routes'
// tests (see fakeopencode).
func init() { fakeopencode.Main() }

// fakeInstanceServer serves a Portal whose instances run the fake OpenCode.
func fakeInstanceServer(t *testing.T) *httptest.Server {
	t.Helper()
	exe, err := fakeopencode.Bin()
	if err != nil {
		t.Fatal(err)
	}
	p, err := portal.New(portal.Config{
		RegistryPath: filepath.Join(t.TempDir(), "portal.json"),
		OpenCodeBin:  exe,
		Env:          []string{fakeopencode.EnvVar + "=1"},
		FirstPort:    26100,
		StopTimeout:  2 * time.Second,
		StopOnClose:  true,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(newHandler(t, p))
	t.Cleanup(func() { srv.Close(); p.Close() })
	return srv
}

func TestInstanceRoutes(t *testing.T) {
	t.Parallel()
	srv := fakeInstanceServer(t)
	dir := t.TempDir()
	status, got := getJSON(t, "POST", srv.URL+"/api/instances", strings.NewReader(`{"directory":"`+dir+`","name":"web"}`))
	if status != http.StatusCreated {
		t.Fatalf("POST: %d %v", status, got)
	}
	in := got.(map[string]any)
	id, port, pid := in["id"].(string), in["port"].(float64), in["opencodePid"].(float64)
	for k, want := range map[string]any{"name": "web", "directory": dir, "state": "running", "restarts": float64(0),
		"hostname": "127.0.0.1", "instanceType": "process", "webPid": nil, "containerId": nil} {
		if diff := cmp.Diff(want, in[k]); diff != "" {
			t.Errorf("%s (-want +got):\n%s", k, diff)
		}
	}

	for _, key := range []string{id, strconv.Itoa(int(port))} {
		if status, got := getJSON(t, "GET", srv.URL+"/api/instances/"+key, nil); status != 200 || got.(map[string]any)["id"] != id {
			t.Errorf("GET /api/instances/%s: %d %v", key, status, got)
		}
	}
	status, got = getJSON(t, "GET", srv.URL+"/api/instances/"+id+"/logs?tail=1", nil)
	if lines, _ := got.(map[string]any)["lines"].([]any); status != 200 || len(lines) != 1 || !strings.Contains(lines[0].(string), "listening on") {
		t.Errorf("logs: %d %v", status, got)
	}

	status, got = getJSON(t, "POST", srv.URL+"/api/instances/"+id+"/restart", nil)
	if status != 200 || got.(map[string]any)["restarts"] != float64(1) || got.(map[string]any)["opencodePid"] == pid ||
		got.(map[string]any)["lastExit"] != "exit status 0" {
		t.Errorf("restart: %d %v", status, got)
	}

	req, _ := http.NewRequest("DELETE", srv.URL+"/api/instances/"+id, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("DELETE: %v %v", resp, err)
	}
	resp.Body.Close()
	if procfs.Alive(int(pid)) {
		t.Errorf("pid %v alive after DELETE", pid)
	}
	if status, got := getJSON(t, "GET", srv.URL+"/api/instances", nil); status != 200 || got.(map[string]any)["total"] != float64(0) {
		t.Errorf("list after DELETE: %d %v", status, got)
	}
}

func TestInstanceRouteErrors(t *testing.T) {
	srv := fakeInstanceServer(t)
	dir := t.TempDir()
	status, got := getJSON(t, "POST", srv.URL+"/api/instances", strings.NewReader(`{"directory":"`+dir+`"}`))
	if status != http.StatusCreated {
		t.Fatalf("POST: %d %v", status, got)
	}
	taken := strconv.Itoa(int(got.(map[string]any)["port"].(float64)))
	tests := []struct {
		name, method, path, body string
		status                   int
		message                  string
	}{
		{"no directory", "POST", "/api/instances", `{}`, 400, "Directory required: give the absolute path of a project folder"},
		{"relative directory", "POST", "/api/instances", `{"directory":"app"}`, 400, `Directory "app" is not an absolute path`},
		{"missing directory", "POST", "/api/instances", `{"directory":"/nonexistent/x"}`, 400, "Directory /nonexistent/x does not exist"},
		{"port of the wrong type", "POST", "/api/instances", `{"directory":"/tmp","port":"80"}`, 400, `Invalid body: field "port" must be a number, not string`},
		{"system folder", "POST", "/api/instances", `{"directory":"/etc"}`, 403, "allow it with Config.AllowedRoots (portal serve --root DIR)"},
		{"filesystem root", "POST", "/api/instances", `{"directory":"/"}`, 403, "Folder / holds much more than one project"},
		{"unknown runtime", "POST", "/api/instances", `{"directory":"` + t.TempDir() + `","runtime":"lxc"}`, 400, `Invalid runtime "lxc": use "process" or "docker"`},
		{"limits of a process", "POST", "/api/instances", `{"directory":"` + t.TempDir() + `","cpus":1}`, 400, `cpus, memory and image apply to docker instances only`},
		{"negative cpus", "POST", "/api/instances", `{"directory":"` + t.TempDir() + `","runtime":"docker","cpus":-1}`, 400, "Invalid cpus -1: give a number of CPUs from 0.01 to"},
		{"too many cpus", "POST", "/api/instances", `{"directory":"` + t.TempDir() + `","runtime":"docker","cpus":100000}`, 400, "Invalid cpus 100000"},
		{"memory without a size", "POST", "/api/instances", `{"directory":"` + t.TempDir() + `","runtime":"docker","memory":"lots"}`, 400, `Invalid memory "lots": give a size such as 512m or 2g`},
		{"memory too small", "POST", "/api/instances", `{"directory":"` + t.TempDir() + `","runtime":"docker","memory":"1k"}`, 400, "Invalid memory 1024 bytes: give at least 6m"},
		{"memory as a number", "POST", "/api/instances", `{"directory":"` + t.TempDir() + `","runtime":"docker","memory":512}`, 400, `Invalid body: field "memory" must be a string, not number`},
		{"busy port", "POST", "/api/instances", `{"directory":"` + t.TempDir() + `","port":` + taken + `}`, 409, "is already used by instance"},
		{"unknown id", "GET", "/api/instances/nope1234", "", 404, `No instance "nope1234"; list instances (GET /api/instances)`},
		{"unknown port", "DELETE", "/api/instances/1", "", 404, `No instance "1"; list instances (GET /api/instances)`},
		{"unknown restart", "POST", "/api/instances/nope1234/restart", "", 404, `No instance "nope1234"; list instances (GET /api/instances)`},
		{"bad tail", "GET", "/api/instances/1/logs?tail=abc", "", 400, `Invalid tail "abc": give a number of lines from 1 to 10000`},
		{"tail too big", "GET", "/api/instances/1/logs?tail=10001", "", 400, `Invalid tail "10001": give a number of lines from 1 to 10000`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, got := getJSON(t, tt.method, srv.URL+tt.path, strings.NewReader(tt.body))
			msg, _ := got.(map[string]any)["message"].(string)
			if status != tt.status || !strings.Contains(msg, tt.message) {
				t.Errorf("%d %q, want %d with %q", status, msg, tt.status, tt.message)
			}
		})
	}
}
