package gitrepo

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// subFixture is a superproject with the submodules a (which holds the
// nested submodule a/nested) and lib/b, all checked out, cloned from the
// local repositories subA, subB and nested.
type subFixture struct {
	super, subA, subB, nested string
}

// gitSub runs git with file-protocol clones allowed, as submodule commands
// from local paths need.
func gitSub(tb testing.TB, dir string, args ...string) string {
	tb.Helper()
	return runGit(tb, dir, append([]string{"-c", "protocol.file.allow=always"}, args...)...)
}

func newSubFixture(tb testing.TB) *subFixture {
	tb.Helper()
	repo := func(file string) string {
		dir := initRepo(tb)
		write(tb, dir, file, "one\ntwo\n")
		commitAll(tb, dir, "first")
		return dir
	}
	fx := &subFixture{nested: repo("n.txt"), subA: repo("f.txt"), subB: repo("g.txt")}
	gitSub(tb, fx.subA, "submodule", "add", "-q", fx.nested, "nested")
	runGit(tb, fx.subA, "commit", "-qm", "nested")
	fx.super = initRepo(tb)
	write(tb, fx.super, "top.txt", "top\n")
	commitAll(tb, fx.super, "top")
	gitSub(tb, fx.super, "submodule", "add", "-q", fx.subA, "a")
	gitSub(tb, fx.super, "submodule", "add", "-q", fx.subB, "lib/b")
	gitSub(tb, fx.super, "submodule", "update", "-q", "--init", "--recursive")
	runGit(tb, fx.super, "commit", "-qm", "submodules")
	return fx
}

// copy returns a copy of the superproject.
func (fx *subFixture) copy(tb testing.TB) string { return twinOf(tb, fx.super) }

// commitIn commits a change to file in the repository at dir.
func commitIn(tb testing.TB, dir, file, content string) {
	tb.Helper()
	write(tb, dir, file, content)
	runGit(tb, dir, "add", "-A")
	runGit(tb, dir, "commit", "-qm", "change "+file)
}

