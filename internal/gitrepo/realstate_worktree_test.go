package gitrepo

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// linkedRepo builds, under root, a repository in main/ on branch main
// with staged and unstaged changes, and a linked worktree in wt/ on
// branch feature (one commit ahead, and one behind its upstream, the local
// branch ahead) with other staged, unstaged and untracked changes. The
// same commands give the same commit ids in every root. With relative,
// wt/.git names its gitdir with a relative path.
func linkedRepo(tb testing.TB, root string, relative bool) (main, wt string) {
	tb.Helper()
	requireGit(tb)
	main, wt = filepath.Join(root, "main"), filepath.Join(root, "wt")
	runGit(tb, root, "init", "-q", "-b", "main", main)
	runGit(tb, main, "config", "user.name", "Repo User")
	runGit(tb, main, "config", "user.email", "repo@example.com")
	for _, f := range []string{"a.txt", "b.txt", "c.txt", "d/e.txt"} {
		write(tb, main, f, "line 1\nline 2\n"+f+"\n")
	}
	commitAll(tb, main, "first")
	runGit(tb, main, "branch", "other")
	runGit(tb, main, "worktree", "add", "-q", wt, "-b", "feature")
	if relative {
		write(tb, wt, ".git", "gitdir: ../main/.git/worktrees/wt\n")
	}
	write(tb, wt, "c.txt", "feature's c\n")
	commitAll(tb, wt, "feature commit")
	// Branch ahead is one commit ahead of feature, and its upstream.
	write(tb, wt, "e2.txt", "ahead\n")
	commitAll(tb, wt, "ahead commit")
	runGit(tb, wt, "branch", "ahead")
	runGit(tb, wt, "reset", "-q", "--hard", "HEAD~1")
	runGit(tb, wt, "branch", "--set-upstream-to=ahead")

	write(tb, main, "a.txt", "main changed a\n")
	write(tb, main, "m.txt", "main's new file\n")
	runGit(tb, main, "add", "m.txt")

	write(tb, wt, "b.txt", "feature changed b\n")
	runGit(tb, wt, "add", "b.txt")
	write(tb, wt, "a.txt", "feature changed a\n")
	write(tb, wt, "c.txt", "feature's c, staged\n")
	runGit(tb, wt, "add", "c.txt")
	write(tb, wt, "c.txt", "feature's c, staged then changed\n")
	write(tb, wt, "u.txt", "untracked in the worktree\n")
	remove(tb, wt, "d/e.txt")
	runGit(tb, main, "update-ref", "refs/worktree/mark", "HEAD")
	runGit(tb, wt, "update-ref", "refs/worktree/mark", "HEAD")
	return main, wt
}

// wtGitBranches renders `git branch` as "name hash current" lines.
func wtGitBranches(tb testing.TB, dir string) []string {
	tb.Helper()
	out := runGitTrim(tb, dir, "branch", "--format=%(refname:short) %(objectname) %(if)%(HEAD)%(then)current%(end)")
	var recs []string
	for _, l := range strings.Split(out, "\n") {
		recs = append(recs, strings.TrimSpace(l))
	}
	return recs
}

func wtOurBranches(tb testing.TB, r *Repo) []string {
	tb.Helper()
	b, err := r.Branches(context.Background())
	if err != nil {
		tb.Fatalf("Branches: %v", err)
	}
	var recs []string
	for _, l := range b.Local {
		rec := l.Name + " " + l.Hash.String() + " "
		if l.Current {
			rec += "current"
		}
		recs = append(recs, strings.TrimSpace(rec))
	}
	return recs
}

// wtCompareLog compares our log of ref with git's.
func wtCompareLog(t *testing.T, r *Repo, dir, ref string) {
	t.Helper()
	commits, err := r.Log(context.Background(), LogOptions{Ref: ref})
	if err != nil {
		t.Fatalf("Log(%q): %v", ref, err)
	}
	var got []string
	for _, c := range commits {
		got = append(got, c.Hash.String())
	}
	if diff := cmp.Diff(strings.Fields(runGit(t, dir, "log", "--format=%H", ref)), got); diff != "" {
		t.Errorf("log of %s differs (-git +ours):\n%s", ref, diff)
	}
}

