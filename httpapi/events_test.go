package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opencode-portal/portal/internal/registry"
	"github.com/opencode-portal/portal/internal/sse"
	"github.com/opencode-portal/portal/portaltest"
)

// eventProxy sits between the portal and an OpenCode: it counts the /event
// streams it carries and can cut them as a network failure would.
type eventProxy struct {
	*httptest.Server
	Port int

	mu     sync.Mutex
	opened int
	open   map[*context.CancelFunc]struct{}
}

func newEventProxy(t testing.TB, oc *portaltest.OpenCode) *eventProxy {
	t.Helper()
	target, err := url.Parse(oc.URL)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.FlushInterval = -1
	rp.ErrorLog = log.New(io.Discard, "", 0)
	p := &eventProxy{open: map[*context.CancelFunc]struct{}{}}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/event" {
			rp.ServeHTTP(w, r)
			return
		}
		ctx, cancel := context.WithCancel(r.Context())
		defer cancel()
		p.mu.Lock()
		p.opened++
		p.open[&cancel] = struct{}{}
		p.mu.Unlock()
		defer func() {
			p.mu.Lock()
			delete(p.open, &cancel)
			p.mu.Unlock()
		}()
		rp.ServeHTTP(w, r.WithContext(ctx)) // panics with http.ErrAbortHandler when cut mid-copy
		if ctx.Err() != nil && r.Context().Err() == nil {
			panic(http.ErrAbortHandler) // cut: drop the connection mid-response
		}
	}))
	t.Cleanup(p.Close)
	_, port, _ := net.SplitHostPort(p.Listener.Addr().String())
	p.Port, _ = strconv.Atoi(port)
	return p
}

// counts returns how many /event streams were opened and how many are open.
func (p *eventProxy) counts() (opened, open int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.opened, len(p.open)
}

// cut drops every open /event stream.
func (p *eventProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for cancel := range p.open {
		(*cancel)()
	}
}

