package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/opencode-portal/portal"
	"github.com/opencode-portal/portal/internal/opencode"
	"github.com/opencode-portal/portal/portaltest"
)

// TestFilesSubfolderOpenCode starts the real OpenCode in mono/apps/web, a
// subfolder of a git repository, and checks that the portal's search,
// list, read and status answers equal OpenCode's own for the same
// questions: paths relative to the instance's folder, status paths
// relative to the repository and limited to the folder, and nothing above
// the folder reachable.
func TestFilesSubfolderOpenCode(t *testing.T) {
	t.Parallel()
	bin := portaltest.RequireOpenCode(t)
	mono := portaltest.NewGitRepo(t)
	for name, data := range map[string]string{
		".gitignore": "*.log\n", "lib/util.ts": "export const util = 1\n", "apps/api/server.ts": "api\n",
		"apps/web/src/main.ts": "export const main = 1\n", "apps/web/src/app/view.ts": "view\n",
		"apps/web/README.md": "# web\n", "apps/web/package.json": "{}\n",
	} {
		write(t, mono, name, []byte(data))
	}
	for _, args := range [][]string{{"add", "-A"}, {"commit", "-q", "-m", "mono"}} {
		if err := portaltest.Git(mono, args...); err != nil {
			t.Fatal(err)
		}
	}
	for name, data := range map[string]string{
		"apps/web/src/main.ts": "export const main = 2\nexport const more = 3\n", "apps/web/new.ts": "one\ntwo\n",
		"apps/web/debug.log": "log\n", "apps/api/server.ts": "api\nchanged\n", "lib/new.ts": "new\n",
	} {
		write(t, mono, name, []byte(data))
	}
	if err := os.Remove(filepath.Join(mono, "apps/web/package.json")); err != nil {
		t.Fatal(err)
	}
	web := filepath.Join(mono, "apps", "web")
	// Started once the test has its parallel place, not before: the
	// OpenCodes started before (TestBrowserSecurity's, TestSharedOpenCode's)
	// serve longer tests, and starts run one at a time.
	oc, err := startOpenCode(portaltest.OpenCodeOptions{Bin: bin, Dir: web})
	if err != nil {
		t.Fatalf("starting OpenCode: %v", err)
	}
	t.Cleanup(func() { oc.Close() })
	s := newAPIServer(t)
	s.register(t, oc)
	direct, err := opencode.New(opencode.Options{BaseURL: oc.URL, Password: oc.Password})
	if err != nil {
		t.Fatal(err)
	}
	b := &filesBed{dir: web, base: fmt.Sprintf("%s/api/opencode/%d", s.URL, oc.Port), direct: direct}
	ctx := context.Background()

	t.Run("search", func(t *testing.T) {
		// Wait for OpenCode's file index, built in the background. On a
		// busy machine OpenCode's first search can outlast the portal's
		// time limit (504): that is asked again too, a few times.
		for i, timeouts := 0, 0; ; i++ {
			query := url.Values{"q": {"view"}}
			status, _, body := b.get(t, "files/search", query)
			if status == http.StatusGatewayTimeout && timeouts < 3 {
				timeouts++
				t.Logf("GET files/search?%s: %d %s; asking again", query.Encode(), status, body)
				continue
			}
			var found []string
			if status != http.StatusOK || json.Unmarshal(body, &found) != nil {
				t.Fatalf("GET files/search?%s: %d %s", query.Encode(), status, body)
			}
			if len(found) > 0 {
				break
			}
			if i == 50 {
				t.Fatal("OpenCode's file search found nothing for 10 s")
			}
			time.Sleep(200 * time.Millisecond)
		}
		for _, q := range []string{"main", "ts", "view", "src", "server", "util", "a"} {
			for _, typ := range []string{"", "directory"} {
				query := url.Values{"q": {q}, "limit": {"50"}}
				upstream := url.Values{"query": {q}, "limit": {"50"}}
				if typ != "" {
					query.Set("type", typ)
					upstream.Set("type", typ)
				}
				// OpenCode's index is built in the background: ask both
				// again until they saw the same one.
				var got, want []string
				for range 10 {
					got, want = nil, nil
					b.getJSON(t, "files/search", query, &got)
					if err := direct.Call(ctx, http.MethodGet, "/find/file", upstream, nil, &want); err != nil {
						t.Fatal(err)
					}
					if cmp.Equal(want, got) {
						break
					}
					time.Sleep(200 * time.Millisecond)
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("search %v (-OpenCode +portal):\n%s", query, diff)
				}
			}
		}
	})

	t.Run("list", func(t *testing.T) {
		for _, folder := range []string{"", "src", "src/app"} {
			var got []portal.FileEntry
			b.getJSON(t, "files/list", url.Values{"path": {folder}}, &got)
			var oc []struct{ Name, Path, Type string }
			if err := direct.Call(ctx, http.MethodGet, "/file", url.Values{"path": {orDot(folder)}}, nil, &oc); err != nil {
				t.Fatal(err)
			}
			var fromOC, fromPortal []listItem
			for _, e := range oc {
				fromOC = append(fromOC, listItem{e.Name, strings.TrimSuffix(e.Path, "/"), e.Type})
			}
			for _, e := range got {
				fromPortal = append(fromPortal, listItem{e.Name, e.Path, e.Type})
			}
			if len(fromOC) == 0 {
				t.Errorf("list %q: OpenCode lists nothing", folder)
			}
			if diff := cmp.Diff(alphanumericOrder(fromOC), alphanumericOrder(fromPortal)); diff != "" {
				t.Errorf("list %q (-OpenCode /file +portal):\n%s", folder, diff)
			}
		}
	})

	t.Run("read", func(t *testing.T) {
		for _, name := range []string{"src/main.ts", "src/app/view.ts", "README.md", "new.ts", "src/../README.md"} {
			var got struct{ Type, Content, Path string }
			b.getJSON(t, "files/read", url.Values{"path": {name}}, &got)
			var oc struct{ Type, Content string }
			if err := direct.Call(ctx, http.MethodGet, "/file/content", url.Values{"path": {name}}, nil, &oc); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]string{oc.Type, oc.Content}, []string{got.Type, strings.TrimSpace(got.Content)}); diff != "" {
				t.Errorf("read %q (-OpenCode /file/content +portal, trimmed):\n%s", name, diff)
			}
		}
		// Above the instance's folder, inside the repository: OpenCode
		// refuses (a 500 saying the path escapes), the portal too (403).
		for _, name := range []string{"../api/server.ts", "../../lib/util.ts", "src/../../api/server.ts"} {
			var oc struct{ Type, Content string }
			if err := direct.Call(ctx, http.MethodGet, "/file/content", url.Values{"path": {name}}, nil, &oc); err == nil {
				t.Errorf("OpenCode's /file/content read %q: %+v", name, oc)
			}
			for _, route := range []string{"files/read", "files/list"} {
				if status, _, body := b.get(t, route, url.Values{"path": {name}}); status != http.StatusForbidden {
					t.Errorf("%s %q: %d %s, want 403", route, name, status, body)
				}
			}
		}
	})

	t.Run("status", func(t *testing.T) {
		type change struct {
			File                 string
			Additions, Deletions int
			Status               string
		}
		var got, want []change
		b.getJSON(t, "files/status", nil, &got)
		if err := direct.Call(ctx, http.MethodGet, "/vcs/status", nil, nil, &want); err != nil {
			t.Fatal(err)
		}
		byFile := func(a, b change) int { return strings.Compare(a.File, b.File) }
		slices.SortFunc(got, byFile)
		slices.SortFunc(want, byFile)
		if len(want) == 0 {
			t.Error("OpenCode's /vcs/status is empty")
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("status (-OpenCode /vcs/status +portal):\n%s", diff)
		}
	})
}
