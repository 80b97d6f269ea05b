package gitrepo

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// scenario builds a repository in a state to compare against the git CLI.
type scenario struct {
	name string
	// build returns the worktree; most scenarios start from initRepo.
	build func(t *testing.T) string
	// noCommits marks scenarios where diff must fail with ErrNoCommits.
	noCommits bool
	// nestedRepo marks scenarios holding another repository, which the git
	// CLI cannot stage.
	nestedRepo bool
}

// base is a small committed tree used by most scenarios.
func base(t *testing.T) string {
	dir := initRepo(t)
	write(t, dir, "README.md", "# project\n\nSome text.\n")
	write(t, dir, "src/main.go", "package main\n\nfunc main() {\n\tprintln(\"hi\")\n}\n")
	write(t, dir, "src/util/util.go", "package util\n\n// A is a.\nfunc A() int { return 1 }\n\n// B is b.\nfunc B() int { return 2 }\n")
	write(t, dir, "docs/guide.txt", strings.Repeat("guide line\n", 40))
	write(t, dir, "empty.txt", "")
	commitAll(t, dir, "initial")
	return dir
}

func scenarios() []scenario {
	return []scenario{
		{name: "clean", build: base},
		{name: "mkrepo", build: func(t *testing.T) string {
			dir := filepath.Join(t.TempDir(), "repo")
			mkrepo(t, dir, "--files", "400", "--commits", "5", "--modified", "17", "--deleted", "4", "--untracked", "6")
			return dir
		}},
		{name: "modified unstaged and staged", build: func(t *testing.T) string {
			dir := base(t)
			write(t, dir, "README.md", "# project\n\nSome other text.\n")
			write(t, dir, "src/main.go", "package main\n\nfunc main() {\n\tprintln(\"hello\")\n}\n")
			runGit(t, dir, "add", "src/main.go")
			return dir
		}},
		{name: "staged and unstaged same file", build: func(t *testing.T) string {
			dir := base(t)
			write(t, dir, "docs/guide.txt", "first\n"+strings.Repeat("guide line\n", 40))
			runGit(t, dir, "add", "docs/guide.txt")
			write(t, dir, "docs/guide.txt", "first\n"+strings.Repeat("guide line\n", 40)+"last\n")
			return dir
		}},
		{name: "staged then reverted", build: func(t *testing.T) string {
			dir := base(t)
			write(t, dir, "README.md", "changed\n")
			runGit(t, dir, "add", "README.md")
			write(t, dir, "README.md", "# project\n\nSome text.\n")
			return dir
		}},
		{name: "added and deleted", build: func(t *testing.T) string {
			dir := base(t)
			write(t, dir, "new/staged.txt", "new file\n")
			runGit(t, dir, "add", "new/staged.txt")
			remove(t, dir, "src/util/util.go")
			runGit(t, dir, "rm", "-q", "README.md")
			runGit(t, dir, "rm", "-q", "--cached", "docs/guide.txt")
			write(t, dir, "untracked.txt", "u\n")
			write(t, dir, "deep/a/b/c.txt", "c\n")
			return dir
		}},
		{name: "rename", build: func(t *testing.T) string {
			dir := base(t)
			runGit(t, dir, "mv", "src/util/util.go", "src/util/helpers.go")
			write(t, dir, "src/util/helpers.go", "package util\n\n// A is a.\nfunc A() int { return 1 }\n\n// B is b.\nfunc B() int { return 3 }\n")
			runGit(t, dir, "mv", "docs/guide.txt", "guide.txt")
			write(t, dir, "guide.txt", strings.Repeat("guide line\n", 40)+"one more\n")
			runGit(t, dir, "add", "guide.txt")
			return dir
		}},
		{name: "binary", build: func(t *testing.T) string {
			dir := base(t)
			write(t, dir, "img.bin", "\x00\x01\x02binary\x00data\xff")
			write(t, dir, "gone.bin", "\x00gone")
			commitAll(t, dir, "binary")
			write(t, dir, "img.bin", "\x00\x01\x03binary\x00data changed\xfe")
			remove(t, dir, "gone.bin")
			write(t, dir, "new.bin", "\x00new\x00")
			runGit(t, dir, "add", "new.bin")
			return dir
		}},
		{name: "mode change", build: func(t *testing.T) string {
			dir := base(t)
			if err := os.Chmod(filepath.Join(dir, "src/main.go"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(filepath.Join(dir, "README.md"), 0o755); err != nil {
				t.Fatal(err)
			}
			write(t, dir, "README.md", "# project\n\nSome text.\nmore\n")
			return dir
		}},
		{name: "crlf", build: func(t *testing.T) string {
			dir := base(t)
			write(t, dir, "win.txt", "one\r\ntwo\r\nthree\r\n")
			commitAll(t, dir, "crlf")
			write(t, dir, "win.txt", "one\r\nTWO\r\nthree\r\nfour")
			return dir
		}},
		{name: "no trailing newline", build: func(t *testing.T) string {
			dir := base(t)
			write(t, dir, "nonl.txt", "a\nb")
			commitAll(t, dir, "nonl")
			write(t, dir, "nonl.txt", "a\nb\nc")
			write(t, dir, "src/main.go", "package main")
			return dir
		}},
		{name: "nested gitignore", build: func(t *testing.T) string {
			dir := base(t)
			write(t, dir, ".gitignore", "*.log\nbuild/\n/rootonly.txt\n# comment\n\\#hash\n")
			write(t, dir, "sub/.gitignore", "!keep.log\ntmp/\n*.o\n")
			write(t, dir, "sub/deeper/.gitignore", "!*.o\nx/**/y\n")
			write(t, dir, "build/tracked.txt", "tracked\n")
			runGit(t, dir, "add", "-f", "build/tracked.txt")
			commitAll(t, dir, "ignores")
			for _, p := range []string{"a.log", "sub/keep.log", "sub/b.log", "sub/tmp/t.txt", "sub/c.o",
				"sub/deeper/d.o", "sub/deeper/e.txt", "rootonly.txt", "sub/rootonly.txt", "build/new.txt",
				"sub/build/x.txt", "#hash", "sub/deeper/x/1/2/y", "sub/deeper/x/y", "sub/deeper/x/z",
				"dir with space/ünï.txt"} {
				write(t, dir, p, "x\n")
			}
			write(t, dir, "build/tracked.txt", "tracked and changed\n")
			if err := os.MkdirAll(filepath.Join(dir, "emptydir/inner"), 0o755); err != nil {
				t.Fatal(err)
			}
			write(t, dir, ".git/info/exclude", "*.excluded\n")
			write(t, dir, "z.excluded", "x\n")
			return dir
		}},
		{name: "intent to add", build: func(t *testing.T) string {
			dir := base(t)
			write(t, dir, "announced.txt", "announced\n")
			write(t, dir, "src/later.go", "package main\n")
			runGit(t, dir, "add", "-N", "announced.txt", "src/later.go")
			write(t, dir, "README.md", "changed\n")
			return dir
		}},
		{name: "empty repository", noCommits: true, build: func(t *testing.T) string {
			dir := initRepo(t)
			write(t, dir, "a.txt", "a\n")
			write(t, dir, "b/c.txt", "c\n")
			runGit(t, dir, "add", "a.txt")
			return dir
		}},
		{name: "detached head", build: func(t *testing.T) string {
			dir := base(t)
			write(t, dir, "README.md", "second\n")
			commitAll(t, dir, "second")
			runGit(t, dir, "checkout", "-q", "--detach", "HEAD~1")
			write(t, dir, "src/main.go", "changed\n")
			return dir
		}},
		{name: "symlink and type change", build: func(t *testing.T) string {
			dir := base(t)
			if err := os.Symlink("README.md", filepath.Join(dir, "link")); err != nil {
				t.Fatal(err)
			}
			commitAll(t, dir, "link")
			remove(t, dir, "link")
			if err := os.Symlink("src/main.go", filepath.Join(dir, "link")); err != nil {
				t.Fatal(err)
			}
			remove(t, dir, "empty.txt")
			if err := os.Symlink("nowhere", filepath.Join(dir, "empty.txt")); err != nil {
				t.Fatal(err)
			}
			return dir
		}},
		{name: "file replaced by directory", build: func(t *testing.T) string {
			dir := base(t)
			remove(t, dir, "README.md")
			write(t, dir, "README.md/inner.txt", "inner\n")
			remove(t, dir, "src/util")
			write(t, dir, "src/util", "now a file\n")
			return dir
		}},
		{name: "nested repository", nestedRepo: true, build: func(t *testing.T) string {
			dir := base(t)
			inner := filepath.Join(dir, "vendor", "inner")
			if err := os.MkdirAll(inner, 0o755); err != nil {
				t.Fatal(err)
			}
			runGit(t, inner, "init", "-q")
			write(t, dir, "vendor/inner/file.txt", "x\n")
			return dir
		}},
		{name: "same size same second", build: func(t *testing.T) string {
			dir := base(t)
			write(t, dir, "README.md", "# PROJECT\n\nSome text.\n")
			return dir
		}},
		{name: "touched but unchanged", build: func(t *testing.T) string {
			dir := base(t)
			write(t, dir, "src/main.go", "package main\n\nfunc main() {\n\tprintln(\"hi\")\n}\n")
			return dir
		}},
		{name: "upstream ahead and behind", build: func(t *testing.T) string {
			bare := filepath.Join(t.TempDir(), "remote.git")
			runGit(t, filepath.Dir(bare), "init", "-q", "--bare", "-b", "main", bare)
			src := base(t)
			runGit(t, src, "remote", "add", "origin", bare)
			runGit(t, src, "push", "-q", "origin", "main")
			dir := filepath.Join(t.TempDir(), "clone")
			runGit(t, filepath.Dir(dir), "clone", "-q", bare, dir)
			write(t, src, "remote.txt", "r\n")
			commitAll(t, src, "remote 1")
			write(t, src, "remote2.txt", "r\n")
			commitAll(t, src, "remote 2")
			runGit(t, src, "push", "-q", "origin", "main")
			runGit(t, dir, "fetch", "-q")
			write(t, dir, "local.txt", "l\n")
			commitAll(t, dir, "local")
			return dir
		}},
		{name: "merge conflict", build: func(t *testing.T) string {
			dir := base(t)
			runGit(t, dir, "checkout", "-q", "-b", "other")
			write(t, dir, "README.md", "other side\n")
			write(t, dir, "added.txt", "other\n")
			runGit(t, dir, "rm", "-q", "src/main.go")
			commitAll(t, dir, "other")
			runGit(t, dir, "checkout", "-q", "main")
			write(t, dir, "README.md", "main side\n")
			write(t, dir, "added.txt", "main\n")
			write(t, dir, "src/main.go", "changed on main\n")
			commitAll(t, dir, "main")
			gitErr(dir, "merge", "-q", "other") // conflicts expected
			return dir
		}},
	}
}