// wtCompareDiffs compares our diff and numstat of the worktree dir, staged
// and not, with git's.
func wtCompareDiffs(t *testing.T, r *Repo, dir string) {
	t.Helper()
	ctx := context.Background()
	for _, staged := range []bool{false, true} {
		args := []string{"HEAD"}
		if staged {
			args = []string{"--cached", "HEAD"}
		}
		text, err := r.Diff(ctx, DiffOptions{Staged: staged})
		if err != nil {
			t.Fatalf("Diff: %v", err)
		}
		if diff := cmp.Diff(runGit(t, dir, append([]string{"diff"}, args...)...), text); diff != "" {
			t.Errorf("git diff %v differs (-git +ours):\n%s", args, diff)
		}
		stats, err := r.Numstat(ctx, DiffOptions{Staged: staged})
		if err != nil {
			t.Fatalf("Numstat: %v", err)
		}
		want := parseNumstat(runGit(t, dir, append([]string{"diff", "--numstat", "-z"}, args...)...))
		if diff := cmp.Diff(want, formatNumstat(stats)); diff != "" {
			t.Errorf("numstat %v differs (-git +ours):\n%s", args, diff)
		}
	}
}

// wtCompareReads compares every read of the worktree dir with git's.
func wtCompareReads(t *testing.T, dir string) {
	t.Helper()
	r := openRepo(t, dir)
	if diff := cmp.Diff(sortedRecords(gitPorcelain(t, dir)), sortedRecords(porcelain(statusOf(t, r)))); diff != "" {
		t.Errorf("status differs (-git +ours):\n%s", diff)
	}
	wtCompareDiffs(t, r, dir)
	if diff := cmp.Diff(wtGitBranches(t, dir), wtOurBranches(t, r)); diff != "" {
		t.Errorf("branches differ (-git +ours):\n%s", diff)
	}
	wtCompareLog(t, r, dir, "HEAD")
}

func TestLinkedWorktreeReadsMatchGit(t *testing.T) {
	t.Parallel()
	main, wt := linkedRepo(t, t.TempDir(), false)
	t.Run("main", func(t *testing.T) { wtCompareReads(t, main) })
	t.Run("linked", func(t *testing.T) { wtCompareReads(t, wt) })
	// Each worktree has its own refs/worktree/mark.
	for _, dir := range []string{main, wt} {
		wtCompareLog(t, openRepo(t, dir), dir, "refs/worktree/mark")
	}
	write(t, wt, ".git", "gitdir: ../main/.git/worktrees/wt\n")
	t.Run("linked with a relative gitdir", func(t *testing.T) { wtCompareReads(t, wt) })
}

// wtStatus is `git status --porcelain=v2 --branch -uall`, whose header
// names HEAD's commit and branch.
func wtStatus(tb testing.TB, dir string) string {
	tb.Helper()
	return runGit(tb, dir, "status", "--porcelain=v2", "--branch", "-uall")
}

// wtState is what a write leaves in a worktree, as git reports it.
type wtState struct {
	Tree, Parents, Stages, Status, MainStatus string
}

// wtStateOf reads the state of the worktree dir (and of the main worktree,
// if given); with fsck, `git fsck --strict` must find the repository sound.
func wtStateOf(tb testing.TB, dir, main string, fsck bool) wtState {
	tb.Helper()
	tree, parents, _ := strings.Cut(runGitTrim(tb, dir, "rev-parse", "HEAD^{tree}", "HEAD^@"), "\n")
	st := wtState{Tree: tree, Parents: parents, Stages: runGit(tb, dir, "ls-files", "-s"), Status: wtStatus(tb, dir)}
	if main != "" {
		st.MainStatus = wtStatus(tb, main)
	}
	if fsck {
		fsckClean(tb, dir)
	}
	return st
}

// headLine is the "# branch.oid" line of a porcelain v2 status.
func headLine(status string) string {
	for _, l := range strings.Split(status, "\n") {
		if strings.HasPrefix(l, "# branch.oid ") {
			return l
		}
	}
	return ""
}

// wtWriteCase is one write done by git in one copy of a repository and by
// our code in another.
type wtWriteCase struct {
	name string
	git  [][]string
	ours func(ctx context.Context, r *Repo) error
	// commit: the commit ids differ (our commit has the current time).
	commit bool
}

