package webui_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"github.com/opencode-portal/portal"
	"github.com/opencode-portal/portal/httpapi"
	"github.com/opencode-portal/portal/internal/browsertest"
	"github.com/opencode-portal/portal/internal/fakeopencode"
	"github.com/opencode-portal/portal/internal/testwait"
	"github.com/opencode-portal/portal/portaltest"
	"github.com/opencode-portal/portal/webui"
)

// browsers is the package's one Chromium, which TestMain stops.
var browsers = &browsertest.Shared{}

func TestMain(m *testing.M) {
	fakeopencode.Main() // the test binary re-executed as a fake OpenCode (newFakeUIPortal)
	code := m.Run()
	browsers.Close()
	os.Exit(code)
}

// newBrowser returns a browser context of the test's own (its own cookies
// and storage) in the package's Chromium, closed when the test ends; the
// first action run in it opens its first tab.
func newBrowser(t testing.TB) context.Context {
	t.Helper()
	return browsers.Context(t)
}

// streamCutter passes requests to the portal, and can end the event streams
// it passes and refuse new ones for a while, as a network that drops the
// page's connections would, or let them go deaf, as the connections of a
// phone that sleeps do: open but passing nothing.
type streamCutter struct {
	api http.Handler

	mu       sync.Mutex
	cut      bool
	streams  map[int]*cutStream
	next     int
	opened   int       // event streams passed
	lastByte time.Time // when bytes of an event stream were last passed
	refused  []time.Time
}

// cutStream is one event stream the cutter passes.
type cutStream struct {
	cancel context.CancelFunc
	deaf   bool // its bytes go nowhere
}

func (c *streamCutter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.HasSuffix(r.URL.Path, "/events") {
		c.api.ServeHTTP(w, r)
		return
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	c.mu.Lock()
	if c.cut {
		c.refused = append(c.refused, time.Now())
		c.mu.Unlock()
		http.Error(w, `{"statusCode":503,"statusMessage":"Service Unavailable","message":"cut by the test"}`, http.StatusServiceUnavailable)
		return
	}
	id := c.next
	c.next++
	c.opened++
	s := &cutStream{cancel: cancel}
	c.streams[id] = s
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.streams, id)
		c.mu.Unlock()
	}()
	c.api.ServeHTTP(&cutWriter{ResponseWriter: w, c: c, s: s}, r.WithContext(ctx))
}

// cutWriter passes an event stream's bytes on, but while its stream is deaf.
type cutWriter struct {
	http.ResponseWriter
	c *streamCutter
	s *cutStream
}

func (w *cutWriter) Write(p []byte) (int, error) {
	w.c.mu.Lock()
	deaf := w.s.deaf
	if !deaf {
		w.c.lastByte = time.Now()
	}
	w.c.mu.Unlock()
	if deaf {
		return len(p), nil
	}
	return w.ResponseWriter.Write(p)
}

func (w *cutWriter) FlushError() error {
	w.c.mu.Lock()
	deaf := w.s.deaf
	w.c.mu.Unlock()
	if deaf {
		return nil
	}
	return http.NewResponseController(w.ResponseWriter).Flush()
}

func (w *cutWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// drop ends every event stream and refuses new ones until restore.
func (c *streamCutter) drop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cut = true
	c.refused = nil
	for _, s := range c.streams {
		s.cancel()
	}
}

// deafen lets every event stream go on with nothing passed, for good, and
// refuses new ones until restore. It returns when the streams last passed
// bytes.
func (c *streamCutter) deafen() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cut = true
	c.refused = nil
	for _, s := range c.streams {
		s.deaf = true
	}
	return c.lastByte
}

// restore lets event streams through again.
func (c *streamCutter) restore() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cut = false
}

// passed returns how many event streams were passed so far.
func (c *streamCutter) passed() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.opened
}

// refusals returns when event streams were refused since the last drop or
// deafen, in order.
func (c *streamCutter) refusals() []time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.refused)
}

