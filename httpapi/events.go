package httpapi

import (
	"net/http"
	"time"

	"github.com/opencode-portal/portal"
	"github.com/opencode-portal/portal/internal/sse"
)

// eventWriteTimeout bounds the write of one event, so a client that stops
// reading without closing its connection does not hold the stream forever.
const eventWriteTimeout = time.Minute

// events streams an instance's live events as server-sent events
// (GET /api/opencode/{port}/events[?session=ID]).
//
// Each event is a single "data:" line holding the JSON object
// {id, type, properties} exactly as OpenCode sent it: the framing of
// OpenCode's own /event stream, which a browser's EventSource delivers to
// onmessage with no listener per type. The portal's own events,
// portal.heartbeat (every 15 s), portal.resync (refetch state: events
// were missed) and portal.instance (the instance crashed, stopped, is
// starting or running), come in the same shape. With ?session=ID only that
// session's events (and the portal's) are sent.
//
// Errors before the stream starts (bad port, unknown instance, OpenCode
// unreachable) are JSON error envelopes; the stream ends when the client
// leaves.
func (h *handler) events(w http.ResponseWriter, r *http.Request) error {
	port, err := pathPort(r)
	if err != nil {
		return err
	}
	q, err := parseQuery(r)
	if err != nil {
		return err
	}
	filter := portal.EventFilter{SessionID: q.Get("session")}
	events, err := h.p.Subscribe(r.Context(), port, filter)
	if err != nil {
		return err
	}
	sw, err := sse.Start(w)
	if err != nil {
		// The status line is sent: all we can do is log.
		h.log.Error("event stream cannot start", "path", r.URL.Path, "err", err)
		return nil
	}
	sw.WriteTimeout = eventWriteTimeout
	for ev := range events {
		if err := sw.Write("", ev.Raw); err != nil {
			h.log.Debug("event stream ended", "path", r.URL.Path, "err", err)
			return nil
		}
	}
	return nil
}