var wtLinkedWrites = []wtWriteCase{
	{name: "stage", git: [][]string{{"add", "-A", "--", "a.txt", "u.txt", "d"}},
		ours: func(ctx context.Context, r *Repo) error { return r.Stage(ctx, []string{"a.txt", "u.txt", "d"}) }},
	{name: "unstage", git: [][]string{{"restore", "--staged", "--", "b.txt", "c.txt"}},
		ours: func(ctx context.Context, r *Repo) error { return r.Unstage(ctx, []string{"b.txt", "c.txt"}) }},
	{name: "discard", git: [][]string{{"restore", "--", "a.txt", "c.txt"}},
		ours: func(ctx context.Context, r *Repo) error { return r.Discard(ctx, []string{"a.txt", "c.txt"}) }},
	{name: "stage and commit", commit: true, git: [][]string{{"add", "-A", "--", "."}, {"commit", "-q", "-m", "all"}},
		ours: func(ctx context.Context, r *Repo) error {
			if err := r.Stage(ctx, []string{"."}); err != nil {
				return err
			}
			_, err := r.Commit(ctx, "all", nil)
			return err
		}},
	{name: "checkout free branch", git: [][]string{{"restore", "--staged", "--worktree", "--", "c.txt"}, {"switch", "-q", "other"}},
		ours: func(ctx context.Context, r *Repo) error {
			if err := r.Unstage(ctx, []string{"c.txt"}); err != nil {
				return err
			}
			if err := r.Discard(ctx, []string{"c.txt"}); err != nil {
				return err
			}
			return r.Checkout(ctx, "other", false)
		}},
	{name: "pull", git: [][]string{{"pull", "-q", "--ff-only"}},
		ours: func(ctx context.Context, r *Repo) error {
			_, err := r.Pull(ctx)
			return err
		}},
	{name: "checkout new branch", git: [][]string{{"switch", "-q", "-c", "topic"}},
		ours: func(ctx context.Context, r *Repo) error { return r.Checkout(ctx, "topic", true) }},
}

