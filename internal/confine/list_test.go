package confine

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// newRepo makes a git repository with ignore rules at several depths,
// symbolic links and a pipe, and returns its folder.
func newRepo(tb testing.TB) string {
	tb.Helper()
	base, err := filepath.EvalSymlinks(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	dir := filepath.Join(base, "repo")
	writeFiles(tb, base, map[string]string{"outside/secret.txt": secret})
	writeFiles(tb, dir, map[string]string{
		".gitignore":                "# build output\nbuild/\n*.log\n!keep.log\n/rootonly.txt\ndocs/*.tmp\n\\#hash\ntrailing.txt   \n",
		"a.log":                     "log\n",
		"keep.log":                  "kept\n",
		"rootonly.txt":              "x\n",
		"README.md":                 "# readme\n",
		"Zeta.txt":                  "z\n",
		"alpha.txt":                 "a\n",
		"_under.txt":                "_\n",
		"trailing.txt":              "t\n",
		"secret.env":                "KEY=1\n",
		"build/out.bin":             "\x00\x01",
		"build/sub/deep.txt":        "deep\n",
		"docs/a.tmp":                "tmp\n",
		"docs/b.md":                 "b\n",
		"sub/.gitignore":            "*.tmp\ninner/generated/\n",
		"sub/rootonly.txt":          "not the root one\n",
		"sub/x.tmp":                 "tmp\n",
		"sub/y.txt":                 "y\n",
		"sub/inner/.gitignore":      "!keep.tmp\n",
		"sub/inner/keep.tmp":        "keep\n",
		"sub/inner/other.tmp":       "other\n",
		"sub/inner/generated/g":     "g\n",
		"sub/inner/CRLF/.gitignore": "*.crlf\r\n",
		"sub/inner/CRLF/a.crlf":     "crlf\n",
		"Alpha/file.txt":            "A\n",
		"tricky/.gitignore":         "**/gen\nlogs/**\na/**/b\n[xy].txt\n!x.txt\n*.o\n!keep/*.o\nsp\\ \nq?.md\n/anch\nmid/dle\n**/deep/*.tmp\n",
		"tricky/gen/g.txt":          "g\n",
		"tricky/sub/gen/g.txt":      "g\n",
		"tricky/logs/l.txt":         "l\n",
		"tricky/logs/x/l.txt":       "l\n",
		"tricky/a/b":                "b\n",
		"tricky/a/x/y/b":            "b\n",
		"tricky/x.txt":              "x\n",
		"tricky/y.txt":              "y\n",
		"tricky/z.txt":              "z\n",
		"tricky/m.o":                "o\n",
		"tricky/keep/k.o":           "o\n",
		"tricky/sp ":                "space\n",
		"tricky/q1.md":              "q\n",
		"tricky/q12.md":             "q\n",
		"tricky/anch":               "a\n",
		"tricky/sub/anch":           "a\n",
		"tricky/mid/dle":            "m\n",
		"tricky/sub/mid/dle":        "m\n",
		"tricky/deep/d.tmp":         "d\n",
		"tricky/q/deep/d.tmp":       "d\n",
		"more/.gitignore":           "\\#hash\nfoo/\ndoc/*.txt\nbuild\n!build/\n*.log\nsub/**/*.c\n**/x/**\n",
		"more/#hash":                "h\n",
		"more/foo":                  "a file named like a dir pattern\n",
		"more/bar/foo/f":            "f\n",
		"more/doc/a.txt":            "a\n",
		"more/doc/sub/b.txt":        "b\n",
		"more/build/b":              "b\n",
		"more/n/build":              "file named build\n",
		"more/n/important.log":      "i\n",
		"more/n/.gitignore":         "!important.log\n",
		"more/sub/a/b/c.c":          "c\n",
		"more/sub/c.c":              "c\n",
		"more/y/x/z":                "z\n",
		"beta/file.txt":             "b\n",
	})
	git(tb, dir, "init", "-q")
	writeFiles(tb, dir, map[string]string{".git/info/exclude": "secret.env\n"})
	for name, target := range map[string]string{
		"link-dir":  "sub",
		"link-file": "README.md",
		"link-out":  "../outside",
		"link-gone": "missing",
	} {
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			tb.Fatal(err)
		}
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644); err != nil {
		tb.Fatal(err)
	}
	return dir
}

// git runs the git CLI in dir and returns its output.
func git(tb testing.TB, dir string, args ...string) string {
	tb.Helper()
	return gitInput(tb, dir, nil, args...)
}

// gitInput runs the git CLI in dir with stdin and returns its output.
func gitInput(tb testing.TB, dir string, stdin []byte, args ...string) string {
	tb.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Stdin = bytes.NewReader(stdin)
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "HOME="+dir)
	out, err := cmd.Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || args[0] != "check-ignore" {
			tb.Fatalf("git %v: %v", args, err)
		}
	}
	return string(out)
}

// TestListMatchesFolder compares List with os.ReadDir and os.Lstat for
// names, types and sizes, with the git CLI for what is ignored, and with
// os.Stat for where symbolic links lead.
func TestListMatchesFolder(t *testing.T) {
	dir := newRepo(t)
	root, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	for _, folder := range []string{".", "sub", "sub/inner", "sub/inner/CRLF", "sub/inner/generated", "build", "build/sub", "docs", "link-dir", "link-dir/inner", "tricky", "tricky/sub", "tricky/sub/gen", "tricky/logs", "tricky/logs/x", "tricky/a", "tricky/a/x/y", "tricky/keep", "tricky/sub/mid", "tricky/mid", "tricky/deep", "tricky/q/deep", "tricky/gen", "more", "more/bar", "more/bar/foo", "more/doc", "more/doc/sub", "more/build", "more/n", "more/sub", "more/sub/a/b", "more/y", "more/y/x"} {
		t.Run(folder, func(t *testing.T) {
			got, err := root.List(context.Background(), folder)
			if err != nil {
				t.Fatal(err)
			}
			want := expectedEntries(t, dir, folder)
			byName := func(a, b Entry) int { return strings.Compare(a.Name, b.Name) }
			slices.SortFunc(got, byName)
			slices.SortFunc(want, byName)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("List(%q) (-want +got):\n%s", folder, diff)
			}
		})
	}
}

