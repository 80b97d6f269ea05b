package browsertest

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/opencode-portal/portal/internal/testwait"
)

// TestChromiumLeavesNothingBehind checks that a Chromium's temporary files
// are in its own folder while it runs, and that the folder is gone once it
// is closed: a killed Chromium leaves its temporary folder behind, which
// was one more in the system's temporary folder for every test run.
func TestChromiumLeavesNothingBehind(t *testing.T) {
	var s Shared
	defer s.Close()
	if err := chromedp.Do(s.Context(t), chromedp.Navigate("about:blank")); err != nil {
		t.Fatal(err)
	}
	root := s.root
	if kept, _ := filepath.Glob(filepath.Join(root, "tmp", "org.chromium.Chromium.*")); len(kept) == 0 {
		entries, _ := os.ReadDir(filepath.Join(root, "tmp"))
		t.Errorf("Chromium keeps no temporary folder in its own TMPDIR, which holds %v", entries)
	}
	s.Close()
	if _, err := os.Stat(root); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("after Close, its folder %s: %v, want it gone", root, err)
	}
}

// TestNoToolbarPages checks that the windows of a Chromium the tests start
// hold the tests' pages only: without toolbarPages, each window has the
// address bar's drop-down lists loaded as web pages of Chromium's own
// (targets of type browser_ui), each in a process that keeps using CPU.
func TestNoToolbarPages(t *testing.T) {
	var s Shared
	defer s.Close()
	var ctx context.Context
	for range 2 { // the first window, and one more
		ctx = s.Context(t)
		if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
			t.Fatal(err)
		}
	}
	targets, err := chromedp.Targets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pages := 0
	for _, info := range targets {
		if info.Type != "page" {
			t.Errorf("a target of type %s: %s", info.Type, info.URL)
			continue
		}
		pages++
	}
	if pages < 2 {
		t.Errorf("%d pages among the targets, want the two opened at least", pages)
	}
}

// TestOpenTabSendsNoNetworkEvents loads a page twice in a tab of OpenTab:
// as opened, the tab sends no network events; with them turned on again,
// the same load sends them, so the listener would have seen them.
func TestOpenTabSendsNoNetworkEvents(t *testing.T) {
	page := servePage(t, "page")
	var s Shared
	defer s.Close()
	tab, cancel, err := OpenTab(s.Context(t))
	if err != nil {
		t.Fatal(err)
	}
	defer cancel()
	var requests atomic.Int32
	if err := chromedp.Listen(tab, func(ev any) {
		if _, ok := ev.(*network.EventRequestWillBeSent); ok {
			requests.Add(1)
		}
	}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(tab, chromedp.Navigate(page+"/first")); err != nil {
		t.Fatal(err)
	}
	if n := requests.Load(); n != 0 {
		t.Errorf("%d network events as the tab was opened, want none", n)
	}
	if _, err := chromedp.Call(tab, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(tab, chromedp.Navigate(page+"/second")); err != nil {
		t.Fatal(err)
	}
	if requests.Load() == 0 {
		t.Error("no network event once turned on: the listener sees none, and the first load proved nothing")
	}
}

// TestOpenTabNavigatesOnceItsBlankPageCommitted opens a tab whose blank
// page committed well before it was attached to (as on a loaded machine,
// where chromedp's own new tab then misses its frame and its first
// Navigate waits for ever): the tab knows its frame, and a page loads.
func TestOpenTabNavigatesOnceItsBlankPageCommitted(t *testing.T) {
	page := servePage(t, "loaded")
	var s Shared
	defer s.Close()
	tab, cancel, err := openTab(s.Context(t), func() { time.Sleep(500 * time.Millisecond) })
	if err != nil {
		t.Fatal(err)
	}
	defer cancel()
	ctx, stop := context.WithTimeout(tab, testwait.Limit)
	defer stop()
	if err := chromedp.Do(ctx, chromedp.Navigate(page)); err != nil {
		t.Fatalf("loading a page in the tab: %v", err)
	}
	title, err := chromedp.Run(ctx, chromedp.Title())
	if err != nil {
		t.Fatal(err)
	}
	if title != "loaded" {
		t.Errorf("title %q, want %q", title, "loaded")
	}
}

// servePage serves a page titled title, for the test's time, and returns
// its URL.
func servePage(t *testing.T, title string) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "<!doctype html><title>"+title+"</title>")
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}