// wtCompareWrite does c with git in one copy of a repository and with our
// code in another, then compares the states (the worktree's and the main
// worktree's).
func wtCompareWrite(t *testing.T, c wtWriteCase, build func(root string) (dir, main string)) {
	t.Helper()
	gitDir, gitMain := build(t.TempDir())
	ourDir, ourMain := build(t.TempDir())
	before := wtStateOf(t, ourDir, ourMain, false)
	for _, args := range c.git {
		runGit(t, gitDir, args...)
	}
	if err := c.ours(context.Background(), openRepo(t, ourDir)); err != nil {
		t.Fatalf("our %s: %v", c.name, err)
	}
	want, got := wtStateOf(t, gitDir, gitMain, false), wtStateOf(t, ourDir, ourMain, true)
	if c.commit {
		// The new commits differ by their time: compare the rest.
		old := headLine(before.Status)
		if headLine(want.Status) == old || headLine(got.Status) == old {
			t.Fatalf("HEAD did not move: git %q, ours %q, before %q", headLine(want.Status), headLine(got.Status), old)
		}
		want.Status = strings.Replace(want.Status, headLine(want.Status), "# branch.oid NEW", 1)
		got.Status = strings.Replace(got.Status, headLine(got.Status), "# branch.oid NEW", 1)
		// The reflogs of HEAD (the worktree's own) and of the branch.
		for _, ref := range []string{"HEAD", strings.TrimSpace(runGit(t, ourDir, "symbolic-ref", "HEAD"))} {
			args := []string{"log", "-g", "-1", "--format=%gs", ref}
			if w, g := runGit(t, gitDir, args...), runGit(t, ourDir, args...); w != g {
				t.Errorf("last reflog entry of %s: git %q, ours %q", ref, w, g)
			}
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("state after %s differs (-git +ours):\n%s", c.name, diff)
	}
	if ourMain != "" && got.MainStatus != before.MainStatus {
		t.Errorf("%s in the linked worktree changed the main worktree:\nbefore %s\nafter %s", c.name, before.MainStatus, got.MainStatus)
	}
}

// wtCopy copies the folder src into dst (which may exist), keeping modes
// and times as a user's cp -a would.
func wtCopy(tb testing.TB, src, dst string) {
	tb.Helper()
	if out, err := exec.Command("cp", "-a", src+"/.", dst).CombinedOutput(); err != nil {
		tb.Fatalf("cp: %v %s", err, out)
	}
}

// copyLinkedRepo copies a linkedRepo built with relative paths from
// template into root, and points the worktree's gitdir file (absolute, as
// git 2.39 writes it) at the copy.
func copyLinkedRepo(tb testing.TB, template, root string) (main, wt string) {
	tb.Helper()
	wtCopy(tb, template, root)
	main, wt = filepath.Join(root, "main"), filepath.Join(root, "wt")
	write(tb, main, ".git/worktrees/wt/gitdir", filepath.Join(wt, ".git")+"\n")
	return main, wt
}

func TestLinkedWorktreeWritesMatchGit(t *testing.T) {
	t.Parallel()
	template := t.TempDir()
	linkedRepo(t, template, true)
	for _, c := range wtLinkedWrites {
		t.Run(c.name, func(t *testing.T) {
			wtCompareWrite(t, c, func(root string) (string, string) {
				main, wt := copyLinkedRepo(t, template, root)
				return wt, main
			})
		})
	}
}

func TestCheckoutOfBranchCheckedOutElsewhereRefusedLikeGit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	main, wt := linkedRepo(t, t.TempDir(), false)
	// A third worktree, detached in the middle of a rebase of branch topic.
	rb := filepath.Join(filepath.Dir(main), "rb")
	runGit(t, main, "worktree", "add", "-q", rb, "-b", "topic", "other")
	write(t, rb, "c.txt", "topic's c\n")
	commitAll(t, rb, "topic commit")
	if _, err := gitErr(rb, "rebase", "-q", "feature"); err == nil {
		t.Fatal("the rebase of topic onto feature did not stop on its conflict")
	}
	// A fourth worktree whose folder was deleted: git still counts it
	// until git worktree prune.
	gone := filepath.Join(filepath.Dir(main), "gone")
	runGit(t, main, "worktree", "add", "-q", gone, "-b", "gone", "other")
	remove(t, gone, "")
	for _, c := range []struct{ dir, branch string }{{wt, "main"}, {main, "feature"}, {main, "topic"}, {wt, "topic"}, {wt, "gone"}} {
		r := openRepo(t, c.dir)
		before := wtStatus(t, c.dir)
		_, gitMsg := gitErr(c.dir, "switch", c.branch)
		if gitMsg == nil {
			t.Fatalf("git switch %s in %s succeeded", c.branch, c.dir)
		}
		err := r.Checkout(ctx, c.branch, false)
		if !errors.Is(err, ErrBranchCheckedOut) {
			t.Fatalf("Checkout(%s) in %s = %v, want ErrBranchCheckedOut; git says %v", c.branch, c.dir, err, gitMsg)
		}
		// git: "fatal: 'main' is already checked out at '/path'".
		_, gitText, _ := strings.Cut(strings.TrimSpace(gitMsg.Error()), "fatal: ")
		if !strings.Contains(err.Error(), gitText) {
			t.Errorf("Checkout(%s) in %s: %q does not say what git says: %q", c.branch, c.dir, err, gitText)
		}
		if diff := cmp.Diff(before, wtStatus(t, c.dir)); diff != "" {
			t.Errorf("a refused checkout changed %s:\n%s", c.dir, diff)
		}
	}
	// A branch checked out nowhere else still switches, as with git; made
	// again, it already exists.
	if err := openRepo(t, wt).Checkout(ctx, "other", true); !errors.Is(err, ErrBranchExists) {
		t.Errorf("Checkout(other, create) = %v, want ErrBranchExists", err)
	}
	if err := openRepo(t, main).Checkout(ctx, "other", false); err != nil {
		t.Fatalf("Checkout(other) in %s: %v", main, err)
	}
	if got := runGitTrim(t, main, "branch", "--show-current"); got != "other" {
		t.Errorf("after Checkout(other), git says the current branch of %s is %q", main, got)
	}
}

