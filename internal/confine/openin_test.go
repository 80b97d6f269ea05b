package confine

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestOpenIn checks a Root opened on a subfolder of a worktree: paths are
// relative to the subfolder and nothing above it is reached, while git's
// ignore files are read from the worktree down, as git does.
func TestOpenIn(t *testing.T) {
	top, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	writeFiles(t, top, map[string]string{
		".gitignore": "*.log\n", ".git/info/exclude": "local.txt\n", "apps/.gitignore": "dist/\n",
		"apps/web/.gitignore": "tmp/\n", "apps/web/a.log": "", "apps/web/local.txt": "", "apps/web/keep.txt": "",
		"apps/web/dist/x": "", "apps/web/tmp/y": "", "apps/web/src/z.log": "", "lib/util.ts": "util\n",
	})
	if err := os.Symlink("../../lib", filepath.Join(top, "apps/web/shared")); err != nil {
		t.Fatal(err)
	}
	web := filepath.Join(top, "apps", "web")
	root, err := OpenIn(web, top)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	ctx := context.Background()
	ignored := map[string]bool{}
	for _, folder := range []string{"", "src"} {
		entries, err := root.List(ctx, folder)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			ignored[e.Path] = e.Ignored
		}
	}
	want := map[string]bool{".gitignore": false, "a.log": true, "local.txt": true, "keep.txt": false,
		"dist": true, "tmp": true, "src": false, "src/z.log": true, "shared": false}
	if diff := cmp.Diff(want, ignored); diff != "" {
		t.Errorf("ignored (-want +got):\n%s", diff)
	}
	for _, name := range []string{"..", "../../lib/util.ts", "src/../../x", "shared/util.ts"} {
		if _, err := root.Read(ctx, name, 1<<20); !errors.Is(err, ErrOutside) {
			t.Errorf("Read(%q) = %v, want ErrOutside", name, err)
		}
	}

	// Opened on the worktree itself, the Root is that of Open.
	whole, err := OpenIn(top, top)
	if err != nil {
		t.Fatal(err)
	}
	defer whole.Close()
	if f, err := whole.Read(ctx, "lib/util.ts", 1<<20); err != nil || string(f.Data) != "util\n" {
		t.Errorf("Read(lib/util.ts) from the worktree = %v, %v", f, err)
	}

	if r, err := OpenIn(top, web); err == nil {
		r.Close()
		t.Error("OpenIn accepted a folder above the worktree")
	}
}
