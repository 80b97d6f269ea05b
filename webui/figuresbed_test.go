package webui_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/opencode-portal/portal"
	"github.com/opencode-portal/portal/httpapi"
	"github.com/opencode-portal/portal/internal/browsertest"
	"github.com/opencode-portal/portal/internal/opencode"
	"github.com/opencode-portal/portal/internal/sse"
	"github.com/opencode-portal/portal/internal/ssetest"
	"github.com/opencode-portal/portal/internal/testwait"
	"github.com/opencode-portal/portal/portaltest"
	"github.com/opencode-portal/portal/webui"
)

// sightings notes when each awaited text first passed in a stream.
type sightings struct {
	mu      sync.Mutex
	want    map[string]sighting  // key -> what to look for, until seen
	seen    map[string]time.Time // key -> when
	changed chan struct{}        // closed and replaced on every sighting
}

// sighting is a text to look for, in events of one type ("": any).
type sighting struct{ eventType, text string }

func newSightings() *sightings {
	return &sightings{want: map[string]sighting{}, seen: map[string]time.Time{}, changed: make(chan struct{})}
}

// watch starts looking for text, in events of eventType ("": any), under key.
func (s *sightings) watch(key, eventType, text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.want[key] = sighting{eventType, text}
}

// note looks for the watched texts in data, an event of eventType that
// passed at the time at.
func (s *sightings) note(eventType string, data []byte, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	found := false
	for key, w := range s.want {
		if (w.eventType == "" || w.eventType == eventType) && bytes.Contains(data, []byte(w.text)) {
			s.seen[key] = at
			delete(s.want, key)
			found = true
		}
	}
	if found {
		close(s.changed)
		s.changed = make(chan struct{})
	}
}

// wait returns when key was seen, failing after testwait.Limit.
func (s *sightings) wait(tb testing.TB, where, key string) time.Time {
	tb.Helper()
	timeout := time.After(testwait.Limit)
	for {
		s.mu.Lock()
		at, ok := s.seen[key]
		changed := s.changed
		s.mu.Unlock()
		if ok {
			return at
		}
		select {
		case <-changed:
		case <-timeout:
			tb.Fatalf("%s did not pass %s within %s", key, where, testwait.Limit)
		}
	}
}

// newModelTap stands between OpenCode and model: it passes the model's
// streamed replies on event by event, and notes in the sightings it returns
// when it wrote each one to OpenCode. Its URL (ending in /v1) is the model's
// for OpenCode.
func newModelTap(tb testing.TB, model *portaltest.FakeModel) (url string, seen *sightings) {
	tb.Helper()
	seen = newSightings()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, err := http.NewRequestWithContext(r.Context(), r.Method, model.URL()+strings.TrimPrefix(r.URL.Path, "/v1"), r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		req.Header.Set("Content-Type", r.Header.Get("Content-Type"))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
		w.WriteHeader(resp.StatusCode)
		rc := http.NewResponseController(w)
		rd := bufio.NewReader(resp.Body)
		var event []byte
		for {
			line, err := rd.ReadBytes('\n')
			event = append(event, line...)
			if len(bytes.TrimSpace(line)) == 0 || err != nil {
				at := time.Now()
				if _, werr := w.Write(event); werr != nil || rc.Flush() != nil {
					return
				}
				seen.note("", event, at)
				event = event[:0]
			}
			if err != nil {
				return
			}
		}
	}))
	tb.Cleanup(func() { srv.CloseClientConnections(); srv.Close() })
	return srv.URL + "/v1", seen
}

// watchOpenCode reads oc's own event stream (GET /event, with its
// password), as a program of its own would, and notes in the sightings it
// returns when each event arrived.
func watchOpenCode(tb testing.TB, oc *portaltest.OpenCode) *sightings {
	tb.Helper()
	req, err := http.NewRequest(http.MethodGet, oc.URL+"/event", nil)
	if err != nil {
		tb.Fatal(err)
	}
	req.SetBasicAuth(opencode.DefaultUsername, oc.Password)
	seen := newSightings()
	ssetest.Watch(tb, req, func(ev sse.Event) {
		at := time.Now()
		if e, err := opencode.DecodeEvent(ev.Data); err == nil {
			seen.note(e.Type, ev.Data, at)
		}
	})
	return seen
}

