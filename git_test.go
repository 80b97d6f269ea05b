package portal_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/opencode-portal/portal"
	"github.com/opencode-portal/portal/internal/fakeopencode"
	"github.com/opencode-portal/portal/portaltest"
)

// gitCLI runs the git CLI, the reference for the git methods, in dir.
func gitCLI(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// newGitPortal makes a git repository with one commit and a Portal whose
// instance (a fake OpenCode) works in it.
func newGitPortal(t *testing.T) (*portal.Portal, int, string) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is needed as the reference for these tests")
	}
	dir := portaltest.NewGitRepo(t)
	for _, args := range [][]string{{"config", "user.name", "Portal Test"}, {"config", "user.email", "test@example.com"}} {
		gitCLI(t, dir, args...)
	}
	p, port := newFilesPortal(t, &fakeopencode.Server{}, dir, portal.Config{})
	return p, port, dir
}

func TestGitRoundTrip(t *testing.T) {
	ctx := context.Background()
	p, port, dir := newGitPortal(t)
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("one\ntwo\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := p.GitStage(ctx, port, []string{"notes.txt"}); err != nil {
		t.Fatal(err)
	}
	c, err := p.GitCommitChanges(ctx, port, "add notes", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := gitCLI(t, dir, "log", "-1", "--format=%H %an %s"); got != c.Hash+" Portal Test add notes\n" {
		t.Errorf("git log after commit = %q, commit %+v", got, c)
	}
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("one\n2\nthree\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "new.txt"), []byte("new\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	d, err := p.GitDiff(ctx, port, portal.GitDiffOptions{Numstat: true})
	if err != nil {
		t.Fatal(err)
	}
	want := &portal.GitDiff{Diff: gitCLI(t, dir, "diff", "HEAD"), Worktree: dir,
		Files: []portal.GitFileStat{{Path: "notes.txt", Status: "M", Added: 2, Deleted: 1}}}
	if diff := cmp.Diff(want, d); diff != "" {
		t.Errorf("GitDiff (-want +got):\n%s", diff)
	}
	d, err = p.GitDiff(ctx, port, portal.GitDiffOptions{Untracked: true, Paths: []string{"new.txt"}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(d.Diff, "new file mode 100644") || !strings.Contains(d.Diff, "+new\n") || strings.Contains(d.Diff, "notes.txt") {
		t.Errorf("untracked diff limited to new.txt:\n%s", d.Diff)
	}

	st, err := p.GitStatus(ctx, port)
	if err != nil {
		t.Fatal(err)
	}
	head := strings.TrimSpace(gitCLI(t, dir, "rev-parse", "HEAD"))
	branch := strings.TrimSpace(gitCLI(t, dir, "branch", "--show-current"))
	wantStatus := &portal.GitStatus{Worktree: dir, Branch: branch, Head: head, Files: []portal.GitFileStatus{
		{Path: "notes.txt", Index: ".", Worktree: "M"}, {Path: "new.txt", Index: "?", Worktree: "?"}}}
	if diff := cmp.Diff(wantStatus, st); diff != "" {
		t.Errorf("GitStatus (-want +got):\n%s", diff)
	}

	log, err := p.GitLog(ctx, port, portal.GitLogOptions{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 1 || log[0].Hash != head || log[0].Subject != "add notes" || log[0].Author.Email != "test@example.com" {
		t.Errorf("GitLog = %+v", log)
	}
	if err := p.GitCheckout(ctx, port, "topic", true); err != nil {
		t.Fatal(err)
	}
	b, err := p.GitBranches(ctx, port)
	if err != nil {
		t.Fatal(err)
	}
	if b.Current != "topic" || len(b.Local) != 2 || b.Head != head {
		t.Errorf("GitBranches = %+v", b)
	}
	if err := p.GitDiscard(ctx, port, []string{"notes.txt", "new.txt"}); err != nil {
		t.Fatal(err)
	}
	if got := gitCLI(t, dir, "status", "--porcelain"); got != "" {
		t.Errorf("status after discarding everything by name = %q", got)
	}
}

func TestGitErrors(t *testing.T) {
	ctx := context.Background()
	p, port, dir := newGitPortal(t)
	gitCLI(t, dir, "remote", "add", "secret", "https://user:hunter2@127.0.0.1:1/repo.git")
	gitCLI(t, dir, "config", "branch.main.remote", "secret")

	outside := t.TempDir()
	notGit, notGitPort := newFilesPortal(t, &fakeopencode.Server{}, outside, portal.Config{})
	emptyDir := t.TempDir()
	gitCLI(t, emptyDir, "init", "-q")
	empty, emptyPort := newFilesPortal(t, &fakeopencode.Server{}, emptyDir, portal.Config{})
	gitCLI(t, dir, "worktree", "add", "-q", filepath.Join(t.TempDir(), "wt"), "-b", "feature")

	tests := []struct {
		name string
		err  error
		code string
		msg  string // a part of the message
	}{
		{"status outside git", func() error { _, err := notGit.GitStatus(ctx, notGitPort); return err }(), portal.ENOTFOUND, "No project worktree found"},
		{"diff without commits", func() error { _, err := empty.GitDiff(ctx, emptyPort, portal.GitDiffOptions{}); return err }(), portal.ECONFLICT, "no commits yet"},
		{"unknown port", func() error { _, err := p.GitStatus(ctx, 1); return err }(), portal.ENOTFOUND, "1"},
		{"not a port", func() error { _, err := p.GitStatus(ctx, 70000); return err }(), portal.EINVALID, "Invalid port"},
		{"nothing staged", func() error { _, err := p.GitCommitChanges(ctx, port, "x", nil); return err }(), portal.ECONFLICT, "stage changes first"},
		{"empty message", func() error { _, err := p.GitCommitChanges(ctx, port, "", nil); return err }(), portal.EINVALID, "message required"},
		{"path outside", p.GitStage(ctx, port, []string{"../etc/passwd"}), portal.EINVALID, "Invalid path"},
		{"no paths", p.GitUnstage(ctx, port, nil), portal.EINVALID, "Paths required"},
		{"missing path", p.GitStage(ctx, port, []string{"nope.txt"}), portal.EINVALID, "nope.txt"},
		{"discard all", p.GitDiscard(ctx, port, []string{"."}), portal.EINVALID, "whole worktree"},
		{"no branch", p.GitCheckout(ctx, port, "", false), portal.EINVALID, "Branch name required"},
		{"bad branch", p.GitCheckout(ctx, port, "a..b", true), portal.EINVALID, "Invalid branch name"},
		{"missing branch", p.GitCheckout(ctx, port, "nope", false), portal.ENOTFOUND, "nope"},
		{"existing branch", p.GitCheckout(ctx, port, "main", true), portal.ECONFLICT, "already exists"},
		{"branch of another worktree", p.GitCheckout(ctx, port, "feature", false), portal.ECONFLICT, "'feature' is already checked out at"},
		{"log limit", func() error { _, err := p.GitLog(ctx, port, portal.GitLogOptions{Limit: 5000}); return err }(), portal.EINVALID, "1000"},
		{"log ref", func() error { _, err := p.GitLog(ctx, port, portal.GitLogOptions{Ref: "nope"}); return err }(), portal.ENOTFOUND, "nope"},
		{"pull without upstream", func() error { _, err := p.GitPull(ctx, port); return err }(), portal.ECONFLICT, "upstream"},
		{"push to missing remote", p.GitPush(ctx, port, "nowhere", ""), portal.ENOTFOUND, "No such remote"},
		{"fetch unreachable", p.GitFetch(ctx, port, "secret"), portal.EUNAVAILABLE, "could not be reached"},
	}
	for _, tt := range tests {
		if code := portal.ErrorCode(tt.err); code != tt.code {
			t.Errorf("%s: %v: code %q, want %q", tt.name, tt.err, code, tt.code)
		}
		msg := portal.ErrorMessage(tt.err)
		if !strings.Contains(msg, tt.msg) {
			t.Errorf("%s: message %q lacks %q", tt.name, msg, tt.msg)
		}
		if strings.Contains(msg, "hunter2") {
			t.Errorf("%s: message leaks a credential: %q", tt.name, msg)
		}
	}
}
