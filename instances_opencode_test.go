package portal_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/opencode-portal/portal"
	"github.com/opencode-portal/portal/httpapi"
	"github.com/opencode-portal/portal/internal/procfs"
	"github.com/opencode-portal/portal/internal/supervisor"
	"github.com/opencode-portal/portal/internal/testwait"
	"github.com/opencode-portal/portal/portaltest"
)

// openCodeConfig returns a Config that starts the real OpenCode, offline,
// with home as its isolated HOME and a fresh registry. Its first port is a
// free one at random below the system's ephemeral range (newOpenCodeConfig).
// Without opencode the test fails under CI and is skipped elsewhere.
func openCodeConfig(t testing.TB, home string) portal.Config {
	t.Helper()
	cfg, err := newOpenCodeConfig(portaltest.RequireOpenCode(t), home, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// newOpenCodeConfig is openCodeConfig for the opencode executable bin, with
// the registry in the folder regDir.
func newOpenCodeConfig(bin, home, regDir string) (portal.Config, error) {
	if err := portaltest.PrepareHome(home); err != nil {
		return portal.Config{}, err
	}
	first, err := firstPort()
	return portal.Config{
		RegistryPath: filepath.Join(regDir, "portal.json"),
		OpenCodeBin:  bin,
		Env:          portaltest.Env(home, portaltest.Config("")),
		FirstPort:    first,
		StartTimeout: 2 * time.Minute, // a loaded 2-core machine
		StopOnClose:  true,
	}, err
}

// firstPort returns a free port below the system's ephemeral range (32768
// and up here), picked at random so that tests running in parallel start
// their instances apart: a port in that range can be taken at any time as
// the local end of some other connection, which a check that a stopped
// instance's port is free would take for the instance still holding it.
func firstPort() (int, error) {
	return supervisor.FreePort("127.0.0.1", 20000+rand.IntN(10000), nil)
}

// call does an HTTP request against the portal's API, body sent as JSON, and
// decodes the JSON answer into out (when not nil); it returns the status and
// the raw body.
func call(t testing.TB, method, url string, body, out any) (int, []byte) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url, r)
	if r != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, url, err, data)
		}
	}
	return resp.StatusCode, data
}

// sessionRoundTrip creates a session through the portal's HTTP API and
// finds it in the session list, proving the instance answers.
func sessionRoundTrip(t testing.TB, api string, port int) {
	t.Helper()
	var created struct{ ID string }
	if status, body := call(t, "POST", api+"/api/opencode/"+itoa(port)+"/session/create", nil, &created); status != 200 || created.ID == "" {
		t.Fatalf("create session: %d %s", status, body)
	}
	var list []struct{ ID string }
	if status, body := call(t, "GET", api+"/api/opencode/"+itoa(port)+"/sessions", nil, &list); status != 200 {
		t.Fatalf("list sessions: %d %s", status, body)
	}
	for _, s := range list {
		if s.ID == created.ID {
			return
		}
	}
	t.Fatalf("session %s not in the list %+v", created.ID, list)
}

// TestInstancesWithOpenCode runs the instance lifecycle against the real
// OpenCode. Its subtests run in parallel, each with its own HOME (OpenCode
// starts no faster in a HOME it used before); the on-failure one checks the
// crash TestInstanceEventsAcrossACrash shares. (An instance started, used
// and stopped through the API, and what a kill -9 leaves under the restart
// policy never: TestPortSquatterGetsNothingWithOpenCode, on the instance
// whose life it follows.)
func TestInstancesWithOpenCode(t *testing.T) {
	crashes.start()
	t.Parallel()
	portaltest.RequireOpenCode(t)

	t.Run("kill -9 is restarted under on-failure", func(t *testing.T) {
		t.Parallel()
		// Started under on-failure and killed with -9: the shared crash
		// (crashbed_test.go).
		c := crashes.wait(t)
		p, cfg, in := c.portal, c.cfg, c.in
		first := pidOf(t, in)
		var err error
		var got portal.Instance
		testwait.Until(t, "the restart", func() bool {
			got, err = p.Instance(context.Background(), in.ID)
			return err == nil && got.State == portal.StateRunning && got.PID != nil && *got.PID != first
		})
		if got.Restarts != 1 || got.LastExit != "signal: killed" || got.Port != in.Port {
			t.Errorf("after the restart: %+v", got)
		}
		if e := readRegistry(t, cfg.RegistryPath)[0]; e.OpencodePID == nil || *e.OpencodePID != *got.PID {
			t.Errorf("registry pid %v, want %d", e.OpencodePID, *got.PID)
		}
		api := httptest.NewServer(httpapi.New(p))
		defer api.Close()
		sessionRoundTrip(t, api.URL, got.Port)
	})

	t.Run("a new portal adopts the instance of a portal killed with -9", func(t *testing.T) {
		t.Parallel()
		cfg := openCodeConfig(t, t.TempDir())
		cfg.StopOnClose = false
		dir := portaltest.NewGitRepo(t)
		holder := startRole(t, "hold", roleConfig{Config: cfg, Dir: dir})
		var held portal.Instance
		if err := json.Unmarshal([]byte(holder.expect(t, "READY", 3*time.Minute)), &held); err != nil {
			t.Fatal(err)
		}
		pid := pidOf(t, held)
		t.Cleanup(func() { supervisor.Terminate(context.Background(), pid, time.Second) })
		holder.cmd.Process.Signal(syscall.SIGKILL)
		holder.cmd.Process.Wait()
		if !procfs.Alive(pid) {
			t.Fatal("OpenCode died with its portal")
		}

		cfg.StopOnClose = true
		p := portal.NewTestPortal(t, cfg)
		got, err := p.Instance(context.Background(), held.ID)
		if err != nil || got.State != portal.StateRunning || pidOf(t, got) != pid || got.Port != held.Port {
			t.Fatalf("adopted instance = %+v, %v", got, err)
		}
		if e := readRegistry(t, cfg.RegistryPath)[0]; e.Owner == "" || strings.HasPrefix(e.Owner, itoa(holder.cmd.Process.Pid)+"-") {
			t.Errorf("entry owner %q: not claimed by the new portal", e.Owner)
		}
		api := httptest.NewServer(httpapi.New(p))
		defer api.Close()
		sessionRoundTrip(t, api.URL, got.Port)
		// Starting the folder again gives the adopted instance.
		again, err := p.StartInstance(context.Background(), portal.StartOptions{Directory: dir})
		if err != nil || again.ID != held.ID {
			t.Errorf("start of the adopted folder = %+v, %v", again, err)
		}
		if err := p.StopInstance(context.Background(), held.ID); err != nil {
			t.Fatal(err)
		}
		testwait.Until(t, "the adopted OpenCode to end", func() bool { return !procfs.Alive(pid) })
		if entries := readRegistry(t, cfg.RegistryPath); len(entries) != 0 {
			t.Errorf("registry after stop = %+v", entries)
		}
	})
}
