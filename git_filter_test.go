package portal_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencode-portal/portal"
)

// TestGitFilterReadWithGitCLI checks that a repository using a filter the
// portal does not run is read with the git CLI, that the answers say so,
// and that a write touching the filtered file is refused.
func TestGitFilterReadWithGitCLI(t *testing.T) {
	ctx := context.Background()
	p, port, dir := newGitPortal(t)
	st, err := p.GitStatus(ctx, port)
	if err != nil {
		t.Fatal(err)
	}
	if st.Via != "" || st.Notice != "" {
		t.Errorf("status of a plain repository: via %q, notice %q; want both empty", st.Via, st.Notice)
	}
	if d, err := p.GitDiff(ctx, port, portal.GitDiffOptions{Numstat: true}); err != nil || d.Via != "" || d.Notice != "" {
		t.Errorf("diff of a plain repository: %v; want no via or notice", err)
	}

	gitCLI(t, dir, "config", "filter.lfs.clean", "tr a-z A-Z")
	gitCLI(t, dir, "config", "filter.lfs.smudge", "cat")
	for name, content := range map[string]string{".gitattributes": "*.bin filter=lfs\n", "data.bin": "hello\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	gitCLI(t, dir, "add", ".")
	gitCLI(t, dir, "commit", "-q", "-m", "filtered")
	if err := os.WriteFile(filepath.Join(dir, "data.bin"), []byte("hello world\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	const notice = "read with the git CLI: the repository uses the lfs filter (data.bin), which the portal does not run"
	st, err = p.GitStatus(ctx, port)
	if err != nil {
		t.Fatal(err)
	}
	if st.Via != "git" || st.Notice != notice {
		t.Errorf("status: via %q, notice %q; want \"git\", %q", st.Via, st.Notice, notice)
	}
	if want := gitCLI(t, dir, "status", "--porcelain"); len(st.Files) != 1 || want != " M data.bin\n" ||
		st.Files[0].Path != "data.bin" || st.Files[0].Worktree != "M" {
		t.Errorf("status files %+v; git status --porcelain says %q", st.Files, want)
	}
	d, err := p.GitDiff(ctx, port, portal.GitDiffOptions{Numstat: true})
	if err != nil {
		t.Fatal(err)
	}
	if want := gitCLI(t, dir, "diff", "HEAD"); d.Diff != want || d.Via != "git" || d.Notice != notice {
		t.Errorf("diff %q via %q notice %q; want %q via git", d.Diff, d.Via, d.Notice, want)
	}
	if len(d.Files) != 1 || d.Files[0].Path != "data.bin" || d.Files[0].Added != 1 || d.Files[0].Deleted != 1 {
		t.Errorf("numstat %+v, want data.bin +1 -1", d.Files)
	}
	d, err = p.GitDiff(ctx, port, portal.GitDiffOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if want := gitCLI(t, dir, "diff", "HEAD"); d.Diff != want || d.Via != "git" || d.Notice != notice || d.Files != nil {
		t.Errorf("diff without numstat %q via %q notice %q files %+v; want %q via git, no files", d.Diff, d.Via, d.Notice, d.Files, want)
	}
	err = p.GitStage(ctx, port, []string{"data.bin"})
	if code, msg := portal.ErrorCode(err), portal.ErrorMessage(err); code != portal.ECONFLICT ||
		!strings.Contains(msg, "the lfs filter (data.bin)") {
		t.Errorf("stage of a filtered file: %q %q, want ECONFLICT naming the lfs filter and data.bin", code, msg)
	}
	if got := gitCLI(t, dir, "diff", "--cached", "--name-only"); got != "" {
		t.Errorf("a refused stage staged %q", got)
	}
}