// submoduleStates are worktrees people have with submodules. Each edits a
// copy of the fixture and, to keep the test fast, puts a and lib/b (and a
// new c or x) in different states at once: they are independent.
func submoduleStates(fx *subFixture) []subState {
	a := func(dir string, p ...string) string { return filepath.Join(append([]string{dir, "a"}, p...)...) }
	return []subState{
		{"a modified, lib/b untracked content", func(t *testing.T, dir string) {
			write(t, dir, "a/f.txt", "one\nTWO\n")
			write(t, dir, "lib/b/new.txt", "new\n")
		}},
		{"a moved, lib/b not initialized", func(t *testing.T, dir string) {
			commitIn(t, a(dir), "f.txt", "moved\n")
			runGit(t, dir, "submodule", "deinit", "-q", "-f", "lib/b")
		}},
		{"a moved, modified and untracked, lib/b removed", func(t *testing.T, dir string) {
			commitIn(t, a(dir), "f.txt", "moved\n")
			write(t, dir, "a/f.txt", "dirty\n")
			write(t, dir, "a/u.txt", "u\n")
			runGit(t, dir, "rm", "-q", "lib/b")
		}},
		{"a moved and staged, then dirty, lib/b folder missing", func(t *testing.T, dir string) {
			commitIn(t, a(dir), "f.txt", "moved\n")
			runGit(t, dir, "add", "a")
			write(t, dir, "a/f.txt", "dirty\n")
			remove(t, dir, "lib/b")
		}},
		{"a moved back after staging, lib/b moved to another folder", func(t *testing.T, dir string) {
			commitIn(t, a(dir), "f.txt", "moved\n")
			runGit(t, dir, "add", "a")
			runGit(t, a(dir), "checkout", "-q", "HEAD~1")
			runGit(t, dir, "mv", "lib/b", "b2")
		}},
		{"a replaced by a file, new submodule c staged and dirty", func(t *testing.T, dir string) {
			remove(t, dir, "a")
			write(t, dir, "a", "a file\n")
			gitSub(t, dir, "submodule", "add", "-q", fx.subB, "c")
			write(t, dir, "c/g.txt", "dirty\n")
			write(t, dir, "c/u.txt", "u\n")
		}},
		{"a's nested submodule untracked, lib/b modified and untracked, untracked repository x", func(t *testing.T, dir string) {
			write(t, dir, "a/nested/u.txt", "u\n")
			write(t, dir, "lib/b/g.txt", "dirty\n")
			write(t, dir, "lib/b/u.txt", "u\n")
			runGit(t, dir, "init", "-q", "x")
			commitIn(t, filepath.Join(dir, "x"), "x.txt", "x\n")
		}},
		{"a's nested submodule modified, top.txt replaced by a repository", func(t *testing.T, dir string) {
			write(t, dir, "a/nested/n.txt", "changed\n")
			remove(t, dir, "top.txt")
			runGit(t, dir, "init", "-q", "top.txt")
			commitIn(t, filepath.Join(dir, "top.txt"), "t.txt", "t\n")
		}},
		{"a conflicted in a merge, its worktree at the base commit and dirty", func(t *testing.T, dir string) {
			runGit(t, dir, "switch", "-q", "-c", "one")
			commitIn(t, a(dir), "f.txt", "one\n")
			runGit(t, dir, "commit", "-qam", "a one")
			runGit(t, dir, "switch", "-q", "main")
			runGit(t, a(dir), "checkout", "-q", "HEAD~1")
			commitIn(t, a(dir), "f.txt", "two\n")
			runGit(t, dir, "commit", "-qam", "a two")
			if _, err := gitErr(dir, "merge", "-q", "one"); err == nil {
				t.Fatal("the merge of two commits of a did not conflict")
			}
			runGit(t, a(dir), "checkout", "-q", "HEAD~1")
			write(t, dir, "a/f.txt", "dirty\n")
		}},
		{"a's nested submodule moved, lib/b moved and staged", func(t *testing.T, dir string) {
			commitIn(t, a(dir, "nested"), "n.txt", "moved\n")
			commitIn(t, filepath.Join(dir, "lib", "b"), "g.txt", "moved\n")
			runGit(t, dir, "add", "lib/b")
		}},
	}
}

// subState is one state of the fixture's copy.
type subState struct {
	name  string
	build func(t *testing.T, dir string)
}

// builtStates keeps a copy of each submodule state, made once in a folder
// of the test, for the writes that start from that state.
type builtStates struct {
	fx     *subFixture
	states []subState
	keep   string // the test's folder for them
	built  []builtState
}

type builtState struct {
	once sync.Once
	dir  string // empty if the state could not be built
}

func newBuiltStates(t *testing.T, fx *subFixture, states []subState) *builtStates {
	return &builtStates{fx: fx, states: states, keep: t.TempDir(), built: make([]builtState, len(states))}
}

// keepCopy keeps a copy of dir, just built in state i, unless state i
// was kept already.
func (b *builtStates) keepCopy(t *testing.T, i int, dir string) {
	t.Helper()
	b.built[i].once.Do(func() {
		to := filepath.Join(b.keep, strconv.Itoa(i))
		copyRepo(t, dir, to)
		b.built[i].dir = to
	})
}

// copyOf returns a copy of the fixture in state i, built the first time
// (when no read of that state kept its copy first).
func (b *builtStates) copyOf(t *testing.T, i int) string {
	t.Helper()
	b.built[i].once.Do(func() {
		to := filepath.Join(b.keep, strconv.Itoa(i))
		copyRepo(t, b.fx.super, to)
		b.states[i].build(t, to)
		b.built[i].dir = to
	})
	if b.built[i].dir == "" {
		t.Fatalf("the state %q could not be built (see the test that built it)", b.states[i].name)
	}
	return twinOf(t, b.built[i].dir)
}

