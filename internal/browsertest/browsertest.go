// Package browsertest starts the headless Chromium that the browser tests
// drive with chromedp.
package browsertest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/target"
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
// translation, metrics) and without the web pages of its own toolbar,
// and puts the pages of every site in one renderer process per browser
// context rather than one per site: what a page may do, and what it sends,
// does not change; the CPU the test costs does.
//
// The toolbar's pages are the address bar's drop-down lists, which
// Chromium draws as web pages of its own (chrome://omnibox-popup.top-chrome)
// and loads ahead, in a renderer process each, for every window: a browser
// context's first tab, and every tab a test opens, is a window. Headless,
// no one sees them, and each such process kept using about 5 % of a CPU
// while the window was open.
func New(tb testing.TB, extra ...chromedp.ExecAllocatorOption) context.Context {
	tb.Helper()
	bin := Require(tb)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), append(options(bin, folders(tb, tb.TempDir())), extra...)...)
	browser, cancelBrowser := chromedp.NewContext(alloc)
	tb.Cleanup(func() { cancelBrowser(); cancelAlloc() })
	return browser
}

// folders makes, in root, the profile folder of a Chromium and the folder
// it keeps its temporary files in (its TMPDIR), and returns root. Chromium
// leaves a folder of its own in the system's temporary folder when it is
// killed, as a test's end does: in root, it goes with root.
func folders(tb testing.TB, root string) string {
	tb.Helper()
	for _, dir := range []string{"profile", "tmp"} {
		if err := os.Mkdir(filepath.Join(root, dir), 0o700); err != nil {
			tb.Fatal(err)
		}
	}
	return root
}

// toolbarPages are the features that make Chromium load the address bar's
// drop-down lists as web pages of its own in each window (New).
const toolbarPages = "WebUIOmniboxPopup,WebUIOmniboxAimPopup"

// options are the flags of every Chromium the tests start: headless, with
// its profile and temporary files in root's folders (folders), without
// background work or the toolbar's pages, and with one renderer process per
// browser context (New).
func options(bin, root string) []chromedp.ExecAllocatorOption {
	return []chromedp.ExecAllocatorOption{
		chromedp.Env("TMPDIR=" + filepath.Join(root, "tmp")),
		chromedp.ExecPath(bin),
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
		chromedp.Flag("disable-features", "IsolateOrigins,site-per-process,Translate,OptimizationHints,MediaRouter,DialMediaRouteProvider,AutofillServerCommunication,CertificateTransparencyComponentUpdater,"+
			toolbarPages),
		chromedp.UserDataDir(filepath.Join(root, "profile")),
	}
}

// Shared is one Chromium for a package's tests, started on first use: each
// test gets a browser context of its own in it (as a new incognito window,
// with its own cookies and storage), so a package pays for one browser
// start. The zero value is ready; TestMain calls Close once the tests are
// over.
type Shared struct {
	mu      sync.Mutex
	browser context.Context // the started browser, nil until first use
	cancel  func()
	root    string // its folders
}

// Context returns a new browser context in the shared Chromium, closed when
// the test ends. The first action run in it opens its first tab.
func (s *Shared) Context(tb testing.TB) context.Context {
	tb.Helper()
	bin := Require(tb)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.browser == nil {
		root, err := os.MkdirTemp("", "browsertest-*")
		if err != nil {
			tb.Fatal(err)
		}
		alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), options(bin, folders(tb, root))...)
		browser, cancelBrowser := chromedp.NewContext(alloc)
		if err := chromedp.Do(browser); err != nil {
			cancelBrowser()
			cancelAlloc()
			os.RemoveAll(root)
			tb.Fatalf("starting Chromium: %v", err)
		}
		s.browser, s.root = browser, root
		s.cancel = func() { cancelBrowser(); cancelAlloc() }
	}
	ctx, cancel := chromedp.NewContext(s.browser, chromedp.WithNewBrowserContext())
	tb.Cleanup(cancel)
	return ctx
}

// OpenTab opens a tab in a browser context of its own in browser (as a
// new incognito window: its own cookies, storage and credentials cache)
// and runs actions in it. cancel closes the tab.
//
// The tab is made blank first, then attached to, as chromedp does for a
// tab it did not open: attaching reads the tab's frame. A tab chromedp
// opens itself learns its frame from the blank page's navigation, and
// misses it when that page commits before chromedp listens (a loaded
// machine): its first Navigate then waits for ever.
//
// The tab sends no network events. chromedp turns them on in every tab,
// and Chromium then keeps each response and sends an event for each
// request, response and message of an event stream, which the test binary
// decodes: CPU spent on events no test reads. A test that reads them turns
// them on again (chromedp.Call(tab, network.Enable, network.EnableParams{})).
func OpenTab(browser context.Context, actions ...chromedp.Action[chromedp.Void]) (tab context.Context, cancel context.CancelFunc, err error) {
	return openTab(browser, nil, actions...)
}

// Tab is OpenTab for a test: the test fails if the tab does not open, and
// the tab closes when the test ends.
func Tab(tb testing.TB, browser context.Context, actions ...chromedp.Action[chromedp.Void]) context.Context {
	tb.Helper()
	tab, cancel, err := OpenTab(browser, actions...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(cancel)
	return tab
}

// openTab is OpenTab; opened (when not nil) is called once the blank tab
// exists and before it is attached to.
func openTab(browser context.Context, opened func(), actions ...chromedp.Action[chromedp.Void]) (tab context.Context, cancel context.CancelFunc, err error) {
	c := chromedp.FromContext(browser)
	if c == nil || c.Browser == nil {
		return nil, nil, errors.New("opening a tab: the context holds no started browser (use Shared.Context)")
	}
	bc, err := cdp.Call(browser, c.Browser, target.CreateBrowserContext, target.CreateBrowserContextParams{})
	if err != nil {
		return nil, nil, fmt.Errorf("opening a tab: a browser context: %w", err)
	}
	dispose := func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(browser), 10*time.Second)
		defer cancel()
		cdp.Call(ctx, c.Browser, target.DisposeBrowserContext, target.DisposeBrowserContextParams(bc))
	}
	newWindow := true
	created, err := cdp.Call(browser, c.Browser, target.CreateTarget, target.CreateTargetParams{
		URL: "about:blank", BrowserContextID: bc.BrowserContextID, NewWindow: &newWindow,
	})
	if err != nil {
		dispose()
		return nil, nil, fmt.Errorf("opening a tab: %w", err)
	}
	if opened != nil {
		opened()
	}
	tab, closeTab := chromedp.NewContext(browser, chromedp.WithTargetID(created.TargetID))
	// The tab's context names its browser context, as one chromedp opened
	// with its own would: a tab opened from it (target.CreateTarget with
	// this BrowserContextID, or chromedp.NewContext(tab)) goes there too.
	chromedp.FromContext(tab).BrowserContextID = bc.BrowserContextID
	cancel = func() { closeTab(); dispose() }
	if _, err := chromedp.Call(tab, network.Disable, cdp.Empty{}); err != nil { // the first call attaches
		cancel()
		return nil, nil, fmt.Errorf("opening a tab with its network events off: %w", err)
	}
	if err := chromedp.Do(tab, actions...); err != nil {
		cancel()
		return nil, nil, fmt.Errorf("preparing a new tab: %w", err)
	}
	return tab, cancel, nil
}

// Close stops the shared Chromium, if it was started.
func (s *Shared) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.browser != nil {
		s.cancel()
		os.RemoveAll(s.root)
		s.browser = nil
	}
}
