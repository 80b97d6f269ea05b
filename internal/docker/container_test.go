package docker_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/opencode-portal/portal/internal/docker"
	"github.com/opencode-portal/portal/internal/dockertest"
)

// TestContainerMountsFoldersOfAnyName creates containers mounting project
// folders whose paths hold what a "source:target:mode" bind would split or
// misread: each is mounted whole, read-write, at its own path.
func TestContainerMountsFoldersOfAnyName(t *testing.T) {
	c := dockertest.Require(t)
	tag := dockertest.Image(t)
	// Each container waits on the Engine: they are made beside the
	// package's other tests, and each other.
	t.Parallel()
	for _, name := range []string{"plain", "a:b", "x:/etc:ro", "with space, comma", "ro", "=eq"} {
		t.Run(filepath.Base(name), func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), name)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			id, err := c.CreateContainer(ctx, docker.ContainerSpec{Image: tag, Cmd: []string{"--version"}, WorkDir: dir,
				Binds: []docker.Bind{{Source: dir, Target: dir}}, Port: 4096})
			if err != nil {
				t.Fatalf("creating a container mounting %q: %v", dir, err)
			}
			t.Cleanup(func() { c.RemoveContainer(context.Background(), id) })
			got, err := c.BindMounts(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]docker.BindMount{dir: {Source: dir, RW: true}}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("the container's mounts, by path in it (-want +got):\n%s", diff)
			}
		})
	}
}