// wtFormatCase is a repository configuration git may or may not accept.
type wtFormatCase struct {
	name  string
	setup func(tb testing.TB, dir string)
	// refuse: git serves another folder's files; we refuse rather than
	// reach outside the folder we were given.
	refuse bool
}

func wtGitConfig(kv ...string) func(tb testing.TB, dir string) {
	return func(tb testing.TB, dir string) {
		for i := 0; i < len(kv); i += 2 {
			runGit(tb, dir, "config", kv[i], kv[i+1])
		}
	}
}

// TestRepositoryFormatLikeGit opens repositories with each format version
// and extension git 2.39 knows, and some it does not: where git works, our
// status equals its; where git refuses the repository, so do we, with
// ErrUnsupported.
func TestRepositoryFormatLikeGit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cases := []wtFormatCase{
		{"extensions version 0 honours or ignores", wtGitConfig("extensions.noop", "true", "extensions.preciousObjects", "true", "extensions.somethingNew", "true"), false},
		{"version 1 extensions", wtGitConfig("core.repositoryformatversion", "1", "extensions.noop-v1", "true", "extensions.objectFormat", "sha1"), false},
		{"version 1 with an unknown extension", wtGitConfig("core.repositoryformatversion", "1", "extensions.somethingNew", "true"), false},
		{"objectFormat in version 0", wtGitConfig("extensions.objectFormat", "sha1"), false},
		{"version 2", wtGitConfig("core.repositoryformatversion", "2"), false},
		{"worktreeConfig layers config.worktree", func(tb testing.TB, dir string) {
			write(tb, dir, "f.txt", "  func one\n1\n2\n3\n4\n5\n6\n7\n8\n")
			commitAll(tb, dir, "second")
			write(tb, dir, "f.txt", "  func one\n1\n2\n3\n4\n5\n6\n7\neight\n")
			write(tb, dir, ".gitattributes", "f.txt diff=indented\n")
			if err := os.Chmod(filepath.Join(dir, "a.txt"), 0o755); err != nil {
				tb.Fatal(err)
			}
			runGit(tb, dir, "config", "extensions.worktreeConfig", "true")
			runGit(tb, dir, "config", "--worktree", "diff.indented.xfuncname", "^ +(func.*)$")
			runGit(tb, dir, "config", "--worktree", "core.fileMode", "false")
		}, false},
		{"sparse checkout disabled again", func(tb testing.TB, dir string) {
			runGit(tb, dir, "sparse-checkout", "set", "d")
			runGit(tb, dir, "sparse-checkout", "disable")
		}, false},
		{"core.worktree is this folder", func(tb testing.TB, dir string) { runGit(tb, dir, "config", "core.worktree", dir) }, false},
		{"core.worktree elsewhere", func(tb testing.TB, dir string) {
			other := tb.TempDir()
			write(tb, other, "elsewhere.txt", "x\n")
			runGit(tb, dir, "config", "core.worktree", other)
		}, true},
		{"core.bare", wtGitConfig("core.bare", "true"), false},
	}
	template := initRepo(t)
	write(t, template, "a.txt", "a\n")
	write(t, template, "d/b.txt", "b\n")
	commitAll(t, template, "first")
	write(t, template, "a.txt", "a changed\n")
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			wtCopy(t, template, dir)
			c.setup(t, dir)
			_, gitFails := gitErr(dir, "status", "--porcelain=v2")
			r, err := Open(dir)
			var st *Status
			if err == nil {
				st, err = r.Status(ctx)
			}
			switch {
			case c.refuse && gitFails == nil && errors.Is(err, ErrUnsupported):
				t.Logf("git serves another folder, we refuse: %v", err)
			case c.refuse:
				t.Fatalf("git status: %v; ours: %v, want ErrUnsupported", gitFails, err)
			case gitFails != nil && !errors.Is(err, ErrUnsupported):
				t.Fatalf("git refuses the repository (%v), we answer %v, want ErrUnsupported", gitFails, err)
			case gitFails != nil:
				t.Logf("refused like git: %v", err)
			case err != nil:
				t.Fatalf("git reads the repository, we fail: %v", err)
			default:
				if diff := cmp.Diff(sortedRecords(gitPorcelain(t, dir)), sortedRecords(porcelain(st))); diff != "" {
					t.Errorf("status differs (-git +ours):\n%s", diff)
				}
				text, err := r.Diff(ctx, DiffOptions{})
				if err != nil {
					t.Fatalf("Diff: %v", err)
				}
				if diff := cmp.Diff(runGit(t, dir, "diff", "HEAD"), text); diff != "" {
					t.Errorf("diff differs (-git +ours):\n%s", diff)
				}
			}
		})
	}
}

