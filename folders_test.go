package portal_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencode-portal/portal"
)

func TestStartRefusesFoldersOutsideTheAllowedOnes(t *testing.T) {
	home, err := os.UserHomeDir()
	if err != nil {
		t.Skip("no home folder")
	}
	links := t.TempDir()
	if err := os.Symlink("/etc", filepath.Join(links, "etc")); err != nil {
		t.Fatal(err)
	}
	allowed := t.TempDir()
	os.Mkdir(filepath.Join(allowed, "app"), 0o700)
	other := t.TempDir()
	if err := os.Symlink(other, filepath.Join(allowed, "escape")); err != nil {
		t.Fatal(err)
	}
	regDir := t.TempDir()
	tests := []struct {
		name  string
		roots []string
		dir   string
		want  string // in the message
	}{
		{"filesystem root", nil, "/", "much more than one project"},
		{"/etc", nil, "/etc", "system folder"},
		{"below /usr", nil, "/usr/bin", "system folder"},
		{"/proc", nil, "/proc", "system folder"},
		{"a symlink to /etc", nil, filepath.Join(links, "etc"), "system folder"},
		{"the home folder", nil, home, ""},
		{"/tmp", nil, "/tmp", "much more than one project"},
		{"the registry's folder", nil, regDir, "holds the instance registry"},
		{"outside the allowed roots", []string{allowed}, other, "outside the folders"},
		{"a symlink out of a root", []string{allowed}, filepath.Join(allowed, "escape"), "outside the folders"},
		{"/etc, though /tmp is allowed", []string{"/tmp"}, "/etc", "outside the folders"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := fakeConfig(t)
			cfg.RegistryPath = filepath.Join(regDir, "portal.json")
			cfg.AllowedRoots = tt.roots
			p := portal.NewTestPortal(t, cfg)
			_, err := p.StartInstance(context.Background(), portal.StartOptions{Directory: tt.dir})
			msg := portal.ErrorMessage(err)
			if portal.ErrorCode(err) != portal.EFORBIDDEN || !strings.Contains(msg, tt.want) {
				t.Errorf("err = %v, want EFORBIDDEN with %q", err, tt.want)
			}
			if tt.want != "holds the instance registry" && !strings.Contains(msg, "--root") {
				t.Errorf("message %q does not say how to allow the folder", msg)
			}
			if entries := readRegistry(t, cfg.RegistryPath); len(entries) != 0 {
				t.Errorf("a refused start wrote the registry: %+v", entries)
			}
		})
	}
}

func TestStartInAllowedRoot(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "app")
	os.Mkdir(dir, 0o700)
	cfg := fakeConfig(t)
	cfg.AllowedRoots = []string{root}
	p := portal.NewTestPortal(t, cfg)
	in, err := p.StartInstance(context.Background(), portal.StartOptions{Directory: dir})
	if err != nil || in.Directory != dir {
		t.Fatalf("StartInstance = %+v, %v; want an instance in %s", in, err, dir)
	}
	if _, err := portal.New(portal.Config{RegistryPath: cfg.RegistryPath, AllowedRoots: []string{"relative"}}); portal.ErrorCode(err) != portal.EINVALID {
		t.Errorf("a relative root: New err = %v, want EINVALID", err)
	}
}

// TestSymlinkGetsTheFoldersInstance starts a folder, then a symlink to it:
// the second start returns the first instance, and the registry keeps the
// resolved path.
func TestSymlinkGetsTheFoldersInstance(t *testing.T) {
	cfg := fakeConfig(t)
	p := portal.NewTestPortal(t, cfg)
	dir := t.TempDir()
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(dir, link); err != nil {
		t.Fatal(err)
	}
	first, err := p.StartInstance(context.Background(), portal.StartOptions{Directory: link})
	if err != nil {
		t.Fatal(err)
	}
	second, err := p.StartInstance(context.Background(), portal.StartOptions{Directory: dir})
	if err != nil {
		t.Fatal(err)
	}
	if second.ID != first.ID || first.Directory != dir {
		t.Errorf("link gave %s in %s, folder gave %s; want one instance in %s", first.ID, first.Directory, second.ID, dir)
	}
	if entries := readRegistry(t, cfg.RegistryPath); len(entries) != 1 || entries[0].Directory != dir {
		t.Errorf("registry = %+v, want one entry for %s", entries, dir)
	}
}

func TestMaxInstances(t *testing.T) {
	cfg := fakeConfig(t)
	cfg.MaxInstances = 2
	p := portal.NewTestPortal(t, cfg)
	ctx := context.Background()
	var ids []string
	for range 2 {
		in, err := p.StartInstance(ctx, portal.StartOptions{Directory: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, in.ID)
	}
	_, err := p.StartInstance(ctx, portal.StartOptions{Directory: t.TempDir()})
	var pe *portal.Error
	if !errors.As(err, &pe) || pe.Code != portal.ECONFLICT || pe.Hint != portal.HintMaxInstances || !strings.Contains(pe.Message, "raise the limit") {
		t.Fatalf("third start: err = %#v, want ECONFLICT advising to raise the limit (HintMaxInstances)", err)
	}
	if err := p.StopInstance(ctx, ids[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := p.StartInstance(ctx, portal.StartOptions{Directory: t.TempDir()}); err != nil {
		t.Errorf("a start after a stop: %v", err)
	}
	if got := p.Config().MaxInstances; got != 2 {
		t.Errorf("Config().MaxInstances = %d", got)
	}
}