// figuresBed is a real OpenCode, answered by a fake model through a tap,
// driven by a real portal that serves the UI as `portal serve` does.
type figuresBed struct {
	model  *portaltest.FakeModel
	tapped *sightings // what the model wrote to OpenCode, and when
	events *sightings // OpenCode's own event stream, read directly
	oc     *portaltest.OpenCode
	url    string // the portal's
}

func newFiguresBed(tb testing.TB) *figuresBed {
	tb.Helper()
	bin := portaltest.RequireOpenCode(tb)
	model := portaltest.NewFakeModel(tb)
	modelURL, tapped := newModelTap(tb, model)
	oc := portaltest.NewOpenCode(tb, portaltest.OpenCodeOptions{Bin: bin, ModelURL: modelURL, StartTimeout: testwait.Limit})
	reg := filepath.Join(tb.TempDir(), "portal.json")
	if _, err := oc.Register(reg); err != nil {
		tb.Fatal(err)
	}
	p, err := portal.New(portal.Config{RegistryPath: reg})
	if err != nil {
		tb.Fatal(err)
	}
	srv := httptest.NewServer(httpapi.New(p, httpapi.WithUI(webui.FS())))
	tb.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
		p.Close()
	})
	return &figuresBed{model: model, tapped: tapped, events: watchOpenCode(tb, oc), oc: oc, url: srv.URL}
}

// call calls the portal's API on the instance (path after
// api/opencode/{port}/) and decodes the answer into out, unless nil.
func (bed *figuresBed) call(tb testing.TB, method, path string, body, out any) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testwait.Limit)
	defer cancel()
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			tb.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, bed.url+"/api/opencode/"+strconv.Itoa(bed.oc.Port)+"/"+path, rd)
	if err != nil {
		tb.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode/100 != 2 {
		tb.Fatalf("%s %s: %s %s %v", method, path, resp.Status, data, err)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			tb.Fatalf("%s %s: %v", method, path, err)
		}
	}
}

// newSession makes a session on the instance and returns its id.
func (bed *figuresBed) newSession(tb testing.TB, title string) string {
	tb.Helper()
	var s struct{ ID string }
	bed.call(tb, http.MethodPost, "session/create", map[string]string{"title": title}, &s)
	return s.ID
}

// sessionURL is the UI's address of a session.
func (bed *figuresBed) sessionURL(session string) string {
	return bed.url + "/#/i/" + strconv.Itoa(bed.oc.Port) + "/s/" + session
}

// phoneTab opens a tab the size of a phone (390×844, as newPhone's), in a
// browser context of its own (an empty cache); cancel closes it.
func phoneTab(tb testing.TB, browser context.Context) (tab context.Context, cancel context.CancelFunc) {
	tb.Helper()
	tab, cancel, err := browsertest.OpenTab(browser, chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch))
	if err != nil {
		tb.Fatal(err)
	}
	return tab, cancel
}

// waitPage waits until the JavaScript expression is truthy in the tab and
// returns its value.
func waitPage[T any](tb testing.TB, tab context.Context, what, expr string) T {
	tb.Helper()
	v, err := chromedp.Run(tab, chromedp.Poll[T](expr, chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(testwait.Limit)))
	if err != nil {
		tb.Fatalf("waiting for %s (%s): %v", what, expr, err)
	}
	return v
}

// domWatcher is installed in a page: a MutationObserver that notes, in
// the page's clock (performance.timeOrigin + performance.now(), Unix ms),
// when an element matching a selector first holds a text.
const domWatcher = `(() => {
  const want = new Map();
  const seen = {};
  const check = () => {
    const at = performance.timeOrigin + performance.now();
    for (const [key, w] of want) {
      for (const n of document.querySelectorAll(w.selector)) {
        if (n.textContent.includes(w.text)) {
          seen[key] = at;
          want.delete(key);
          break;
        }
      }
    }
  };
  new MutationObserver(check).observe(document.body, {subtree: true, childList: true, characterData: true});
  window.figures = { seen, watch: (key, selector, text) => { want.set(key, {selector, text}); check(); } };
  return true;
})()`

// unixMS is t in Unix milliseconds, the page's clock.
func unixMS(t time.Time) float64 { return float64(t.UnixMicro()) / 1000 }

// median returns the median of xs, which it sorts.
func median(xs []float64) float64 {
	slices.Sort(xs)
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}
