package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencode-portal/portal/internal/fakeopencode"
	"github.com/opencode-portal/portal/internal/registry"
)

func TestDockerFlagsRefused(t *testing.T) {
	exe, err := fakeopencode.Bin()
	if err != nil {
		t.Fatal(err)
	}
	reg := filepath.Join(t.TempDir(), "portal.json")
	flags := []string{"--registry", reg, "--opencode", exe}
	tests := []struct {
		name string
		args []string
		want string // in stderr
	}{
		{"run: memory without a size", []string{"run", t.TempDir(), "--docker", "--memory", "lots"}, `Invalid memory "lots"`},
		{"run: limits of a process", []string{"run", t.TempDir(), "--cpus", "1"}, "apply to docker instances only"},
		{"run: no Engine", []string{"run", t.TempDir(), "--docker"}, "does not answer: start dockerd or set DOCKER_HOST"},
		{"serve: runtime", []string{"serve", "--addr", "127.0.0.1:0", "--runtime", "lxc"}, `Invalid default runtime "lxc"`},
		{"serve: memory", []string{"serve", "--addr", "127.0.0.1:0", "--docker-memory", "1k"}, "Invalid memory 1024 bytes"},
	}
	t.Setenv("DOCKER_HOST", "unix://"+filepath.Join(t.TempDir(), "no-engine.sock"))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append(tt.args, flags...)
			code, out, errOut := portalCmd(t, args...)
			if code != 1 || !strings.Contains(errOut, tt.want) {
				t.Errorf("portal %q: %d %s %s; want exit 1 with %q", args, code, out, errOut, tt.want)
			}
		})
	}
	if f, err := registry.New(reg).Read(); err != nil || len(f.Instances) != 0 {
		t.Errorf("refused runs wrote the registry: %+v, %v", f, err)
	}
}
