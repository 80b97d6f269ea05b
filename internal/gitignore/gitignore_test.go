package gitignore

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestIgnoredMatchesGit compares List.Ignored, stacked as git stacks ignore
// files while it walks a worktree, with git check-ignore on every file and
// folder of small repositories.
func TestIgnoredMatchesGit(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("the git CLI is the reference and is not installed")
	}
	tests := []struct {
		name  string
		files map[string]string // path: content; a path ending in "/" is an empty folder
	}{
		{name: "base names and negation", files: map[string]string{
			".gitignore": "*.log\n!keep.log\n# comment\n\\#hash\n\\!bang\n",
			"a.log":      "", "keep.log": "", "#hash": "", "!bang": "", "src/b.log": "", "src/keep.log": "", "src/c.txt": "",
		}},
		{name: "folders only and anchoring", files: map[string]string{
			".gitignore": "build/\n/rootonly.txt\ndocs/*.tmp\nmid/dle\n",
			"build/x":    "", "sub/build/y": "", "build2": "", "rootonly.txt": "", "sub/rootonly.txt": "",
			"docs/a.tmp": "", "docs/deep/b.tmp": "", "sub/docs/c.tmp": "", "mid/dle": "", "sub/mid/dle": "",
		}},
		{name: "double stars", files: map[string]string{
			".gitignore": "**/gen\nlogs/**\na/**/b\n**/deep/*.tmp\n**/x/**\n",
			"gen/1":      "", "q/gen/2": "", "logs/l": "", "logs/in/l": "", "a/b": "", "a/x/y/b": "", "a/bb": "",
			"deep/t.tmp": "", "p/deep/t.tmp": "", "p/deep/q/t.tmp": "", "x/1": "", "r/x/2": "", "x2/3": "",
			"logs2/l": "",
		}},
		{name: "classes, wildcards and escapes", files: map[string]string{
			".gitignore": "[xy].txt\n[!a-c]?.md\n[[:digit:]]*.bin\nsp\\ \ntrailing.txt   \nq\\*\n",
			"x.txt":      "", "z.txt": "", "a1.md": "", "d1.md": "", "dd1.md": "", "7.bin": "", "a7.bin": "",
			"sp ": "", "sp": "", "trailing.txt": "", "q*": "", "qq": "",
		}},
		{name: "unterminated classes match nothing", files: map[string]string{
			".gitignore": "[\na[b\n*[x\n", "[": "", "a[b": "", "ab": "", "y[x": "",
		}},
		{name: "wildmatch corners", files: map[string]string{
			".gitignore": "q\\\n[[:space:]]v\n[z-a]\n[[:]x\n[]a]b\n***/deep\n**\\/tail\nx[[:bogus:]]\n" + worstPattern + "\n",
			"q\\":        "", "q": "", " v": "", "\vv": "", "z": "", "d/:x": "", "]b": "", "ab": "", "deep": "", "s/deep": "",
			"tail": "", "t/tail": "", "xb": "", strings.Repeat("a", 54): "", strings.Repeat("a", 53) + "b": "",
		}},
		{name: "nested files override", files: map[string]string{
			".gitignore":           "*.tmp\n*.o\nbuild\n!build/\n",
			"sub/.gitignore":       "!keep.tmp\ninner/generated/\n",
			"sub/inner/.gitignore": "!*.o\n",
			"a.tmp":                "", "sub/keep.tmp": "", "sub/other.tmp": "", "sub/inner/generated/g": "",
			"sub/inner/k.o": "", "sub/j.o": "", "build/file": "", "sub/build": "",
		}},
		{name: "info exclude and crlf", files: map[string]string{
			".git/info/exclude": "*.secret\r\n",
			"sub/.gitignore":    "*.crlf\r\n",
			"a.secret":          "", "sub/b.secret": "", "sub/c.crlf": "", "c.crlf": "",
		}},
		{name: "ignored folder hides negations below it", files: map[string]string{
			".gitignore":     "out/\n",
			"out/.gitignore": "!*\n",
			"out/file":       "", "out/in/file": "",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			git(t, dir, nil, "init", "-q")
			for name, content := range tt.files {
				full := filepath.Join(dir, filepath.FromSlash(name))
				if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			var paths []string
			err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
				if err != nil || p == dir {
					return err
				}
				if d.Name() == ".git" {
					return filepath.SkipDir
				}
				rel, _ := filepath.Rel(dir, p)
				paths = append(paths, filepath.ToSlash(rel))
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]bool{}
			out := git(t, dir, []byte(strings.Join(paths, "\x00")), "check-ignore", "--no-index", "-z", "--stdin")
			for _, p := range strings.Split(out, "\x00") {
				if p != "" {
					want[p] = true
				}
			}
			got := map[string]bool{}
			for _, p := range paths {
				fi, err := os.Lstat(filepath.Join(dir, p))
				if err != nil {
					t.Fatal(err)
				}
				if ignored(t, dir, p, fi.IsDir()) {
					got[p] = true
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("ignored paths (-git +List):\n%s", diff)
			}
		})
	}
}

// ignored tells whether p is ignored in the worktree dir, reading the
// ignore files as a walk from the root down to p does: info/exclude, then
// each folder's .gitignore, stopping at an ignored folder.
func ignored(t *testing.T, dir, p string, isDir bool) bool {
	t.Helper()
	l := List(Parse(readFile(t, filepath.Join(dir, ".git", "info", "exclude")), ""))
	base := ""
	parts := strings.Split(p, "/")
	for i, part := range parts {
		l = l.With(Parse(readFile(t, filepath.Join(dir, filepath.FromSlash(base), ".gitignore")), base))
		if i == len(parts)-1 {
			return l.Ignored(base+part, isDir)
		}
		if l.Ignored(base+part, true) {
			return true
		}
		base = path.Join(base, part) + "/"
	}
	return false
}

// readFile returns the content of name, or nothing when it does not exist.
func readFile(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	return data
}

// git runs the git CLI in dir with stdin, isolated from the user's
// configuration, and returns its output. check-ignore may exit with 1
// (nothing ignored).
func git(t *testing.T, dir string, stdin []byte, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Stdin = bytes.NewReader(stdin)
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "HOME="+dir)
	out, err := cmd.Output()
	var ee *exec.ExitError
	if err != nil && !(errors.As(err, &ee) && ee.ExitCode() == 1 && args[0] == "check-ignore") {
		t.Fatalf("git %v: %v", args, err)
	}
	return string(out)
}
