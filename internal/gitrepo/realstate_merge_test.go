package gitrepo

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// leftState is what a write leaves in a repository, as git reports it:
// HEAD's tree, parents and message, the files in the git directory, the
// index with its skip-worktree marks and the status (without the commit
// id, which holds a date).
func leftState(tb testing.TB, dir string) map[string]string {
	tb.Helper()
	s := map[string]string{
		"HEAD":     runGit(tb, dir, "log", "-1", "--format=tree %T%nparents %P%n%B"),
		"ls-files": runGit(tb, dir, "ls-files", "-s", "-t"),
	}
	s["status"] = strings.Join(withoutOid(sortedRecords(gitPorcelain(tb, dir))), "\n")
	ents, err := os.ReadDir(filepath.Join(dir, ".git"))
	if err != nil {
		tb.Fatal(err)
	}
	var files []string
	for _, e := range ents {
		if !e.IsDir() {
			files = append(files, e.Name())
		}
	}
	sort.Strings(files)
	s["git dir files"] = strings.Join(files, " ")
	return s
}

// twoBranches makes a repository whose branches main and side both changed
// f.txt since their base, and side also added side.txt.
func twoBranches(t *testing.T) string {
	dir := initRepo(t)
	write(t, dir, "f.txt", "base\n")
	write(t, dir, "keep.txt", "keep\n")
	commitAll(t, dir, "base")
	runGit(t, dir, "checkout", "-q", "-b", "side")
	write(t, dir, "f.txt", "side\n")
	write(t, dir, "side.txt", "side only\n")
	commitAll(t, dir, "side change")
	runGit(t, dir, "checkout", "-q", "main")
	write(t, dir, "f.txt", "main\n")
	commitAll(t, dir, "main change")
	return dir
}

// gitFails runs git expecting it to fail (a merge that stops on conflicts).
func gitFails(t *testing.T, dir string, args ...string) {
	t.Helper()
	if _, err := gitErr(dir, args...); err == nil {
		t.Fatalf("git %s succeeded; the scenario needs it to stop", strings.Join(args, " "))
	}
}

