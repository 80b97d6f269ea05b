// Package eventhub shares one upstream server-sent event stream among many
// subscribers.
//
// A Hub opens the upstream stream on the first Subscribe and closes it after
// the last subscriber leaves, so any number of subscribers cost one upstream
// connection. Each subscriber has a bounded buffer: one that reads slowly
// never delays the others; when its buffer overflows its backlog is dropped
// and it receives a resync event instead. A watchdog reconnects a stream that
// is closed or silent for too long, with backoff, and then sends every
// subscriber a resync event so that it re-reads the state it may have missed.
// Every subscriber also receives a heartbeat event at a fixed interval. The
// owner may tell the hub that the upstream is down (SetAvailable): it then
// stops reconnecting until the upstream is back, and reconnects at once when
// it is. Publish sends the owner's own events to every subscriber. Mark
// tells the owner whether anything may have changed upstream since it last
// looked, for keeping a copy of upstream state while the stream is live.
package eventhub

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"time"
)

// Defaults for the zero fields of Config.
const (
	DefaultBuffer       = 256
	DefaultHeartbeat    = 15 * time.Second
	DefaultStallTimeout = 30 * time.Second
	DefaultMinBackoff   = 250 * time.Millisecond
	DefaultMaxBackoff   = 5 * time.Second
	DefaultDownRetry    = 30 * time.Second
)

// Reasons given to Config.Resync.
const (
	ReasonOverflow  = "overflow"  // the subscriber's buffer overflowed: its backlog was dropped
	ReasonReconnect = "reconnect" // the upstream stream was reconnected: events may have been lost
	ReasonDropped   = "dropped"   // an upstream event was over the size limit and was not relayed
)

// ErrClosed is returned by Subscribe after Close.
var ErrClosed = errors.New("eventhub: the hub is closed")

// ErrStalled is the error of an upstream stream that sent nothing for the
// stall timeout.
var ErrStalled = errors.New("eventhub: the upstream event stream went silent")

// ErrGone, wrapped in an error of Config.Connect, says the upstream will
// never come back (it was removed): instead of reconnecting, the hub ends
// every subscription.
var ErrGone = errors.New("eventhub: the upstream is gone")

// Config configures a Hub. Connect, Decode, Resync and Heartbeat are
// required; the other fields have defaults.
type Config[E any] struct {
	// Connect opens the upstream text/event-stream. ctx ends the stream.
	// An error wrapping ErrGone ends every subscription.
	Connect func(ctx context.Context) (io.ReadCloser, error)
	// Decode turns the data of one upstream event into an E. Events it
	// fails on are logged and skipped.
	Decode func(data []byte) (E, error)
	// Resync builds the event that tells a subscriber it missed events
	// (reason is one of the Reason constants).
	Resync func(reason string) E
	// Heartbeat builds the periodic liveness event.
	Heartbeat func() E
	// Changes reports whether an upstream event may tell of a change of
	// the upstream's state; each one that does advances Mark. Nil: every
	// event does.
	Changes func(ev E) bool

	// Buffer is the number of events buffered per subscriber (at least 2).
	Buffer int
	// HeartbeatInterval is the time between heartbeat events.
	HeartbeatInterval time.Duration
	// StallTimeout is how long the upstream stream may stay silent (or take
	// to connect and send its first event) before it is reconnected.
	StallTimeout time.Duration
	// MinBackoff and MaxBackoff bound the wait between reconnection attempts.
	MinBackoff, MaxBackoff time.Duration
	// DownRetry is the wait between reconnection attempts while the
	// upstream is marked down (SetAvailable(false)).
	DownRetry time.Duration
	// MaxEventSize bounds one upstream event; larger ones are dropped.
	// Zero means sse.DefaultMaxEventSize.
	MaxEventSize int
	// Logger receives reconnections and dropped events; nil discards them.
	Logger *slog.Logger
}

