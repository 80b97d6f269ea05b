package portal_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	"github.com/opencode-portal/portal"
	"github.com/opencode-portal/portal/httpapi"
	"github.com/opencode-portal/portal/internal/testwait"
)

// passwordOf returns the registered password of the instance with this id.
func passwordOf(t *testing.T, registry, id string) string {
	t.Helper()
	for _, e := range readRegistry(t, registry) {
		if e.ID == id {
			return e.Password
		}
	}
	t.Fatalf("instance %s is not in the registry", id)
	return ""
}

// TestEachStartHasANewPassword restarts an instance by hand and by policy
// and checks that each run got its own password, and that the portal's
// calls follow (the fake OpenCode refuses any other password).
func TestEachStartHasANewPassword(t *testing.T) {
	cfg := fakeConfig(t)
	cfg.Restart, cfg.RestartBackoff = portal.RestartOnFailure, 10*time.Millisecond
	p := portal.NewTestPortal(t, cfg)
	api := httptest.NewServer(httpapi.New(p))
	defer api.Close()
	ctx := context.Background()
	in, err := p.StartInstance(ctx, portal.StartOptions{Directory: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	health := func(when string) {
		t.Helper()
		if status, body := call(t, "GET", api.URL+"/api/opencode/"+itoa(in.Port)+"/health", nil, nil); status != http.StatusOK {
			t.Fatalf("health %s: %d %s", when, status, body)
		}
	}
	seen := map[string]bool{}
	fresh := func(when string) {
		t.Helper()
		pw := passwordOf(t, cfg.RegistryPath, in.ID)
		if len(pw) < 32 || seen[pw] {
			t.Errorf("password %s: %q, seen before: %t", when, pw, seen[pw])
		}
		seen[pw] = true
	}
	fresh("at the start")
	health("at the start")

	if in, err = p.RestartInstance(ctx, in.ID); err != nil {
		t.Fatal(err)
	}
	fresh("after RestartInstance")
	health("after RestartInstance")

	syscall.Kill(-pidOf(t, in), syscall.SIGKILL)
	testwait.Until(t, "the restart by policy", func() bool {
		got, err := p.Instance(ctx, in.ID)
		return err == nil && got.Restarts == 2 && got.State == portal.StateRunning
	})
	fresh("after the restart by policy")
	health("after the restart by policy")
}
