package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/opencode-portal/portal"
	"github.com/opencode-portal/portal/internal/fakeopencode"
	"github.com/opencode-portal/portal/internal/registry"
)

func TestRunKeepsToTheRoots(t *testing.T) {
	exe, err := fakeopencode.Bin()
	if err != nil {
		t.Fatal(err)
	}
	reg := filepath.Join(t.TempDir(), "portal.json")
	root := t.TempDir()
	flags := []string{"--registry", reg, "--opencode", exe, "--root", root}
	tests := []struct {
		name string
		args []string
		want string // in stderr
	}{
		{"outside the root", []string{"run", t.TempDir()}, "outside the folders instances may use (" + root + ")"},
		{"a system folder without roots", []string{"run", "/etc", "--registry", reg, "--opencode", exe}, "system folder"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := tt.args
			if !strings.Contains(tt.name, "without roots") {
				args = append(args, flags...)
			}
			code, out, errOut := portalCmd(t, args...)
			if code != 1 || !strings.Contains(errOut, tt.want) || !strings.Contains(errOut, "--root") {
				t.Errorf("portal %q: %d %s %s; want exit 1 with %q", args, code, out, errOut, tt.want)
			}
		})
	}
	if f, err := registry.New(reg).Read(); err != nil || len(f.Instances) != 0 {
		t.Errorf("refused runs wrote the registry: %+v, %v", f, err)
	}
}

func TestStartFlagsConfig(t *testing.T) {
	fs, pf := newFlagSet("serve", nil)
	pf.startFlags(fs)
	if err := fs.Parse([]string{"--root", "/srv/a", "--root", "rel", "--max-instances", "3"}); err != nil {
		t.Fatal(err)
	}
	cfg := pf.config()
	wd, _ := os.Getwd()
	if diff := cmp.Diff([]string{"/srv/a", filepath.Join(wd, "rel")}, cfg.AllowedRoots); diff != "" || cfg.MaxInstances != 3 {
		t.Errorf("AllowedRoots (-want +got):\n%s\nMaxInstances = %d, want 3", diff, cfg.MaxInstances)
	}
	fs, pf = newFlagSet("run", nil)
	pf.startFlags(fs)
	fs.Parse(nil)
	if got := pf.config().MaxInstances; got != portal.DefaultMaxInstances {
		t.Errorf("default --max-instances = %d, want %d", got, portal.DefaultMaxInstances)
	}
}
