package gitrepo

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/opencode-portal/portal/internal/gitrepo/index"
)

// splitRepo builds in root a repository whose index is split (with the
// given index version), with replaced, deleted and added entries in the
// split part and unstaged changes on top. The replaced entries span more
// than 64 consecutive positions, so the bitmaps have run-length words.
// core.splitIndex is set, as a user who wants it kept would.
func splitRepo(tb testing.TB, root string, version int) string {
	tb.Helper()
	requireGit(tb)
	dir := filepath.Join(root, "repo")
	runGit(tb, root, "init", "-q", "-b", "main", dir)
	runGit(tb, dir, "config", "user.name", "Repo User")
	runGit(tb, dir, "config", "user.email", "repo@example.com")
	runGit(tb, dir, "config", "core.splitIndex", "true")
	runGit(tb, dir, "config", "splitIndex.maxPercentChange", "100")
	for i := 0; i < 132; i++ {
		write(tb, dir, fmt.Sprintf("a/f%03d.txt", i), fmt.Sprintf("a %d\n", i))
	}
	for i := 0; i < 12; i++ {
		write(tb, dir, fmt.Sprintf("b/f%03d.txt", i), fmt.Sprintf("b %d\n", i))
	}
	write(tb, dir, "top.txt", "top\n")
	commitAll(tb, dir, "first")
	runGit(tb, dir, "update-index", "--index-version", fmt.Sprint(version))
	runGit(tb, dir, "update-index", "--split-index")
	for i := 0; i < 130; i++ {
		write(tb, dir, fmt.Sprintf("a/f%03d.txt", i), fmt.Sprintf("a %d changed\n", i))
	}
	runGit(tb, dir, "add", "a")
	runGit(tb, dir, "rm", "-q", "--cached", "b/f003.txt")
	runGit(tb, dir, "rm", "-q", "b/f007.txt")
	write(tb, dir, "b/new.txt", "new in b\n")
	write(tb, dir, "n.txt", "new at the top\n")
	runGit(tb, dir, "add", "b/new.txt", "n.txt")
	write(tb, dir, "b/f010.txt", "unstaged change\n")
	write(tb, dir, "a/f002.txt", "unstaged change over a staged one\n")
	return dir
}

// lsFiles renders index entries as `git ls-files -s` does.
func lsFiles(idx *index.Index) string {
	var b strings.Builder
	for _, e := range idx.Entries {
		fmt.Fprintf(&b, "%06o %s %d\t%s\n", e.Mode, e.Hash, e.Stage(), e.Name)
	}
	return b.String()
}

// readSplit reads dir's index and checks that it is split (with entries
// replaced and deleted when changed is set, so that the fixture tests
// what it means to).
func readSplit(tb testing.TB, dir string, changed bool) *index.Index {
	tb.Helper()
	idx, err := index.Read(filepath.Join(dir, ".git", "index"))
	if err != nil {
		tb.Fatalf("index.Read: %v", err)
	}
	if idx.Link == nil {
		tb.Fatalf("the index of %s is not split", dir)
	}
	if changed {
		if deleted, replaced, err := idx.Link.Counts(); err != nil || deleted == 0 || replaced == 0 {
			tb.Fatalf("the split index of %s lacks replaced or deleted entries: %d deleted, %d replaced, %v", dir, deleted, replaced, err)
		}
	}
	return idx
}

// TestSplitIndexReadsMatchGit reads a split index of version 4, whose
// replaced entries have empty prefix-compressed names; the write test
// reads one of version 2.
func TestSplitIndexReadsMatchGit(t *testing.T) {
	t.Parallel()
	dir := splitRepo(t, t.TempDir(), 4)
	if diff := cmp.Diff(runGit(t, dir, "ls-files", "-s"), lsFiles(readSplit(t, dir, true))); diff != "" {
		t.Errorf("index entries differ (-git ls-files -s +ours):\n%s", diff)
	}
	r := openRepo(t, dir)
	if diff := cmp.Diff(sortedRecords(gitPorcelain(t, dir)), sortedRecords(porcelain(statusOf(t, r)))); diff != "" {
		t.Errorf("status differs (-git +ours):\n%s", diff)
	}
	wtCompareDiffs(t, r, dir)
}

// TestSplitIndexWritesMatchGit stages and commits in a split-index
// repository with git in one copy and with our code in another: the
// states are equal, and git, which reads the full index we write, splits
// it again on its next write (core.splitIndex) and still agrees.
func TestSplitIndexWritesMatchGit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	gitDir := splitRepo(t, t.TempDir(), 2)
	ourDir := t.TempDir()
	wtCopy(t, gitDir, ourDir)
	if diff := cmp.Diff(runGit(t, ourDir, "ls-files", "-s"), lsFiles(readSplit(t, ourDir, true))); diff != "" {
		t.Errorf("index entries differ (-git ls-files -s +ours):\n%s", diff)
	}
	runGit(t, gitDir, "add", "-A", "--", "b", "a/f002.txt")
	runGit(t, gitDir, "commit", "-q", "-m", "split")
	r := openRepo(t, ourDir)
	if err := r.Stage(ctx, []string{"b", "a/f002.txt"}); err != nil {
		t.Fatalf("Stage: %v", err)
	}
	if _, err := r.Commit(ctx, "split", nil); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	compare := func(when string) {
		t.Helper()
		want, got := wtStateOf(t, gitDir, "", false), wtStateOf(t, ourDir, "", true)
		// The new commits differ by their time: compare the rest.
		want.Status = strings.Replace(want.Status, headLine(want.Status), "# branch.oid NEW", 1)
		got.Status = strings.Replace(got.Status, headLine(got.Status), "# branch.oid NEW", 1)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("state %s differs (-git +ours):\n%s", when, diff)
		}
	}
	compare("after stage and commit")
	for _, dir := range []string{gitDir, ourDir} {
		write(t, dir, "later.txt", "later\n")
		runGit(t, dir, "add", "later.txt")
	}
	compare("after git's next write")
	if diff := cmp.Diff(runGit(t, ourDir, "ls-files", "-s"), lsFiles(readSplit(t, ourDir, false))); diff != "" {
		t.Errorf("index entries after git split it again differ (-git ls-files -s +ours):\n%s", diff)
	}
	shared, _ := filepath.Glob(filepath.Join(ourDir, ".git", "sharedindex.*"))
	if len(shared) == 0 {
		t.Errorf("no shared index after git's write with core.splitIndex")
	}
	if _, err := os.Stat(filepath.Join(ourDir, ".git", "index.lock")); err == nil {
		t.Errorf("index.lock left behind")
	}
}
