package httpapi_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/opencode-portal/portal"
	"github.com/opencode-portal/portal/internal/opencode"
	"github.com/opencode-portal/portal/portaltest"
)

// filesBed is the package's real OpenCode with test files in one folder of
// its project (area), registered with a Portal served over HTTP.
type filesBed struct {
	dir     string // the project root
	outside string // a folder outside the project, holding secret.txt
	base    string // the portal's URL for the instance: …/api/opencode/{port}
	direct  *opencode.Client
}

// area is the folder of the shared project that holds the files tests'
// files.
const area = "filestest"

// projectFiles are written into the area and committed.
var projectFiles = map[string][]byte{
	"text.txt":           []byte("hello\nworld\n"),
	"nonl.txt":           []byte("no trailing newline"),
	"empty.txt":          {},
	"utf8.txt":           []byte("h\u00e9llo \u2713 \u65e5\u672c\u8a9e \U0001f389\n"),
	"blank.txt":          []byte("\n\n  indented  \n\n"),
	"crlf.txt":           []byte("one\r\ntwo\r\n"),
	"data.bin":           randomBytes(3000, 1),
	"image.png":          append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), randomBytes(200, 2)...),
	"src/main.go":        []byte("package main\n\nfunc main() {}\n"),
	"src/util/helper.go": []byte("package util\n"),
	"docs/guide.md":      []byte("# Guide\n\nline\n"),
	"alpha/a.txt":        []byte("a\n"),
	"Zeta/z.txt":         []byte("z\n"),
	"beta/b.txt":         []byte("b\n"),
	".gitignore":         []byte("build/\n*.log\n"),
	"build/out.txt":      []byte("built\n"),
	"debug.log":          []byte("log\n"),
	"big.bin":            bytes.Repeat([]byte("x"), portal.DefaultMaxReadSize+1),
}

// randomBytes returns n seeded random bytes, the first a NUL.
func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.UintN(256))
	}
	b[0] = 0
	return b
}

// newFilesBed writes projectFiles (and what more adds) into the area of the
// shared OpenCode's project, commits them and changes a few. When the test
// ends, the project is put back as it was.
func newFilesBed(tb testing.TB, more func(dir string)) *filesBed {
	tb.Helper()
	oc := sharedOpenCode(tb)
	root := oc.Dir
	head := strings.TrimSpace(gitOut(tb, root, "rev-parse", "HEAD"))
	tb.Cleanup(func() {
		gitOut(tb, root, "reset", "-q", "--hard", head)
		os.RemoveAll(filepath.Join(root, area))
	})
	dir := filepath.Join(root, area)
	outside := tb.TempDir()
	write(tb, outside, "secret.txt", []byte("SECRET\n"))
	for name, data := range projectFiles {
		write(tb, dir, name, data)
	}
	for name, target := range map[string]string{"etc": "/etc", "vendor": outside, "inlink": "src"} {
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			tb.Fatal(err)
		}
	}
	if more != nil {
		more(dir)
	}
	for _, args := range [][]string{{"add", "-A", area}, {"commit", "-q", "-m", "files test"}} {
		if err := portaltest.Git(root, args...); err != nil {
			tb.Fatal(err)
		}
	}
	write(tb, dir, "text.txt", []byte("hello\nthere\nworld\n"))
	write(tb, dir, "new.txt", []byte("one\ntwo\nthree\n"))
	if err := os.Remove(filepath.Join(dir, "docs/guide.md")); err != nil {
		tb.Fatal(err)
	}

	s := newAPIServer(tb)
	if _, err := oc.Register(s.Registry); err != nil {
		tb.Fatal(err)
	}
	direct, err := opencode.New(opencode.Options{BaseURL: oc.URL, Password: oc.Password})
	if err != nil {
		tb.Fatal(err)
	}
	return &filesBed{dir: root, outside: outside, base: fmt.Sprintf("%s/api/opencode/%d", s.URL, oc.Port), direct: direct}
}

// write creates the file name under dir, with its folders.
func write(tb testing.TB, dir, name string, data []byte) {
	tb.Helper()
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		tb.Fatal(err)
	}
}

