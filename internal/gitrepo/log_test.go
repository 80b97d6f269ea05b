package gitrepo

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// historyRepo builds a history with a branch, a merge, multi-line messages
// and files touched on both sides.
func historyRepo(t *testing.T) string {
	dir := initRepo(t)
	date := func(i int) string { return fmt.Sprintf("2026-01-%02dT10:00:00Z", i) }
	write(t, dir, "a.txt", "a1\n")
	write(t, dir, "dir/b.txt", "b1\n")
	commitAt(t, dir, "first\n\nbody of first", date(1))
	write(t, dir, "a.txt", "a2\n")
	commitAt(t, dir, "second subject\ncontinued subject\n\nbody line 1\nbody line 2", date(2))
	runGit(t, dir, "checkout", "-q", "-b", "feature")
	write(t, dir, "dir/b.txt", "b2\n")
	commitAt(t, dir, "feature change", date(3))
	write(t, dir, "dir/c.txt", "c1\n")
	commitAt(t, dir, "feature add c", date(5))
	runGit(t, dir, "checkout", "-q", "main")
	write(t, dir, "a.txt", "a3\n")
	commitAt(t, dir, "main change", date(4))
	if out, err := gitEnvErr(dir, []string{"GIT_AUTHOR_DATE=" + date(6), "GIT_COMMITTER_DATE=" + date(6)},
		"merge", "-q", "--no-ff", "-m", "merge feature", "feature"); err != nil {
		t.Fatalf("merge: %v %s", err, out)
	}
	write(t, dir, "dir/b.txt", "b3\n")
	commitAt(t, dir, "after merge", date(7))
	runGit(t, dir, "tag", "v1", "HEAD~1")
	return dir
}

func TestLogMatchesGit(t *testing.T) {
	t.Parallel()
	history := historyRepo(t)
	for _, opts := range []LogOptions{
		{},
		{Limit: 3},
		{Ref: "feature"},
		{Ref: "v1"},
		{Ref: "HEAD~2"},
		{Path: "a.txt"},
		{Path: "dir"},
		{Path: "dir/b.txt", Limit: 2},
		{Path: "missing.txt"},
		{Path: "a.txt/x"},
	} {
		t.Run(fmt.Sprintf("history %+v", opts), func(t *testing.T) { compareLog(t, history, opts) })
	}
	// Without the generator only these are skipped, not the cases above.
	t.Run("mkrepo", func(t *testing.T) {
		mk := filepath.Join(t.TempDir(), "mk")
		mkrepo(t, mk, "--files", "200", "--commits", "30", "--modified", "3", "--deleted", "1", "--untracked", "1")
		for _, opts := range []LogOptions{{Limit: 100}, {Limit: 10, Path: "src/mod00"}} {
			t.Run(fmt.Sprintf("%+v", opts), func(t *testing.T) { compareLog(t, mk, opts) })
		}
	})
}

func TestLogErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	empty := openRepo(t, initRepo(t))
	if _, err := empty.Log(ctx, LogOptions{}); !errors.Is(err, ErrNoCommits) {
		t.Errorf("Log of an empty repository: err = %v, want ErrNoCommits", err)
	}
	r := openRepo(t, base(t))
	for _, ref := range []string{"nope", "main~9"} {
		if _, err := r.Log(ctx, LogOptions{Ref: ref}); !errors.Is(err, ErrBranchNotFound) {
			t.Errorf("Log(ref %q): err = %v, want ErrBranchNotFound", ref, err)
		}
	}
	if _, err := r.Log(ctx, LogOptions{Ref: "--all"}); !errors.Is(err, ErrInvalidRevision) {
		t.Errorf("Log(ref --all): err = %v, want ErrInvalidRevision", err)
	}
	if _, err := r.Log(ctx, LogOptions{Path: "../x"}); !errors.Is(err, ErrPathOutside) {
		t.Errorf("Log(path ../x): err = %v, want ErrPathOutside", err)
	}
}

func TestBranchesMatchGit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, sc := range scenarios() {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			dir := sharedRepo(t, "scenario "+sc.name, sc.build)
			if !sc.noCommits {
				runGit(t, dir, "branch", "-q", "extra")
			}
			got, err := openRepo(t, dir).Branches(ctx)
			if err != nil {
				t.Fatal(err)
			}
			out := runGit(t, dir, "for-each-ref", "--format=%(refname)|%(objectname)|%(upstream:short)|%(symref)",
				"refs/heads", "refs/remotes")
			var want []string
			for _, line := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
				if f := strings.Split(line, "|"); line != "" && f[3] == "" {
					want = append(want, strings.Join(f[:3], "|"))
				}
			}
			var ours []string
			for _, b := range append(got.Local, got.Remote...) {
				ours = append(ours, b.Ref+"|"+b.Hash.String()+"|"+b.Upstream)
			}
			if diff := cmp.Diff(want, ours); diff != "" {
				t.Errorf("branches differ from git for-each-ref (-git +ours):\n%s", diff)
			}
			cur := strings.TrimSpace(runGit(t, dir, "branch", "--show-current"))
			if got.Current != cur || got.Detached != (cur == "") {
				t.Errorf("current = %q detached = %v, git says %q", got.Current, got.Detached, cur)
			}
			for _, b := range got.Local {
				if b.Current != (b.Name == cur) {
					t.Errorf("branch %s: Current = %v", b.Name, b.Current)
				}
			}
		})
	}
}