// registerProxy registers oc in s's registry on the proxy's port, so the
// portal reaches oc through the proxy. The proxy's listener is this
// process's: the entry names this process.
func (s *apiServer) registerProxy(t testing.TB, oc *portaltest.OpenCode, p *eventProxy) {
	t.Helper()
	pid := os.Getpid()
	err := registry.New(s.Registry).Update(context.Background(), func(f *registry.File) error {
		f.Instances = append(f.Instances, registry.Entry{ID: fmt.Sprintf("proxy%d", p.Port), Name: "proxied",
			Directory: oc.Dir, OpencodePort: p.Port, Hostname: "127.0.0.1", OpencodePID: &pid, Password: oc.Password})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// clientEvent is one event as a client of the portal's /events sees it.
type clientEvent struct {
	Type       string
	Properties struct {
		SessionID string `json:"sessionID"`
		Reason    string `json:"reason"`
		Field     string `json:"field"`
		Delta     string `json:"delta"`
		Info      struct {
			Role  string `json:"role"`
			Title string `json:"title"`
			Time  struct {
				Completed int64 `json:"completed"`
			} `json:"time"`
		} `json:"info"`
		Status struct {
			Type string `json:"type"`
		} `json:"status"`
	}
}

// eventList lists events one per line, numbered, with what tells them
// apart in a turn: a message's role and completion, a delta's text, a
// status.
func eventList(events []clientEvent) string {
	var b strings.Builder
	for i, ev := range events {
		p := ev.Properties
		fmt.Fprintf(&b, "%d %s", i, ev.Type)
		if p.Info.Role != "" {
			fmt.Fprintf(&b, " role=%s completed=%d", p.Info.Role, p.Info.Time.Completed)
		}
		if ev.Type == "message.part.delta" {
			fmt.Fprintf(&b, " %s=%q", p.Field, p.Delta)
		}
		if p.Status.Type != "" {
			fmt.Fprintf(&b, " status=%s", p.Status.Type)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// eventClient reads a portal /events stream, as a browser's EventSource would.
type eventClient struct {
	events chan clientEvent
	cancel context.CancelFunc
	done   chan struct{}
}

// openEvents opens url and returns once the portal answered 200 (the
// subscription is live then).
func openEvents(t testing.TB, url string) (*eventClient, error) {
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		return nil, err
	}
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		cancel()
		return nil, fmt.Errorf("GET %s: %s %q: %s", url, resp.Status, resp.Header.Get("Content-Type"), body)
	}
	if resp.Header.Get("X-Accel-Buffering") != "no" || resp.Header.Get("Cache-Control") != "no-cache" {
		t.Errorf("proxy headers missing: %v", resp.Header)
	}
	c := &eventClient{events: make(chan clientEvent, 10000), cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(c.done)
		defer close(c.events)
		defer resp.Body.Close()
		rd := sse.NewReader(resp.Body, sse.ReaderOptions{})
		for {
			ev, err := rd.Next()
			if err != nil {
				return
			}
			var ce clientEvent
			if err := json.Unmarshal(ev.Data, &ce); err != nil || ev.Type != "message" {
				t.Errorf("event %q %q is not a plain JSON data event: %v", ev.Type, ev.Data, err)
				return
			}
			c.events <- ce
		}
	}()
	t.Cleanup(c.close)
	return c, nil
}

func (c *eventClient) close() {
	c.cancel()
	<-c.done
}

// waitFor reads events until one satisfies match and returns all it read,
// that one last.
func (c *eventClient) waitFor(t testing.TB, what string, match func(clientEvent) bool) []clientEvent {
	t.Helper()
	var seen []clientEvent
	timeout := time.After(30 * time.Second)
	for {
		select {
		case ev, ok := <-c.events:
			if !ok {
				t.Fatalf("stream ended while waiting for %s; saw %d events", what, len(seen))
			}
			seen = append(seen, ev)
			if match(ev) {
				return seen
			}
		case <-timeout:
			t.Fatalf("no %s within 30s; saw %d events: %+v", what, len(seen), seen)
		}
	}
}

func isIdle(sessionID string) func(clientEvent) bool {
	return func(e clientEvent) bool {
		return e.Properties.SessionID == sessionID &&
			(e.Type == "session.idle" || e.Type == "session.status" && e.Properties.Status.Type == "idle")
	}
}

// callOpenCode sends a JSON request straight to OpenCode and decodes the answer.
func callOpenCode(t testing.TB, oc *portaltest.OpenCode, method, path string, body, out any) {
	t.Helper()
	data, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, oc.URL+path, bytes.NewReader(data))
	req.SetBasicAuth("opencode", oc.Password)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		t.Fatalf("OpenCode %s %s: %s %s", method, path, resp.Status, answer)
	}
	if out != nil {
		if err := json.Unmarshal(answer, out); err != nil {
			t.Fatalf("OpenCode %s %s: %v", method, path, err)
		}
	}
}

// newSession creates a session straight on OpenCode and returns its id.
func newSession(t testing.TB, oc *portaltest.OpenCode) string {
	t.Helper()
	var s struct{ ID string }
	callOpenCode(t, oc, "POST", "/session", map[string]any{}, &s)
	return s.ID
}

func setTitle(t testing.TB, oc *portaltest.OpenCode, sessionID, title string) {
	t.Helper()
	callOpenCode(t, oc, "PATCH", "/session/"+sessionID, map[string]any{"title": title}, nil)
}

func titled(sessionID, title string) func(clientEvent) bool {
	return func(e clientEvent) bool {
		return e.Type == "session.updated" && e.Properties.SessionID == sessionID && e.Properties.Info.Title == title
	}
}

func testEventsShareOneUpstream(t *testing.T) {
	oc := sharedOpenCode(t)
	s := newAPIServer(t)
	proxy := newEventProxy(t, oc)
	s.registerProxy(t, oc, proxy)
	eventsURL := portURL(s, proxy.Port, "events")

	const n = 200
	clients := make([]*eventClient, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := openEvents(t, eventsURL)
			if err != nil {
				errs <- err
				return
			}
			clients[i] = c
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if opened, open := proxy.counts(); opened != 1 || open != 1 {
		t.Fatalf("%d clients: OpenCode /event streams opened %d, open %d; want 1 and 1", n, opened, open)
	}

	sessionA, sessionB := newSession(t, oc), newSession(t, oc)
	only, err := openEvents(t, eventsURL+"?session="+sessionA)
	if err != nil {
		t.Fatal(err)
	}
	setTitle(t, oc, sessionB, "title of B")
	setTitle(t, oc, sessionA, "title of A")
	for i, c := range clients {
		c.waitFor(t, fmt.Sprintf("client %d: B's new title", i), titled(sessionB, "title of B"))
		c.waitFor(t, fmt.Sprintf("client %d: A's new title", i), titled(sessionA, "title of A"))
	}
	for _, ev := range only.waitFor(t, "A's new title", titled(sessionA, "title of A")) {
		if ev.Properties.SessionID != sessionA && !strings.HasPrefix(ev.Type, "portal.") {
			t.Errorf("?session=%s let through %s of session %q", sessionA, ev.Type, ev.Properties.SessionID)
		}
	}
	if opened, _ := proxy.counts(); opened != 1 {
		t.Fatalf("OpenCode /event streams opened %d times, want 1", opened)
	}

	// The last client to leave closes the upstream stream.
	only.close()
	for _, c := range clients {
		c.close()
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, open := proxy.counts()
		if open == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("OpenCode /event stream still open 10s after every client left")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestEventsErrors(t *testing.T) {
	s := newAPIServer(t)
	tests := []struct {
		path   string
		status int
	}{
		{"/api/opencode/abc/events", 400},
		{"/api/opencode/70000/events", 400},
		{"/api/opencode/1/events", 404},
	}
	for _, tt := range tests {
		status, body := getJSON(t, "GET", s.URL+tt.path, nil)
		env, _ := body.(map[string]any)
		if status != tt.status || env["statusCode"] != float64(tt.status) || env["message"] == "" {
			t.Errorf("GET %s = %d %v, want %d with the error envelope", tt.path, status, body, tt.status)
		}
	}
}

// testEventsDuringTurns drives real turns of the fake model through the
// package's shared OpenCode.
func testEventsDuringTurns(t *testing.T) {
	oc := sharedOpenCode(t)
	model := sharedModel(t)

	t.Run("deltas arrive in order before the turn completes", func(t *testing.T) {
		model.Reset()
		model.Enqueue(portaltest.TextReply("Hel", "lo, ", "wor", "ld!"))
		s := newAPIServer(t)
		proxy := newEventProxy(t, oc)
		s.registerProxy(t, oc, proxy)
		id := newSession(t, oc)
		c, err := openEvents(t, portURL(s, proxy.Port, "events?session="+id))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.Post(portURL(s, proxy.Port, "session/"+id+"/prompt"), "application/json", strings.NewReader(`{"text":"say hello"}`))
		if err != nil {
			t.Fatal(err)
		}
		reply, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !bytes.Contains(reply, []byte("Hello, world!")) {
			t.Fatalf("prompt: %s %s", resp.Status, reply)
		}

		events := c.waitFor(t, "the session going idle", isIdle(id))
		var text strings.Builder
		lastDelta, completed := -1, -1
		for i, ev := range events {
			switch {
			case ev.Type == "message.part.delta" && ev.Properties.Field == "text":
				text.WriteString(ev.Properties.Delta)
				lastDelta = i
			case ev.Type == "message.updated" && ev.Properties.Info.Role == "assistant" &&
				ev.Properties.Info.Time.Completed != 0 && completed < 0:
				completed = i
			}
			if ev.Properties.SessionID != id && !strings.HasPrefix(ev.Type, "portal.") {
				t.Errorf("event %s of session %q in a stream filtered on %s", ev.Type, ev.Properties.SessionID, id)
			}
		}
		if text.String() != "Hello, world!" {
			t.Errorf("deltas joined = %q, want %q", text.String(), "Hello, world!")
		}
		if lastDelta < 0 || completed < 0 || lastDelta > completed {
			t.Errorf("last delta at %d, assistant message completed at %d: want deltas first; the events:\n%s", lastDelta, completed, eventList(events))
		}
	})

	t.Run("upstream cut mid-turn", func(t *testing.T) {
		model.Reset()
		release := make(chan struct{})
		model.Enqueue(portaltest.Reply{Chunks: []string{"before "}, Stall: true, Release: release})
		s := newAPIServer(t)
		proxy := newEventProxy(t, oc)
		s.registerProxy(t, oc, proxy)
		id := newSession(t, oc)
		c, err := openEvents(t, portURL(s, proxy.Port, "events?session="+id))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.Post(portURL(s, proxy.Port, "session/"+id+"/prompt_async"), "application/json", strings.NewReader(`{"text":"go"}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("prompt_async: %s", resp.Status)
		}
		c.waitFor(t, "the first delta", func(e clientEvent) bool { return e.Type == "message.part.delta" })

		proxy.cut()
		c.waitFor(t, "a reconnect resync", func(e clientEvent) bool {
			return e.Type == "portal.resync" && e.Properties.Reason == "reconnect"
		})
		close(release) // the turn goes on and ends after the reconnection
		c.waitFor(t, "the session going idle after the reconnection", isIdle(id))
		if opened, _ := proxy.counts(); opened != 2 {
			t.Errorf("OpenCode /event streams opened %d times, want 2 (one reconnection)", opened)
		}
	})
}