// uiPortal is a real portal, its registry in a temporary folder, served
// over HTTP with the UI at / and the API at /api/ as `portal serve` does
// (httpapi.WithUI, with its Content-Security-Policy).
type uiPortal struct {
	*httptest.Server
	cutter *streamCutter
}

// newUIPortal serves a portal whose instances are real OpenCode processes,
// offline, their agents answered by model. OpenCode keeps its snapshots
// on, as a user's does (portaltest.Config turns them off): the messages
// the page shows then hold what they hold for a user, such as the "patch"
// part of a turn that changed files.
func newUIPortal(t *testing.T, model *portaltest.FakeModel) *uiPortal {
	t.Helper()
	home := t.TempDir()
	if err := portaltest.PrepareHome(home); err != nil {
		t.Fatal(err)
	}
	config := portaltest.Config(model.URL())
	config["snapshot"] = true
	return serveUI(t, portaltest.RequireOpenCode(t), portaltest.Env(home, config))
}

// newFakeUIPortal serves a portal whose instances are the fake OpenCode
// (package fakeopencode, this test binary re-executed): for screens whose
// data the portal reads itself (git, files), where an OpenCode only has
// to run.
func newFakeUIPortal(t *testing.T) *uiPortal {
	t.Helper()
	exe, err := fakeopencode.Bin()
	if err != nil {
		t.Fatal(err)
	}
	return serveUI(t, exe, []string{fakeopencode.EnvVar + "=1"})
}

// serveUI serves a portal whose instances run bin with env added.
func serveUI(t *testing.T, bin string, env []string) *uiPortal {
	t.Helper()
	p, err := portal.New(portal.Config{
		RegistryPath: filepath.Join(t.TempDir(), "portal.json"),
		OpenCodeBin:  bin,
		StartTimeout: testwait.Limit,
		Env:          env,
		StopOnClose:  true,
	})
	if err != nil {
		t.Fatal(err)
	}
	cutter := &streamCutter{api: httpapi.New(p, httpapi.WithUI(webui.FS())), streams: map[int]*cutStream{}}
	srv := httptest.NewServer(cutter)
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
		p.Close()
	})
	return &uiPortal{Server: srv, cutter: cutter}
}

// phone is one tab of Chromium the size of a phone (390×844), with the
// page's console watched: an uncaught exception, a console.error or a
// refusal of the Content-Security-Policy fails the test.
type phone struct {
	t     *testing.T
	tab   context.Context
	shots string // folder of the screenshots, "" to take none
	shot  int
	away  target.ID // the tab in front while the phone sleeps

	mu       sync.Mutex
	problems []string
}

func newPhone(t *testing.T, browser context.Context) *phone {
	t.Helper()
	tab, cancel := phoneTab(t, browser)
	t.Cleanup(cancel)
	ph := &phone{t: t, tab: tab}
	if dir := os.Getenv("PORTAL_ARTIFACTS"); dir != "" {
		ph.shots = filepath.Join(dir, t.Name())
		if err := os.MkdirAll(ph.shots, 0o755); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshots in %s", ph.shots)
	}
	messages := chromedp.Console(tab)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			bad := m.IsException() || m.Type == chromedp.ConsoleError && m.Source == "" ||
				strings.Contains(m.Text, "Content Security Policy")
			if bad {
				ph.mu.Lock()
				ph.problems = append(ph.problems, m.String())
				ph.mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() {
		ph.mu.Lock()
		defer ph.mu.Unlock()
		for _, p := range ph.problems {
			t.Errorf("the page's console: %s", p)
		}
	})
	return ph
}

// do runs actions in the tab, failing the test on an error or after testwait.Limit.
func (ph *phone) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	ph.t.Helper()
	ctx, cancel := context.WithTimeout(ph.tab, testwait.Limit)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		ph.screenshot("failed")
		ph.t.Fatalf("%s: %v", what, err)
	}
}

