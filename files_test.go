package portal_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/opencode-portal/portal"
	"github.com/opencode-portal/portal/internal/fakeopencode"
	"github.com/opencode-portal/portal/portaltest"
)

// newFilesPortal serves fake on a local port, registers it as an instance
// working in dir, and returns a Portal (configured by cfg) and the port.
func newFilesPortal(t *testing.T, fake *fakeopencode.Server, dir string, cfg portal.Config) (*portal.Portal, int) {
	t.Helper()
	port := portal.ServeStandIn(t, fake)
	return portal.NewTestPortal(t, cfg, portal.StandIn{Dir: dir, Port: port}), port
}

// TestSearchFilesQuery checks what SearchFiles asks OpenCode, and that
// it refuses bad searches without asking.
func TestSearchFilesQuery(t *testing.T) {
	dir := t.TempDir()
	fake := &fakeopencode.Server{Found: []string{"a.go", "pkg/"}}
	p, port := newFilesPortal(t, fake, dir, portal.Config{})
	tests := []struct {
		s     portal.FileSearch
		query url.Values // nil: OpenCode is not asked
		code  string
	}{
		{s: portal.FileSearch{}},
		{s: portal.FileSearch{Limit: 5, Type: "file"}},
		{s: portal.FileSearch{Query: "x"}, query: url.Values{"query": {"x"}, "limit": {"10"}}},
		{s: portal.FileSearch{Query: " "}, query: url.Values{"query": {" "}, "limit": {"10"}}},
		{s: portal.FileSearch{Query: "x", Limit: 200, Type: "directory"}, query: url.Values{"query": {"x"}, "limit": {"200"}, "type": {"directory"}}},
		{s: portal.FileSearch{Query: "x", Limit: 1, Type: "file"}, query: url.Values{"query": {"x"}, "limit": {"1"}, "type": {"file"}}},
		{s: portal.FileSearch{Query: "x", Limit: 201}, code: portal.EINVALID},
		{s: portal.FileSearch{Query: "x", Limit: -1}, code: portal.EINVALID},
		{s: portal.FileSearch{Query: "x", Type: "dir"}, code: portal.EINVALID},
	}
	for _, tt := range tests {
		fake.FindQueries() // forgets those of the case before
		found, err := p.SearchFiles(context.Background(), port, tt.s)
		if got := portal.ErrorCode(err); got != tt.code {
			t.Errorf("SearchFiles(%+v): error %v, want code %q", tt.s, err, tt.code)
			continue
		}
		var wantQueries []url.Values
		wantFound := []string{}
		if tt.query != nil {
			wantQueries, wantFound = []url.Values{tt.query}, fake.Found
		}
		if tt.code != "" {
			wantFound = nil
		}
		queries := fake.FindQueries()
		if diff := cmp.Diff(wantQueries, queries); diff != "" {
			t.Errorf("SearchFiles(%+v) asked OpenCode (-want +got):\n%s", tt.s, diff)
		}
		if diff := cmp.Diff(wantFound, found); diff != "" {
			t.Errorf("SearchFiles(%+v) (-want +got):\n%s", tt.s, diff)
		}
	}
	if _, err := p.SearchFiles(context.Background(), port+1, portal.FileSearch{}); !errors.Is(err, portal.ErrNotFound) {
		t.Errorf("SearchFiles on an unregistered port: %v, want ENOTFOUND", err)
	}
}

