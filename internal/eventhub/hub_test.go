package eventhub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// testEvent is the event type the tests fan out.
type testEvent struct {
	Type    string
	Session string
	N       int
}

func decodeTest(data []byte) (testEvent, error) {
	var raw struct {
		Type       string
		Properties struct {
			SessionID string
			N         int
		}
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return testEvent{}, err
	}
	return testEvent{Type: raw.Type, Session: raw.Properties.SessionID, N: raw.Properties.N}, nil
}

// fakeUpstream is an upstream event stream the test drives by hand. Each
// connection starts with a server.connected event, as OpenCode's does.
type fakeUpstream struct {
	mu       sync.Mutex
	conns    []*fakeConn
	attempts int // calls of connect, failed ones included
	fail     error
	silent   bool // connections send no first event
	newConns chan *fakeConn
}

type fakeConn struct {
	pw     *io.PipeWriter
	closed chan struct{}
	once   sync.Once
}

// pipeBody is the ReadCloser handed to the hub.
type pipeBody struct {
	*io.PipeReader
	conn *fakeConn
}

func (b pipeBody) Close() error {
	b.conn.once.Do(func() { close(b.conn.closed) })
	return b.PipeReader.Close()
}

func newFakeUpstream() *fakeUpstream {
	return &fakeUpstream{newConns: make(chan *fakeConn, 100)}
}

func (u *fakeUpstream) connect(ctx context.Context) (io.ReadCloser, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.attempts++
	if u.fail != nil {
		return nil, u.fail
	}
	pr, pw := io.Pipe()
	c := &fakeConn{pw: pw, closed: make(chan struct{})}
	u.conns = append(u.conns, c)
	u.newConns <- c
	if !u.silent {
		go c.send(`{"type":"server.connected","properties":{}}`) // ends when read or closed
	}
	return pipeBody{pr, c}, nil
}

func (u *fakeUpstream) setFail(err error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.fail = err
}

func (u *fakeUpstream) setSilent(silent bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.silent = silent
}

func (u *fakeUpstream) count() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.conns)
}

func (c *fakeConn) send(data string) error {
	_, err := fmt.Fprintf(c.pw, "data: %s\n\n", data)
	return err
}

func event(session string, n int) string {
	return fmt.Sprintf(`{"id":"evt_%d","type":"message.part.delta","properties":{"sessionID":%q,"n":%d}}`, n, session, n)
}

// newTestHub returns a hub over u with test-sized timings, closed at cleanup.
func newTestHub(t *testing.T, u *fakeUpstream, tweak func(*Config[testEvent])) *Hub[testEvent] {
	t.Helper()
	cfg := Config[testEvent]{
		Connect:           u.connect,
		Decode:            decodeTest,
		Resync:            func(reason string) testEvent { return testEvent{Type: "portal.resync", Session: reason} },
		Heartbeat:         func() testEvent { return testEvent{Type: "portal.heartbeat"} },
		HeartbeatInterval: time.Hour,
		StallTimeout:      time.Hour,
		MinBackoff:        time.Millisecond,
		MaxBackoff:        5 * time.Millisecond,
	}
	if tweak != nil {
		tweak(&cfg)
	}
	h := New(cfg)
	t.Cleanup(func() { h.Close() })
	return h
}

// subscribe subscribes for the life of the test.
func subscribe(t *testing.T, h *Hub[testEvent], filter func(testEvent) bool) <-chan testEvent {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	ch, err := h.Subscribe(ctx, filter)
	if err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	return ch
}

// next returns the next event that is not server.connected, failing after a
// generous timeout (a hang is the failure, not slowness).
func next(t *testing.T, ch <-chan testEvent) testEvent {
	t.Helper()
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				t.Fatal("channel closed")
			}
			if ev.Type == "server.connected" {
				continue
			}
			return ev
		case <-time.After(10 * time.Second):
			t.Fatal("no event within 10s")
		}
	}
}

func subscribers(h *Hub[testEvent]) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}

func waitConn(t *testing.T, u *fakeUpstream) *fakeConn {
	t.Helper()
	select {
	case c := <-u.newConns:
		return c
	case <-time.After(10 * time.Second):
		t.Fatal("no upstream connection within 10s")
		return nil
	}
}

func waitClosed(t *testing.T, c *fakeConn, what string) {
	t.Helper()
	select {
	case <-c.closed:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: upstream connection still open after 10s", what)
	}
}