// dirtyEverywhere moves a's commit and gives both submodules changes and
// untracked files, for the ignore settings to filter.
func dirtyEverywhere(t *testing.T, dir string) {
	commitIn(t, filepath.Join(dir, "a"), "f.txt", "moved\n")
	write(t, dir, "a/f.txt", "dirty\n")
	write(t, dir, "a/u.txt", "u\n")
	write(t, dir, "lib/b/g.txt", "dirty\n")
	write(t, dir, "lib/b/u.txt", "u\n")
}

// submoduleIgnoreStates set submodule.<name>.ignore and
// diff.ignoreSubmodules in the places git reads them.
func submoduleIgnoreStates() []subState {
	return []subState{
		{"a ignore=all in config, lib/b untracked in config", func(t *testing.T, dir string) {
			dirtyEverywhere(t, dir)
			runGit(t, dir, "config", "submodule.a.ignore", "all")
			runGit(t, dir, "config", "submodule.lib/b.ignore", "untracked")
		}},
		{"a ignore=all with a staged move, lib/b dirty in .gitmodules", func(t *testing.T, dir string) {
			dirtyEverywhere(t, dir)
			runGit(t, dir, "add", "a")
			runGit(t, dir, "config", "submodule.a.ignore", "all")
			runGit(t, dir, "config", "-f", ".gitmodules", "submodule.lib/b.ignore", "dirty")
		}},
		{"diff.ignoreSubmodules=dirty, a none in config over all in .gitmodules", func(t *testing.T, dir string) {
			dirtyEverywhere(t, dir)
			runGit(t, dir, "config", "diff.ignoreSubmodules", "dirty")
			runGit(t, dir, "config", "-f", ".gitmodules", "submodule.a.ignore", "all")
			runGit(t, dir, "config", "submodule.a.ignore", "none")
		}},
		{"a ignore=all in config.worktree over none in config", func(t *testing.T, dir string) {
			dirtyEverywhere(t, dir)
			runGit(t, dir, "config", "submodule.a.ignore", "none")
			runGit(t, dir, "config", "extensions.worktreeConfig", "true")
			runGit(t, dir, "config", "--worktree", "submodule.a.ignore", "all")
		}},
	}
}

