package webui_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/opencode-portal/portal/internal/browsertest"
	"github.com/opencode-portal/portal/internal/testwait"
	"github.com/opencode-portal/portal/portaltest"
)

// BenchmarkWebUI measures the UI in Chromium the size of a phone (390×844)
// against a real portal and a real OpenCode, whose fake model streams
// through a tap that notes when it writes each piece to OpenCode.
//
// "load/instances" and "load/session" open the instances screen and a
// session with a short conversation in an empty cache, until the screen
// shows and no request has been open (but the event stream) for 500 ms:
// gzip-B/load is what the responses took on the wire (headers included),
// raw-B/load their bodies unpacked, requests/load their number (the event
// stream included, not its bytes).
//
// "turn" sends one prompt per iteration to a session the page shows: the
// model streams tokensPerTurn distinct tokens 150 ms apart, then a bash
// call, which asks for a permission, which the page rejects (a first turn,
// not measured, warms OpenCode up). For every token, token-dom-ms is the
// median time from the model writing it to the page's DOM holding it (a
// MutationObserver's time, in the page's clock) and token-event-ms to
// OpenCode's own /event stream delivering it to a Go reader;
// token-dom/event is their ratio and token-added-ms the median of what
// each token took more to reach the DOM (the portal's relay, the page's
// stream and its drawing on the next frame). perm-* are the same from the
// model writing the call to the permission's card in the DOM and to
// permission.asked on /event. All on one machine's clock, in Unix ms.
//
// It also saves a screenshot of the session, webui-phone.png, in
// $PORTAL_ARTIFACTS (else a temporary folder).
func BenchmarkWebUI(b *testing.B) {
	browsertest.Require(b)
	bed := newFiguresBed(b)
	browser := newBrowser(b)
	session := shortConversation(b, bed)
	saveScreenshot(b, browser, bed.sessionURL(session))

	b.Run("load/instances", func(b *testing.B) {
		benchLoad(b, browser, bed.url+"/", `[data-testid="instance-row"]`)
	})
	b.Run("load/session", func(b *testing.B) {
		benchLoad(b, browser, bed.sessionURL(session), `[data-testid="part-tool"][data-status="completed"]`)
	})
	b.Run("turn", func(b *testing.B) { benchTurn(b, bed, browser) })
}

// shortConversation makes a session where the agent writes a file and
// answers in markdown, and returns its id.
func shortConversation(b *testing.B, bed *figuresBed) string {
	session := bed.newSession(b, "Greeting")
	write := portaltest.ToolCallReply("write", map[string]string{
		"filePath": filepath.Join(bed.oc.Dir, "hello.txt"), "content": "Hello from the agent!\n"})
	write.Chunks = []string{"I'll add the file."}
	bed.model.Enqueue(write, portaltest.TextReply(
		"Done: **hello.txt** greets whoever opens it.\n\n",
		"```\nHello from the agent!\n```\n\n",
		"- one line, ending in a newline\n- nothing else changed\n\n",
		"Run `cat hello.txt` to see it.",
	))
	bed.call(b, http.MethodPost, "session/"+session+"/prompt", map[string]string{"text": "Add a hello.txt that greets the reader"}, nil)
	return session
}

