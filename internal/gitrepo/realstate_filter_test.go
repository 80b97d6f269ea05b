package gitrepo

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// lfsPointerScript stands in for git-lfs's clean filter: it replaces the
// content by a pointer naming its SHA-256 (in two processes, as the tests
// run it often).
const lfsPointerScript = `sha256sum | { read -r h _; printf 'version https://git-lfs.github.com/spec/v1\noid sha256:%s\n' "$h"; }
`

// lfsRepo makes a repository whose *.bin files go through a stand-in lfs
// filter, so git itself commits pointers, then changes one of them.
func lfsRepo(t *testing.T) string {
	t.Helper()
	dir := initRepo(t)
	script := filepath.Join(t.TempDir(), "lfs-clean.sh")
	if err := os.WriteFile(script, []byte(lfsPointerScript), 0o755); err != nil {
		t.Fatal(err)
	}
	runGit(t, dir, "config", "filter.lfs.clean", "sh "+script)
	runGit(t, dir, "config", "filter.lfs.smudge", "cat")
	runGit(t, dir, "config", "filter.lfs.required", "true")
	write(t, dir, ".gitattributes", "*.bin filter=lfs diff=lfs merge=lfs -text\n")
	write(t, dir, "big.bin", strings.Repeat("large content\n", 1400))
	write(t, dir, "other.bin", strings.Repeat("x", 5000))
	write(t, dir, "a.txt", "one\ntwo\n")
	commitAll(t, dir, "lfs")
	if blob := runGit(t, dir, "cat-file", "-s", "HEAD:big.bin"); strings.TrimSpace(blob) == "19600" {
		t.Fatal("the stand-in filter did not run: git committed the content, not a pointer")
	}
	write(t, dir, "big.bin", strings.Repeat("changed content\n", 1200))
	write(t, dir, "a.txt", "one\n2\n")
	write(t, dir, "new.bin", "brand new\n")
	return dir
}

