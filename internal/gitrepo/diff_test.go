package gitrepo

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// gitWithIndex runs git with GIT_INDEX_FILE pointing at a scratch index.
func gitWithIndex(tb testing.TB, dir, indexFile, stdin string, args ...string) string {
	tb.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(gitEnv(os.TempDir()), "GIT_INDEX_FILE="+indexFile)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		tb.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// applyToHead applies patch to HEAD in a scratch index and returns the
// resulting tree id. git apply applies the whole patch or, failing as
// --check would, none of it.
func applyToHead(tb testing.TB, dir, patch string) string {
	tb.Helper()
	idx := filepath.Join(tb.TempDir(), "index")
	gitWithIndex(tb, dir, idx, "", "read-tree", "HEAD")
	gitWithIndex(tb, dir, idx, patch, "apply", "--allow-empty", "--cached", "-")
	return gitWithIndex(tb, dir, idx, "", "write-tree")
}

// worktreeTree returns the tree git would commit for the worktree: the
// index updated with every tracked change (and untracked files with all).
func worktreeTree(tb testing.TB, dir string, all bool) string {
	tb.Helper()
	idx := filepath.Join(tb.TempDir(), "index")
	orig := filepath.Join(dir, ".git", "index")
	data, err := os.ReadFile(orig)
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(idx, data, 0o644); err != nil {
		tb.Fatal(err)
	}
	// Keep the index's mtime: git's racy-entry check depends on it, and
	// without it a file changed in the same instant as the index was
	// written would look unchanged to git.
	fi, err := os.Stat(orig)
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.Chtimes(idx, fi.ModTime(), fi.ModTime()); err != nil {
		tb.Fatal(err)
	}
	flag := "-u"
	if all {
		flag = "-A"
	}
	gitWithIndex(tb, dir, idx, "", "add", flag)
	return gitWithIndex(tb, dir, idx, "", "write-tree")
}

func TestDiffMatchesGit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, sc := range scenarios() {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			dir := sharedRepo(t, "scenario "+sc.name, sc.build)
			r := openRepo(t, dir)
			if sc.noCommits {
				_, err := r.Diff(ctx, DiffOptions{})
				if !errors.Is(err, ErrNoCommits) {
					t.Fatalf("Diff in a repository without commits: err = %v, want ErrNoCommits", err)
				}
				return
			}
			for _, tc := range []struct {
				name string
				opts DiffOptions
				args []string // git diff arguments giving the same text
				tree func(t *testing.T) string
			}{
				{"head", DiffOptions{}, []string{"HEAD"}, func(t *testing.T) string { return worktreeTree(t, dir, false) }},
				{"staged", DiffOptions{Staged: true}, []string{"--cached", "HEAD"}, func(t *testing.T) string { return runGitTrim(t, dir, "write-tree") }},
				{"untracked", DiffOptions{Untracked: true}, nil, func(t *testing.T) string { return worktreeTree(t, dir, true) }},
			} {
				t.Run(tc.name, func(t *testing.T) {
					if tc.opts.Untracked && sc.nestedRepo {
						t.Skip("git add -A refuses a nested repository without commits")
					}
					text, err := r.Diff(ctx, tc.opts)
					if err != nil {
						t.Fatal(err)
					}
					if tc.args != nil {
						want := runGit(t, dir, append([]string{"diff"}, tc.args...)...)
						if diff := cmp.Diff(want, text); diff != "" {
							t.Errorf("diff text differs from git diff %v (-git +ours):\n%s", tc.args, diff)
						}
					}
					binOpts := tc.opts
					binOpts.Binary = true
					bin, err := r.Diff(ctx, binOpts)
					if err != nil {
						t.Fatal(err)
					}
					// git write-tree refuses an index with conflicts.
					if !tc.opts.Staged || sc.name != "merge conflict" {
						if got, want := applyToHead(t, dir, bin), tc.tree(t); got != want {
							t.Errorf("HEAD + our patch gives tree %s, want %s; patch:\n%s", got, want, bin)
						}
					}
					if tc.args != nil {
						stats, err := r.Numstat(ctx, tc.opts)
						if err != nil {
							t.Fatal(err)
						}
						want := parseNumstat(runGit(t, dir, append([]string{"diff", "--numstat", "-z"}, tc.args...)...))
						if diff := cmp.Diff(want, formatNumstat(stats)); diff != "" {
							t.Errorf("numstat differs (-git +ours):\n%s", diff)
						}
					}
				})
			}
		})
	}
}

func runGitTrim(tb testing.TB, dir string, args ...string) string {
	return strings.TrimSpace(runGit(tb, dir, args...))
}

// parseNumstat splits `git diff --numstat -z` output into
// "added deleted path [origpath]" records.
func parseNumstat(out string) []string {
	var recs []string
	fields := strings.Split(out, "\x00")
	for i := 0; i < len(fields); i++ {
		f := fields[i]
		if f == "" {
			continue
		}
		parts := strings.SplitN(f, "\t", 3)
		if parts[2] == "" { // rename: the paths follow as two fields
			recs = append(recs, parts[0]+" "+parts[1]+" "+fields[i+2]+" "+fields[i+1])
			i += 2
			continue
		}
		recs = append(recs, parts[0]+" "+parts[1]+" "+parts[2])
	}
	return recs
}

func formatNumstat(stats []FileStat) []string {
	var recs []string
	for _, s := range stats {
		a, d := strconv.Itoa(s.Added), strconv.Itoa(s.Deleted)
		if s.Binary {
			a, d = "-", "-"
		}
		rec := a + " " + d + " " + s.Path
		if s.OrigPath != "" {
			rec += " " + s.OrigPath
		}
		recs = append(recs, rec)
	}
	return recs
}