func TestManySubscribersShareOneConnection(t *testing.T) {
	u := newFakeUpstream()
	h := newTestHub(t, u, nil)
	const n = 200
	chans := make([]<-chan testEvent, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ch, err := h.Subscribe(t.Context(), nil)
			if err != nil {
				errs <- err
			}
			chans[i] = ch
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("Subscribe: %v", err)
	}
	c := waitConn(t, u)
	const events = 20
	for i := range events {
		if err := c.send(event("ses_a", i)); err != nil {
			t.Fatal(err)
		}
	}
	var want []testEvent
	for i := range events {
		want = append(want, testEvent{Type: "message.part.delta", Session: "ses_a", N: i})
	}
	for i, ch := range chans {
		var got []testEvent
		for range events {
			got = append(got, next(t, ch))
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("subscriber %d (-want +got):\n%s", i, diff)
		}
	}
	if got := u.count(); got != 1 {
		t.Errorf("upstream connections = %d, want 1", got)
	}
	if got := subscribers(h); got != n {
		t.Errorf("%d subscribers, want %d", got, n)
	}
}

func TestSlowSubscriberIsSkippedAhead(t *testing.T) {
	u := newFakeUpstream()
	h := newTestHub(t, u, func(c *Config[testEvent]) { c.Buffer = 8 })
	slow := subscribe(t, h, nil)
	fast := subscribe(t, h, nil)
	c := waitConn(t, u)

	// Lock step with the fast subscriber: it gets every event in order while
	// the slow one reads nothing.
	const events = 100
	for i := range events {
		if err := c.send(event("s", i)); err != nil {
			t.Fatal(err)
		}
		if ev := next(t, fast); ev.N != i || ev.Type != "message.part.delta" {
			t.Fatalf("fast subscriber event %d = %+v", i, ev)
		}
	}
	// The slow one finds a resync, then only the newest events, in order and without gaps.
	var slowGot []testEvent
	for len(slowGot) == 0 || slowGot[len(slowGot)-1].N != events-1 {
		slowGot = append(slowGot, next(t, slow))
	}
	if slowGot[0] != (testEvent{Type: "portal.resync", Session: ReasonOverflow}) {
		t.Fatalf("slow subscriber's first event = %+v, want an overflow resync", slowGot[0])
	}
	tail := slowGot[1:]
	if len(tail) == 0 || len(tail) > 8 {
		t.Fatalf("slow subscriber got %d events after the resync, want 1..8", len(tail))
	}
	for i, ev := range tail {
		if want := events - len(tail) + i; ev.N != want || ev.Type != "message.part.delta" {
			t.Fatalf("slow subscriber event %d after the resync = %+v, want N=%d", i, ev, want)
		}
	}
}

func TestUpstreamKilledReconnectsAndResyncs(t *testing.T) {
	for _, kill := range []struct {
		name string
		do   func(*fakeConn)
	}{
		{"closed", func(c *fakeConn) { c.pw.Close() }},
		{"failed", func(c *fakeConn) { c.pw.CloseWithError(errors.New("connection reset")) }},
	} {
		t.Run(kill.name, func(t *testing.T) {
			u := newFakeUpstream()
			h := newTestHub(t, u, nil)
			ch := subscribe(t, h, nil)
			c1 := waitConn(t, u)
			if err := c1.send(event("s", 1)); err != nil {
				t.Fatal(err)
			}
			kill.do(c1)
			c2 := waitConn(t, u)
			if err := c2.send(event("s", 2)); err != nil {
				t.Fatal(err)
			}
			want := []testEvent{
				{Type: "message.part.delta", Session: "s", N: 1},
				{Type: "portal.resync", Session: ReasonReconnect},
				{Type: "message.part.delta", Session: "s", N: 2},
			}
			got := []testEvent{next(t, ch), next(t, ch), next(t, ch)}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
			if n := u.count(); n != 2 {
				t.Errorf("upstream connections = %d, want 2", n)
			}
		})
	}
}

