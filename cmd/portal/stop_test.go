package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencode-portal/portal/internal/fakeopencode"
	"github.com/opencode-portal/portal/internal/registry"
)

// TestStopThroughASymlink starts a folder and stops it by a symlink to it:
// the registry names the folder by its resolved path.
func TestStopThroughASymlink(t *testing.T) {
	exe, err := fakeopencode.Bin()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(fakeopencode.EnvVar, "1")
	reg := filepath.Join(t.TempDir(), "portal.json")
	flags := []string{"--registry", reg, "--opencode", exe}
	dir := t.TempDir()
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(dir, link); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := portalCmd(t, append([]string{"run", dir}, flags...)...); code != 0 {
		t.Fatalf("run: %d %s %s", code, out, errOut)
	}
	code, out, errOut := portalCmd(t, append([]string{"stop", "-d", link}, flags...)...)
	if code != 0 || !strings.Contains(out, "Stopped") {
		t.Errorf("stop -d LINK: %d %s %s", code, out, errOut)
	}
	if f, err := registry.New(reg).Read(); err != nil || len(f.Instances) != 0 {
		t.Errorf("registry after stop: %+v, %v", f, err)
	}
}