// saveScreenshot opens the session at url and saves what the phone shows.
func saveScreenshot(b *testing.B, browser context.Context, url string) {
	tab, cancel := phoneTab(b, browser)
	defer cancel()
	if err := chromedp.Do(tab, chromedp.Navigate(url)); err != nil {
		b.Fatalf("opening %s: %v", url, err)
	}
	waitPage[bool](b, tab, "the conversation",
		`document.querySelector('[data-testid="part-tool"][data-tool="write"][data-status="completed"]') !== null && `+
			`document.querySelector('[data-testid="messages"]').textContent.includes("to see it") && `+
			`document.querySelector('[data-testid="connection-state"]').dataset.state === "live"`)
	evalPage[bool](b, tab, `new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(() => done(true))))`)
	png, err := chromedp.Run(tab, chromedp.CaptureScreenshot())
	if err != nil {
		b.Fatalf("screenshot: %v", err)
	}
	dir := os.Getenv("PORTAL_ARTIFACTS")
	if dir == "" {
		dir = b.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(dir, "webui-phone.png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.Fatal(err)
	}
	b.Logf("screenshot: %s (%d bytes)", path, len(png))
}

// pageLoad is what one first load of a page took.
type pageLoad struct {
	wire, raw float64 // bytes: on the wire, and the bodies unpacked
	requests  int
	each      []string // each request's path and bytes on the wire, in order
}

// benchLoad opens page in an empty cache per iteration and reports what
// it loaded until the element ready shows and the network is quiet.
func benchLoad(b *testing.B, browser context.Context, page, ready string) {
	var sum, l pageLoad
	n := 0
	for b.Loop() {
		l = loadOnce(b, browser, page, ready)
		sum.wire += l.wire
		sum.raw += l.raw
		sum.requests += l.requests
		n++
	}
	b.Logf("the last load's requests (bytes on the wire): %s", strings.Join(l.each, ", "))
	b.ReportMetric(sum.wire/float64(n), "gzip-B/load")
	b.ReportMetric(sum.raw/float64(n), "raw-B/load")
	b.ReportMetric(float64(sum.requests)/float64(n), "requests/load")
}

// quiet is how long the network stays still before a load counts as done.
const quiet = 500 * time.Millisecond

func loadOnce(b *testing.B, browser context.Context, page, ready string) pageLoad {
	u, err := url.Parse(page)
	if err != nil {
		b.Fatal(err)
	}
	origin := u.Scheme + "://" + u.Host + "/"
	tab, cancel := phoneTab(b, browser)
	defer cancel()
	if _, err := chromedp.Call(tab, network.Enable, network.EnableParams{}); err != nil {
		b.Fatalf("turning the tab's network events on: %v", err)
	}
	var (
		mu      sync.Mutex
		load    pageLoad
		last    = time.Now()
		open    = map[network.RequestID]bool{} // requests not finished, but event streams
		streams = map[network.RequestID]bool{}
		paths   = map[network.RequestID]string{}
		wires   = map[network.RequestID]float64{}
		order   []network.RequestID
	)
	err = chromedp.Listen(tab, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			load.requests++
			order = append(order, ev.RequestID)
			paths[ev.RequestID] = "/" + strings.TrimPrefix(ev.Request.URL, origin)
			if strings.HasSuffix(ev.Request.URL, "/events") {
				streams[ev.RequestID] = true
			} else {
				open[ev.RequestID] = true
			}
		case *network.EventDataReceived:
			if !streams[ev.RequestID] {
				load.raw += float64(ev.DataLength)
			}
		case *network.EventLoadingFinished:
			load.wire += ev.EncodedDataLength
			wires[ev.RequestID] = ev.EncodedDataLength
			delete(open, ev.RequestID)
		case *network.EventLoadingFailed:
			delete(open, ev.RequestID)
		default:
			return
		}
		last = time.Now()
	})
	if err != nil {
		b.Fatal(err)
	}
	if err := chromedp.Do(tab, chromedp.Navigate(page)); err != nil {
		b.Fatalf("opening %s: %v", page, err)
	}
	waitPage[bool](b, tab, ready, fmt.Sprintf("document.querySelector(%s) !== null", jsArg(b, ready)))
	deadline := time.Now().Add(testwait.Limit)
	for {
		time.Sleep(50 * time.Millisecond)
		mu.Lock()
		if len(open) == 0 && time.Since(last) >= quiet {
			l := load
			for _, id := range order {
				l.each = append(l.each, fmt.Sprintf("%s %.0f", paths[id], wires[id]))
			}
			mu.Unlock()
			return l
		}
		mu.Unlock()
		if time.Now().After(deadline) {
			b.Fatalf("the network did not go quiet after loading %s within %s", page, testwait.Limit)
		}
	}
}

// tokensPerTurn is how many tokens each turn of "turn" streams.
const tokensPerTurn = 5