// TestSubmodules compares status, diff and numstat with the git CLI's on
// each submodule state, then stage, discard and checkout: each done with
// our code in one copy and with git in another, comparing the states they
// leave.
func TestSubmodules(t *testing.T) {
	t.Parallel()
	fx := newSubFixture(t)
	ctx := context.Background()
	states := submoduleStates(fx)
	built := newBuiltStates(t, fx, states)
	t.Run("reads", func(t *testing.T) {
		for i, sc := range append(states, submoduleIgnoreStates()...) {
			t.Run(sc.name, func(t *testing.T) {
				t.Parallel()
				dir := fx.copy(t)
				sc.build(t, dir)
				if i < len(states) {
					built.keepCopy(t, i, dir) // before the reads refresh its index
				}
				// StatusCLI runs git with --ignore-submodules=none; one
				// state with every <sub> flag is enough for its parse.
				compareSubmoduleReads(t, dir, i == 2)
			})
		}
	})
	t.Run("writes", func(t *testing.T) {
		for _, tc := range []struct {
			state int    // index in states
			op    string // "stage", "unstage", "discard" or "commit"
			paths []string
			git   []string
		}{
			{2, "stage", []string{"."}, []string{"add", "-A", "--", "."}},
			{0, "stage", []string{"a", "lib/b"}, []string{"add", "-A", "--", "a", "lib/b"}},
			{3, "stage", []string{"a", "lib/b"}, []string{"add", "-A", "--", "a", "lib/b"}},
			{4, "stage", []string{"a"}, []string{"add", "-A", "--", "a"}},
			{5, "stage", []string{"a"}, []string{"add", "-A", "--", "a"}},
			{6, "stage", []string{"x", "a"}, []string{"add", "-A", "--", "x", "a"}},
			{7, "stage", []string{"top.txt"}, []string{"add", "-A", "--", "top.txt"}},
			{3, "unstage", []string{"a"}, []string{"restore", "--staged", "--", "a"}},
			{8, "stage", []string{"a"}, []string{"add", "-A", "--", "a"}},
			{9, "commit", nil, []string{"commit", "-qm", "commit"}},
			{1, "discard", []string{"a"}, []string{"restore", "--", "a"}},
			{3, "discard", []string{"a", "lib/b"}, []string{"restore", "--", "a", "lib/b"}},
			{5, "discard", []string{"a"}, []string{"restore", "--", "a"}},
		} {
			sc := states[tc.state]
			t.Run(tc.op+" "+strings.Join(tc.paths, " ")+", "+sc.name, func(t *testing.T) {
				t.Parallel()
				ours := built.copyOf(t, tc.state)
				theirs := twinOf(t, ours)
				r := openRepo(t, ours)
				var err error
				switch tc.op {
				case "stage":
					err = r.Stage(ctx, tc.paths)
				case "unstage":
					err = r.Unstage(ctx, tc.paths)
				case "discard":
					err = r.Discard(ctx, tc.paths)
				case "commit":
					_, err = r.Commit(ctx, "commit", nil)
				}
				if err != nil {
					t.Fatalf("%s %v: %v", tc.op, tc.paths, err)
				}
				if _, err := gitErr(theirs, tc.git...); err != nil {
					t.Fatalf("git %v: %v", tc.git, err)
				}
				compareSubmoduleWrite(t, theirs, ours, fmt.Sprint(tc.op, tc.paths))
			})
		}
	})
	t.Run("paths inside a submodule", func(t *testing.T) {
		dir := fx.copy(t)
		write(t, dir, "a/f.txt", "changed\n")
		before, _ := submoduleRepoState(t, dir)
		if _, err := gitErr(dir, "add", "-A", "--", "a/f.txt"); err == nil {
			t.Fatal("git add of a path inside a submodule succeeded")
		}
		r := openRepo(t, dir)
		for op, fn := range map[string]func(context.Context, []string) error{"stage": r.Stage, "discard": r.Discard} {
			err := fn(ctx, []string{"a/f.txt"})
			if !errors.Is(err, ErrPathNotFound) || !strings.Contains(err.Error(), "inside submodule a") {
				t.Errorf("%s a/f.txt: %v, want ErrPathNotFound naming submodule a", op, err)
			}
		}
		if after, _ := submoduleRepoState(t, dir); !cmp.Equal(before, after) {
			t.Errorf("refused writes changed the repository (-before +after):\n%s", cmp.Diff(before, after))
		}
	})
	t.Run("discard of a file replaced by a repository", func(t *testing.T) {
		// git restore would delete the repository, history and all.
		dir := built.copyOf(t, 7)
		before, _ := submoduleRepoState(t, dir)
		err := openRepo(t, dir).Discard(ctx, []string{"top.txt"})
		if !errors.Is(err, ErrUnsupported) {
			t.Errorf("discard top.txt: %v, want ErrUnsupported", err)
		}
		if after, _ := submoduleRepoState(t, dir); !cmp.Equal(before, after) {
			t.Errorf("the refused discard changed the repository (-before +after):\n%s", cmp.Diff(before, after))
		}
	})
	t.Run("checkout", func(t *testing.T) {
		// Branch "moved" records a new commit of a; "dropped" has no lib/b.
		// Each copy starts on main with both submodules checked out.
		runGit(t, fx.super, "switch", "-q", "-c", "moved")
		commitIn(t, filepath.Join(fx.super, "a"), "f.txt", "moved\n")
		runGit(t, fx.super, "commit", "-qam", "move a")
		runGit(t, fx.super, "switch", "-q", "-c", "dropped", "main")
		runGit(t, fx.super, "rm", "-q", "lib/b")
		runGit(t, fx.super, "commit", "-qm", "drop lib/b")
		runGit(t, fx.super, "switch", "-q", "main")
		gitSub(t, fx.super, "submodule", "update", "-q", "--init", "--recursive")
		for _, tc := range []struct{ from, to string }{
			{"main", "moved"}, {"moved", "main"}, {"main", "dropped"}, {"dropped", "main"},
		} {
			t.Run(tc.from+" to "+tc.to, func(t *testing.T) {
				t.Parallel()
				ours := fx.copy(t)
				if tc.from != "main" {
					runGit(t, ours, "switch", "-q", tc.from)
				}
				theirs := twinOf(t, ours)
				if err := openRepo(t, ours).Checkout(ctx, tc.to, false); err != nil {
					t.Fatalf("Checkout %s: %v", tc.to, err)
				}
				runGit(t, theirs, "switch", "-q", tc.to)
				compareSubmoduleWrite(t, theirs, ours, "checkout "+tc.to)
			})
		}
	})
}

