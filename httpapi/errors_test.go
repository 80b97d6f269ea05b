package httpapi_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/opencode-portal/portal"
	"github.com/opencode-portal/portal/httpapi"
	"github.com/opencode-portal/portal/portaltest"
)

// fakeOpenCode is an HTTP server registered as an instance, answering as
// the test needs.
func fakeOpenCode(t *testing.T, s *apiServer, h http.HandlerFunc) int {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	var port int
	fmt.Sscanf(srv.URL[strings.LastIndex(srv.URL, ":")+1:], "%d", &port)
	oc := &portaltest.OpenCode{Port: port, Dir: t.TempDir(), Password: "pw"}
	s.register(t, oc)
	return port
}

func TestErrorPaths(t *testing.T) {
	t.Parallel()
	reg := filepath.Join(t.TempDir(), "portal.json")
	p, err := portal.New(portal.Config{RegistryPath: reg})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(newHandler(t, p, httpapi.WithMaxBodyBytes(64)))
	t.Cleanup(srv.Close)
	// The cases of an OpenCode that never answers go through a second
	// portal on the same registry, with short time limits (a call's and a
	// health probe's); the others keep the default ones, which a loaded
	// machine does not outrun.
	impatient, err := portal.New(portal.Config{RegistryPath: reg, RequestTimeout: 200 * time.Millisecond, ProbeTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { impatient.Close() })
	impatientSrv := httptest.NewServer(newHandler(t, impatient))
	t.Cleanup(impatientSrv.Close)
	s := &apiServer{Server: srv, Portal: p, Registry: reg}

	notFound := fakeOpenCode(t, s, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(404)
		w.Write([]byte(`{"name":"NotFoundError","data":{"message":"Project not found: x"}}`))
	})
	html := fakeOpenCode(t, s, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("<!doctype html>"))
	})
	slow := fakeOpenCode(t, s, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	failing := fakeOpenCode(t, s, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(500)
		w.Write([]byte(`{"name":"UnknownError","data":{"message":"Unexpected server error"}}`))
	})
	// A registered instance whose process is gone: nothing listens there.
	down, _ := portaltest.FreePort()
	s.register(t, &portaltest.OpenCode{Port: down, Dir: t.TempDir()})
	unregistered, _ := portaltest.FreePort()

	type envelope = map[string]any
	tests := []struct {
		name    string
		method  string
		path    string
		status  int
		message string // exact, or a prefix when it ends in "…"
	}{
		{"letters", "GET", "/api/opencode/abc/config", 400, "Invalid port"},
		{"zero", "GET", "/api/opencode/0/config", 400, "Invalid port"},
		{"too big", "GET", "/api/opencode/70000/config", 400, "Invalid port"},
		{"negative", "GET", "/api/opencode/-1/config", 400, "Invalid port"},
		{"exponent", "GET", "/api/opencode/1e3/config", 400, "Invalid port"},
		{"plus sign", "GET", "/api/opencode/+80/config", 400, "Invalid port"},
		{"unregistered", "GET", fmt.Sprintf("/api/opencode/%d/config", unregistered), 404,
			fmt.Sprintf("No registered instance on port %d; …", unregistered)},
		{"opencode down", "GET", fmt.Sprintf("/api/opencode/%d/config", down), 503,
			fmt.Sprintf("The instance on port %d is not running: nothing listens on its port; …", down)},
		{"opencode 404", "GET", fmt.Sprintf("/api/opencode/%d/project/current", notFound), 404, "Project not found: x"},
		{"opencode 500", "GET", fmt.Sprintf("/api/opencode/%d/agents", failing), 502,
			fmt.Sprintf("OpenCode on port %d failed: Unexpected server error; …", failing)},
		{"opencode html", "GET", fmt.Sprintf("/api/opencode/%d/config", html), 502,
			fmt.Sprintf("OpenCode on port %d answered with something other than JSON; …", html)},
		{"opencode slow", "GET", fmt.Sprintf("/api/opencode/%d/providers", slow), 504,
			fmt.Sprintf("OpenCode on port %d did not answer in time; …", slow)},
		{"opencode slow health", "GET", fmt.Sprintf("/api/opencode/%d/health", slow), 504,
			fmt.Sprintf("OpenCode on port %d did not answer in time; …", slow)},
		{"unknown route", "GET", "/api/nope", 404, "No route for GET /api/nope; …"},
		{"wrong method", "DELETE", "/api/instances", 405, "Method DELETE is not allowed on /api/instances; …"},
	}
	// The cases sent through the portal with the short time limit.
	short := map[string]bool{"opencode slow": true, "opencode slow health": true}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := srv.URL
			if short[tt.name] {
				base = impatientSrv.URL
			}
			status, got := getJSON(t, tt.method, base+tt.path, nil)
			env, ok := got.(envelope)
			if !ok {
				t.Fatalf("body is not an object: %v", got)
			}
			msg, _ := env["message"].(string)
			if prefix, cut := strings.CutSuffix(tt.message, "…"); cut && strings.HasPrefix(msg, prefix) {
				env["message"] = tt.message
			}
			want := envelope{
				"statusCode":    float64(tt.status),
				"statusMessage": http.StatusText(tt.status),
				"message":       tt.message,
				"code":          env["code"],
			}
			if status != tt.status {
				t.Errorf("status = %d, want %d", status, tt.status)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("envelope (-want +got):\n%s", diff)
			}
			if env["code"] == "" || env["code"] == nil {
				t.Errorf("envelope has no code: %v", env)
			}
		})
	}
}
