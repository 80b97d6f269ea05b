package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencode-portal/portal/internal/registry"
)

// TestListAll: an entry whose process (or container) is gone is left out
// of portal list and shown, with its runtime, by portal list --all.
func TestListAll(t *testing.T) {
	reg := filepath.Join(t.TempDir(), "portal.json")
	gone := 1 << 30 // above any pid the kernel hands out
	container := strings.Repeat("0", 64)
	t.Setenv("DOCKER_HOST", "unix://"+filepath.Join(t.TempDir(), "no-engine.sock"))
	err := registry.New(reg).Update(context.Background(), func(f *registry.File) error {
		f.Instances = append(f.Instances,
			registry.Entry{ID: "gone1234", Name: "old", Directory: t.TempDir(), OpencodePort: 3100, OpencodePID: &gone},
			registry.Entry{ID: "boxd1234", Name: "boxed", Directory: t.TempDir(), OpencodePort: 3101, InstanceType: "docker", ContainerID: &container})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"list", "--registry", reg}, "No instances."},
		{[]string{"list", "--all", "--registry", reg}, "gone1234  old    3100  stopped  process"},
		{[]string{"list", "--all", "--registry", reg}, "boxd1234  boxed  3101  stopped  docker"},
	}
	for _, tt := range tests {
		code, out, errOut := portalCmd(t, tt.args...)
		if code != 0 || !strings.Contains(out, tt.want) {
			t.Errorf("portal %q: %d %q %s; want %q", tt.args, code, out, errOut, tt.want)
		}
	}
}
