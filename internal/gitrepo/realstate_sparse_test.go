package gitrepo

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// sparseRepo makes a repository with files at several depths and a branch
// other that changes files inside and outside any cone.
func sparseRepo(t *testing.T) string {
	dir := initRepo(t)
	for _, f := range []string{"top.md", "a/x", "a/deep/y", "a/deep/er/f", "b/z", "b/sub/q.md", "c/w"} {
		write(t, dir, f, f+"\n")
	}
	commitAll(t, dir, "base")
	runGit(t, dir, "checkout", "-q", "-b", "other")
	write(t, dir, "top.md", "top changed\n")
	write(t, dir, "a/new", "new in a\n")
	write(t, dir, "a/deep/er/g", "new deep\n")
	write(t, dir, "b/z", "z changed\n")
	write(t, dir, "d/new", "new dir\n")
	remove(t, dir, "c/w")
	commitAll(t, dir, "other")
	runGit(t, dir, "checkout", "-q", "main")
	return dir
}

// sparseTwin is a copy of the repository at base made sparse by the
// sparse-checkout command given (for example "set", "a").
func sparseTwin(t *testing.T, base string, sparseArgs ...string) string {
	dir := twinOf(t, base)
	// The copy's files have new inodes: without a refresh, git would take
	// them for changed and leave them despite the sparse patterns.
	runGit(t, dir, "update-index", "-q", "--refresh")
	runGit(t, dir, append([]string{"sparse-checkout"}, sparseArgs...)...)
	return dir
}

// compareSparseReads checks that Status, Diff and Numstat (the worktree
// against HEAD) answer as git does.
func compareSparseReads(t *testing.T, dir string) {
	t.Helper()
	ctx := context.Background()
	r := openRepo(t, dir)
	st := statusOf(t, r)
	if diff := cmp.Diff(sortedRecords(gitPorcelain(t, dir)), sortedRecords(porcelain(st))); diff != "" {
		t.Errorf("status (-git +ours):\n%s", diff)
	}
	patch, err := r.Diff(ctx, DiffOptions{})
	if err != nil {
		t.Fatalf("Diff: %v", err)
	}
	if diff := cmp.Diff(runGit(t, dir, "diff", "HEAD"), patch); diff != "" {
		t.Errorf("diff (-git +ours):\n%s", diff)
	}
	stats, err := r.Numstat(ctx, DiffOptions{})
	if err != nil {
		t.Fatalf("Numstat: %v", err)
	}
	if diff := cmp.Diff(parseNumstat(runGit(t, dir, "diff", "HEAD", "--numstat", "-z")), formatNumstat(stats)); diff != "" {
		t.Errorf("numstat (-git +ours):\n%s", diff)
	}
}