// TestFilesSubfolder checks the files API of an instance started in a
// subfolder of a git worktree (mono/apps/web): search relays OpenCode's
// paths as they are, list and read take and give paths relative to the
// instance's folder and reach nothing above it, ignored flags come from
// the .gitignore files from the worktree down, and status holds the
// folder's changes only, with git's worktree-relative paths.
func TestFilesSubfolder(t *testing.T) {
	mono := realTempDir(t)
	writeAll(t, mono, map[string]string{
		".gitignore": "*.log\n", "lib/util.ts": "util\n", "apps/api/server.ts": "api\n",
		"apps/.gitignore": "dist/\n", "apps/web/src/main.ts": "main\n", "apps/web/README.md": "web\n",
		"apps/web/.gitignore": "tmp/\n",
	})
	gitRun(t, mono, "init", "-q")
	gitRun(t, mono, "add", "-A")
	gitRun(t, mono, "commit", "-q", "-m", "first")
	writeAll(t, mono, map[string]string{
		"apps/web/src/main.ts": "main\nchanged\n", "apps/web/new.ts": "new\n", "apps/web/debug.log": "log\n",
		"apps/web/dist/app.js": "built\n", "apps/web/tmp/x": "x\n", "apps/api/server.ts": "api\nchanged\n",
		"lib/new.ts": "new\n", ".git/info/exclude": "secret.txt\n", "apps/web/secret.txt": "s\n",
		"apps/web-old/y.ts": "y\n",
	})
	web := filepath.Join(mono, "apps", "web")
	for name, target := range map[string]string{"shared": "../../lib", "inside": "src"} {
		if err := os.Symlink(target, filepath.Join(web, name)); err != nil {
			t.Fatal(err)
		}
	}
	fake := &fakeopencode.Server{Found: []string{"src/main.ts", "src/", "/"}}
	p, port := newFilesPortal(t, fake, web, portal.Config{})
	ctx := context.Background()

	found, err := p.SearchFiles(ctx, port, portal.FileSearch{Query: "m"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(fake.Found, found); diff != "" {
		t.Errorf("SearchFiles (-OpenCode +portal):\n%s", diff)
	}

	entries, err := p.ListFiles(ctx, port, "")
	if err != nil {
		t.Fatal(err)
	}
	var got, fromGit []string
	for _, e := range entries {
		got = append(got, fmt.Sprintf("%s %s %s %v", e.Path, e.Type, e.Target, e.Ignored))
		fromGit = append(fromGit, fmt.Sprintf("%s %v", e.Path, gitIgnores(t, web, e.Path)))
	}
	want := []string{
		"dist directory  true", "src directory  false", "tmp directory  true", ".gitignore file  false",
		"debug.log file  true", "inside symlink directory false", "new.ts file  false",
		"README.md file  false", "secret.txt file  true", "shared symlink  false",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ListFiles (-want +got):\n%s", diff)
	}
	var ours []string
	for _, e := range entries {
		ours = append(ours, fmt.Sprintf("%s %v", e.Path, e.Ignored))
	}
	if diff := cmp.Diff(fromGit, ours); diff != "" {
		t.Errorf("ignored flags (-git check-ignore +portal):\n%s", diff)
	}

	entries, err = p.ListFiles(ctx, port, "src")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]portal.FileEntry{{Name: "main.ts", Path: "src/main.ts", Type: portal.FileTypeFile, Size: 13}}, entries); diff != "" {
		t.Errorf("ListFiles(src) (-want +got):\n%s", diff)
	}
	f, err := p.ReadFile(ctx, port, "src/main.ts")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"src/main.ts", "main\nchanged\n"}, []string{f.Path, string(f.Data)}); diff != "" {
		t.Errorf("ReadFile (-want +got):\n%s", diff)
	}

	// Nothing above the instance's folder is reached, as with OpenCode's
	// own file routes, not even inside the worktree.
	for _, name := range []string{"..", "../api/server.ts", "../../lib/util.ts", "src/../../api/server.ts", "shared/util.ts", "shared"} {
		_, rerr := p.ReadFile(ctx, port, name)
		_, lerr := p.ListFiles(ctx, port, name)
		if portal.ErrorCode(rerr) != portal.EFORBIDDEN || portal.ErrorCode(lerr) != portal.EFORBIDDEN {
			t.Errorf("%q: read %v, list %v; want EFORBIDDEN", name, rerr, lerr)
		}
	}

	changed, err := p.ChangedFiles(ctx, port)
	if err != nil {
		t.Fatal(err)
	}
	wantChanged := []portal.ChangedFile{
		{Path: "apps/web/inside", Status: "added", Additions: 1},
		{Path: "apps/web/new.ts", Status: "added", Additions: 1},
		{Path: "apps/web/shared", Status: "added", Additions: 1},
		{Path: "apps/web/src/main.ts", Status: "modified", Additions: 1},
	}
	if diff := cmp.Diff(wantChanged, changed); diff != "" {
		t.Errorf("ChangedFiles (-want +got):\n%s", diff)
	}
	// The same as git's answer in the instance's folder, which OpenCode's
	// /vcs/status gives.
	fromGit = nil
	for _, rec := range strings.Split(gitRun(t, web, "status", "--porcelain=v1", "-uall", "--no-renames", "-z", "--", "."), "\x00") {
		if rec != "" {
			fromGit = append(fromGit, rec[3:])
		}
	}
	slices.Sort(fromGit)
	var paths []string
	for _, c := range changed {
		paths = append(paths, c.Path)
	}
	if diff := cmp.Diff(fromGit, paths); diff != "" {
		t.Errorf("ChangedFiles paths (-git status -- . +portal):\n%s", diff)
	}
}