// TestFilterReadsThroughGitCLI checks that a repository with a filter the
// package does not run is read through the git CLI, with git's answers.
func TestFilterReadsThroughGitCLI(t *testing.T) {
	ctx := context.Background()
	base := lfsRepo(t)
	ours, theirs := twinOf(t, base), twinOf(t, base)
	wantStatus := sortedRecords(gitPorcelain(t, theirs))
	wantDiff := runGit(t, theirs, "diff", "HEAD")
	wantNumstat := parseNumstat(runGit(t, theirs, "diff", "HEAD", "--numstat", "-z"))
	wantStaged := runGit(t, theirs, "diff", "--cached", "HEAD", "--", "a.txt")
	runGit(t, theirs, "add", "-N", "new.bin")
	wantUntracked := runGit(t, theirs, "diff", "HEAD")

	// Variables of the portal's environment must not redirect the reads.
	t.Setenv("GIT_DIR", "/nonexistent")
	t.Setenv("GIT_INDEX_FILE", "/nonexistent/index")
	t.Setenv("GIT_EXTERNAL_DIFF", "false")
	t.Setenv("GIT_CONFIG_PARAMETERS", "'diff.noprefix'='true'")
	indexBefore, err := os.ReadFile(filepath.Join(ours, ".git", "index"))
	if err != nil {
		t.Fatal(err)
	}
	r := openRepo(t, ours)
	why, err := r.ReadsNeedGitCLI(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := "the lfs filter (big.bin, other.bin)"; why != want {
		t.Errorf("ReadsNeedGitCLI = %q, want %q", why, want)
	}
	if st, whyStatus, err := r.StatusUnlessCLI(ctx); st != nil || whyStatus != why || err != nil {
		t.Errorf("StatusUnlessCLI = %v, %q, %v; want no status, %q", st, whyStatus, err, why)
	}
	if text, stats, whyDiff, err := r.DiffUnlessCLI(ctx, DiffOptions{}, true); text != "" || stats != nil || whyDiff != why || err != nil {
		t.Errorf("DiffUnlessCLI = %q, %v, %q, %v; want no diff, %q", text, stats, whyDiff, err, why)
	}
	st, err := r.StatusCLI(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantStatus, sortedRecords(porcelain(st))); diff != "" {
		t.Errorf("status (-git +ours):\n%s", diff)
	}
	text, err := r.DiffCLI(ctx, DiffOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantDiff, text); diff != "" {
		t.Errorf("diff (-git +ours):\n%s", diff)
	}
	stats, err := r.NumstatCLI(ctx, DiffOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantNumstat, formatNumstat(stats)); diff != "" {
		t.Errorf("numstat (-git +ours):\n%s", diff)
	}
	if text, err = r.DiffCLI(ctx, DiffOptions{Staged: true, Paths: []string{"a.txt"}}); err != nil || text != wantStaged {
		t.Errorf("staged diff of a.txt = %q, %v; want %q", text, err, wantStaged)
	}
	if text, err = r.DiffCLI(ctx, DiffOptions{Untracked: true}); err != nil || text != wantUntracked {
		t.Errorf("diff with untracked files = %q, %v; want %q", text, err, wantUntracked)
	}
	if after, err := os.ReadFile(filepath.Join(ours, ".git", "index")); err != nil || string(after) != string(indexBefore) {
		t.Errorf("reads through the git CLI changed the index (%v)", err)
	}
}

// TestFilterWritesRefused checks that writes touching filtered files change
// nothing and name the filter and the files.
func TestFilterWritesRefused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := lfsRepo(t)
	runGit(t, dir, "checkout", "-q", "-b", "other")
	write(t, dir, "other.bin", "changed on other\n")
	runGit(t, dir, "commit", "-q", "-m", "other", "--", "other.bin")
	runGit(t, dir, "checkout", "-q", "main")
	before, files := indexState(t, dir), worktreeBytes(t, dir)
	objects := runGit(t, dir, "count-objects")
	r := openRepo(t, dir)
	// other.bin, checked out as its pointer by the stand-in filter, may be
	// modified or not depending on the clock (a racy entry): the stage
	// error names it or not.
	for _, w := range []struct {
		name  string
		want  []string
		write func() error
	}{
		{"stage", []string{"the lfs filter (big.bin, ", "new.bin)"}, func() error { return r.Stage(ctx, []string{"."}) }},
		{"discard", []string{"the lfs filter (big.bin)"}, func() error { return r.Discard(ctx, []string{"big.bin", "a.txt"}) }},
		{"checkout", []string{"the lfs filter (other.bin)"}, func() error { return r.Checkout(ctx, "other", false) }},
	} {
		err := w.write()
		ok := errors.Is(err, ErrUnsupported) && strings.Contains(fmt.Sprint(err), "git CLI")
		for _, s := range w.want {
			ok = ok && strings.Contains(err.Error(), s)
		}
		if !ok {
			t.Errorf("%s: error %v, want ErrUnsupported naming %q and the git CLI", w.name, err, w.want)
		}
	}
	if diff := cmp.Diff(before, indexState(t, dir)); diff != "" {
		t.Errorf("index changed by refused writes (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff(files, worktreeBytes(t, dir)); diff != "" {
		t.Errorf("worktree changed by refused writes (-before +after):\n%s", diff)
	}
	if got := runGitTrim(t, dir, "symbolic-ref", "--short", "HEAD"); got != "main" {
		t.Errorf("a refused checkout moved HEAD to %s", got)
	}
	if got := runGit(t, dir, "count-objects"); got != objects {
		t.Errorf("refused writes stored objects: %q, before %q", got, objects)
	}
	// A file without the filter is still staged by the package.
	if err := r.Stage(ctx, []string{"a.txt"}); err != nil {
		t.Errorf("stage a.txt: %v", err)
	}
}

// TestGitCLICancelled checks that a read through the git CLI ends with its
// context, hanging filter included.
func TestGitCLICancelled(t *testing.T) {
	t.Parallel()
	dir := lfsRepo(t)
	runGit(t, dir, "config", "filter.lfs.clean", "sleep 600")
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := openRepo(t, twinOf(t, dir)).StatusCLI(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("StatusCLI with a hanging filter: %v, want context.DeadlineExceeded", err)
	}
}

// FuzzParsePorcelainV2 checks that any git status output parses without
// panic, and that what parses renders back to records that parse the same.
func FuzzParsePorcelainV2(f *testing.F) {
	h := strings.Repeat("a", 40)
	f.Add("# branch.oid " + h + "\x00# branch.head main\x00# branch.upstream origin/main\x00# branch.ab +1 -2\x00" +
		"1 .M N... 100644 100644 100644 " + h + " " + h + " a b.txt\x00" +
		"2 R. N... 100644 100644 100644 " + h + " " + h + " R87 new\x00old\x00" +
		"u UU N... 100644 100644 100644 100644 " + h + " " + h + " " + h + " c\x00? d e\x00! f\x00")
	f.Add("# branch.oid (initial)\x00# branch.head (detached)\x00")
	f.Fuzz(func(t *testing.T, out string) {
		st, err := parsePorcelainV2([]byte(out))
		if err != nil {
			return
		}
		again, err := parsePorcelainV2([]byte(strings.Join(porcelain(st), "\x00")))
		if err != nil {
			t.Fatalf("rendered status does not parse: %v", err)
		}
		if diff := cmp.Diff(porcelain(st), porcelain(again)); diff != "" {
			t.Fatalf("status changed through a render (-first +second):\n%s", diff)
		}
	})
}

// FuzzParseRawNumstat checks that any git diff --raw --numstat output
// parses without panic into consistent file stats.
func FuzzParseRawNumstat(f *testing.F) {
	f.Add(":100644 100644 abc def M\x00a\x00:100644 100644 abc def R086\x00old\x00new\x00" +
		"1\t2\ta\x003\t0\t\x00old\x00new\x00")
	f.Add(":000000 100644 000 abc A\x00bin\x00-\t-\tbin\x00")
	f.Fuzz(func(t *testing.T, out string) {
		stats, err := parseRawNumstat([]byte(out))
		if err != nil {
			return
		}
		for _, s := range stats {
			if s.Binary && (s.Added != 0 || s.Deleted != 0) || s.Added < 0 || s.Deleted < 0 {
				t.Fatalf("inconsistent stat %+v", s)
			}
		}
	})
}

// BenchmarkReadsNeedGitCLI reports the cost of the check made before each
// status and diff (ReadsNeedGitCLI) relative to the in-process status, on
// the benchmark repository, timed alternately in the same run, and the
// cost of the status that makes the check on the index it reads
// (StatusUnlessCLI, as the portal reads) relative to the status alone.
func BenchmarkReadsNeedGitCLI(b *testing.B) {
	dir := benchRepo(b)
	ctx := context.Background()
	r, err := Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	var check, status, checked time.Duration
	for i := 0; i < b.N; i++ {
		start := time.Now()
		if why, err := r.ReadsNeedGitCLI(ctx); err != nil || why != "" {
			b.Fatalf("ReadsNeedGitCLI = %q, %v", why, err)
		}
		check += time.Since(start)
		start = time.Now()
		if _, err := r.Status(ctx); err != nil {
			b.Fatal(err)
		}
		status += time.Since(start)
		start = time.Now()
		if st, why, err := r.StatusUnlessCLI(ctx); err != nil || why != "" || st == nil {
			b.Fatalf("StatusUnlessCLI = %v, %q, %v", st, why, err)
		}
		checked += time.Since(start)
	}
	b.ReportMetric(float64(check.Nanoseconds())/float64(b.N), "check-ns/op")
	b.ReportMetric(float64(check)/float64(status), "check-vs-status")
	b.ReportMetric(float64(checked)/float64(status), "checked-status-vs-status")
}

// TestGitCLIMissing checks that reads needing the git CLI are refused with
// ErrUnsupported, saying so, when git is not on PATH.
func TestGitCLIMissing(t *testing.T) {
	r := openRepo(t, initRepo(t))
	t.Setenv("PATH", t.TempDir())
	for name, read := range map[string]func() error{
		"status": func() error { _, err := r.StatusCLI(context.Background()); return err },
		"diff":   func() error { _, err := r.DiffCLI(context.Background(), DiffOptions{}); return err },
	} {
		if err := read(); !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "git CLI, which is not on PATH") {
			t.Errorf("%s without git on PATH: %v, want ErrUnsupported saying git is not on PATH", name, err)
		}
	}
}

