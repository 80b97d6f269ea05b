package webui

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// uiCSP is the Content-Security-Policy the portal sends with its UI.
const uiCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// xssBrowser starts one headless Chromium for the test (with the flags of
// the httpapi browser tests: a fresh profile, no background work, one
// renderer per browser context), stopped when the test ends. Without
// Chromium the test fails when CI is set and is skipped otherwise.
func xssBrowser(t testing.TB) context.Context {
	t.Helper()
	bin := cmp.Or(os.Getenv("CHROMIUM_BIN"), "/usr/bin/chromium")
	if _, err := exec.LookPath(bin); err != nil {
		msg := fmt.Sprintf("Chromium not found (%v): run scripts/ensure-chromium (apt-get install chromium) or set CHROMIUM_BIN", err)
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip("skipping: " + msg)
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(bin),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-breakpad", true),
		chromedp.Flag("disable-client-side-phishing-detection", true),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("no-pings", true),
		chromedp.Flag("mute-audio", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("disable-site-isolation-trials", true),
		chromedp.Flag("disable-features", "IsolateOrigins,site-per-process,Translate,OptimizationHints,MediaRouter,DialMediaRouteProvider,AutofillServerCommunication,CertificateTransparencyComponentUpdater"),
		chromedp.UserDataDir(t.TempDir()),
	)
	browser, cancelBrowser := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancelBrowser(); cancelAlloc() })
	if err := chromedp.Do(browser); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	return browser
}

// viewsPage serves the test page (testdata/views.html and its driver) with
// the UI's modules under js/, with the UI's CSP or without it.
func viewsPage(t testing.TB, csp bool) string {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("GET /js/", http.FileServerFS(os.DirFS("static")))
	mux.Handle("GET /testdata/", http.FileServerFS(os.DirFS(".")))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, "testdata/views.html")
	})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if csp {
			w.Header().Set("Content-Security-Policy", uiCSP)
		}
		w.Header().Set("Cache-Control", "no-store")
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/"
}

// openViewsPage opens the test page in a tab of its own and waits for its
// driver; the tab closes when the test ends.
func openViewsPage(t testing.TB, browser context.Context, url string) context.Context {
	t.Helper()
	tab, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(tab); err != nil { // opens the tab, for as long as tab lives
		t.Fatalf("opening a tab: %v", err)
	}
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
	ctx, cancel := context.WithTimeout(tab, 2*time.Minute)
	defer cancel()
	got, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%.200s: %v", expr, err)
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
