package gitrepo

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// repoState is what the git CLI reports about a repository: status, index
// and diff, to compare a repository changed by us with a twin changed by git.
func repoState(tb testing.TB, dir string) []string {
	tb.Helper()
	return []string{
		strings.Join(sortedRecords(gitPorcelain(tb, dir)), "\n"),
		runGit(tb, dir, "ls-files", "-s"),
		runGit(tb, dir, "diff"),
		runGit(tb, dir, "diff", "--cached"),
		runGit(tb, dir, "symbolic-ref", "-q", "--short", "HEAD"),
	}
}

// TestWritesMatchGit applies each write to one copy of a scenario and the
// equivalent git command to a twin copy, then compares what git reports.
func TestWritesMatchGit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	type op struct {
		name string
		ours func(r *Repo) error
		git  [][]string
	}
	ops := []op{
		{"stage file", func(r *Repo) error { return r.Stage(ctx, []string{"README.md"}) },
			[][]string{{"add", "-A", "--", "README.md"}}},
		{"stage directory", func(r *Repo) error { return r.Stage(ctx, []string{"src"}) },
			[][]string{{"add", "-A", "--", "src"}}},
		{"stage all", func(r *Repo) error { return r.Stage(ctx, []string{"."}) },
			[][]string{{"add", "-A"}}},
		{"unstage all", func(r *Repo) error { return r.Unstage(ctx, []string{"."}) },
			[][]string{{"reset", "-q"}}},
		{"unstage directory", func(r *Repo) error { return r.Unstage(ctx, []string{"src"}) },
			[][]string{{"reset", "-q", "--", "src"}}},
		{"discard directory", func(r *Repo) error { return r.Discard(ctx, []string{"src"}) },
			[][]string{{"checkout", "-q", "--", "src"}, {"clean", "-fdq", "--", "src"}}},
		{"checkout new branch", func(r *Repo) error { return r.Checkout(ctx, "feature/x", true) },
			[][]string{{"switch", "-q", "-c", "feature/x"}}},
	}
	for _, sc := range scenarios() {
		switch sc.name {
		case "modified unstaged and staged", "added and deleted", "rename", "binary", "mode change",
			"symlink and type change", "nested gitignore", "staged and unstaged same file", "crlf", "intent to add":
		default:
			continue
		}
		for _, o := range ops {
			t.Run(sc.name+"/"+o.name, func(t *testing.T) {
				t.Parallel()
				ours := sharedRepo(t, "scenario "+sc.name, sc.build)
				twin := twinOf(t, ours)
				if err := o.ours(openRepo(t, ours)); err != nil {
					if errors.Is(err, ErrPathNotFound) {
						for _, args := range o.git {
							if _, gerr := gitErr(twin, args...); gerr == nil && args[0] != "clean" {
								t.Fatalf("%v, but git %v succeeds", err, args)
							}
						}
						return
					}
					t.Fatal(err)
				}
				for _, args := range o.git {
					runGit(t, twin, args...)
				}
				ourState := repoState(t, ours)
				if diff := cmp.Diff(repoState(t, twin), ourState); diff != "" {
					t.Errorf("state after our %s differs from git's (-git +ours):\n%s", o.name, diff)
				}
				// Our own status agrees with git's on the result too (the
				// state's first line is git's status of ours).
				if diff := cmp.Diff(ourState[0], strings.Join(sortedRecords(porcelain(statusOf(t, openRepo(t, ours)))), "\n")); diff != "" {
					t.Errorf("status after %s (-git +ours):\n%s", o.name, diff)
				}
			})
		}
	}
}

func TestStageUnmatchedPathChangesNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := base(t)
	write(t, dir, "README.md", "changed\n")
	before := repoState(t, dir)
	r := openRepo(t, dir)
	for _, tc := range []struct {
		name string
		fn   func() error
		want error
	}{
		{"stage missing", func() error { return r.Stage(ctx, []string{"README.md", "nope.txt"}) }, ErrPathNotFound},
		{"stage outside", func() error { return r.Stage(ctx, []string{"../x"}) }, ErrPathOutside},
		{"stage .git", func() error { return r.Stage(ctx, []string{".git/config"}) }, ErrPathOutside},
		{"stage none", func() error { return r.Stage(ctx, nil) }, ErrNoPaths},
		{"unstage missing", func() error { return r.Unstage(ctx, []string{"nope"}) }, ErrPathNotFound},
		{"discard all", func() error { return r.Discard(ctx, []string{"."}) }, ErrPathOutside},
		{"discard absolute", func() error { return r.Discard(ctx, []string{"/etc/passwd"}) }, ErrPathOutside},
		{"discard missing", func() error { return r.Discard(ctx, []string{"README.md", "nope"}) }, ErrPathNotFound},
		{"checkout bad name", func() error { return r.Checkout(ctx, "a..b", true) }, ErrInvalidBranchName},
		{"checkout missing", func() error { return r.Checkout(ctx, "nope", false) }, ErrBranchNotFound},
		{"checkout existing", func() error { return r.Checkout(ctx, "main", true) }, ErrBranchExists},
	} {
		if err := tc.fn(); !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
	}
	if diff := cmp.Diff(before, repoState(t, dir)); diff != "" {
		t.Errorf("failed writes changed the repository:\n%s", diff)
	}
}

func TestDiscardOnlyNamedPaths(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := base(t)
	write(t, dir, "README.md", "changed\n")
	write(t, dir, "src/main.go", "changed\n")
	write(t, dir, "src/new.txt", "new\n")
	write(t, dir, "keep.txt", "untracked, kept\n")
	write(t, dir, ".gitignore", "*.log\n")
	write(t, dir, "src/debug.log", "ignored, kept\n")
	remove(t, dir, "docs/guide.txt")
	if err := openRepo(t, dir).Discard(ctx, []string{"src", "docs/guide.txt"}); err != nil {
		t.Fatal(err)
	}
	want := []string{"1 .M N... 100644 100644 100644 d81cd977cf236683744aae614acaa268402b2480 d81cd977cf236683744aae614acaa268402b2480 README.md",
		"? .gitignore", "? keep.txt"}
	got := gitPorcelain(t, dir)[2:]
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("after discarding src and docs/guide.txt (-want +got):\n%s", diff)
	}
	if _, err := os.Stat(filepath.Join(dir, "src/debug.log")); err != nil {
		t.Errorf("ignored file was removed: %v", err)
	}
}