// TestWorkingTreeEncodingNeedsGitCLI checks that a file git re-encodes
// (working-tree-encoding) sends reads to the git CLI, with git's status,
// and that staging it is refused.
func TestWorkingTreeEncodingNeedsGitCLI(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := initRepo(t)
	write(t, dir, ".gitattributes", "*.u16 working-tree-encoding=UTF-16LE\n")
	write(t, dir, "a.u16", "h\x00i\x00\n\x00")
	write(t, dir, "b.txt", "b\n")
	commitAll(t, dir, "encoded")
	write(t, dir, "a.u16", "h\x00o\x00\n\x00")
	r := openRepo(t, dir)
	why, err := r.ReadsNeedGitCLI(ctx)
	if want := "working-tree-encoding=UTF-16LE (a.u16)"; why != want || err != nil {
		t.Errorf("ReadsNeedGitCLI = %q, %v; want %q", why, err, want)
	}
	st, err := r.StatusCLI(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(sortedRecords(gitPorcelain(t, dir)), sortedRecords(porcelain(st))); diff != "" {
		t.Errorf("status (-git +ours):\n%s", diff)
	}
	if err := r.Stage(ctx, []string{"a.u16"}); !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), why) {
		t.Errorf("stage a.u16: %v, want ErrUnsupported naming %s", err, why)
	}
}