// get fetches route?query from the portal and returns status, headers and body.
func (b *filesBed) get(tb testing.TB, route string, query url.Values) (int, http.Header, []byte) {
	tb.Helper()
	u := b.base + "/" + route
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	resp, err := http.Get(u)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return resp.StatusCode, resp.Header, body
}

// getJSON fetches route?query, expects 200, and decodes the body into out.
func (b *filesBed) getJSON(tb testing.TB, route string, query url.Values, out any) {
	tb.Helper()
	status, _, body := b.get(tb, route, query)
	if status != http.StatusOK {
		tb.Fatalf("GET %s?%s: %d %s", route, query.Encode(), status, body)
	}
	if err := json.Unmarshal(body, out); err != nil {
		tb.Fatalf("GET %s?%s: %v in %s", route, query.Encode(), err, body)
	}
}

// testFilesOpenCode runs every files test that needs OpenCode on one
// instance.
func testFilesOpenCode(t *testing.T) {
	b := newFilesBed(t, nil)
	t.Run("search", b.testSearch)
	t.Run("read", b.testRead)
	t.Run("list", b.testList)
	t.Run("status", b.testStatus)
	t.Run("errors", b.testErrors)
}

// testSearch checks that search answers what OpenCode's /find/file answers.
func (b *filesBed) testSearch(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		q, typ string
		limit  int
	}{
		{"main", "", 0}, {"txt", "", 0}, {"src", "directory", 0}, {"e", "file", 200},
		{"e", "", 3}, {"zzzz", "", 5}, {"h\u00e9llo", "", 0}, {"util/help", "", 0}, {"a", "directory", 50},
	}
	for _, tt := range tests {
		query := url.Values{"q": {tt.q}}
		upstream := url.Values{"query": {tt.q}, "limit": {"10"}}
		if tt.limit != 0 {
			query.Set("limit", strconv.Itoa(tt.limit))
			upstream.Set("limit", strconv.Itoa(tt.limit))
		}
		if tt.typ != "" {
			query.Set("type", tt.typ)
			upstream.Set("type", tt.typ)
		}
		// OpenCode's file index catches up with files other subtests
		// write: ask both again (a few times) until they saw the same index.
		var got, want []string
		var diff string
		for range 5 {
			got, want = nil, nil
			b.getJSON(t, "files/search", query, &got)
			if err := b.direct.Call(ctx, http.MethodGet, "/find/file", upstream, nil, &want); err != nil {
				t.Fatal(err)
			}
			if diff = cmp.Diff(want, got); diff == "" {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		if diff != "" {
			t.Errorf("search %v (-OpenCode +portal):\n%s", query, diff)
		}
	}
	for _, query := range []url.Values{nil, {"q": {""}}, {"q": {""}, "limit": {"5"}}} {
		status, _, body := b.get(t, "files/search", query)
		if status != http.StatusOK || string(body) != "[]\n" {
			t.Errorf("search %v = %d %q, want 200 []", query, status, body)
		}
	}
}

// testRead checks that read returns every file byte for byte, as JSON and
// raw, and relates it to OpenCode's /file/content.
func (b *filesBed) testRead(t *testing.T) {
	ctx := context.Background()
	names := []string{"text.txt", "nonl.txt", "empty.txt", "utf8.txt", "blank.txt", "crlf.txt",
		"data.bin", "image.png", "src/main.go", "new.txt", "inlink/main.go"}
	for _, name := range names {
		name = area + "/" + name
		want, err := os.ReadFile(filepath.Join(b.dir, name))
		if err != nil {
			t.Fatal(err)
		}
		var got struct{ Type, Content, Encoding, MimeType, Path string }
		b.getJSON(t, "files/read", url.Values{"path": {name}}, &got)
		data := []byte(got.Content)
		if got.Type == "binary" {
			if got.Encoding != "base64" {
				t.Errorf("%s: binary with encoding %q", name, got.Encoding)
			}
			if data, err = base64.StdEncoding.DecodeString(got.Content); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
		if !bytes.Equal(data, want) {
			t.Errorf("%s: read %q, file holds %q", name, data, want)
		}
		wantType := "text"
		if bytes.IndexByte(want, 0) >= 0 {
			wantType = "binary"
		}
		if got.Type != wantType || got.Path != name {
			t.Errorf("%s: type %q path %q, want %q %q", name, got.Type, got.Path, wantType, name)
		}

		status, hdr, raw := b.get(t, "files/read", url.Values{"path": {name}, "raw": {"1"}})
		if status != http.StatusOK || !bytes.Equal(raw, want) {
			t.Errorf("%s raw: %d, %d bytes, want 200 and the file's %d bytes", name, status, len(raw), len(want))
		}
		if hdr.Get("Content-Type") != got.MimeType || hdr.Get("X-Content-Type-Options") != "nosniff" ||
			!strings.HasPrefix(hdr.Get("Content-Security-Policy"), "sandbox") {
			t.Errorf("%s raw: Content-Type %q (JSON said %q), X-Content-Type-Options %q, Content-Security-Policy %q",
				name, hdr.Get("Content-Type"), got.MimeType, hdr.Get("X-Content-Type-Options"), hdr.Get("Content-Security-Policy"))
		}

		// OpenCode's own answer: same type; text trimmed, binary identical.
		var oc struct{ Type, Content string }
		if err := b.direct.Call(ctx, http.MethodGet, "/file/content", url.Values{"path": {name}}, nil, &oc); err != nil {
			t.Logf("%s: OpenCode's /file/content failed (%v); not compared", name, err)
			continue
		}
		ocWant := got.Content
		if got.Type == "text" {
			ocWant = strings.TrimSpace(got.Content)
		}
		if diff := cmp.Diff([]string{oc.Type, oc.Content}, []string{got.Type, ocWant}); diff != "" {
			t.Errorf("%s: OpenCode's /file/content (-OpenCode +portal, text trimmed):\n%s", name, diff)
		}
	}
}

// testList checks list against os.ReadDir, its ignored flags against the
// git CLI, and the rest against OpenCode's /file where the two agree by
// design.
func (b *filesBed) testList(t *testing.T) {
	ctx := context.Background()
	root, err := filepath.EvalSymlinks(b.dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, folder := range []string{"", area, area + "/src", area + "/build", area + "/inlink", area + "/src/util"} {
		var got []portal.FileEntry
		b.getJSON(t, "files/list", url.Values{"path": {folder}}, &got)

		real, err := filepath.EvalSymlinks(filepath.Join(root, folder))
		if err != nil {
			t.Fatal(err)
		}
		relReal, _ := filepath.Rel(root, real)
		des, err := os.ReadDir(real)
		if err != nil {
			t.Fatal(err)
		}
		var want []portal.FileEntry
		var realPaths []string
		for _, de := range des {
			info, err := de.Info()
			if err != nil {
				t.Fatal(err)
			}
			e := portal.FileEntry{Name: de.Name(), Path: path.Join(folder, de.Name()), Type: portal.FileTypeFile, Size: info.Size()}
			switch {
			case de.IsDir():
				e.Type, e.Size = portal.FileTypeDirectory, 0
			case de.Type()&os.ModeSymlink != 0:
				e.Type, e.Size = portal.FileTypeSymlink, 0
			}
			want = append(want, e)
			realPaths = append(realPaths, path.Join(filepath.ToSlash(relReal), de.Name()))
		}
		ignored := checkIgnore(t, root, realPaths)
		for i := range want {
			// git never tracks its own folder: list marks it ignored.
			want[i].Ignored = ignored[realPaths[i]] || want[i].Name == ".git"
		}
		var gotNoTarget []portal.FileEntry
		for _, e := range got {
			e.Target = "" // where links lead is checked by package confine
			gotNoTarget = append(gotNoTarget, e)
		}
		byName := func(a, b portal.FileEntry) int { return strings.Compare(a.Name, b.Name) }
		slices.SortFunc(want, byName)
		slices.SortFunc(gotNoTarget, byName)
		if diff := cmp.Diff(want, gotNoTarget); diff != "" {
			t.Errorf("list %q (-disk and git +portal):\n%s", folder, diff)
		}

		// OpenCode leaves symbolic links out, ends folder paths in "/",
		// and orders punctuation by locale; its ignored flags follow only
		// the root .gitignore, not .git/info/exclude or nested ones.
		var oc []struct{ Name, Path, Type string }
		if err := b.direct.Call(ctx, http.MethodGet, "/file", url.Values{"path": {orDot(folder)}}, nil, &oc); err != nil {
			t.Fatal(err)
		}
		var fromOC, fromPortal []listItem
		for _, e := range oc {
			fromOC = append(fromOC, listItem{e.Name, strings.TrimSuffix(e.Path, "/"), e.Type})
		}
		for _, e := range got {
			if e.Type != portal.FileTypeSymlink {
				fromPortal = append(fromPortal, listItem{e.Name, e.Path, e.Type})
			}
		}
		if diff := cmp.Diff(alphanumericOrder(fromOC), alphanumericOrder(fromPortal)); diff != "" {
			t.Errorf("list %q (-OpenCode /file +portal):\n%s", folder, diff)
		}
	}
}

// listItem is what OpenCode's /file and the portal's list both say of an
// entry.
type listItem struct{ Name, Path, Type string }

// alphanumericOrder keeps the items whose names start with a letter or a
// digit, in their order: the ones whose order OpenCode's locale collation
// and the portal's case-insensitive one agree on.
func alphanumericOrder(items []listItem) []listItem {
	var out []listItem
	for _, it := range items {
		if r, _ := utf8.DecodeRuneInString(it.Name); unicode.IsLetter(r) || unicode.IsDigit(r) {
			out = append(out, it)
		}
	}
	return out
}

// checkIgnore returns which of paths (relative to the repository at dir)
// git ignores, as `git check-ignore --no-index` says.
func checkIgnore(tb testing.TB, dir string, paths []string) map[string]bool {
	tb.Helper()
	cmd := exec.Command("git", "check-ignore", "--no-index", "-z", "--stdin")
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(strings.Join(paths, "\x00"))
	out, err := cmd.Output()
	if ee, ok := err.(*exec.ExitError); err != nil && (!ok || ee.ExitCode() != 1) { // 1: none ignored
		tb.Fatalf("git check-ignore: %v", err)
	}
	ignored := map[string]bool{}
	for _, p := range strings.Split(string(out), "\x00") {
		ignored[p] = true
	}
	return ignored
}

// orDot returns folder, or "." for the root.
func orDot(folder string) string {
	if folder == "" {
		return "."
	}
	return folder
}

// testStatus checks the changed files against the git CLI.
func (b *filesBed) testStatus(t *testing.T) {
	var got []portal.ChangedFile
	b.getJSON(t, "files/status", nil, &got)

	var want []portal.ChangedFile
	numstat := gitOut(t, b.dir, "diff", "--numstat", "HEAD")
	names := gitOut(t, b.dir, "diff", "--name-status", "HEAD")
	statusOf := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(names), "\n") {
		st, file, _ := strings.Cut(line, "\t")
		statusOf[file] = map[string]string{"M": "modified", "D": "deleted", "A": "added"}[st]
	}
	for _, line := range strings.Split(strings.TrimSpace(numstat), "\n") {
		f := strings.Split(line, "\t")
		add, _ := strconv.Atoi(f[0])
		del, _ := strconv.Atoi(f[1])
		want = append(want, portal.ChangedFile{Path: f[2], Status: statusOf[f[2]], Additions: add, Deletions: del})
	}
	for _, file := range strings.Fields(gitOut(t, b.dir, "ls-files", "--others", "--exclude-standard")) {
		data, _ := os.ReadFile(filepath.Join(b.dir, file))
		want = append(want, portal.ChangedFile{Path: file, Status: "added", Additions: bytes.Count(data, []byte("\n"))})
	}
	byPath := func(a, b portal.ChangedFile) int { return strings.Compare(a.Path, b.Path) }
	slices.SortFunc(want, byPath)
	slices.SortFunc(got, byPath)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("status (-git +portal):\n%s", diff)
	}
}

// gitOut runs the git CLI in dir and returns its output.
func gitOut(tb testing.TB, dir string, args ...string) string {
	tb.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		tb.Fatalf("git %v: %v", args, err)
	}
	return string(out)
}

