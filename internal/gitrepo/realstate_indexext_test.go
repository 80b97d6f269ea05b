package gitrepo

import (
	"context"
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// appendIndexExtension adds an extension to the index of dir, as a newer
// git would write it.
func appendIndexExtension(t *testing.T, dir, sig string) {
	t.Helper()
	path := filepath.Join(dir, ".git", "index")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data = append(data[:len(data)-20:len(data)-20], sig...)
	data = binary.BigEndian.AppendUint32(data, 2)
	data = append(data, 'x', 'y')
	sum := sha1.Sum(data)
	if err := os.WriteFile(path, append(data, sum[:]...), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestIndexExtensionsLikeGit writes indexes with the optional extensions
// git 2.39 may write (cache-tree, resolve-undo, untracked cache,
// end-of-index), stages with git in one copy and with Stage in another, and
// compares the states; extensions that change how the index is read (a
// sparse index, an unknown lowercase one) are refused as git refuses
// what it does not know.
func TestIndexExtensionsLikeGit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	base := twoBranches(t)
	t.Run("optional extensions", func(t *testing.T) {
		t.Parallel()
		dir := twinOf(t, base)
		runGit(t, dir, "config", "core.untrackedCache", "true")
		runGit(t, dir, "config", "index.recordEndOfIndexEntries", "true")
		runGit(t, dir, "config", "index.recordOffsetTable", "true")
		gitFails(t, dir, "merge", "side")
		write(t, dir, "f.txt", "resolved\n")
		runGit(t, dir, "add", "f.txt") // records resolve-undo (REUC)
		write(t, dir, "keep.txt", "changed\n")
		write(t, dir, "new/untracked.txt", "u\n")
		runGit(t, dir, "status", "--porcelain") // records the untracked cache (UNTR)
		ours, theirs := twinOf(t, dir), twinOf(t, dir)
		if err := openRepo(t, ours).Stage(ctx, []string{"keep.txt"}); err != nil {
			t.Fatal(err)
		}
		runGit(t, theirs, "add", "keep.txt")
		if diff := cmp.Diff(leftState(t, theirs), leftState(t, ours)); diff != "" {
			t.Errorf("state (-git +ours):\n%s", diff)
		}
		fsckClean(t, ours)
	})
	t.Run("sparse index", func(t *testing.T) {
		t.Parallel()
		dir := sparseTwin(t, sparseRepo(t), "set", "--sparse-index", "a")
		if _, err := openRepo(t, dir).Status(ctx); !errors.Is(err, ErrUnsupported) {
			t.Errorf("Status: %v, want ErrUnsupported", err)
		}
		twin := twinOf(t, dir)
		write(t, twin, "a/x", "changed\n")
		if err := openRepo(t, twin).Stage(ctx, []string{"a"}); !errors.Is(err, ErrUnsupported) {
			t.Errorf("Stage: %v, want ErrUnsupported", err)
		}
		if diff := cmp.Diff(runGit(t, dir, "ls-files", "--sparse", "-s", "-t"), runGit(t, twin, "ls-files", "--sparse", "-s", "-t")); diff != "" {
			t.Errorf("a refused write changed the index (-before +after):\n%s", diff)
		}
	})
	t.Run("unknown required extension", func(t *testing.T) {
		t.Parallel()
		dir := twinOf(t, base)
		appendIndexExtension(t, dir, "zzzz")
		if _, err := gitErr(dir, "status"); err == nil {
			t.Error("git status accepted an unknown lowercase extension")
		}
		if _, err := openRepo(t, dir).Status(ctx); !errors.Is(err, ErrUnsupported) {
			t.Errorf("Status: %v, want ErrUnsupported", err)
		}
		// An unknown optional one is skipped by both.
		dir = twinOf(t, base)
		appendIndexExtension(t, dir, "ZZZZ")
		runGit(t, dir, "status")
		if diff := cmp.Diff(sortedRecords(gitPorcelain(t, dir)), sortedRecords(porcelain(statusOf(t, openRepo(t, dir))))); diff != "" {
			t.Errorf("status (-git +ours):\n%s", diff)
		}
	})
}
