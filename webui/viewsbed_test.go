package webui_test

import (
	"context"
	"encoding/json"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/opencode-portal/portal"
	"github.com/opencode-portal/portal/httpapi"
	"github.com/opencode-portal/portal/internal/browsertest"
	"github.com/opencode-portal/portal/internal/testwait"
	"github.com/opencode-portal/portal/webui"
)

// viewsPageFS is the UI's files with the test page as index.html and its
// driver as testdata/views_harness.js.
func viewsPageFS(t testing.TB) fs.FS {
	t.Helper()
	page := fstest.MapFS{}
	err := fs.WalkDir(webui.FS(), ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(webui.FS(), name)
		page[name] = &fstest.MapFile{Data: data}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for name, from := range map[string]string{"index.html": "testdata/views.html", "testdata/views_harness.js": "testdata/views_harness.js"} {
		data, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		page[name] = &fstest.MapFile{Data: data}
	}
	return page
}

// viewsPage serves the test page and returns its URL: with csp, through
// httpapi.WithUI, as portal serve sends the UI (its Content-Security-
// Policy included); without, from a plain file server.
func viewsPage(t testing.TB, csp bool) string {
	t.Helper()
	var h http.Handler = http.FileServerFS(viewsPageFS(t))
	if csp {
		p, err := portal.New(portal.Config{RegistryPath: filepath.Join(t.TempDir(), "portal.json")})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.Close() })
		h = httpapi.New(p, httpapi.WithUI(viewsPageFS(t)))
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL + "/"
}

// openViewsPage opens the test page in a tab of its own and waits for its
// driver; the tab closes when the test ends.
func openViewsPage(t testing.TB, browser context.Context, url string) context.Context {
	t.Helper()
	tab := browsertest.Tab(t, browser)
	ctx, cancelTimeout := context.WithTimeout(tab, time.Minute)
	defer cancelTimeout()
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatalf("opening the test page %s: %v", url, err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool]("window.harnessReady === true")); err != nil {
		t.Fatalf("opening the test page %s: %v", url, err)
	}
	return tab
}

// evalPage runs expr (a driver call) in the test page and returns its
// answer, awaited and decoded.
func evalPage[T any](t testing.TB, tab context.Context, expr string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab, testwait.Limit)
	defer cancel()
	got, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluating %.200s: %v", expr, err)
	}
	return got
}

// jsArg writes v as a JavaScript expression (JSON).
func jsArg(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
