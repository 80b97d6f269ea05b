package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/opencode-portal/portal"
	"github.com/opencode-portal/portal/internal/testwait"
	"github.com/opencode-portal/portal/portaltest"
)

// shared is one real OpenCode for the whole package, driven by a fake
// model: it takes seconds to start, so tests share it. TestMain stops it.
// The tests that use it take turns (takeTurn), so that they may run in
// parallel with the package's other tests and never with each other.
var shared struct {
	once  sync.Once
	model *portaltest.FakeModel
	oc    *portaltest.OpenCode
	err   error

	turn   sync.Mutex // held by the test whose turn it is
	mu     sync.Mutex
	holder string // that test's name

	starting sync.Mutex // held while an OpenCode starts (startOpenCode)
}

// startOpenCode is portaltest.StartOpenCode for the package's tests: one
// OpenCode starts at a time, as a start keeps the CPU busy for seconds and
// the tests that start one run in parallel; each start then gets
// testwait.Limit.
func startOpenCode(opts portaltest.OpenCodeOptions) (*portaltest.OpenCode, error) {
	shared.starting.Lock()
	defer shared.starting.Unlock()
	opts.StartTimeout = testwait.Limit
	return portaltest.StartOpenCode(context.Background(), opts)
}

func TestMain(m *testing.M) {
	code := m.Run()
	if c, err := contractOnce(); err == nil {
		fmt.Print(c.report())
	}
	if shared.oc != nil {
		shared.oc.Close()
	}
	if shared.model != nil {
		shared.model.Close()
	}
	os.Exit(code)
}

// sharedOpenCode returns the package's real OpenCode, starting it on first
// use. Without an opencode binary the test fails under CI and skips elsewhere.
func sharedOpenCode(t testing.TB) *portaltest.OpenCode {
	t.Helper()
	bin := portaltest.RequireOpenCode(t)
	takeTurn(t)
	shared.once.Do(func() {
		shared.model = portaltest.StartFakeModel()
		shared.oc, shared.err = startOpenCode(portaltest.OpenCodeOptions{Bin: bin, ModelURL: shared.model.URL()})
	})
	if shared.err != nil {
		t.Fatalf("starting OpenCode: %v", shared.err)
	}
	return shared.oc
}

// takeTurn waits until no other test uses the shared OpenCode, and keeps
// it for t until t ends. A test whose turn it is already (or whose parent's
// it is) goes on at once. A parallel test takes its turn after calling
// t.Parallel.
func takeTurn(t testing.TB) {
	shared.mu.Lock()
	holder := shared.holder
	shared.mu.Unlock()
	if holder != "" && (t.Name() == holder || strings.HasPrefix(t.Name(), holder+"/")) {
		return
	}
	shared.turn.Lock()
	shared.mu.Lock()
	shared.holder = t.Name()
	shared.mu.Unlock()
	t.Cleanup(func() {
		shared.mu.Lock()
		shared.holder = ""
		shared.mu.Unlock()
		shared.turn.Unlock()
	})
}

// sharedModel returns the fake model of the shared OpenCode, reset: tests
// that prompt use it one after another.
func sharedModel(t testing.TB) *portaltest.FakeModel {
	t.Helper()
	sharedOpenCode(t)
	shared.model.Reset()
	return shared.model
}

// apiServer serves a Portal using a fresh registry in a temporary folder.
type apiServer struct {
	*httptest.Server
	Portal   *portal.Portal
	Registry string
}

func newAPIServer(t testing.TB) *apiServer {
	t.Helper()
	reg := filepath.Join(t.TempDir(), "portal.json")
	p, err := portal.New(portal.Config{RegistryPath: reg})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(newHandler(t, p))
	t.Cleanup(func() { srv.Close(); p.Close() })
	return &apiServer{Server: srv, Portal: p, Registry: reg}
}

// register adds oc to the server's registry.
func (s *apiServer) register(t *testing.T, oc *portaltest.OpenCode) {
	t.Helper()
	if _, err := oc.Register(s.Registry); err != nil {
		t.Fatal(err)
	}
}

// getJSON does a request and decodes the JSON answer into a generic value.
// A body is sent as JSON, as the portal's clients do.
func getJSON(t *testing.T, method, url string, body io.Reader) (int, any) {
	t.Helper()
	req, _ := http.NewRequest(method, url, body)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("%s %s: Content-Type %q, body %s", method, url, ct, data)
	}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("%s %s: invalid JSON %q: %v", method, url, data, err)
	}
	return resp.StatusCode, v
}

// openCodeJSON calls the real OpenCode directly.
func openCodeJSON(t *testing.T, oc *portaltest.OpenCode, path string) any {
	t.Helper()
	req, _ := http.NewRequest("GET", oc.URL+path, nil)
	req.SetBasicAuth("opencode", oc.Password)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v any
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		t.Fatalf("OpenCode %s: %v", path, err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("OpenCode %s: status %d: %v", path, resp.StatusCode, v)
	}
	return v
}

func portURL(s *apiServer, port int, path string) string {
	return fmt.Sprintf("%s/api/opencode/%d/%s", s.URL, port, path)
}
