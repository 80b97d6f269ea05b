// Package browsertest starts the headless Chromium that the browser tests
// drive with chromedp.
package browsertest

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"os/exec"
	"testing"

	"github.com/chromedp/chromedp"
)

// Require returns the Chromium executable: $CHROMIUM_BIN, else
// /usr/bin/chromium. Without one the test fails when the CI environment
// variable is set and is skipped otherwise.
func Require(tb testing.TB) string {
	tb.Helper()
	bin := cmp.Or(os.Getenv("CHROMIUM_BIN"), "/usr/bin/chromium")
	if _, err := exec.LookPath(bin); err != nil {
		msg := fmt.Sprintf("Chromium not found (%v): run scripts/ensure-chromium (apt-get install chromium) or set CHROMIUM_BIN", err)
		if os.Getenv("CI") != "" {
			tb.Fatal(msg)
		}
		tb.Skip("skipping: " + msg)
	}
	return bin
}

// New prepares one headless Chromium for the test, with a fresh profile and
// the extra options given. The first action run in the returned context
// starts it; it is stopped when the test ends. It runs without the
// browser's background work (extensions, component updates, crash reports,
// translation, metrics) and puts the pages of every site in one renderer
// process per browser context rather than one per site: what a page may
// do, and what it sends, does not change; the CPU the test costs does.
func New(tb testing.TB, extra ...chromedp.ExecAllocatorOption) context.Context {
	tb.Helper()
	opts := append([]chromedp.ExecAllocatorOption{
		chromedp.ExecPath(Require(tb)),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-component-extensions-with-background-pages", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-breakpad", true),
		chromedp.Flag("disable-client-side-phishing-detection", true),
		chromedp.Flag("disable-hang-monitor", true),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("no-pings", true),
		chromedp.Flag("mute-audio", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("disable-site-isolation-trials", true),
		chromedp.Flag("disable-features", "IsolateOrigins,site-per-process,Translate,OptimizationHints,MediaRouter,DialMediaRouteProvider,AutofillServerCommunication,CertificateTransparencyComponentUpdater"),
		chromedp.UserDataDir(tb.TempDir()),
	}, extra...)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	browser, cancelBrowser := chromedp.NewContext(alloc)
	tb.Cleanup(func() { cancelBrowser(); cancelAlloc() })
	return browser
}
