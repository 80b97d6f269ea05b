package portal_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/opencode-portal/portal"
	"github.com/opencode-portal/portal/internal/registry"
)

// filesFake stands in for OpenCode where the files API asks it something:
// /project/current, /find/file and /vcs/status. It records the queries
// /find/file receives. (The tests against the real OpenCode are in
// package httpapi.)
type filesFake struct {
	worktree string // "/" for a project outside git
	found    []string
	changed  string // JSON answer of /vcs/status

	mu      sync.Mutex
	queries []url.Values
}

func (f *filesFake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	switch r.URL.Path {
	case "/global/health":
		w.Write([]byte(`{"healthy":true,"version":"1.18.33"}`))
	case "/project/current":
		vcs := `,"vcs":"git"`
		if f.worktree == "/" {
			vcs = ""
		}
		w.Write([]byte(`{"id":"p1","worktree":` + quote(f.worktree) + vcs + `,"time":{"created":1}}`))
	case "/find/file":
		f.mu.Lock()
		f.queries = append(f.queries, r.URL.Query())
		f.mu.Unlock()
		json.NewEncoder(w).Encode(f.found)
	case "/vcs/status":
		w.Write([]byte(f.changed))
	default:
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte(`{"name":"NotFoundError","data":{"message":"no route"}}`))
	}
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// newFilesPortal serves fake on a local port, registers it as an instance
// working in dir, and returns a Portal (configured by cfg) and the port.
func newFilesPortal(t *testing.T, fake *filesFake, dir string, cfg portal.Config) (*portal.Portal, int) {
	t.Helper()
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	cfg.RegistryPath = filepath.Join(t.TempDir(), "portal.json")
	pid := os.Getpid()
	err := registry.New(cfg.RegistryPath).Update(context.Background(), func(f *registry.File) error {
		f.Instances = append(f.Instances, registry.Entry{ID: "files1", Name: "files", Directory: dir,
			OpencodePort: port, Hostname: "127.0.0.1", OpencodePID: &pid, StartedAt: "2026-01-01T00:00:00Z"})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	p, err := portal.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p, port
}

// TestSearchFilesQuery checks what SearchFiles asks OpenCode, and that
// it refuses bad searches without asking.
func TestSearchFilesQuery(t *testing.T) {
	dir := t.TempDir()
	fake := &filesFake{worktree: dir, found: []string{"a.go", "pkg/"}}
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
		fake.mu.Lock()
		fake.queries = nil
		fake.mu.Unlock()
		found, err := p.SearchFiles(context.Background(), port, tt.s)
		if got := portal.ErrorCode(err); got != tt.code {
			t.Errorf("SearchFiles(%+v): error %v, want code %q", tt.s, err, tt.code)
			continue
		}
		var wantQueries []url.Values
		wantFound := []string{}
		if tt.query != nil {
			wantQueries, wantFound = []url.Values{tt.query}, fake.found
		}
		if tt.code != "" {
			wantFound = nil
		}
		fake.mu.Lock()
		queries := fake.queries
		fake.mu.Unlock()
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

// TestSearchFilesSubfolder checks that results of an instance started in
// a subfolder of its worktree are made relative to the worktree, like
// every other path of the files API.
func TestSearchFilesSubfolder(t *testing.T) {
	worktree := t.TempDir()
	sub := filepath.Join(worktree, "svc", "api")
	fake := &filesFake{worktree: worktree, found: []string{"main.go", "pkg/", "/"}}
	p, port := newFilesPortal(t, fake, sub, portal.Config{})
	found, err := p.SearchFiles(context.Background(), port, portal.FileSearch{Query: "m"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"svc/api/main.go", "svc/api/pkg/", "svc/api/"}, found); diff != "" {
		t.Errorf("SearchFiles (-want +got):\n%s", diff)
	}
}

// TestFilesOutsideGit checks that an instance whose project is not a git
// repository has its files confined to its registered folder.
func TestFilesOutsideGit(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("notes\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p, port := newFilesPortal(t, &filesFake{worktree: "/"}, dir, portal.Config{})
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
	p, port := newFilesPortal(t, &filesFake{worktree: dir}, dir, portal.Config{MaxReadSize: 10})
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
			`Path "../x": climbs out of the project folder with ".."; only files inside the project can be listed or read`},
		{list("etc"), portal.EFORBIDDEN,
			`Path "etc": the symbolic link "etc" leads outside the project folder; only files inside the project can be listed or read`},
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

// errMessage is the user-facing message of err, or "" for nil.
func errMessage(err error) string {
	if err == nil {
		return ""
	}
	return portal.ErrorMessage(err)
}

// TestChangedFiles checks that OpenCode's /vcs/status is decoded field by
// field, and that an empty answer is an empty list.
func TestChangedFiles(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		answer string
		want   []portal.ChangedFile
	}{
		{`[{"file":"a.go","additions":3,"deletions":1,"status":"modified"},{"file":"b/c.txt","additions":0,"deletions":7,"status":"deleted"}]`,
			[]portal.ChangedFile{{Path: "a.go", Status: "modified", Additions: 3, Deletions: 1}, {Path: "b/c.txt", Status: "deleted", Deletions: 7}}},
		{`[]`, []portal.ChangedFile{}},
		{`null`, []portal.ChangedFile{}},
	} {
		p, port := newFilesPortal(t, &filesFake{worktree: dir, changed: tt.answer}, dir, portal.Config{})
		got, err := p.ChangedFiles(context.Background(), port)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("ChangedFiles for %s (-want +got):\n%s", tt.answer, diff)
		}
	}
}