func TestReconnectRetriesUntilUpstreamIsBack(t *testing.T) {
	u := newFakeUpstream()
	h := newTestHub(t, u, nil)
	ch := subscribe(t, h, nil)
	c1 := waitConn(t, u)
	u.setFail(errors.New("connection refused"))
	c1.pw.Close()
	// Let a few attempts fail before the upstream comes back.
	time.Sleep(20 * time.Millisecond)
	u.setFail(nil)
	c2 := waitConn(t, u)
	if err := c2.send(event("s", 7)); err != nil {
		t.Fatal(err)
	}
	want := []testEvent{{Type: "portal.resync", Session: ReasonReconnect}, {Type: "message.part.delta", Session: "s", N: 7}}
	got := []testEvent{next(t, ch), next(t, ch)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

func TestStallWatchdogReconnects(t *testing.T) {
	t.Parallel() // it waits out a timeout or a lock: the other tests run meanwhile
	u := newFakeUpstream()
	h := newTestHub(t, u, func(c *Config[testEvent]) { c.StallTimeout = time.Second })
	ch := subscribe(t, h, nil)
	c1 := waitConn(t, u)
	// c1 sends nothing after server.connected: the watchdog closes it.
	waitClosed(t, c1, "stalled stream")
	c2 := waitConn(t, u)
	if err := c2.send(event("s", 1)); err != nil {
		t.Fatal(err)
	}
	want := []testEvent{{Type: "portal.resync", Session: ReasonReconnect}, {Type: "message.part.delta", Session: "s", N: 1}}
	got := []testEvent{next(t, ch), next(t, ch)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

func TestFirstConnectionFailure(t *testing.T) {
	t.Parallel() // it waits out a timeout or a lock: the other tests run meanwhile
	u := newFakeUpstream()
	h := newTestHub(t, u, func(c *Config[testEvent]) { c.StallTimeout = time.Second })
	refused := errors.New("connection refused")
	u.setFail(refused)
	if _, err := h.Subscribe(t.Context(), nil); !errors.Is(err, refused) {
		t.Fatalf("Subscribe error = %v, want %v", err, refused)
	}
	// An upstream that connects but never sends its first event fails too.
	u.setFail(nil)
	u.setSilent(true)
	if _, err := h.Subscribe(t.Context(), nil); !errors.Is(err, ErrStalled) {
		t.Fatalf("Subscribe error = %v, want %v", err, ErrStalled)
	}
	if n := subscribers(h); n != 0 {
		t.Errorf("%d subscribers left after failures, want 0", n)
	}
	u.setSilent(false)
	subscribe(t, h, nil)
}

func TestLastSubscriberClosesUpstream(t *testing.T) {
	u := newFakeUpstream()
	h := newTestHub(t, u, nil)
	ctx1, cancel1 := context.WithCancel(t.Context())
	ctx2, cancel2 := context.WithCancel(t.Context())
	ch1, err := h.Subscribe(ctx1, nil)
	if err != nil {
		t.Fatal(err)
	}
	ch2, err := h.Subscribe(ctx2, nil)
	if err != nil {
		t.Fatal(err)
	}
	c1 := waitConn(t, u)
	cancel1()
	drainUntilClosed(t, ch1)
	select {
	case <-c1.closed:
		t.Fatal("upstream closed while a subscriber remains")
	case <-time.After(50 * time.Millisecond):
	}
	cancel2()
	drainUntilClosed(t, ch2)
	waitClosed(t, c1, "after the last subscriber left")

	// A new subscriber opens a new connection.
	ch3 := subscribe(t, h, nil)
	c2 := waitConn(t, u)
	if err := c2.send(event("s", 3)); err != nil {
		t.Fatal(err)
	}
	if got := next(t, ch3); got.N != 3 {
		t.Errorf("event = %+v, want N=3", got)
	}
}

func drainUntilClosed(t *testing.T, ch <-chan testEvent) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				return
			}
		case <-timeout:
			t.Fatal("channel not closed within 10s")
		}
	}
}

func TestFilter(t *testing.T) {
	u := newFakeUpstream()
	h := newTestHub(t, u, nil)
	onlyB := subscribe(t, h, func(e testEvent) bool { return e.Session == "ses_b" })
	all := subscribe(t, h, nil)
	c := waitConn(t, u)
	for i, s := range []string{"ses_a", "ses_b", "", "ses_a", "ses_b"} {
		if err := c.send(event(s, i)); err != nil {
			t.Fatal(err)
		}
	}
	c.pw.Close() // the reconnect resync passes every filter
	c2 := waitConn(t, u)
	if err := c2.send(event("ses_b", 5)); err != nil {
		t.Fatal(err)
	}
	var got []testEvent
	for range 4 {
		got = append(got, next(t, onlyB))
	}
	want := []testEvent{
		{Type: "message.part.delta", Session: "ses_b", N: 1},
		{Type: "message.part.delta", Session: "ses_b", N: 4},
		{Type: "portal.resync", Session: ReasonReconnect},
		{Type: "message.part.delta", Session: "ses_b", N: 5},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("filtered events (-want +got):\n%s", diff)
	}
	for i := range 5 {
		if ev := next(t, all); ev.N != i {
			t.Errorf("unfiltered event %d = %+v", i, ev)
		}
	}
}

