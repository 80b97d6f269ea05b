package gitrepo

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/opencode-portal/portal/internal/gitrepo/index"
)

// indexFacts is what git's rewrite of an index keeps that ls-files -s
// does not show: the version, the resolve-undo records and whether the
// untracked cache is there.
func indexFacts(tb testing.TB, dir string) map[string]string {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join(dir, ".git", "index"))
	if err != nil {
		tb.Fatal(err)
	}
	untracked := "no untracked cache"
	if bytes.Contains(data[12:], []byte("UNTR")) {
		untracked = "untracked cache"
	}
	return map[string]string{
		"version":      string(rune('0' + data[7])),
		"resolve-undo": runGit(tb, dir, "ls-files", "--resolve-undo"),
		"ls-files":     runGit(tb, dir, "ls-files", "-s"),
		"untracked":    untracked,
	}
}

// TestIndexRewriteKeepsLikeGit does a write with our code in one copy
// and with git in another and compares what git keeps when it rewrites
// the index: version 4, the resolve-undo records of the conflicts a write
// resolves (and their loss on a checkout of another branch), and the
// untracked cache while the entries keep their names.
func TestIndexRewriteKeepsLikeGit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	base := twoBranches(t)
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, dir string)
		ours  func(r *Repo) error
		git   [][]string
	}{
		{"resolve a conflict", func(t *testing.T, dir string) {
			gitFails(t, dir, "merge", "side")
			write(t, dir, "f.txt", "resolved\n")
		}, func(r *Repo) error { return r.Stage(ctx, []string{"f.txt"}) }, [][]string{{"add", "--", "f.txt"}}},
		{"unstage a conflict", func(t *testing.T, dir string) {
			gitFails(t, dir, "merge", "side")
		}, func(r *Repo) error { return r.Unstage(ctx, []string{"f.txt"}) }, [][]string{{"reset", "-q", "--", "f.txt"}}},
		{"checkout another branch after a resolution", func(t *testing.T, dir string) {
			gitFails(t, dir, "merge", "side")
			runGit(t, dir, "add", "f.txt")
			runGit(t, dir, "commit", "-qm", "merged")
		}, func(r *Repo) error { return r.Checkout(ctx, "side", false) }, [][]string{{"switch", "-q", "side"}}},
		{"new branch after a resolution", func(t *testing.T, dir string) {
			gitFails(t, dir, "merge", "side")
			runGit(t, dir, "add", "f.txt")
			runGit(t, dir, "commit", "-qm", "merged")
		}, func(r *Repo) error { return r.Checkout(ctx, "next", true) }, [][]string{{"switch", "-q", "-c", "next"}}},
		{"version 4", func(t *testing.T, dir string) {
			runGit(t, dir, "update-index", "--index-version", "4")
			write(t, dir, "keep.txt", "changed\n")
			write(t, dir, "deep/"+strings.Repeat("long-name/", 20)+"file.txt", "new\n")
		}, func(r *Repo) error { return r.Stage(ctx, []string{"."}) }, [][]string{{"add", "-A"}}},
		{"untracked cache, same entries", func(t *testing.T, dir string) {
			runGit(t, dir, "config", "core.untrackedCache", "true")
			write(t, dir, "keep.txt", "changed\n")
			write(t, dir, "new/untracked.txt", "u\n")
			runGit(t, dir, "status", "--porcelain")
		}, func(r *Repo) error { return r.Stage(ctx, []string{"keep.txt"}) }, [][]string{{"add", "--", "keep.txt"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ours := twinOf(t, base)
			tc.setup(t, ours)
			theirs := twinOf(t, ours)
			if err := tc.ours(openRepo(t, ours)); err != nil {
				t.Fatal(err)
			}
			for _, args := range tc.git {
				runGit(t, theirs, args...)
			}
			if diff := cmp.Diff(indexFacts(t, theirs), indexFacts(t, ours)); diff != "" {
				t.Errorf("index after the write (-git +ours):\n%s", diff)
			}
			if diff := cmp.Diff(leftState(t, theirs), leftState(t, ours)); diff != "" {
				t.Errorf("state (-git +ours):\n%s", diff)
			}
			fsckClean(t, ours)
		})
	}
}

// TestSplitIndexKeepsUntrackedCacheLikeGit stages a change in a split
// index with an untracked cache, with our code in one copy and git in
// another: both keep the cache, since the merged entries keep their names.
// (Our write is unsplit, so the shared index files differ; the split-index
// tests compare the rest.)
func TestSplitIndexKeepsUntrackedCacheLikeGit(t *testing.T) {
	t.Parallel()
	ours := twoBranches(t)
	runGit(t, ours, "config", "core.untrackedCache", "true")
	runGit(t, ours, "config", "core.splitIndex", "true")
	runGit(t, ours, "update-index", "--split-index")
	write(t, ours, "keep.txt", "changed\n")
	write(t, ours, "new/untracked.txt", "u\n")
	runGit(t, ours, "status", "--porcelain")
	theirs := twinOf(t, ours)
	if err := openRepo(t, ours).Stage(context.Background(), []string{"keep.txt"}); err != nil {
		t.Fatal(err)
	}
	runGit(t, theirs, "add", "--", "keep.txt")
	if diff := cmp.Diff(indexFacts(t, theirs), indexFacts(t, ours)); diff != "" {
		t.Errorf("index after the write (-git +ours):\n%s", diff)
	}
	fsckClean(t, ours)
}

// TestCorruptIndexRefusedLikeGit damages one byte of an index: git fsck
// refuses it, and so do reads and writes here, saying what to do.
func TestCorruptIndexRefusedLikeGit(t *testing.T) {
	t.Parallel()
	dir := twinOf(t, twoBranches(t))
	path := filepath.Join(dir, ".git", "index")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0xff
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := gitErr(dir, "fsck", "--no-progress"); err == nil || !strings.Contains(err.Error(), "bad index file sha1 signature") {
		t.Fatalf("git fsck on the damaged index: %v %s", err, out)
	}
	r := openRepo(t, dir)
	_, serr := r.Status(context.Background())
	werr := r.Stage(context.Background(), []string{"keep.txt"})
	for what, err := range map[string]error{"Status": serr, "Stage": werr} {
		if !errors.Is(err, index.ErrCorrupt) || !strings.Contains(err.Error(), "git reset") {
			t.Errorf("%s: %v, want the corrupt-index error saying to run git reset", what, err)
		}
	}
	after, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(after, data) {
		t.Errorf("the refused write changed the index (%v)", err)
	}
}