// TestWorktreeConfigWithSparseCheckout: `git sparse-checkout set` turns on
// extensions.worktreeConfig and puts core.sparseCheckout in
// config.worktree; the repository opens, and the configuration in effect
// is git's, in the worktree that has it and in the one that does not.
func TestWorktreeConfigWithSparseCheckout(t *testing.T) {
	t.Parallel()
	main, wt := linkedRepo(t, t.TempDir(), false)
	runGit(t, wt, "sparse-checkout", "set", "d")
	for _, dir := range []string{main, wt} {
		r := openRepo(t, dir)
		g, err := r.open()
		if err != nil {
			t.Fatalf("open %s: %v", dir, err)
		}
		if _, err := r.Status(context.Background()); err != nil {
			t.Errorf("Status in %s: %v", dir, err)
		}
		eff := effectiveConfig(g).Raw
		for _, key := range []string{"core.sparseCheckout", "core.sparseCheckoutCone", "core.bare", "extensions.worktreeConfig"} {
			want, _ := gitErr(dir, "config", "--get", key)
			section, name, _ := strings.Cut(key, ".")
			if got := eff.Section(section).Option(name); got != strings.TrimSpace(want) {
				t.Errorf("%s in %s = %q, git says %q", key, dir, got, strings.TrimSpace(want))
			}
		}
	}
}

// TestBareRepositoryWorktreeMatchesGit: a linked worktree of a bare
// repository (core.bare = true in the shared config) is a worktree for
// git, and for us.
func TestBareRepositoryWorktreeMatchesGit(t *testing.T) {
	t.Parallel()
	main, _ := linkedRepo(t, t.TempDir(), false)
	root := t.TempDir()
	bare, wt := filepath.Join(root, "repo.git"), filepath.Join(root, "wt")
	runGit(t, root, "clone", "-q", "--bare", main, bare)
	runGit(t, bare, "worktree", "add", "-q", wt, "feature")
	write(t, wt, "a.txt", "changed in the worktree of a bare repository\n")
	wtCompareReads(t, wt)
}

// TestWorktreeConfigIdentity: a user.name set only in config.worktree is
// the one git commits with in that worktree, and so is ours.
func TestWorktreeConfigIdentity(t *testing.T) {
	t.Parallel()
	main, wt := linkedRepo(t, t.TempDir(), false)
	runGit(t, main, "config", "extensions.worktreeConfig", "true")
	runGit(t, wt, "config", "--worktree", "user.name", "Worktree User")
	for _, dir := range []string{main, wt} {
		c, err := openRepo(t, dir).Commit(context.Background(), "identity", nil)
		if err != nil {
			t.Fatalf("Commit in %s: %v", dir, err)
		}
		want := Identity{Name: runGitTrim(t, dir, "config", "user.name"), Email: runGitTrim(t, dir, "config", "user.email")}
		for _, got := range []Signature{c.Author, c.Committer} {
			if diff := cmp.Diff(want, Identity{Name: got.Name, Email: got.Email}); diff != "" {
				t.Errorf("identity of a commit in %s differs (-git config +ours):\n%s", dir, diff)
			}
		}
	}
}

