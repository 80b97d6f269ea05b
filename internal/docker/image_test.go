package docker_test

import (
	"context"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/opencode-portal/portal/internal/docker"
	"github.com/opencode-portal/portal/internal/dockertest"
	"github.com/opencode-portal/portal/portaltest"
)

// The image runs OpenCode and the programs it calls offline (no network
// at all), as a user it has no entry for, as the docker runner does.
func TestImageRunsOffline(t *testing.T) {
	c := dockertest.Require(t)
	tag := dockertest.Image(t)
	// The containers' runs wait on the Engine: they run beside the
	// package's other tests, and each other.
	t.Parallel()
	type run struct {
		name       string
		entry, cmd []string // entry nil for the image's entrypoint, opencode
		want       string   // what its output starts with
	}
	tests := []run{
		{"opencode", nil, []string{"--version"}, portaltest.OpenCodeVersion + "\n"},
		{"sh", []string{"/bin/sh", "-c"}, []string{"echo $((6*7)) >/tmp/n && cat /tmp/n ~/.config/opencode/package-lock.json"},
			"42\n" + `{"packages":{"":{"dependencies":{"@opencode-ai/plugin":"` + portaltest.OpenCodeVersion + `"}}}}`},
		{"git", []string{"git"}, []string{"--version"}, "git version "},
		{"git snapshot", []string{"/bin/sh", "-c"}, []string{snapshot}, hostSnapshot(t)},
		{"bash", []string{"bash", "-c"}, []string{`[[ a == a ]] && ls -d /tmp`}, "/tmp\n"},
	}
	if _, err := exec.LookPath("rg"); err == nil {
		// OpenCode's grep and glob tools: shipped when the host has it.
		tests = append(tests, run{"ripgrep", []string{"/bin/sh", "-c"}, []string{"echo needle >/tmp/hay && rg -l needle /tmp"}, "/tmp/hay\n"})
	} else if os.Getenv("CI") != "" {
		t.Error("the host has no rg, so the image has no ripgrep for OpenCode's grep and glob tools: scripts/ensure-docker installs Debian's ripgrep")
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out, errOut, status, err := c.Run(context.Background(), docker.RunOptions{
				Image: tag, Entry: tt.entry, Cmd: tt.cmd, User: "12345:12345", Network: "none"})
			if err != nil {
				t.Fatal(err)
			}
			if status != 0 || !strings.HasPrefix(out, tt.want) {
				t.Errorf("%v %v: status %d, output %q (stderr %q), want it to start with %q", tt.entry, tt.cmd, status, out, errOut, tt.want)
			}
		})
	}
}

// snapshot records a file in a new git repository as OpenCode's
// snapshots do, and prints the tree's hash.
const snapshot = "cd /tmp && git init -q p && cd p && echo x >f && git add f && git write-tree"

// hostSnapshot is what snapshot prints on the host.
func hostSnapshot(t *testing.T) string {
	cmd := exec.Command("/bin/sh", "-c", strings.Replace(snapshot, "/tmp", t.TempDir(), 1))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s on the host: %v", snapshot, err)
	}
	return string(out)
}

// A second build of the same OpenCode reuses the image the first made.
func TestBuildImageReusesItsImage(t *testing.T) {
	c := dockertest.Require(t)
	dockertest.Image(t)
	t.Parallel()
	img, err := c.BuildImage(context.Background(), docker.BuildOptions{OpenCode: portaltest.RequireOpenCode(t)})
	if err != nil {
		t.Fatal(err)
	}
	if !img.Reused || img.ID == "" || img.Tag != docker.ImageRepository+":"+portaltest.OpenCodeVersion || img.Version != portaltest.OpenCodeVersion {
		t.Errorf("second build: %+v, want the image of the first, reused, tagged %s:%s", img, docker.ImageRepository, portaltest.OpenCodeVersion)
	}
	for _, p := range []string{"sh", "bash", "git"} {
		if !slices.Contains(img.Programs, p) {
			t.Errorf("the image's programs %v lack %s", img.Programs, p)
		}
	}
	t.Logf("image %s: %d MB, content %s, programs %v", img.Tag, img.Size>>20, img.Content, img.Programs)
}
