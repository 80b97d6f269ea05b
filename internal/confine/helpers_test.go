package confine

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// secret is the content of the file outside the project that no test input
// may reach.
const secret = "SECRET-OUTSIDE-THE-PROJECT\n"

// fixture is a project folder full of traps and, next to it, a folder that
// must stay out of reach.
type fixture struct {
	root    *Root
	dir     string // the project folder, symbolic links resolved
	outside string // the folder next to it, holding secret.txt
}

// newFixture builds base/proj and base/outside in a temporary folder.
func newFixture(tb testing.TB) *fixture {
	tb.Helper()
	base, err := filepath.EvalSymlinks(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	dir := filepath.Join(base, "proj")
	outside := filepath.Join(base, "outside")
	writeFiles(tb, outside, map[string]string{"secret.txt": secret})
	writeFiles(tb, dir, map[string]string{
		"README.md":          "# proj\n",
		"src/main.go":        "package main\n",
		"src/deep/file.txt":  "deep\n",
		"ex/.keep":           "",
		"mi/.keep":           "",
		"odd/100%":           "percent\n",
		"odd/%2e%2e%2fetc":   "literal name\n",
		"odd/caf\u00e9.txt":  "accent\n",
		"odd/new\nline.txt":  "newline in name\n",
		"odd/sp ace.txt":     "space\n",
		"odd/..dots":         "two dots prefix\n",
		"odd/...":            "three dots\n",
		"odd/\u202eetc.txt":  "right-to-left override\n",
		"odd/\uff0e\uff0e":   "fullwidth dots\n",
		"odd/-rf":            "dash\n",
		"odd/~":              "tilde\n",
		"odd/secret.txt.bak": "a decoy, inside\n",
	})
	links := map[string]string{
		"etc":            "/etc",
		"passwd":         "/etc/passwd",
		"nowhere":        "/nonexistent-confine-test/secret.txt",
		"ex/link":        filepath.Join(outside, "secret.txt"),
		"mi/link":        filepath.Join(outside, "missing.txt"),
		"vendor":         outside,
		"relout":         "../outside",
		"src/deep/esc":   "../../../outside/secret.txt",
		"chain1":         "chain2",
		"chain2":         "chain3",
		"chain3":         "/etc",
		"loop1":          "loop2",
		"loop2":          "loop1",
		"self":           "self",
		"inchain1":       "inchain2",
		"inchain2":       "src/main.go",
		"me":             ".",
		"absin":          filepath.Join(dir, "src"),
		"backin":         "../proj/src",
		"src/up":         "..",
		"dangling":       "missing-inside.txt",
		"src/deep/chain": "../../chain1",
		"root":           "/",
		"dotdot":         "..",
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			tb.Fatal(err)
		}
	}
	// Opened as a folder below a worktree that also holds the outside
	// folder: the worktree is read for ignore files only.
	root, err := OpenIn(dir, base)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { root.Close() })
	return &fixture{root: root, dir: dir, outside: outside}
}

// writeFiles creates the files under dir, with their folders.
func writeFiles(tb testing.TB, dir string, files map[string]string) {
	tb.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
}

// kind names the sentinel error err wraps, for comparing tables.
func kind(err error) string {
	var pe *PathError
	switch {
	case err == nil:
		return ""
	case !errors.As(err, &pe):
		return "untyped: " + err.Error()
	}
	for _, k := range []struct {
		name string
		err  error
	}{
		{"invalid", ErrInvalidPath}, {"outside", ErrOutside}, {"notfound", ErrNotFound},
		{"notdir", ErrNotDir}, {"notfile", ErrNotFile}, {"toolarge", ErrTooLarge}, {"denied", ErrDenied},
	} {
		if errors.Is(err, k.err) {
			return k.name
		}
	}
	return "unknown sentinel: " + err.Error()
}

// inside reports whether p is dir or below it.
func inside(p, dir string) bool {
	return p == dir || strings.HasPrefix(p, dir+string(filepath.Separator))
}
