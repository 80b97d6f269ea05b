package gitrepo

import (
	"path/filepath"
	"strings"
	"testing"
)

// FuzzCleanPath checks that no accepted path leaves the worktree or reaches
// into .git.
func FuzzCleanPath(f *testing.F) {
	for _, s := range []string{"", ".", "a/b", "../x", "a/../../b", "/etc/passwd", "a//b/./c", ".git/config",
		"a/.GIT/x", "a\x00b", "..", "a/..", "./.././x", "dir with space/ü.txt", strings.Repeat("a/", 3000)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		clean, err := CleanPath(p)
		if err != nil {
			if clean != "" {
				t.Fatalf("CleanPath(%q) = %q with error %v", p, clean, err)
			}
			return
		}
		root := "/work/tree"
		joined := filepath.Join(root, clean)
		if joined != root && !strings.HasPrefix(joined, root+"/") {
			t.Fatalf("CleanPath(%q) = %q escapes the root: %s", p, clean, joined)
		}
		if strings.ContainsRune(clean, 0) || strings.HasPrefix(clean, "/") || strings.HasSuffix(clean, "/") {
			t.Fatalf("CleanPath(%q) = %q", p, clean)
		}
		for _, part := range strings.Split(clean, "/") {
			if clean != "" && (part == "" || part == "." || part == ".." || strings.EqualFold(part, ".git")) {
				t.Fatalf("CleanPath(%q) = %q has component %q", p, clean, part)
			}
		}
		if again, err := CleanPath(clean); err != nil || again != clean {
			t.Fatalf("CleanPath is not idempotent on %q: %q, %v", clean, again, err)
		}
	})
}
