package eventhub

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	"github.com/opencode-portal/portal/internal/sse"
)

// item is what the reading goroutine hands to the upstream loop.
type item[E any] struct {
	ev      E
	dropped bool // an event over the size limit was skipped
}

// errWoken ends a connection opened before the upstream was marked
// available again.
var errWoken = errors.New("eventhub: the upstream is available again; reconnecting")

// loop keeps an upstream stream open until ctx ends, relaying its events,
// sending heartbeats and reconnecting with backoff (every DownRetry while
// the upstream is marked down, at once when it is back). If the very first
// connection fails it reports the error through up and ends; if a later one
// finds the upstream gone it ends every subscription.
func (h *Hub[E]) loop(ctx context.Context, up *upstream) {
	tick := time.NewTicker(h.cfg.HeartbeatInterval)
	defer tick.Stop()
	live := false
	onFirst := func() {
		if !live {
			live = true
			close(up.ready)
			return
		}
		h.each(func(sub *subscriber[E]) { h.resync(sub, ReasonReconnect) }, false)
	}
	failures := 0
	for {
		began := time.Now()
		first, err := h.connection(ctx, tick.C, onFirst)
		if errors.Is(err, errWoken) && ctx.Err() == nil {
			failures = 0
			continue
		}
		if !live {
			switch {
			case h.ctx.Err() != nil:
				err = ErrClosed
			case ctx.Err() != nil:
				err = ctx.Err()
			}
			h.mu.Lock()
			if h.cur == up {
				h.cur = nil
			}
			h.mu.Unlock()
			up.err = err
			close(up.ready)
			return
		}
		if ctx.Err() != nil {
			return
		}
		if errors.Is(err, ErrGone) {
			h.cfg.Logger.Info("upstream event stream is gone; ending subscriptions", "err", err)
			h.endAll(up)
			return
		}
		if first && time.Since(began) >= h.cfg.MaxBackoff {
			failures = 0
		}
		wait := h.backoff(failures)
		failures++
		if h.isDown() {
			wait = h.cfg.DownRetry
		}
		h.cfg.Logger.Warn("upstream event stream ended; reconnecting", "err", err, "wait", wait)
		if !h.sleep(ctx, wait, tick.C) {
			return
		}
	}
}

// backoff is the wait before reconnection attempt n (from 0): doubling from
// MinBackoff up to MaxBackoff, half of it random so that hubs spread out.
func (h *Hub[E]) backoff(n int) time.Duration {
	d := h.cfg.MaxBackoff
	if n < 30 {
		d = min(h.cfg.MinBackoff<<n, h.cfg.MaxBackoff)
	}
	return d/2 + rand.N(d/2+1)
}

// sleep waits for d, or until the upstream is marked available again, while
// still sending heartbeats; false if ctx ended.
func (h *Hub[E]) sleep(ctx context.Context, d time.Duration, tick <-chan time.Time) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			return true
		case <-h.wake:
			return true
		case <-tick:
			h.beat()
		case <-ctx.Done():
			return false
		}
	}
}

// beat sends a heartbeat to every subscriber.
func (h *Hub[E]) beat() {
	ev := h.cfg.Heartbeat()
	h.each(func(sub *subscriber[E]) { h.heartbeat(sub, ev) }, false)
}

// connection runs one upstream connection until it ends: closed by the
// server, failed, silent for StallTimeout, or ctx ended. onFirst is called
// before its first event is relayed. first reports whether any event came.
// When the upstream is marked available again, the connection ends with
// errWoken: it was opened to the upstream that went down. The connection
// is live for Mark from its first event until it ends.
func (h *Hub[E]) connection(ctx context.Context, tick <-chan time.Time, onFirst func()) (first bool, err error) {
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer func() {
		if first {
			h.setLive(false)
		}
	}()
	items := make(chan item[E])
	errc := make(chan error, 1)
	go h.read(cctx, items, errc)

	stall := time.NewTimer(h.cfg.StallTimeout)
	defer stall.Stop()
	done, wake := ctx.Done(), h.wake
	var endErr error
	for {
		select {
		case it, ok := <-items:
			if !ok {
				err := <-errc
				if endErr != nil {
					err = endErr
				}
				return first, err
			}
			stall.Reset(h.cfg.StallTimeout)
			if !first {
				first = true
				h.setLive(true)
				onFirst()
			}
			if it.dropped {
				h.each(func(sub *subscriber[E]) { h.resync(sub, ReasonDropped) }, true)
				continue
			}
			change := h.cfg.Changes == nil || h.cfg.Changes(it.ev)
			h.each(func(sub *subscriber[E]) { h.send(sub, it.ev) }, change)
		case <-stall.C:
			endErr = fmt.Errorf("%w for %v", ErrStalled, h.cfg.StallTimeout)
			cancel()
		case <-wake:
			wake = nil
			endErr = errWoken
			cancel()
		case <-tick:
			h.beat()
		case <-done:
			done = nil
			cancel()
		}
	}
}

// read opens the upstream stream and passes its decoded events to items,
// which it closes when the stream ends, after sending the reason to errc.
func (h *Hub[E]) read(ctx context.Context, items chan<- item[E], errc chan<- error) {
	defer close(items)
	body, err := h.cfg.Connect(ctx)
	if err != nil {
		errc <- err
		return
	}
	// Closing the body unblocks a Read that ctx alone might not.
	stop := context.AfterFunc(ctx, func() { body.Close() })
	defer func() {
		if stop() {
			body.Close()
		}
	}()

	rd := sse.NewReader(body, sse.ReaderOptions{MaxEventSize: h.cfg.MaxEventSize})
	for {
		ev, err := rd.Next()
		switch {
		case errors.Is(err, sse.ErrEventTooLarge):
			h.cfg.Logger.Warn("upstream event dropped", "err", err)
			items <- item[E]{dropped: true}
			continue
		case err == io.EOF:
			errc <- errors.New("eventhub: the upstream closed the event stream")
			return
		case err != nil:
			if ctx.Err() != nil {
				err = ctx.Err()
			}
			errc <- fmt.Errorf("eventhub: reading the upstream event stream: %w", err)
			return
		}
		e, err := h.cfg.Decode(ev.Data)
		if err != nil {
			h.cfg.Logger.Warn("upstream event skipped", "err", err)
			continue
		}
		items <- item[E]{ev: e}
	}
}