// expectedEntries lists folder with os.ReadDir, os.Lstat, os.Stat and
// git check-ignore.
func expectedEntries(t *testing.T, dir, folder string) []Entry {
	t.Helper()
	real, err := filepath.EvalSymlinks(filepath.Join(dir, folder))
	if err != nil {
		t.Fatal(err)
	}
	des, err := os.ReadDir(real)
	if err != nil {
		t.Fatal(err)
	}
	relReal, _ := filepath.Rel(dir, real)
	var entries []Entry
	var paths []string
	for _, de := range des {
		fi, err := os.Lstat(filepath.Join(real, de.Name()))
		if err != nil {
			t.Fatal(err)
		}
		e := Entry{Name: de.Name(), Path: path.Join(folder, de.Name())}
		switch {
		case fi.IsDir():
			e.Type = TypeDirectory
		case fi.Mode()&fs.ModeSymlink != 0:
			e.Type = TypeSymlink
			to, err := filepath.EvalSymlinks(filepath.Join(real, de.Name()))
			if err == nil && inside(to, dir) {
				if st, _ := os.Stat(to); st.IsDir() {
					e.Target = TypeDirectory
				} else {
					e.Target = TypeFile
				}
			}
		case fi.Mode().IsRegular():
			e.Type = TypeFile
			e.Size = fi.Size()
		default:
			e.Type = TypeOther
		}
		entries = append(entries, e)
		paths = append(paths, filepath.ToSlash(filepath.Join(relReal, de.Name())))
	}
	out := gitInput(t, dir, []byte(strings.Join(paths, "\x00")), "check-ignore", "--no-index", "-z", "--stdin")
	ignored := map[string]bool{}
	for _, p := range strings.Split(out, "\x00") {
		ignored[p] = true
	}
	for i := range entries {
		// git never tracks its own folder; List marks it ignored.
		entries[i].Ignored = ignored[paths[i]] || entries[i].Name == ".git" || strings.HasPrefix(paths[i], ".git/")
	}
	return entries
}

// TestListGitFolder checks that the .git folder is listed, and it and all
// it holds are marked ignored.
func TestListGitFolder(t *testing.T) {
	dir := newRepo(t)
	root, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	top, err := root.List(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(top, func(e Entry) bool { return e.Name == ".git" })
	if i < 0 || !top[i].Ignored || top[i].Type != TypeDirectory {
		t.Fatalf("root listing: .git missing or not an ignored folder: %+v", top)
	}
	inner, err := root.List(context.Background(), ".git/info")
	if err != nil {
		t.Fatal(err)
	}
	if len(inner) == 0 {
		t.Fatal(".git/info listed empty")
	}
	for _, e := range inner {
		if !e.Ignored {
			t.Errorf("%s not ignored", e.Path)
		}
	}
}

// TestListOrder checks the order on a folder whose names differ in case
// and punctuation.
func TestListOrder(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"b.txt": "", "A.txt": "", "B.md": "", "_under": "", ".gitignore": "", "a": "",
		"Zeta/x": "", "alpha/x": "", ".hidden/x": "", "beta/x": "",
	})
	root, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	entries, err := root.List(context.Background(), ".")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name)
	}
	want := []string{".hidden", "alpha", "beta", "Zeta", ".gitignore", "_under", "a", "A.txt", "B.md", "b.txt"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
}

func TestListRefuses(t *testing.T) {
	fx := newFixture(t)
	tests := []struct{ in, err string }{
		{"README.md", "notdir"},
		{"inchain1", "notdir"},
		{"missing", "notfound"},
		{"vendor", "outside"},
		{"etc", "outside"},
		{"../outside", "outside"},
		{"/etc", "invalid"},
		{"loop1", "invalid"},
	}
	for _, tt := range tests {
		_, err := fx.root.List(context.Background(), tt.in)
		if got := kind(err); got != tt.err {
			t.Errorf("List(%q): %v, want %s", tt.in, err, tt.err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := fx.root.List(ctx, "."); !errors.Is(err, context.Canceled) {
		t.Errorf("List with a cancelled context: %v, want context.Canceled", err)
	}
}

// TestListPathsResolve checks that the path of every listed entry can be
// given back: files read, folders list, links that lead out are refused.
func TestListPathsResolve(t *testing.T) {
	fx := newFixture(t)
	ctx := context.Background()
	for _, folder := range []string{".", "src", "me/src", "absin"} {
		entries, err := fx.root.List(ctx, folder)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			var err error
			switch {
			case e.Type == TypeDirectory || e.Target == TypeDirectory:
				_, err = fx.root.List(ctx, e.Path)
			case e.Type == TypeFile || e.Target == TypeFile:
				_, err = fx.root.Read(ctx, e.Path, 1<<20)
			default:
				_, err = fx.root.Resolve(e.Path)
				if err == nil {
					t.Errorf("%s: symbolic link with no target resolves", e.Path)
				}
				continue
			}
			if err != nil {
				t.Errorf("%s (%s): %v", e.Path, e.Type, err)
			}
		}
	}
}
