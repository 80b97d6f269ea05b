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
// The tests that use it are subtests of TestSharedOpenCode, which runs them
// one after another, in parallel with the package's other tests.
var shared struct {
	once  sync.Once
	model *portaltest.FakeModel
	oc    *portaltest.OpenCode
	err   error

	starting sync.Mutex // held while an OpenCode starts (startOpenCode)
}

// TestSharedOpenCode runs the tests of the package's shared OpenCode, one
// after another: they may not use it at the same time, and as parallel
// tests of their own, each would hold one of the package's few parallel
// places while it waited for its turn, keeping the package's other tests
// from running.
func TestSharedOpenCode(t *testing.T) {
	// The OpenCode starts at once, while the package's sequential tests run.
	bin := portaltest.RequireOpenCode(t)
	started := make(chan struct{})
	go func() {
		defer close(started)
		startShared(bin)
	}()
	t.Cleanup(func() { <-started })
	t.Parallel()
	for _, tt := range []struct {
		name string
		test func(*testing.T)
	}{
		{"PassThroughMatchesOpenCode", testPassThroughMatchesOpenCode},
		{"InstancesListsTheRegisteredInstance", testInstancesListsTheRegisteredInstance},
		{"SessionRoutes", testSessionRoutes},
		{"GitRoutes", testGitRoutes},
		{"FilesOpenCode", testFilesOpenCode},
		{"EventsShareOneUpstream", testEventsShareOneUpstream},
		{"EventsDuringTurns", testEventsDuringTurns},
	} {
		t.Run(tt.name, tt.test)
	}
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

// startOpenCodeEarly is startOpenCode in the background, for a test to call
// before t.Parallel: the start overlaps the package's sequential tests.
// Then, still in the background, prepare readies OpenCode. The function
// returned waits for both, and fails the test if either failed.
// OpenCode is stopped when the test ends.
func startOpenCodeEarly(t *testing.T, opts portaltest.OpenCodeOptions, prepare func(*portaltest.OpenCode) error) func() *portaltest.OpenCode {
	t.Helper()
	type started struct {
		oc  *portaltest.OpenCode
		err error
	}
	done := make(chan started, 1)
	go func() {
		oc, err := startOpenCode(opts)
		if err != nil {
			err = fmt.Errorf("starting OpenCode: %w", err)
		} else {
			err = prepare(oc)
		}
		done <- started{oc, err}
	}()
	var (
		once sync.Once
		s    started
	)
	wait := func() { once.Do(func() { s = <-done }) }
	t.Cleanup(func() { // also when the test ends before it waited
		wait()
		if s.oc != nil {
			s.oc.Close()
		}
	})
	return func() *portaltest.OpenCode {
		t.Helper()
		wait()
		if s.err != nil {
			t.Fatal(s.err)
		}
		return s.oc
	}
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
// use, to a subtest of TestSharedOpenCode or a benchmark (benchmarks run one
// at a time, after the tests). Without an opencode binary the test fails
// under CI and skips elsewhere.
func sharedOpenCode(t testing.TB) *portaltest.OpenCode {
	t.Helper()
	if _, test := t.(*testing.T); test && !strings.HasPrefix(t.Name(), "TestSharedOpenCode/") {
		t.Fatalf("%s uses the shared OpenCode: make it a subtest of TestSharedOpenCode, which runs them one at a time", t.Name())
	}
	startShared(portaltest.RequireOpenCode(t))
	if shared.err != nil {
		t.Fatalf("starting OpenCode: %v", shared.err)
	}
	return shared.oc
}

// startShared starts the shared OpenCode with bin, unless it started
// already, and returns once it did.
func startShared(bin string) {
	shared.once.Do(func() {
		shared.model = portaltest.StartFakeModel()
		shared.oc, shared.err = startOpenCode(portaltest.OpenCodeOptions{Bin: bin, ModelURL: shared.model.URL()})
	})
}

// sharedModel returns the fake model of the shared OpenCode, reset.
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
