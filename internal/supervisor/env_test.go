package supervisor

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
)

// TestChildDoesNotInheritPortalSettings reads a started child's environment
// from /proc: the portal's own variables are gone, Options.Env and the rest
// of the environment are there.
func TestChildDoesNotInheritPortalSettings(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc/PID/environ")
	}
	t.Setenv("PORTAL_PASSWORD", "portal-secret")
	t.Setenv("PORTAL_REGISTRY", "/tmp/registry.json")
	t.Setenv("PORTAL_TOKEN_FILE", "/tmp/tokens")
	t.Setenv("OPENCODE_BIN", "/usr/bin/opencode")
	t.Setenv("PORTALISH", "kept")
	t.Setenv("HOME_OF_PORTAL_TEST", "kept")
	opts := fakeOptions(t, "PORTAL_EMBEDDER_CHOICE=given")
	p := startFake(t, opts)
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", p.Status().PID))
	if err != nil {
		t.Fatal(err)
	}
	got := make(map[string]string)
	for kv := range strings.SplitSeq(string(raw), "\x00") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			got[k] = v
		}
	}
	want := map[string]string{
		"PORTAL_PASSWORD": "", "PORTAL_REGISTRY": "", "PORTAL_TOKEN_FILE": "", "OPENCODE_BIN": "",
		"PORTALISH": "kept", "HOME_OF_PORTAL_TEST": "kept",
		"PORTAL_EMBEDDER_CHOICE":   "given",
		"OPENCODE_SERVER_PASSWORD": "secret",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("child's %s = %q, want %q", k, got[k], v)
		}
	}
}
