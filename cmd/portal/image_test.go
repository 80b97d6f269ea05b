package main

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/opencode-portal/portal/internal/docker"
	"github.com/opencode-portal/portal/internal/dockertest"
	"github.com/opencode-portal/portal/portaltest"
)

// portal image build prints the tag and ID of the image it built, or
// found up to date. Checking an image reads every file of it (seconds of
// CPU), so the image is checked once: by the command, which builds it if
// the Engine lacks it, and then finds it up to date when run again.
func TestImageBuild(t *testing.T) {
	dockertest.Require(t)
	bin := portaltest.RequireOpenCode(t)
	tag := docker.ImageRepository + ":" + portaltest.OpenCodeVersion
	build := func() string {
		t.Helper()
		code, out, errOut := portalCmd(t, "image", "build", "--opencode", bin)
		if code != 0 || !regexp.MustCompile(`^`+regexp.QuoteMeta(tag)+` sha256:[0-9a-f]{64}\n$`).MatchString(out) {
			t.Fatalf("image build: exit %d, stdout %q, stderr %q; want the tag and the ID", code, out, errOut)
		}
		return errOut
	}
	errOut := build()
	if strings.Contains(errOut, "Built image "+tag) {
		errOut = build() // the Engine lacked it
	}
	if !strings.Contains(errOut, "Image "+tag+" is up to date") || !strings.Contains(errOut, "OpenCode "+portaltest.OpenCodeVersion+" with sh, bash, git") {
		t.Errorf("image build stderr %q: want what the image holds, up to date", errOut)
	}
}

func TestImageBuildErrors(t *testing.T) {
	dead := "unix://" + filepath.Join(t.TempDir(), "docker.sock")
	tests := []struct {
		args    []string
		env     string // DOCKER_HOST
		wantErr string
	}{
		{[]string{"image"}, "", "say what to do: image build"},
		{[]string{"image", "pull"}, "", "say what to do: image build"},
		{[]string{"image", "build", "extra"}, "", `unexpected arguments ["extra"]`},
		{[]string{"image", "build", "--size", "1"}, "", "flag provided but not defined: -size"},
		{[]string{"image", "build"}, dead, "The Docker Engine at " + dead + " does not answer: start dockerd or set DOCKER_HOST"},
	}
	for _, tt := range tests {
		if tt.env != "" {
			t.Setenv("DOCKER_HOST", tt.env)
		}
		code, out, errOut := portalCmd(t, tt.args...)
		if code != 1 || out != "" || !strings.Contains(errOut, tt.wantErr) {
			t.Errorf("portal %q: exit %d, stdout %q, stderr %q; want exit 1 and %q", tt.args, code, out, errOut, tt.wantErr)
		}
	}
}

// An opencode that is not one is refused before anything is sent to the
// engine.
func TestImageBuildNeedsOpenCode(t *testing.T) {
	dockertest.Require(t)
	code, _, errOut := portalCmd(t, "image", "build", "--opencode", filepath.Join(t.TempDir(), "opencode"))
	if code != 1 || !strings.Contains(errOut, "OpenCode was not found at") || !strings.Contains(errOut, "npm install opencode-ai") {
		t.Errorf("image build of a missing opencode: exit %d, stderr %q", code, errOut)
	}
}