func TestCommit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("staged changes", func(t *testing.T) {
		dir := base(t)
		write(t, dir, "README.md", "changed\n")
		write(t, dir, "src/new/deep.go", "package new\n")
		write(t, dir, "unstaged.txt", "not staged\n")
		runGit(t, dir, "add", "README.md", "src/new")
		wantTree := runGitTrim(t, dir, "write-tree")
		parent := runGitTrim(t, dir, "rev-parse", "HEAD")
		r := openRepo(t, dir)
		c, err := r.Commit(ctx, "  Subject line  \n\n\nBody\n\n", nil)
		if err != nil {
			t.Fatal(err)
		}
		got := runGit(t, dir, "log", "-1", "--format=%H|%T|%P|%an <%ae>|%cn <%ce>|%B")
		want := c.Hash.String() + "|" + wantTree + "|" + parent + "|Repo User <repo@example.com>|Repo User <repo@example.com>|  Subject line\n\nBody\n\n"
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("commit (-want +git log):\n%s", diff)
		}
		runGit(t, dir, "fsck", "--no-progress", "--strict")
		// The index keeps a valid cache-tree: git and our status agree, and
		// only the unstaged file remains.
		st := statusOf(t, r)
		if diff := cmp.Diff(sortedRecords(gitPorcelain(t, dir)), sortedRecords(porcelain(st))); diff != "" {
			t.Errorf("status after commit (-git +ours):\n%s", diff)
		}
		if len(st.Files) != 1 || st.Files[0].Path != "unstaged.txt" {
			t.Errorf("files after commit = %+v, want only unstaged.txt", st.Files)
		}
		if _, err := r.Commit(ctx, "again", nil); !errors.Is(err, ErrNothingStaged) {
			t.Errorf("second commit: err = %v, want ErrNothingStaged", err)
		}
	})
	t.Run("author given", func(t *testing.T) {
		dir := base(t)
		write(t, dir, "a.txt", "a\n")
		runGit(t, dir, "add", "a.txt")
		if _, err := openRepo(t, dir).Commit(ctx, "by someone", &Identity{Name: "Some One", Email: "one@example.com"}); err != nil {
			t.Fatal(err)
		}
		if got := runGit(t, dir, "log", "-1", "--format=%an <%ae>|%cn <%ce>"); got != "Some One <one@example.com>|Repo User <repo@example.com>\n" {
			t.Errorf("author|committer = %q", got)
		}
	})
	t.Run("first commit and detached head", func(t *testing.T) {
		dir := initRepo(t)
		r := openRepo(t, dir)
		if _, err := r.Commit(ctx, "empty", nil); !errors.Is(err, ErrNothingStaged) {
			t.Errorf("commit of an empty index: err = %v, want ErrNothingStaged", err)
		}
		write(t, dir, "a.txt", "a\n")
		runGit(t, dir, "add", "a.txt")
		c, err := r.Commit(ctx, "root", nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := runGitTrim(t, dir, "rev-parse", "main"); got != c.Hash.String() {
			t.Errorf("main = %s, want %s", got, c.Hash)
		}
		runGit(t, dir, "checkout", "-q", "--detach")
		write(t, dir, "a.txt", "b\n")
		runGit(t, dir, "add", "a.txt")
		d, err := r.Commit(ctx, "detached", nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := runGitTrim(t, dir, "rev-parse", "HEAD", "main"); got != d.Hash.String()+"\n"+c.Hash.String() {
			t.Errorf("HEAD, main = %q", got)
		}
	})
	t.Run("bad input", func(t *testing.T) {
		r := openRepo(t, base(t))
		if _, err := r.Commit(ctx, " \n\n ", nil); !errors.Is(err, ErrEmptyMessage) {
			t.Errorf("empty message: err = %v", err)
		}
		if _, err := r.Commit(ctx, "x", &Identity{Name: "a<b", Email: "c"}); !errors.Is(err, ErrNoIdentity) {
			t.Errorf("bad author: err = %v", err)
		}
	})
}

func TestCommitWithoutIdentity(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	dir := base(t)
	runGit(t, dir, "config", "--unset", "user.name")
	write(t, dir, "a.txt", "a\n")
	runGit(t, dir, "add", "a.txt")
	if _, err := openRepo(t, dir).Commit(context.Background(), "x", nil); !errors.Is(err, ErrNoIdentity) {
		t.Errorf("err = %v, want ErrNoIdentity", err)
	}
}

func TestCheckout(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := base(t)
	runGit(t, dir, "checkout", "-q", "-b", "other")
	write(t, dir, "README.md", "other readme\n")
	write(t, dir, "only-other/file.txt", "x\n")
	remove(t, dir, "docs/guide.txt")
	if err := os.Chmod(filepath.Join(dir, "src/main.go"), 0o755); err != nil {
		t.Fatal(err)
	}
	commitAll(t, dir, "other")
	runGit(t, dir, "checkout", "-q", "main")
	r := openRepo(t, dir)

	// A change to a file that differs between the branches blocks the switch.
	write(t, dir, "README.md", "local edit\n")
	before := repoState(t, dir)
	if err := r.Checkout(ctx, "other", false); !errors.Is(err, ErrWouldOverwrite) {
		t.Fatalf("checkout with a conflicting change: err = %v, want ErrWouldOverwrite", err)
	}
	if diff := cmp.Diff(before, repoState(t, dir)); diff != "" {
		t.Fatalf("refused checkout changed the repository:\n%s", diff)
	}
	// So does an untracked file where the other branch has one.
	runGit(t, dir, "checkout", "--", "README.md")
	write(t, dir, "only-other/file.txt", "mine\n")
	if err := r.Checkout(ctx, "other", false); !errors.Is(err, ErrWouldOverwrite) {
		t.Fatalf("checkout over an untracked file: err = %v, want ErrWouldOverwrite", err)
	}
	remove(t, dir, "only-other")

	// Other local changes are carried over, as with git switch.
	write(t, dir, "src/util/util.go", "carried\n")
	if err := r.Checkout(ctx, "other", false); err != nil {
		t.Fatal(err)
	}
	if got := runGitTrim(t, dir, "status", "--porcelain"); got != "M src/util/util.go" {
		t.Errorf("status after checkout = %q, want the carried change only", got)
	}
	if got := runGitTrim(t, dir, "rev-parse", "HEAD", "other"); strings.Count(got, strings.Split(got, "\n")[0]) != 2 {
		t.Errorf("HEAD and other differ: %q", got)
	}
	if fi, err := os.Stat(filepath.Join(dir, "src/main.go")); err != nil || fi.Mode()&0o100 == 0 {
		t.Errorf("src/main.go mode not switched: %v %v", fi, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "docs")); !os.IsNotExist(err) {
		t.Errorf("docs/ should be gone with its only file: %v", err)
	}
	if diff := cmp.Diff(sortedRecords(gitPorcelain(t, dir)), sortedRecords(porcelain(statusOf(t, r)))); diff != "" {
		t.Errorf("status after checkout (-git +ours):\n%s", diff)
	}
	// And back.
	runGit(t, dir, "checkout", "--", "src/util/util.go")
	if err := r.Checkout(ctx, "main", false); err != nil {
		t.Fatal(err)
	}
	if got := runGitTrim(t, dir, "status", "--porcelain", "--branch"); got != "## main" {
		t.Errorf("status after switching back = %q", got)
	}
}

// remoteSetup makes a bare remote with one commit on main, our clone of it
// and another clone standing for someone else.
func remoteSetup(t *testing.T) (bare, ours, theirs string) {
	root := t.TempDir()
	bare = filepath.Join(root, "remote.git")
	runGit(t, root, "init", "-q", "--bare", "-b", "main", bare)
	seed := base(t)
	runGit(t, seed, "push", "-q", bare, "main")
	ours, theirs = filepath.Join(root, "ours"), filepath.Join(root, "theirs")
	for _, d := range []string{ours, theirs} {
		runGit(t, root, "clone", "-q", bare, d)
		runGit(t, d, "config", "user.name", "Clone User")
		runGit(t, d, "config", "user.email", "clone@example.com")
	}
	return bare, ours, theirs
}

func TestFetchPullPush(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	bare, ours, theirs := remoteSetup(t)
	r := openRepo(t, ours)

	// Fetch and pull what someone else pushed.
	write(t, theirs, "README.md", "theirs\n")
	write(t, theirs, "added/by/them.txt", "x\n")
	remove(t, theirs, "docs/guide.txt")
	commitAll(t, theirs, "their change")
	runGit(t, theirs, "push", "-q")
	if err := r.Fetch(ctx, ""); err != nil {
		t.Fatal(err)
	}
	if got, want := runGitTrim(t, ours, "rev-parse", "origin/main"), runGitTrim(t, theirs, "rev-parse", "HEAD"); got != want {
		t.Fatalf("origin/main after fetch = %s, want %s", got, want)
	}
	write(t, ours, "src/main.go", "local change, kept\n")
	res, err := r.Pull(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := runGitTrim(t, theirs, "rev-parse", "HEAD")
	if res.To.String() != want || runGitTrim(t, ours, "rev-parse", "HEAD") != want {
		t.Fatalf("pull: %+v, HEAD %s, want %s", res, runGitTrim(t, ours, "rev-parse", "HEAD"), want)
	}
	if got := runGitTrim(t, ours, "status", "--porcelain"); got != "M src/main.go" {
		t.Errorf("status after pull = %q, want only the local change", got)
	}
	if got := runGitTrim(t, ours, "diff", "HEAD", "--stat", "--", "README.md", "added", "docs"); got != "" {
		t.Errorf("worktree differs from pulled commit: %s", got)
	}
	runGit(t, ours, "checkout", "--", "src/main.go")

	// Push our commit.
	write(t, ours, "mine.txt", "mine\n")
	commitAll(t, ours, "our change")
	if err := r.Push(ctx, "", ""); err != nil {
		t.Fatal(err)
	}
	if got, want := runGitTrim(t, bare, "rev-parse", "main"), runGitTrim(t, ours, "rev-parse", "HEAD"); got != want {
		t.Errorf("remote main after push = %s, want %s", got, want)
	}
	if got, want := runGitTrim(t, ours, "rev-parse", "origin/main"), runGitTrim(t, ours, "rev-parse", "HEAD"); got != want {
		t.Errorf("origin/main after push = %s, want %s", got, want)
	}

	// Diverged: both sides commit; pull and push refuse and change nothing.
	runGit(t, theirs, "pull", "-q")
	write(t, theirs, "theirs2.txt", "x\n")
	commitAll(t, theirs, "theirs 2")
	runGit(t, theirs, "push", "-q")
	write(t, ours, "ours2.txt", "x\n")
	commitAll(t, ours, "ours 2")
	head := runGitTrim(t, ours, "rev-parse", "HEAD")
	if err := r.Push(ctx, "origin", "main"); !errors.Is(err, ErrNotFastForward) {
		t.Errorf("push of a diverged branch: err = %v, want ErrNotFastForward", err)
	}
	if _, err := r.Pull(ctx); !errors.Is(err, ErrNotFastForward) {
		t.Errorf("pull of a diverged branch: err = %v, want ErrNotFastForward", err)
	}
	if got := runGitTrim(t, ours, "rev-parse", "HEAD"); got != head {
		t.Errorf("HEAD moved to %s after refused pull", got)
	}
	if got := runGitTrim(t, ours, "status", "--porcelain"); got != "" {
		t.Errorf("worktree changed after refused pull: %q", got)
	}
	if err := r.Fetch(ctx, "nowhere"); !errors.Is(err, ErrRemoteNotFound) {
		t.Errorf("fetch from a missing remote: err = %v", err)
	}

	// A remote branch checks out as a tracking branch.
	runGit(t, theirs, "push", "-q", "origin", "HEAD:refs/heads/topic")
	if err := r.Fetch(ctx, "origin"); err != nil {
		t.Fatal(err)
	}
	if err := r.Checkout(ctx, "topic", false); err != nil {
		t.Fatal(err)
	}
	if got := runGitTrim(t, ours, "rev-parse", "--abbrev-ref", "topic@{upstream}"); got != "origin/topic" {
		t.Errorf("upstream of topic = %q", got)
	}
	if res, err := r.Pull(ctx); err != nil || res.From != res.To {
		t.Errorf("pull of an up-to-date branch: %+v %v", res, err)
	}
}

// TestConcurrentReadsAndWrites runs reads and writes on one Repo at once;
// run with -race.
func TestConcurrentReadsAndWrites(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := base(t)
	r := openRepo(t, dir)
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for i := 0; i < 4; i++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for j := 0; j < 5; j++ {
				if _, err := r.Status(ctx); err != nil {
					errs <- err
				}
				if _, err := r.Diff(ctx, DiffOptions{Untracked: true}); err != nil {
					errs <- err
				}
			}
		}()
		go func() {
			defer wg.Done()
			name := "f" + string(rune('a'+i)) + ".txt"
			write(t, dir, name, "x\n")
			if err := r.Stage(ctx, []string{name}); err != nil {
				errs <- err
			}
			if err := r.Unstage(ctx, []string{name}); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
