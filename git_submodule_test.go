package portal_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/opencode-portal/portal"
	"github.com/opencode-portal/portal/portaltest"
)

// TestGitStatusSubmodule checks that GitStatus gives a changed submodule
// its two columns and the <sub> field of `git status --porcelain=v2`.
func TestGitStatusSubmodule(t *testing.T) {
	ctx := context.Background()
	p, port, dir := newGitPortal(t)
	sub := portaltest.NewGitRepo(t)
	gitCLI(t, dir, "-c", "protocol.file.allow=always", "submodule", "add", "-q", sub, "lib")
	gitCLI(t, dir, "commit", "-qm", "add lib")
	if err := os.WriteFile(filepath.Join(dir, "lib", "untracked.txt"), []byte("new\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	st, err := p.GitStatus(ctx, port)
	if err != nil {
		t.Fatal(err)
	}
	// The record of lib in git's own words: "1 XY SUB mH mI mW hH hI lib".
	var want []portal.GitFileStatus
	for _, rec := range strings.Split(gitCLI(t, dir, "status", "--porcelain=v2"), "\n") {
		if f := strings.Fields(rec); len(f) == 9 && f[8] == "lib" {
			want = append(want, portal.GitFileStatus{Path: "lib", Index: f[1][:1], Worktree: f[1][1:], Submodule: f[2]})
		}
	}
	if len(want) != 1 || want[0].Submodule != "S..U" {
		t.Fatalf("git status gives %+v for lib, want one record with S..U", want)
	}
	if diff := cmp.Diff(want, st.Files); diff != "" {
		t.Errorf("GitStatus files (-git +ours):\n%s", diff)
	}
}