// TestSeparateGitDirMatchesGit: a worktree whose .git file points to a git
// directory elsewhere (git init --separate-git-dir) reads and writes as
// git does.
func TestSeparateGitDirMatchesGit(t *testing.T) {
	t.Parallel()
	build := func(root string) (string, string) {
		dir := filepath.Join(root, "wt")
		runGit(t, root, "init", "-q", "-b", "main", "--separate-git-dir", filepath.Join(root, "store.git"), dir)
		runGit(t, dir, "config", "user.name", "Repo User")
		runGit(t, dir, "config", "user.email", "repo@example.com")
		write(t, dir, "a.txt", "a\n")
		write(t, dir, "b.txt", "b\n")
		commitAll(t, dir, "first")
		write(t, dir, "a.txt", "a changed\n")
		write(t, dir, "n.txt", "new\n")
		return dir, ""
	}
	dir, _ := build(t.TempDir())
	wtCompareReads(t, dir)
	wtCompareWrite(t, wtWriteCase{name: "stage and commit", commit: true, git: [][]string{{"add", "-A", "--", "."}, {"commit", "-q", "-m", "all"}},
		ours: func(ctx context.Context, r *Repo) error {
			if err := r.Stage(ctx, []string{"."}); err != nil {
				return err
			}
			_, err := r.Commit(ctx, "all", nil)
			return err
		}}, build)
}

// TestPartialCloneRefusesWrites: a partial clone reads like git where its
// objects are present; writes are refused, and an object it lacks is
// named as such.
func TestPartialCloneRefusesWrites(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	src := initRepo(t)
	runGit(t, src, "config", "uploadpack.allowFilter", "true")
	write(t, src, "a.txt", "a\n")
	commitAll(t, src, "first")
	dst := filepath.Join(t.TempDir(), "clone")
	runGit(t, src, "clone", "-q", "--filter=tree:0", "file://"+src, dst)
	write(t, src, "a.txt", "a changed upstream\n")
	write(t, src, "new/b.txt", "b\n")
	commitAll(t, src, "second")
	runGit(t, dst, "fetch", "-q", "origin")
	write(t, dst, "a.txt", "a changed here\n")

	r := openRepo(t, dst)
	if diff := cmp.Diff(sortedRecords(gitPorcelain(t, dst)), sortedRecords(porcelain(statusOf(t, r)))); diff != "" {
		t.Errorf("status differs (-git +ours):\n%s", diff)
	}
	before := wtStatus(t, dst)
	if err := r.Stage(ctx, []string{"a.txt"}); !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "partial clone") {
		t.Errorf("Stage in a partial clone = %v, want ErrUnsupported naming the partial clone", err)
	}
	if err := r.Fetch(ctx, ""); !errors.Is(err, ErrUnsupported) {
		t.Errorf("Fetch in a partial clone = %v, want ErrUnsupported", err)
	}
	if diff := cmp.Diff(before, wtStatus(t, dst)); diff != "" {
		t.Errorf("refused writes changed the clone:\n%s", diff)
	}
	// origin/main's tree was not downloaded (tree:0): git fetches it on
	// demand, we say it is missing.
	_, err := r.Log(ctx, LogOptions{Ref: "origin/main", Path: "new"})
	if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "partial clone") {
		t.Errorf("Log of a commit whose tree is not downloaded = %v, want ErrUnsupported naming the partial clone", err)
	}
}

// TestWorktreesListedLikeGit compares the worktrees the checkout check
// considers with `git worktree list --porcelain`.
func TestWorktreesListedLikeGit(t *testing.T) {
	t.Parallel()
	main, wt := linkedRepo(t, t.TempDir(), true)
	for _, dir := range []string{main, wt} {
		var want []string
		for _, l := range strings.Split(runGit(t, dir, "worktree", "list", "--porcelain"), "\n") {
			if p, ok := strings.CutPrefix(l, "worktree "); ok {
				want = append(want, p)
			}
		}
		var got []string
		for _, w := range openRepo(t, dir).worktrees() {
			got = append(got, w.path)
		}
		sort.Strings(want)
		sort.Strings(got)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("worktrees seen from %s differ (-git +ours):\n%s", dir, diff)
		}
	}
}

// TestSHA256RepositoryRefused: git reads SHA-256 repositories; this
// package stores SHA-1 ids only and refuses them, naming the format.
func TestSHA256RepositoryRefused(t *testing.T) {
	t.Parallel()
	requireGit(t)
	dir := t.TempDir()
	runGit(t, dir, "init", "-q", "--object-format=sha256", "-b", "main")
	write(t, dir, "a.txt", "a\n")
	commitAll(t, dir, "first")
	_, err := Open(dir)
	if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "objectFormat = sha256") {
		t.Fatalf("Open of a SHA-256 repository = %v, want ErrUnsupported naming extensions.objectFormat", err)
	}
}
