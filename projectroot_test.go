package portal_test

import (
	"context"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/opencode-portal/portal"
	"github.com/opencode-portal/portal/portaltest"
)

// realTempDir is a temporary folder, its symbolic links resolved as git
// resolves them.
func realTempDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// stoppedPort returns a port nothing listens on.
func stoppedPort(t *testing.T) int {
	t.Helper()
	port, err := portaltest.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return port
}

// hungPort returns the port of a server that accepts connections and never
// answers, as a hung OpenCode does.
func hungPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	})
	t.Cleanup(func() {
		l.Close()
		wg.Wait()
		for _, c := range conns {
			c.Close()
		}
	})
	return l.Addr().(*net.TCPAddr).Port
}

// TestFilesWithoutOpenCode lists and reads the files of instances whose
// OpenCode is stopped or hung: the project root is found on disk, inside
// and outside git, and OpenCode is never asked.
func TestFilesWithoutOpenCode(t *testing.T) {
	plain := realTempDir(t)
	writeAll(t, plain, map[string]string{"a.txt": "plain\n", "sub/b.txt": "b\n"})

	repo := realTempDir(t)
	writeAll(t, repo, map[string]string{"a.txt": "repo\n", "svc/api/main.go": "package main\n"})
	gitRun(t, repo, "init", "-q", "-b", "main")
	gitRun(t, repo, "add", ".")
	gitRun(t, repo, "commit", "-q", "-m", "first")

	linked := filepath.Join(realTempDir(t), "linked")
	gitRun(t, repo, "worktree", "add", "-q", "-b", "topic", linked)
	writeAll(t, linked, map[string]string{"a.txt": "linked\n"})

	// A .git folder that is not a repository is passed over, as git does.
	notRepo := filepath.Join(repo, "svc", "fake")
	writeAll(t, notRepo, map[string]string{".git/x": "", "a.txt": "fake\n"})

	tests := []struct {
		name     string
		dir      string // the instance's registered folder
		worktree string // "" outside git
		list     []string
		read     string // a.txt in the instance's folder
	}{
		{"outside git", plain, "", []string{"sub", "a.txt"}, "plain\n"},
		{"outside git, in a subfolder", filepath.Join(plain, "sub"), "", []string{"b.txt"}, ""},
		{"git, at the top", repo, repo, []string{".git", "svc", "a.txt"}, "repo\n"},
		{"git, in a subfolder", filepath.Join(repo, "svc", "api"), repo, []string{"main.go"}, ""},
		{"linked worktree", linked, linked, []string{"svc", ".git", "a.txt"}, "linked\n"},
		{"non-repository .git folder", notRepo, repo, []string{".git", "a.txt"}, "fake\n"},
	}
	for _, upstream := range []struct {
		name string
		port func(*testing.T) int
	}{{"stopped", stoppedPort}, {"hung", hungPort}} {
		for _, tt := range tests {
			t.Run(upstream.name+"/"+tt.name, func(t *testing.T) {
				// The timeout only bounds the run of a build that asks
				// OpenCode; nothing is measured against it.
				port := upstream.port(t)
				p := portal.NewTestPortal(t, portal.Config{RequestTimeout: 2 * time.Second}, portal.StandIn{Dir: tt.dir, Port: port})
				ctx := context.Background()
				entries, err := p.ListFiles(ctx, port, "")
				if err != nil {
					t.Fatalf("ListFiles: %v", err)
				}
				var names []string
				for _, e := range entries {
					names = append(names, e.Name)
				}
				if diff := cmp.Diff(tt.list, names); diff != "" {
					t.Errorf("ListFiles (-want +got):\n%s", diff)
				}
				if tt.read != "" {
					f, err := p.ReadFile(ctx, port, "a.txt")
					if err != nil {
						t.Fatalf("ReadFile: %v", err)
					}
					if string(f.Data) != tt.read {
						t.Errorf("ReadFile = %q, want %q", f.Data, tt.read)
					}
				}
				wt, err := p.Worktree(ctx, port)
				if tt.worktree == "" {
					if portal.ErrorCode(err) != portal.ENOTFOUND {
						t.Errorf("Worktree outside git = %q, %v; want ENOTFOUND", wt, err)
					}
				} else if wt != tt.worktree || err != nil {
					t.Errorf("Worktree = %q, %v; want %q", wt, err, tt.worktree)
				}
			})
		}
	}
}