func TestHeartbeat(t *testing.T) {
	u := newFakeUpstream()
	h := newTestHub(t, u, func(c *Config[testEvent]) { c.HeartbeatInterval = 10 * time.Millisecond })
	a := subscribe(t, h, func(testEvent) bool { return false })
	b := subscribe(t, h, nil)
	for _, ch := range []<-chan testEvent{a, b, a, b} {
		if ev := next(t, ch); ev.Type != "portal.heartbeat" {
			t.Fatalf("event = %+v, want a heartbeat", ev)
		}
	}
}

func TestOversizedEventResyncs(t *testing.T) {
	u := newFakeUpstream()
	h := newTestHub(t, u, func(c *Config[testEvent]) { c.MaxEventSize = 200 })
	ch := subscribe(t, h, nil)
	c := waitConn(t, u)
	big := fmt.Sprintf(`{"type":"x","properties":{"pad":%q}}`, make([]byte, 300))
	for _, data := range []string{event("s", 1), big, "not json", event("s", 2)} {
		if err := c.send(data); err != nil {
			t.Fatal(err)
		}
	}
	want := []testEvent{
		{Type: "message.part.delta", Session: "s", N: 1},
		{Type: "portal.resync", Session: ReasonDropped},
		{Type: "message.part.delta", Session: "s", N: 2},
	}
	got := []testEvent{next(t, ch), next(t, ch), next(t, ch)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if n := u.count(); n != 1 {
		t.Errorf("upstream connections = %d, want 1 (a dropped event must not end the stream)", n)
	}
}

func TestClose(t *testing.T) {
	u := newFakeUpstream()
	h := newTestHub(t, u, nil)
	ch := subscribe(t, h, nil)
	c := waitConn(t, u)
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	// Close waited for the hub's goroutines, so the upstream is closed already.
	select {
	case <-c.closed:
	default:
		t.Error("upstream still open after Close returned")
	}
	drainUntilClosed(t, ch)
	if _, err := h.Subscribe(t.Context(), nil); !errors.Is(err, ErrClosed) {
		t.Errorf("Subscribe after Close: %v, want %v", err, ErrClosed)
	}
}

func TestSubscribeContextEnds(t *testing.T) {
	u := newFakeUpstream()
	u.silent = true
	h := newTestHub(t, u, nil)
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if _, err := h.Subscribe(ctx, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Subscribe error = %v, want the context's", err)
	}
	waitClosed(t, waitConn(t, u), "after the only subscriber gave up")
}

func TestNoGoroutineOutlivesSubscribersOrClose(t *testing.T) {
	before := runtime.NumGoroutine()
	u := newFakeUpstream()
	h := New(Config[testEvent]{
		Connect:           u.connect,
		Decode:            decodeTest,
		Resync:            func(string) testEvent { return testEvent{Type: "portal.resync"} },
		Heartbeat:         func() testEvent { return testEvent{Type: "portal.heartbeat"} },
		HeartbeatInterval: time.Millisecond,
	})
	settled := func(what string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for runtime.NumGoroutine() > before {
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<16)
				t.Fatalf("%s: %d goroutines, %d before:\n%s", what, runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	// Subscribers leave by their context: the upstream loop and reader end.
	ctx, cancel := context.WithCancel(t.Context())
	for range 10 {
		if _, err := h.Subscribe(ctx, nil); err != nil {
			t.Fatal(err)
		}
	}
	waitConn(t, u)
	cancel()
	settled("after every subscriber left")

	// Close ends subscriptions that are still open.
	for range 10 {
		if _, err := h.Subscribe(t.Context(), nil); err != nil {
			t.Fatal(err)
		}
	}
	waitConn(t, u)
	h.Close()
	settled("after Close")
}

func TestUpstreamGoneEndsSubscriptions(t *testing.T) {
	u := newFakeUpstream()
	h := newTestHub(t, u, nil)
	a := subscribe(t, h, nil)
	b := subscribe(t, h, nil)
	c := waitConn(t, u)
	gone := fmt.Errorf("instance removed: %w", ErrGone)
	u.setFail(gone)
	c.pw.Close()
	drainUntilClosed(t, a)
	drainUntilClosed(t, b)
	if n := subscribers(h); n != 0 {
		t.Errorf("%d subscribers left, want 0", n)
	}
	if _, err := h.Subscribe(t.Context(), nil); !errors.Is(err, ErrGone) {
		t.Errorf("Subscribe to a gone upstream: %v, want %v", err, ErrGone)
	}
	if n := u.count(); n != 1 {
		t.Errorf("upstream connections = %d, want 1", n)
	}
}
