package histgen

import (
	"context"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// TestGenerate checks that a history is the same for the same options, that
// git finds it sound, and that it has what the benchmarks rely on.
func TestGenerate(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not on PATH")
	}
	ctx := context.Background()
	o := Options{Commits: 600, Files: 300, Packs: 3, CommitGraph: true}
	var heads []string
	var dir string
	for _, name := range []string{"a", "b"} {
		dir = filepath.Join(t.TempDir(), name)
		if err := Generate(ctx, dir, o); err != nil {
			t.Fatal(err)
		}
		heads = append(heads, git(t, dir, "rev-parse", "HEAD"))
		if out := git(t, dir, "fsck", "--no-dangling"); out != "" {
			t.Errorf("git fsck: %s", out)
		}
		if n, _ := strconv.Atoi(git(t, dir, "rev-list", "--count", "--all")); n < 600 || n > 608 {
			t.Errorf("%d commits, want 600 to 608", n)
		}
		if n := git(t, dir, "rev-list", "--count", "--merges", "HEAD"); n == "0" {
			t.Error("no merge commits")
		}
		if git(t, dir, "log", "--format=%H", "-1", "--", DeepFile) == "" {
			t.Errorf("no commit changes %s", DeepFile)
		}
		packs, _ := filepath.Glob(filepath.Join(dir, ".git", "objects", "pack", "*.pack"))
		if len(packs) != 3 {
			t.Errorf("%d packs, want 3", len(packs))
		}
		if out := git(t, dir, "status", "--porcelain"); out != "" {
			t.Errorf("worktree not clean: %s", out)
		}
	}
	if heads[0] != heads[1] {
		t.Errorf("same options, different histories: %s and %s", heads[0], heads[1])
	}
	when := map[string]int64{}
	var lines [][]string
	for _, line := range strings.Split(git(t, dir, "log", "--format=%H %ct %P"), "\n") {
		f := strings.Fields(line)
		ct, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			t.Fatalf("git log: commit time %q: %v", f[1], err)
		}
		when[f[0]] = ct
		lines = append(lines, f)
	}
	skewed := 0
	for _, f := range lines {
		for _, p := range f[2:] {
			if when[f[0]] < when[p] {
				skewed++
			}
		}
	}
	if skewed == 0 {
		t.Error("no commit is dated before its parent")
	}
}