func benchTurn(b *testing.B, bed *figuresBed, browser context.Context) {
	session := bed.newSession(b, "Figures")
	tab, cancel := phoneTab(b, browser)
	defer cancel()
	if err := chromedp.Do(tab, chromedp.Navigate(bed.sessionURL(session))); err != nil {
		b.Fatalf("opening the session: %v", err)
	}
	waitPage[bool](b, tab, "the session", `document.querySelector('[data-testid="composer"]') !== null && `+
		`document.querySelector('[data-testid="connection-state"]').dataset.state === "live"`)
	evalPage[bool](b, tab, domWatcher)
	before := time.Now()
	page := evalPage[float64](b, tab, "performance.timeOrigin + performance.now()")
	after := time.Now()
	b.Logf("clocks: the page's read %.1f ms after the test's before it, %.1f ms before the test's after it", page-unixMS(before), unixMS(after)-page)

	// measure returns, for key, the time from the model writing it to the
	// DOM showing it and to OpenCode's /event delivering it (ms).
	measure := func(key string) latency {
		wrote := unixMS(bed.tapped.wait(b, "the model tap", key))
		return latency{
			dom:   waitPage[float64](b, tab, key+" in the DOM", fmt.Sprintf("window.figures.seen[%s]", jsArg(b, key))) - wrote,
			event: unixMS(bed.events.wait(b, "OpenCode's /event", key)) - wrote,
		}
	}
	watchPage := func(key, selector, text string) {
		evalPage[bool](b, tab, fmt.Sprintf("window.figures.watch(%s, %s, %s), true", jsArg(b, key), jsArg(b, selector), jsArg(b, text)))
	}
	// oneTurn runs turn n and returns the latencies of its tokens and of
	// its permission.
	oneTurn := func(n int) (tokens []latency, perm latency) {
		var keys, chunks []string
		for j := range tokensPerTurn {
			tok := fmt.Sprintf("tk%04d%02dz", n, j)
			keys = append(keys, tok)
			chunks = append(chunks, tok+" ")
			bed.tapped.watch(tok, "", tok)
			bed.events.watch(tok, "", tok)
			watchPage(tok, `[data-testid="messages"]`, tok)
		}
		marker, callID := fmt.Sprintf("pm%04dz", n), fmt.Sprintf("call_figures_%d", n)
		bed.tapped.watch(marker, "", callID) // the chunk that names the call
		bed.events.watch(marker, "permission.asked", marker)
		watchPage(marker, `[data-testid="permission-card"]`, marker)

		reply := portaltest.ToolCallReply("bash", map[string]string{"command": "echo " + marker, "description": "Echo"})
		reply.ToolCalls[0].ID = callID
		reply.Chunks, reply.Delay = chunks, 150*time.Millisecond
		bed.model.Enqueue(reply)
		bed.call(b, http.MethodPost, "session/"+session+"/prompt_async", map[string]string{"text": fmt.Sprintf("turn %d", n)}, nil)

		for _, key := range keys {
			tokens = append(tokens, measure(key))
		}
		perm = measure(marker)
		if err := chromedp.Do(tab, chromedp.Click(`[data-testid="permission-card"] [data-testid="permission-reject"]`)); err != nil {
			b.Fatalf("rejecting the permission: %v", err)
		}
		waitPage[bool](b, tab, "the turn's end", `document.querySelector('[data-testid="permission-card"]') === null && `+
			`document.querySelector('[data-testid="abort"]').hidden`)
		return tokens, perm
	}

	// The first turn pays for OpenCode's first bash call (1.5 s or so):
	// not the UI's doing, and not measured.
	oneTurn(0)
	var tokens, perms []latency
	turn := 0
	for b.Loop() {
		turn++
		t, p := oneTurn(turn)
		tokens, perms = append(tokens, t...), append(perms, p)
	}
	report(b, "token", tokens)
	report(b, "perm", perms)
}

// latency is how long one piece took from the model to the DOM and to
// OpenCode's /event (ms).
type latency struct{ dom, event float64 }

// report logs the latencies and reports their medians, the ratio of the
// medians (DOM/event), and the median of what the DOM took over /event.
func report(b *testing.B, what string, ls []latency) {
	var dom, event, added []float64
	for _, l := range ls {
		dom, event, added = append(dom, l.dom), append(event, l.event), append(added, l.dom-l.event)
	}
	b.Logf("%s ms, model to DOM: %.1f", what, dom)
	b.Logf("%s ms, model to /event: %.1f", what, event)
	d, e := median(dom), median(event)
	b.ReportMetric(d, what+"-dom-ms")
	b.ReportMetric(e, what+"-event-ms")
	b.ReportMetric(d/e, what+"-dom/event")
	b.ReportMetric(median(added), what+"-added-ms")
}