// eval evaluates a JavaScript expression in the page (awaiting a promise).
func eval[T any](ph *phone, expr string) T {
	ph.t.Helper()
	return evalPage[T](ph.t, ph.tab, expr)
}

// waitFor waits until the JavaScript expression is true in the page.
func (ph *phone) waitFor(what, expr string) {
	ph.t.Helper()
	deadline := time.Now().Add(testwait.Limit)
	for !eval[bool](ph, expr) {
		if time.Now().After(deadline) {
			ph.screenshot("timeout")
			ph.t.Logf("the page:\n%s", eval[string](ph, "document.body.outerHTML"))
			ph.t.Fatalf("gave up waiting for %s (%s) after %s", what, expr, testwait.Limit)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// screenshot saves what the phone shows as NN-name.png, when
// $PORTAL_ARTIFACTS names a folder to keep them in: a screenshot nobody
// reads costs Chromium a capture and a PNG.
func (ph *phone) screenshot(name string) {
	ph.t.Helper()
	if ph.shots == "" {
		return
	}
	ph.shot++
	png, err := chromedp.Run(ph.tab, chromedp.CaptureScreenshot())
	if err != nil {
		ph.t.Logf("screenshot %s: %v", name, err)
		return
	}
	path := filepath.Join(ph.shots, fmt.Sprintf("%02d-%s.png", ph.shot, name))
	if err := os.WriteFile(path, png, 0o644); err != nil {
		ph.t.Logf("screenshot %s: %v", name, err)
	}
}

// sleep does to the page what a phone going to sleep does: another tab
// comes to the front (the page is hidden, visibilitychange), then the
// page is frozen (freeze: no script runs, no timer fires).
func (ph *phone) sleep() {
	ph.t.Helper()
	c := chromedp.FromContext(ph.tab)
	away, err := chromedp.CallBrowser(ph.tab, target.CreateTarget, target.CreateTargetParams{URL: "about:blank", BrowserContextID: c.BrowserContextID})
	if err != nil {
		ph.t.Fatalf("opening a tab in front: %v", err)
	}
	ph.away = away.TargetID
	ph.waitFor("the page hidden", `document.visibilityState === "hidden"`)
	if _, err := chromedp.Call(ph.tab, page.SetWebLifecycleState, page.SetWebLifecycleStateParams{State: page.SetWebLifecycleStateStateFrozen}); err != nil {
		ph.t.Fatalf("freezing the page: %v", err)
	}
}

// wake undoes sleep: the page runs again (resume), its tab comes to the
// front (visibilitychange) and the other tab closes.
func (ph *phone) wake() {
	ph.t.Helper()
	if _, err := chromedp.Call(ph.tab, page.SetWebLifecycleState, page.SetWebLifecycleStateParams{State: page.SetWebLifecycleStateStateActive}); err != nil {
		ph.t.Fatalf("resuming the page: %v", err)
	}
	if _, err := chromedp.CallBrowser(ph.tab, target.ActivateTarget, target.ActivateTargetParams{TargetID: chromedp.FromContext(ph.tab).Target.TargetID}); err != nil {
		ph.t.Fatalf("bringing the page to the front: %v", err)
	}
	if _, err := chromedp.CallBrowser(ph.tab, target.CloseTarget, target.CloseTargetParams{TargetID: ph.away}); err != nil {
		ph.t.Fatalf("closing the tab in front: %v", err)
	}
}

// listen starts recording the text of every node added to the page (a
// toast, a state in the top bar), for said.
func (ph *phone) listen() {
	ph.t.Helper()
	eval[bool](ph, `(window.__said = [], new MutationObserver((records) => {
		for (const r of records) for (const n of r.addedNodes) __said.push(n.textContent);
	}).observe(document.body, {childList: true, subtree: true}), true)`)
}

// said reports whether a node with exactly text was added since listen.
func (ph *phone) said(text string) bool {
	ph.t.Helper()
	return eval[bool](ph, "__said.includes("+strconv.Quote(text)+")")
}