// Hub fans one upstream event stream out to many subscribers. Its methods are
// safe for concurrent use.
type Hub[E any] struct {
	cfg Config[E]

	ctx    context.Context // ends at Close
	cancel context.CancelFunc
	wg     sync.WaitGroup // running upstream loops

	mu     sync.Mutex
	subs   map[*subscriber[E]]struct{}
	cur    *upstream // the upstream loop serving subs; nil when there is none
	last   chan struct{}
	closed bool
	down   bool          // the upstream was marked down: reconnect only every DownRetry
	wake   chan struct{} // receives when a down upstream is marked available again
	mark   uint64        // advanced by every change Mark reports
	live   bool          // an upstream connection delivered its first event and has not ended
}

// subscriber is one consumer of the hub.
type subscriber[E any] struct {
	ch     chan E
	filter func(E) bool
	stop   func() bool // stops the context.AfterFunc that removes it
}

// upstream is one run of the upstream loop, from the first Subscribe to the
// departure of the last subscriber.
type upstream struct {
	cancel context.CancelFunc
	ready  chan struct{} // closed once the stream delivered its first event, or failed first
	err    error         // why the first connection failed; set before ready is closed
}

// New returns a Hub; it panics if a required Config function is missing,
// which is a programming error.
func New[E any](cfg Config[E]) *Hub[E] {
	if cfg.Connect == nil || cfg.Decode == nil || cfg.Resync == nil || cfg.Heartbeat == nil {
		panic("eventhub: Config.Connect, Decode, Resync and Heartbeat are required")
	}
	if cfg.Buffer < 2 {
		cfg.Buffer = DefaultBuffer
	}
	if cfg.HeartbeatInterval <= 0 {
		cfg.HeartbeatInterval = DefaultHeartbeat
	}
	if cfg.StallTimeout <= 0 {
		cfg.StallTimeout = DefaultStallTimeout
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = DefaultMinBackoff
	}
	if cfg.MaxBackoff < cfg.MinBackoff {
		cfg.MaxBackoff = max(DefaultMaxBackoff, cfg.MinBackoff)
	}
	if cfg.DownRetry <= 0 {
		cfg.DownRetry = DefaultDownRetry
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Hub[E]{cfg: cfg, ctx: ctx, cancel: cancel, subs: map[*subscriber[E]]struct{}{}, wake: make(chan struct{}, 1)}
}

// Publish sends ev to every subscriber, whatever its filter, skipping a full
// subscriber ahead as upstream events do. It advances Mark.
func (h *Hub[E]) Publish(ev E) {
	h.each(func(sub *subscriber[E]) { h.deliver(sub, ev) }, true)
}

// Mark returns a number that changes with every event that may tell of a
// change upstream (see Config.Changes; Publish's events too), every
// upstream event dropped for its size, and every upstream connection that
// begins or ends; and whether an upstream connection is live: it delivered
// its first event and has not ended. The number advances before any
// subscriber receives the event. So a copy of upstream state read while
// the stream was live, between two calls that returned the same mark, is
// current until the mark changes, but for the time an event takes to
// arrive.
func (h *Hub[E]) Mark() (mark uint64, live bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.mark, h.live
}

// setLive records that an upstream connection began or ended.
func (h *Hub[E]) setLive(live bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.live = live
	h.mark++
}

// SetAvailable tells the hub whether the upstream can be reached. While it
// cannot, a stream that ends is reconnected only every DownRetry instead of
// with backoff. When it can again, the hub reconnects at once: a wait for
// the next attempt is cut short, and a connection in progress is opened
// anew, since it was opened to the upstream that went down.
func (h *Hub[E]) SetAvailable(up bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	wasDown := h.down
	h.down = !up
	if up && wasDown {
		select {
		case h.wake <- struct{}{}:
		default:
		}
	}
}

// isDown reports whether the upstream is marked down.
func (h *Hub[E]) isDown() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.down
}

