package gitrepo

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestDiffSeesRacilyCleanChange builds a change git can see only by its
// racy-entry rule: the file was rewritten with the same size and
// modification time, in the second the index was written. Diff, and
// DiffCLI with its scratch copy of the index, must show it as git does.
func TestDiffSeesRacilyCleanChange(t *testing.T) {
	t.Parallel()
	dir := initRepo(t)
	// Without ctime, the file's stat data cannot tell the rewrite apart.
	runGit(t, dir, "config", "core.trustctime", "false")
	then := time.Now().Add(-time.Hour).Truncate(time.Second)
	touch := func(path string) {
		t.Helper()
		if err := os.Chtimes(filepath.Join(dir, path), then, then); err != nil {
			t.Fatal(err)
		}
	}
	write(t, dir, "f.txt", "one\n")
	touch("f.txt")
	commitAll(t, dir, "one")
	write(t, dir, "f.txt", "two\n")
	touch("f.txt")
	touch(".git/index")

	r := openRepo(t, dir)
	ctx := context.Background()
	cli, err := r.DiffCLI(ctx, DiffOptions{})
	if err != nil {
		t.Fatalf("DiffCLI: %v", err)
	}
	inProcess, err := r.Diff(ctx, DiffOptions{})
	if err != nil {
		t.Fatalf("Diff: %v", err)
	}
	want := runGit(t, dir, "diff", "HEAD")
	if want == "" {
		t.Fatal("git diff HEAD shows no change: the racy set-up did not hold")
	}
	if d := cmp.Diff(want, cli); d != "" {
		t.Errorf("DiffCLI differs from git diff HEAD (-git +ours):\n%s", d)
	}
	if d := cmp.Diff(want, inProcess); d != "" {
		t.Errorf("Diff differs from git diff HEAD (-git +ours):\n%s", d)
	}
}