// TestFilesOutsideGit checks that an instance whose project is not a git
// repository has its files confined to its registered folder.
func TestFilesOutsideGit(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("notes\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p, port := newFilesPortal(t, &fakeopencode.Server{}, dir, portal.Config{})
	entries, err := p.ListFiles(context.Background(), port, "")
	if err != nil {
		t.Fatal(err)
	}
	want := []portal.FileEntry{{Name: "notes.txt", Path: "notes.txt", Type: portal.FileTypeFile, Size: 6}}
	if diff := cmp.Diff(want, entries); diff != "" {
		t.Errorf("ListFiles (-want +got):\n%s", diff)
	}
	if _, err := p.ReadFile(context.Background(), port, "../"+filepath.Base(dir)+"/notes.txt"); !errors.Is(err, portal.ErrForbidden) {
		t.Errorf("ReadFile through the parent folder: %v, want EFORBIDDEN", err)
	}
}

// TestFileErrors checks the code and message of each kind of refusal, with
// a read limit set in Config.
func TestFileErrors(t *testing.T) {
	dir := t.TempDir()
	for name, size := range map[string]int{"ten.txt": 10, "eleven.txt": 11} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(strings.Repeat("x", size)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("/etc", filepath.Join(dir, "etc")); err != nil {
		t.Fatal(err)
	}
	p, port := newFilesPortal(t, &fakeopencode.Server{}, dir, portal.Config{MaxReadSize: 10})
	ctx := context.Background()
	read := func(name string) error { _, err := p.ReadFile(ctx, port, name); return err }
	list := func(name string) error { _, err := p.ListFiles(ctx, port, name); return err }
	tests := []struct {
		err  error
		code string
		msg  string
	}{
		{read("ten.txt"), "", ""},
		{read("eleven.txt"), portal.ETOOLARGE,
			`Path "eleven.txt": is 11 bytes, over the read limit of 10 bytes; the limit is the portal's MaxReadSize setting`},
		{read("../x"), portal.EFORBIDDEN,
			`Path "../x": climbs out of the project folder with ".."; only files in the instance's folder (where it was started) can be listed or read`},
		{list("etc"), portal.EFORBIDDEN,
			`Path "etc": the symbolic link "etc" leads outside the project folder; only files in the instance's folder (where it was started) can be listed or read`},
		{read("/etc/passwd"), portal.EINVALID,
			`Path "/etc/passwd": is absolute; give a path relative to the project folder`},
		{read("nope"), portal.ENOTFOUND,
			`Path "nope": does not exist in the project folder; list its folder to see what is there`},
		{read("."), portal.EINVALID, `Path ".": is a folder; list it instead of reading it`},
		{list("ten.txt"), portal.EINVALID, `Path "ten.txt": is not a folder; read it instead of listing it`},
	}
	for i, tt := range tests {
		if diff := cmp.Diff([]string{tt.code, tt.msg}, []string{portal.ErrorCode(tt.err), errMessage(tt.err)}); diff != "" {
			t.Errorf("case %d (-want +got):\n%s", i, diff)
		}
	}

	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := list(""); portal.ErrorCode(err) != portal.ENOTFOUND || !strings.Contains(err.Error(), "moved or deleted") {
		t.Errorf("ListFiles in a deleted project: %v, want ENOTFOUND saying so", err)
	}
}

// gitIgnores tells whether git ignores name, a path relative to dir, as
// `git check-ignore --no-index` run in dir says.
func gitIgnores(t *testing.T, dir, name string) bool {
	t.Helper()
	cmd := exec.Command("git", "check-ignore", "-q", "--no-index", name)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 1 {
		return false
	}
	if err != nil {
		t.Fatalf("git check-ignore %s: %v", name, err)
	}
	return true
}

// errMessage is the user-facing message of err, or "" for nil.
func errMessage(err error) string {
	if err == nil {
		return ""
	}
	return portal.ErrorMessage(err)
}

// TestChangedFiles checks the changed files of a worktree with staged,
// unstaged, renamed, deleted, binary, untracked and ignored files against
// the git CLI: `git diff --numstat HEAD` with the untracked files added
// with --intent-to-add to a copy of the index.
func TestChangedFiles(t *testing.T) {
	dir := portaltest.NewGitRepo(t)
	files := map[string]string{
		"a.txt": "1\n2\n3\n", "b.txt": "b\n", "c.bin": "\x00\x01\x02", "d.txt": "d\nd\n",
		"dir/e.txt": "e\n", "old.txt": "same\ncontent\nhere\n", ".gitignore": "*.log\n",
	}
	writeAll(t, dir, files)
	gitRun(t, dir, "add", "-A")
	gitRun(t, dir, "commit", "-q", "-m", "files")
	writeAll(t, dir, map[string]string{
		"a.txt": "1\ntwo\n3\nfour\n", "b.txt": "b\nstaged\n", "c.bin": "\x00\x03",
		"u.txt": "u\nu\n", "dir/f.txt": "f\n", "i.log": "ignored\n",
	})
	gitRun(t, dir, "add", "b.txt")
	gitRun(t, dir, "mv", "old.txt", "new.txt")
	if err := os.Remove(filepath.Join(dir, "d.txt")); err != nil {
		t.Fatal(err)
	}

	p, port := newFilesPortal(t, &fakeopencode.Server{}, dir, portal.Config{})
	got, err := p.ChangedFiles(context.Background(), port)
	if err != nil {
		t.Fatal(err)
	}

	index := filepath.Join(t.TempDir(), "index")
	data, err := os.ReadFile(filepath.Join(dir, ".git", "index"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(index, data, 0o644); err != nil {
		t.Fatal(err)
	}
	env := "GIT_INDEX_FILE=" + index
	gitRun(t, dir, env, "add", "--intent-to-add", ".")
	status := strings.Split(gitRun(t, dir, env, "diff", "HEAD", "-M", "--name-status", "-z"), "\x00")
	numstat := strings.Split(gitRun(t, dir, env, "diff", "HEAD", "-M", "--numstat", "-z"), "\x00")
	names := map[byte]string{'A': "added", 'D': "deleted", 'M': "modified", 'T': "modified", 'R': "renamed"}
	var want []portal.ChangedFile
	for i := 0; i+1 < len(status); i += 2 {
		c := portal.ChangedFile{Status: names[status[i][0]], Path: status[i+1]}
		if status[i][0] == 'R' {
			c.OldPath, c.Path = status[i+1], status[i+2]
			i++
		}
		want = append(want, c)
	}
	for i, j := 0, 0; i+1 < len(numstat); i, j = i+1, j+1 {
		f := strings.Split(numstat[i], "\t")
		if f[0] == "-" {
			want[j].Binary = true
		} else {
			want[j].Additions, _ = strconv.Atoi(f[0])
			want[j].Deletions, _ = strconv.Atoi(f[1])
		}
		if f[2] == "" { // a rename: old and new path follow
			i += 2
		}
	}
	byPath := func(a, b portal.ChangedFile) int { return strings.Compare(a.Path, b.Path) }
	slices.SortFunc(want, byPath)
	slices.SortFunc(got, byPath)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ChangedFiles (-git +portal):\n%s", diff)
	}

	// Outside git there is no HEAD to compare with.
	other := t.TempDir()
	p, port = newFilesPortal(t, &fakeopencode.Server{}, other, portal.Config{})
	if _, err := p.ChangedFiles(context.Background(), port); !errors.Is(err, portal.ErrNotFound) {
		t.Errorf("ChangedFiles outside git: %v, want ENOTFOUND", err)
	}
}

// writeAll writes files (name to content) under dir, with their folders.
func writeAll(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// gitRun runs the git CLI in dir, with any leading NAME=value arguments
// added to its environment, and returns its output.
func gitRun(t *testing.T, dir string, args ...string) string {
	t.Helper()
	var env []string
	for len(args) > 0 && strings.Contains(args[0], "=") {
		env, args = append(env, args[0]), args[1:]
	}
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=T", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=T", "GIT_COMMITTER_EMAIL=t@example.com"), env...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git %v: %v", args, err)
	}
	return string(out)
}