// TestCommitConcludesLikeGit commits, with git in one copy and with Commit
// in another, merges, cherry-picks and reverts that stopped for conflicts
// or --no-commit, and compares the commits and the states left behind.
func TestCommitConcludesLikeGit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// build brings a copy of twoBranches' repository into the state.
		build func(t *testing.T, dir string)
		// keepAuthor commits with no author (the configured one, or the
		// picked commit's) and compares the author too.
		keepAuthor bool
		wantErr    error
		// refused: git commits, but ours refuses with wantErr and changes
		// nothing.
		refused bool
	}{
		{name: "merge conflict resolved", build: func(t *testing.T, dir string) {
			gitFails(t, dir, "merge", "side")
			write(t, dir, "f.txt", "resolved\n")
			runGit(t, dir, "add", "f.txt")
		}},
		{name: "merge conflict resolved to HEAD's tree", build: func(t *testing.T, dir string) {
			gitFails(t, dir, "merge", "side")
			runGit(t, dir, "checkout", "HEAD", "--", "f.txt")
			runGit(t, dir, "rm", "-qf", "side.txt")
		}},
		{name: "merge --no-commit -s ours", build: func(t *testing.T, dir string) {
			runGit(t, dir, "merge", "-q", "--no-commit", "-s", "ours", "side")
		}},
		{name: "octopus --no-commit", build: func(t *testing.T, dir string) {
			for _, b := range []string{"a", "b"} {
				runGit(t, dir, "checkout", "-q", "-b", b, "main~1")
				write(t, dir, b+"/file.txt", b+"\n")
				commitAll(t, dir, "add "+b)
			}
			runGit(t, dir, "checkout", "-q", "main")
			runGit(t, dir, "merge", "-q", "--no-commit", "a", "b")
		}},
		{name: "squash merge", build: func(t *testing.T, dir string) {
			gitFails(t, dir, "merge", "--squash", "side")
			write(t, dir, "f.txt", "squashed\n")
			runGit(t, dir, "add", "f.txt")
		}},
		{name: "cherry-pick conflict resolved", keepAuthor: true, build: func(t *testing.T, dir string) {
			runGit(t, dir, "checkout", "-q", "side")
			write(t, dir, "f.txt", "picked\n")
			runGit(t, dir, "add", "f.txt")
			env := []string{"GIT_AUTHOR_NAME=Picked Author", "GIT_AUTHOR_EMAIL=picked@example.com", "GIT_AUTHOR_DATE=2020-05-06T07:08:09+0200"}
			if out, err := gitEnvErr(dir, env, "commit", "-q", "-m", "to pick"); err != nil {
				t.Fatalf("git commit: %v %s", err, out)
			}
			runGit(t, dir, "checkout", "-q", "main")
			gitFails(t, dir, "cherry-pick", "side")
			write(t, dir, "f.txt", "picked and resolved\n")
			runGit(t, dir, "add", "f.txt")
		}},
		{name: "revert conflict resolved", build: func(t *testing.T, dir string) {
			write(t, dir, "f.txt", "main again\n")
			commitAll(t, dir, "main again")
			gitFails(t, dir, "revert", "--no-edit", "HEAD~1")
			write(t, dir, "f.txt", "reverted\n")
			runGit(t, dir, "add", "f.txt")
		}},
		{name: "cherry-pick of several commits", wantErr: ErrUnsupported, refused: true, build: func(t *testing.T, dir string) {
			runGit(t, dir, "checkout", "-q", "side")
			write(t, dir, "side.txt", "second side change\n")
			commitAll(t, dir, "side again")
			runGit(t, dir, "checkout", "-q", "main")
			gitFails(t, dir, "cherry-pick", "side~1", "side")
			write(t, dir, "f.txt", "resolved\n")
			runGit(t, dir, "add", "f.txt")
		}},
		{name: "unresolved conflict", wantErr: ErrUnmerged, build: func(t *testing.T, dir string) {
			gitFails(t, dir, "merge", "side")
		}},
		{name: "cherry-pick left empty", wantErr: ErrNothingStaged, build: func(t *testing.T, dir string) {
			gitFails(t, dir, "cherry-pick", "side")
			runGit(t, dir, "checkout", "HEAD", "--", ".")
			runGit(t, dir, "rm", "-q", "--cached", "side.txt")
			remove(t, dir, "side.txt")
		}},
	}
	const msg = "Conclude it\n\nWith a body.\n"
	base := twoBranches(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ours := twinOf(t, base)
			tt.build(t, ours)
			theirs := twinOf(t, ours)
			if tt.refused {
				if _, err := openRepo(t, ours).Commit(context.Background(), msg, nil); !errors.Is(err, tt.wantErr) {
					t.Fatalf("Commit: %v, want %v", err, tt.wantErr)
				}
				if diff := cmp.Diff(leftState(t, theirs), leftState(t, ours)); diff != "" {
					t.Errorf("a refused commit changed the repository (-untouched +ours):\n%s", diff)
				}
				return
			}
			args := []string{"commit", "-q", "-m", msg}
			if !tt.keepAuthor {
				args = append(args, "--author", "Test Author <author@example.com>")
			}
			_, gitErr := gitErr(theirs, args...)
			var author *Identity
			if !tt.keepAuthor {
				author = &Identity{Name: "Test Author", Email: "author@example.com"}
			}
			_, err := openRepo(t, ours).Commit(context.Background(), msg, author)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || gitErr == nil {
					t.Fatalf("Commit: %v, want %v; git commit: %v", err, tt.wantErr, gitErr)
				}
			} else if err != nil || gitErr != nil {
				t.Fatalf("Commit: %v; git commit: %v", err, gitErr)
			}
			if diff := cmp.Diff(leftState(t, theirs), leftState(t, ours)); diff != "" {
				t.Errorf("state after the commit (-git +ours):\n%s", diff)
			}
			fsckClean(t, ours)
			for _, ref := range []string{"HEAD", "main"} {
				format := []string{"log", "-g", "--format=%gs", ref} // git's committer comes from the environment
				if diff := cmp.Diff(runGit(t, theirs, format...), runGit(t, ours, format...)); diff != "" {
					t.Errorf("reflog of %s (-git +ours):\n%s", ref, diff)
				}
			}
			if tt.keepAuthor {
				format := []string{"log", "-1", "--format=%an <%ae> %ad", "--date=raw"}
				if diff := cmp.Diff(runGit(t, theirs, format...), runGit(t, ours, format...)); diff != "" {
					t.Errorf("author (-git +ours):\n%s", diff)
				}
			}
		})
	}
}