// testErrors checks the status, code and message of refused requests.
func (b *filesBed) testErrors(t *testing.T) {
	tests := []struct {
		route  string
		query  url.Values
		status int
		code   string
		msg    string // a part of the message
	}{
		{"files/read", url.Values{"path": {"../secret.txt"}}, 403, "EFORBIDDEN", `climbs out of the project folder`},
		{"files/read", url.Values{"path": {area + "/../../x"}}, 403, "EFORBIDDEN", `climbs out`},
		{"files/read", url.Values{"path": {"/etc/passwd"}}, 400, "EINVALID", "is absolute"},
		{"files/read", url.Values{"path": {area + "/etc/passwd"}}, 403, "EFORBIDDEN", `the symbolic link "` + area + `/etc" leads outside`},
		{"files/read", url.Values{"path": {area + "/vendor/secret.txt"}}, 403, "EFORBIDDEN", `"` + area + `/vendor" leads outside`},
		{"files/list", url.Values{"path": {area + "/vendor"}}, 403, "EFORBIDDEN", `"` + area + `/vendor" leads outside`},
		{"files/read", url.Values{"path": {"%2e%2e%2fsecret.txt"}}, 400, "EINVALID", "percent-encoded"},
		{"files/read", url.Values{"path": {"a\x00b"}}, 400, "EINVALID", "NUL byte"},
		{"files/read", url.Values{"path": {`..\secret.txt`}}, 400, "EINVALID", "backslash"},
		{"files/read", url.Values{"path": {strings.Repeat("a/", 3000)}}, 400, "EINVALID", "longer than 4096 bytes"},
		{"files/read", url.Values{"path": {area + "/big.bin"}}, 413, "ETOOLARGE", "over the read limit of 1 MiB"},
		{"files/read", url.Values{"path": {area + "/big.bin"}, "raw": {"1"}}, 413, "ETOOLARGE", "1 MiB"},
		{"files/read", url.Values{"path": {area + "/missing.txt"}}, 404, "ENOTFOUND", "does not exist"},
		{"files/read", url.Values{"path": {area + "/src"}}, 400, "EINVALID", "is a folder"},
		{"files/read", url.Values{"path": {area + "/text.txt"}, "raw": {"maybe"}}, 400, "EINVALID", "Invalid raw"},
		{"files/list", url.Values{"path": {area + "/text.txt"}}, 400, "EINVALID", "is not a folder"},
		{"files/list", url.Values{"path": {area + "/nope"}}, 404, "ENOTFOUND", "does not exist"},
		{"files/search", url.Values{"q": {"a"}, "limit": {"abc"}}, 400, "EINVALID", "Invalid limit"},
		{"files/search", url.Values{"q": {"a"}, "limit": {"201"}}, 400, "EINVALID", "from 1 to 200"},
		{"files/search", url.Values{"q": {"a"}, "limit": {"-1"}}, 400, "EINVALID", "from 1 to 200"},
		{"files/search", url.Values{"q": {"a"}, "type": {"socket"}}, 400, "EINVALID", "Invalid type"},
	}
	// Malformed query strings, sent as they are.
	for _, raw := range []string{"path=%zz", "path=a%2", "path=" + area + "/text.txt;x=1"} {
		tests = append(tests, struct {
			route  string
			query  url.Values
			status int
			code   string
			msg    string
		}{"files/read?" + raw, nil, 400, "EINVALID", "Invalid query string"})
	}
	for _, tt := range tests {
		status, _, body := b.get(t, tt.route, tt.query)
		if bytes.Contains(body, []byte("SECRET")) {
			t.Errorf("%s %v: the answer holds the file outside the project: %s", tt.route, tt.query, body)
		}
		var env struct {
			StatusCode int
			Code       string
			Message    string
		}
		if err := json.Unmarshal(body, &env); err != nil {
			t.Errorf("%s %v: %d %q is not the error envelope", tt.route, tt.query, status, body)
			continue
		}
		if status != tt.status || env.StatusCode != tt.status || env.Code != tt.code || !strings.Contains(env.Message, tt.msg) {
			t.Errorf("%s %v: %d %+v, want %d %s with %q", tt.route, tt.query, status, env, tt.status, tt.code, tt.msg)
		}
	}
}