// TestSparseCheckoutLikeGit builds sparse checkouts (cone and non-cone,
// files present despite skip-worktree, skip-worktree entries with staged
// changes), compares status, diff and numstat with git's, then does each
// write with git in one copy and with this package in another and compares
// the states left.
func TestSparseCheckoutLikeGit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	type sparseWrite struct {
		name string
		ours func(r *Repo) error
		git  [][]string // the git commands that do the same
		// wantErr: ours fails with it, git fails too, and neither changes
		// anything (git add stages the rest; ours refuses the whole write).
		wantErr  error
		gitFails bool
	}
	stageAll := sparseWrite{name: "stage all", ours: func(r *Repo) error { return r.Stage(ctx, []string{"."}) }, git: [][]string{{"add", "-A", "."}}}
	unstageAll := sparseWrite{name: "unstage all", ours: func(r *Repo) error { return r.Unstage(ctx, []string{"."}) }, git: [][]string{{"reset", "-q", "--", "."}}}
	discardAll := sparseWrite{name: "discard all", ours: func(r *Repo) error { return r.Discard(ctx, []string{"a", "top.md"}) }, git: [][]string{{"restore", "--", "a", "top.md"}, {"clean", "-fq", "--", "a", "top.md"}}}
	switchOther := sparseWrite{name: "switch", ours: func(r *Repo) error { return r.Checkout(ctx, "other", false) }, git: [][]string{{"switch", "-q", "other"}}}
	tests := []struct {
		name   string
		build  func(t *testing.T, base string) string
		writes []sparseWrite
	}{
		{name: "cone", build: func(t *testing.T, base string) string {
			dir := sparseTwin(t, base, "set", "a")
			write(t, dir, "a/x", "changed\n")
			write(t, dir, "a/untracked", "u\n")
			return dir
		}, writes: []sparseWrite{stageAll, unstageAll, discardAll, switchOther,
			{name: "discard a skipped file", ours: func(r *Repo) error { return r.Discard(ctx, []string{"c/w"}) },
				git: [][]string{{"restore", "--", "c/w"}}, wantErr: ErrPathNotFound, gitFails: true},
			{name: "stage a skipped file", ours: func(r *Repo) error { return r.Stage(ctx, []string{"b"}) },
				git: [][]string{{"add", "-A", "b"}}, wantErr: ErrUnsupported, gitFails: true},
		}},
		{name: "cone with parent directory", build: func(t *testing.T, base string) string {
			dir := sparseTwin(t, base, "set", "a/deep")
			remove(t, dir, "a/x")
			return dir
		}, writes: []sparseWrite{stageAll, switchOther}},
		{name: "non-cone", build: func(t *testing.T, base string) string {
			dir := sparseTwin(t, base, "set", "--no-cone", "/a/deep/", "*.md", "!/b/sub/")
			write(t, dir, "b/sub/q.md", "changed\n")
			write(t, dir, "a/deep/y", "changed\n")
			return dir
		}, writes: []sparseWrite{stageAll, discardAll, switchOther}},
		{name: "present despite skip-worktree", build: func(t *testing.T, base string) string {
			dir := sparseTwin(t, base, "set", "a")
			write(t, dir, "b/z", "changed outside\n")
			write(t, dir, "c/w", "c/w\n")
			write(t, dir, "a/x", "changed\n")
			return dir
		}, writes: []sparseWrite{stageAll, discardAll,
			{name: "discard outside", ours: func(r *Repo) error { return r.Discard(ctx, []string{"b", "c"}) }, git: [][]string{{"restore", "--", "b", "c"}}},
			{name: "switch", ours: func(r *Repo) error { return r.Checkout(ctx, "other", false) }, wantErr: ErrUnsupported},
			{name: "create branch", ours: func(r *Repo) error { return r.Checkout(ctx, "new", true) }, git: [][]string{{"switch", "-q", "-c", "new"}}}}},
		{name: "untracked outside", build: func(t *testing.T, base string) string {
			dir := sparseTwin(t, base, "set", "a")
			write(t, dir, "a/x", "changed\n")
			write(t, dir, "d/untracked", "u\n")
			return dir
		}, writes: []sparseWrite{{name: "stage all", ours: stageAll.ours, git: stageAll.git, wantErr: ErrUnsupported, gitFails: true}}},
		{name: "skipped entries with staged changes", build: func(t *testing.T, base string) string {
			dir := sparseTwin(t, base, "set", "a")
			runGit(t, dir, "reset", "-q", "--soft", "other")
			return dir
		}, writes: []sparseWrite{unstageAll, stageAll}},
	}
	base := sparseRepo(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := tt.build(t, base)
			for _, w := range tt.writes {
				t.Run(w.name, func(t *testing.T) {
					ours, theirs := twinOf(t, dir), twinOf(t, dir)
					err := w.ours(openRepo(t, ours))
					if w.wantErr != nil {
						if !errors.Is(err, w.wantErr) {
							t.Fatalf("got %v, want %v", err, w.wantErr)
						}
						if diff := cmp.Diff(leftState(t, theirs), leftState(t, ours)); diff != "" {
							t.Errorf("a refused write changed the repository (-untouched +ours):\n%s", diff)
						}
						if w.gitFails {
							if _, gitErr := gitErr(theirs, w.git[0]...); gitErr == nil {
								t.Errorf("git %s succeeded", strings.Join(w.git[0], " "))
							}
						}
						return
					}
					if err != nil {
						t.Fatal(err)
					}
					for _, args := range w.git {
						runGit(t, theirs, args...)
					}
					if diff := cmp.Diff(leftState(t, theirs), leftState(t, ours)); diff != "" {
						t.Errorf("state (-git +ours):\n%s", diff)
					}
					fsckClean(t, ours)
				})
			}
			// Last, as git status records in the index what it finds.
			compareSparseReads(t, dir)
		})
	}
}

// FuzzSparsePatterns reads any info/sparse-checkout file in cone and
// non-cone mode: no panic, and cone mode, which git only keeps for its own
// patterns, always includes the files at the root.
func FuzzSparsePatterns(f *testing.F) {
	f.Add([]byte("/*\n!/*/\n/a/\n!/a/*/\n/a/deep/\n"), "a/deep/x")
	f.Add([]byte("/*\n!/*/\n/b\\*c/\n"), "b*c/d")
	f.Add([]byte("*.md\n!/b/sub/\n/a/deep/\n"), "b/sub/q.md")
	f.Fuzz(func(t *testing.T, data []byte, path string) {
		for _, cone := range []bool{true, false} {
			sc := parseSparse(data, cone)
			sc.includes(path)
			if sc.cone && !sc.includes("top-level-file") {
				t.Errorf("cone patterns %q exclude a file at the root", data)
			}
		}
	})
}
