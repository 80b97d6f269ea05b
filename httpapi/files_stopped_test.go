package httpapi_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/opencode-portal/portal/internal/registry"
	"github.com/opencode-portal/portal/portaltest"
)

// TestFilesRoutesWithOpenCodeStopped lists and reads through the HTTP API
// the files of an instance whose OpenCode is not running, inside git (the
// instance in a subfolder: paths are relative to it) and outside.
func TestFilesRoutesWithOpenCodeStopped(t *testing.T) {
	t.Parallel()
	repo := portaltest.NewGitRepo(t)
	if err := os.Mkdir(filepath.Join(repo, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(repo, "sub", "README.md"), []byte("sub\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	plain := t.TempDir()
	if err := os.WriteFile(filepath.Join(plain, "README.md"), []byte("plain\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, dir string
		list      []any
		read      string
	}{
		{"git", filepath.Join(repo, "sub"), []any{"README.md"}, "sub\n"},
		{"outside git", plain, []any{"README.md"}, "plain\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newAPIServer(t)
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			port := l.Addr().(*net.TCPAddr).Port
			l.Close() // nothing listens there: OpenCode is stopped
			pid := os.Getpid()
			err = registry.New(s.Registry).Update(context.Background(), func(f *registry.File) error {
				f.Instances = append(f.Instances, registry.Entry{ID: "stopped", Name: "stopped", Directory: tc.dir,
					OpencodePort: port, Hostname: "127.0.0.1", OpencodePID: &pid})
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			status, v := getJSON(t, "GET", portURL(s, port, "files/list"), nil)
			if status != 200 {
				t.Fatalf("files/list: %d %v", status, v)
			}
			var names []any
			for _, e := range v.([]any) {
				names = append(names, e.(map[string]any)["name"])
			}
			if diff := cmp.Diff(tc.list, names); diff != "" {
				t.Errorf("files/list (-want +got):\n%s", diff)
			}
			status, v = getJSON(t, "GET", portURL(s, port, "files/read?path=README.md"), nil)
			if status != 200 || v.(map[string]any)["content"] != tc.read {
				t.Errorf("files/read: %d %v, want 200 with %q", status, v, tc.read)
			}
		})
	}
}