// compareSubmoduleReads checks status, diff and numstat, of the worktree
// and of the index, against git's; withCLI also checks StatusCLI's parse
// of the submodule fields.
func compareSubmoduleReads(t *testing.T, dir string, withCLI bool) {
	t.Helper()
	ctx := context.Background()
	r := openRepo(t, dir)
	got := sortedRecords(porcelain(statusOf(t, r)))
	want := sortedRecords(gitPorcelain(t, dir))
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("status (-git +ours):\n%s", diff)
	}
	if withCLI {
		cli, err := r.StatusCLI(ctx)
		if err != nil {
			t.Fatalf("StatusCLI: %v", err)
		}
		if diff := cmp.Diff(want, sortedRecords(porcelain(cli))); diff != "" {
			t.Errorf("StatusCLI (-git +parsed):\n%s", diff)
		}
	}
	for _, tc := range []struct {
		opts DiffOptions
		args []string
	}{
		{DiffOptions{}, []string{"HEAD"}},
		{DiffOptions{Staged: true}, []string{"--cached", "HEAD"}},
	} {
		text, stats, err := r.DiffStat(ctx, tc.opts)
		if err != nil {
			t.Fatalf("DiffStat(%+v): %v", tc.opts, err)
		}
		// One git run gives both: the numstat records, a NUL, the patch.
		out := runGit(t, dir, append([]string{"diff", "--numstat", "-p", "-z"}, tc.args...)...)
		var want []string
		if cut := strings.Index(out, "\x00\x00"); cut >= 0 {
			want, out = parseNumstat(out[:cut+1]), out[cut+2:]
		}
		if diff := cmp.Diff(out, text); diff != "" {
			t.Errorf("diff differs from git diff %v (-git +ours):\n%s", tc.args, diff)
		}
		if diff := cmp.Diff(want, formatNumstat(stats)); diff != "" {
			t.Errorf("numstat differs from git diff --numstat %v (-git +ours):\n%s", tc.args, diff)
		}
	}
}

// submoduleRepoState is what a write leaves: HEAD's tree and parent, the
// index's stage listing, and status but the commit id (whose dates differ):
// its <sub> fields say whether each submodule's HEAD is the recorded commit
// and whether it has changes.
func submoduleRepoState(t *testing.T, dir string) (state, status []string) {
	t.Helper()
	state = strings.Split(strings.TrimSpace(runGit(t, dir, "ls-files", "-s")), "\n")
	state = append(state, strings.Fields(runGit(t, dir, "log", "-1", "--format=tree %T parent %P"))...)
	return state, withoutOid(sortedRecords(gitPorcelain(t, dir)))
}

// compareSubmoduleWrite compares the state our write left in ours with
// the one git left in theirs, checks ours with git fsck, and our status
// of ours with git's.
func compareSubmoduleWrite(t *testing.T, theirs, ours, what string) {
	t.Helper()
	ourStatus := withoutOid(sortedRecords(porcelain(statusOf(t, openRepo(t, ours)))))
	wantState, wantStatus := submoduleRepoState(t, theirs)
	gotState, gotStatus := submoduleRepoState(t, ours)
	if diff := cmp.Diff(append(wantState, wantStatus...), append(gotState, gotStatus...)); diff != "" {
		t.Errorf("state after %s (-git +ours):\n%s", what, diff)
	}
	fsckClean(t, ours)
	if diff := cmp.Diff(gotStatus, ourStatus); diff != "" {
		t.Errorf("status after %s (-git +ours):\n%s", what, diff)
	}
}