// Subscribe returns a channel of events that pass filter (nil passes all);
// resync and heartbeat events always pass. The first subscriber opens the
// upstream stream, and Subscribe returns once the stream delivered its first
// event, so a caller that subscribes before acting sees the events its
// action causes. If that first connection fails, Subscribe returns its error.
//
// The channel is closed when ctx ends or the hub is closed; the subscriber
// must keep reading it until then or it will be skipped ahead with a resync
// event.
func (h *Hub[E]) Subscribe(ctx context.Context, filter func(E) bool) (<-chan E, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	sub := &subscriber[E]{ch: make(chan E, h.cfg.Buffer), filter: filter}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil, ErrClosed
	}
	h.subs[sub] = struct{}{}
	// remove takes h.mu, so it cannot see sub before stop is set.
	sub.stop = context.AfterFunc(ctx, func() { h.remove(sub) })
	if h.cur == nil {
		h.cur = h.start()
	}
	up := h.cur
	h.mu.Unlock()

	select {
	case <-up.ready:
		if up.err != nil {
			h.remove(sub)
			return nil, up.err
		}
		return sub.ch, nil
	case <-ctx.Done():
		h.remove(sub)
		return nil, ctx.Err()
	}
}

// Close closes every subscriber's channel and the upstream stream, and waits
// for the hub's goroutines to end.
func (h *Hub[E]) Close() error {
	h.mu.Lock()
	h.closed = true
	for sub := range h.subs {
		sub.stop()
		delete(h.subs, sub)
		close(sub.ch)
	}
	h.cur = nil
	h.mu.Unlock()
	h.cancel()
	h.wg.Wait()
	return nil
}

// remove ends one subscription; the last one stops the upstream loop.
func (h *Hub[E]) remove(sub *subscriber[E]) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.subs[sub]; !ok {
		return
	}
	sub.stop()
	delete(h.subs, sub)
	close(sub.ch)
	if len(h.subs) == 0 && h.cur != nil {
		h.cur.cancel()
		h.cur = nil
	}
}

// endAll ends every subscription of up, the upstream loop that is ending.
func (h *Hub[E]) endAll(up *upstream) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.cur != up {
		return
	}
	h.cur = nil
	for sub := range h.subs {
		sub.stop()
		delete(h.subs, sub)
		close(sub.ch)
	}
}

// start launches an upstream loop; h.mu is held. The loop waits for the
// previous one to end so that two upstream connections never overlap.
func (h *Hub[E]) start() *upstream {
	ctx, cancel := context.WithCancel(h.ctx)
	up := &upstream{cancel: cancel, ready: make(chan struct{})}
	prev, done := h.last, make(chan struct{})
	h.last = done
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		defer close(done)
		defer cancel()
		if prev != nil {
			<-prev
		}
		h.loop(ctx, up)
	}()
	return up
}

// each calls fn for every subscriber, with h.mu held, having advanced the
// mark if change.
func (h *Hub[E]) each(fn func(*subscriber[E]), change bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if change {
		h.mark++
	}
	for sub := range h.subs {
		fn(sub)
	}
}

// send delivers an upstream event, skipping a full subscriber ahead.
func (h *Hub[E]) send(sub *subscriber[E], ev E) {
	if sub.filter != nil && !sub.filter(ev) {
		return
	}
	h.deliver(sub, ev)
}

// deliver puts ev in a subscriber's channel, skipping it ahead if full.
func (h *Hub[E]) deliver(sub *subscriber[E], ev E) {
	select {
	case sub.ch <- ev:
	default:
		h.skipAhead(sub, ReasonOverflow)
		sub.ch <- ev // room: skipAhead emptied the channel, the hub sends only under h.mu, and Buffer ≥ 2
	}
}

// resync tells a subscriber it missed events, skipping it ahead if there is
// no room for the news.
func (h *Hub[E]) resync(sub *subscriber[E], reason string) {
	select {
	case sub.ch <- h.cfg.Resync(reason):
	default:
		h.skipAhead(sub, reason)
	}
}

// skipAhead drops a subscriber's backlog and leaves a resync event in its
// place. It never blocks: once emptied, the channel only loses events to
// its reader until the hub sends again.
func (h *Hub[E]) skipAhead(sub *subscriber[E], reason string) {
	for drained := false; !drained; {
		select {
		case <-sub.ch:
		default:
			drained = true
		}
	}
	sub.ch <- h.cfg.Resync(reason)
}

// heartbeat delivers a heartbeat unless the subscriber's buffer is full,
// in which case it has events to read anyway.
func (h *Hub[E]) heartbeat(sub *subscriber[E], ev E) {
	select {
	case sub.ch <- ev:
	default:
	}
}
