package portal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/opencode-portal/portal/internal/eventhub"
	"github.com/opencode-portal/portal/internal/opencode"
)

// Event types the portal adds to OpenCode's own.
const (
	// EventResync tells a subscriber that it may have missed events (its
	// buffer overflowed, or the stream from OpenCode was reconnected) and
	// should read the state again: sessions and their status, messages,
	// permissions and questions. Its properties are {"reason": "overflow" |
	// "reconnect" | "dropped"}.
	EventResync = "portal.resync"
	// EventHeartbeat is sent every 15 s so that a client, or a proxy between
	// it and the portal, sees that the stream is alive. Its properties are {}.
	EventHeartbeat = "portal.heartbeat"
	// EventInstance tells a subscriber that the instance changed state:
	// it went down (crashed or stopped), is starting again, or is running.
	// Its properties are {"state": "starting" | "running" | "stopped" |
	// "crashed", "port": PORT, "id": ID}. Once it runs again, the event
	// stream from OpenCode is reopened at once and an EventResync follows.
	EventInstance = "portal.instance"
)

// Event is one live event of an OpenCode instance: an event of OpenCode's
// /event stream ({id, type, properties}; reference: OpenCode's server
// documentation), or one of the portal's own (EventResync, EventHeartbeat,
// EventInstance), which have the same shape without an id.
type Event struct {
	// ID is OpenCode's event id ("evt_…"); empty for the portal's events.
	ID string
	// Type is the event type, such as "message.part.delta",
	// "session.status" or EventResync.
	Type string
	// SessionID is the session the event concerns: properties.sessionID,
	// properties.info.sessionID or properties.part.sessionID; empty for
	// events that concern no session.
	SessionID string
	// Properties is the event's payload, as OpenCode sent it.
	Properties json.RawMessage
	// Raw is the whole event as OpenCode sent it, every field included,
	// for relaying unchanged.
	Raw json.RawMessage
}

// EventFilter selects the events a subscriber receives. The zero value
// selects all of them. The portal's own events always pass.
type EventFilter struct {
	// SessionID, when not empty, keeps only the events whose SessionID is
	// this session's.
	SessionID string
}

func (f EventFilter) match(e Event) bool {
	return f.SessionID == "" || e.SessionID == f.SessionID
}

// Subscribe returns the live events of the registered instance on port that
// pass filter. It returns once the portal is connected to the instance's
// event stream, so events caused by what the caller does next are not
// missed. The channel is closed when ctx ends or the Portal is closed; the
// caller must keep reading it until then.
//
// However many subscribe, the portal holds one event stream per instance,
// opened by the first subscriber and closed after the last one leaves (the
// session listing kept for the instance is one: see Sessions). A
// subscriber that reads too slowly gets an EventResync and skips ahead
// instead of delaying the others. A stream from OpenCode that closes or
// stays silent for 30 s is reconnected, and every subscriber then gets an
// EventResync. An EventHeartbeat comes every 15 s. Each change of state of
// an instance supervised by this Portal comes as an EventInstance; while it
// is down the portal does not reconnect (but tries every 30 s), and once it
// runs again the stream is reopened at once, then an EventResync follows.
// When the instance is no longer registered, the channel is closed. A new
// subscription to an instance whose OpenCode is not running is refused
// (ENOTRUNNING), also while earlier subscribers wait for it to run again.
func (p *Portal) Subscribe(ctx context.Context, port int, filter EventFilter) (<-chan Event, error) {
	if err := CheckPort(port); err != nil {
		return nil, err
	}
	e, err := p.runningEntry(port)
	if err != nil {
		return nil, err
	}
	hub, err := p.events.hub(p, port, e.ID)
	if err != nil {
		return nil, err
	}
	ch, err := hub.Subscribe(ctx, filter.match)
	var pe *Error
	switch {
	case err == nil:
		return ch, nil
	case errors.As(err, &pe):
		return nil, pe
	case ctx.Err() != nil:
		return nil, err
	case errors.Is(err, eventhub.ErrStalled):
		return nil, &Error{Code: ETIMEOUT, Err: err, Message: fmt.Sprintf(
			"OpenCode on port %d opened its event stream but sent nothing; it may be hung: retry, or restart the instance", port)}
	case errors.Is(err, eventhub.ErrClosed):
		return nil, errShuttingDown
	}
	return nil, upstreamError(port, err)
}

// errShuttingDown answers subscriptions after Close.
var errShuttingDown = &Error{Code: EUNAVAILABLE, Err: eventhub.ErrClosed, Message: "The portal is shutting down; retry once it is back"}

// eventHubs holds one event hub per instance port, for the instance that
// holds the port.
type eventHubs struct {
	mu     sync.Mutex
	hubs   map[int]*eventhub.Hub[Event]
	ids    map[int]string // the instance each hub is for
	states map[int]string // the last state told for each instance port
	closed bool

	downRetry time.Duration // between tries of a down instance's stream; zero: eventhub's default
}

func newEventHubs() *eventHubs {
	return &eventHubs{hubs: make(map[int]*eventhub.Hub[Event]), ids: make(map[int]string), states: make(map[int]string)}
}

// hub returns the hub for the instance id on port, creating it on first
// use. The hub of another instance that held the port before is closed.
func (e *eventHubs) hub(p *Portal, port int, id string) (*eventhub.Hub[Event], error) {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil, errShuttingDown
	}
	old, ok := e.hubs[port]
	if ok && e.ids[port] == id {
		e.mu.Unlock()
		return old, nil
	}
	h := eventhub.New(eventhub.Config[Event]{
		Connect: func(ctx context.Context) (io.ReadCloser, error) {
			// The entry is looked up on each connection: a restarted
			// instance may have a new password, and another instance may
			// have taken the port.
			en, err := p.entryByPort(port)
			if err == nil && en.ID != id {
				err = Errorf(ENOTFOUND, "Instance %s no longer holds port %d: instance %s does", id, port, en.ID)
			}
			if ErrorCode(err) == ENOTFOUND {
				return nil, fmt.Errorf("%w: %w", eventhub.ErrGone, err)
			}
			if err != nil {
				return nil, err
			}
			c, err := p.clientFor(en)
			if err != nil {
				return nil, err
			}
			body, err := c.Events.Stream(ctx)
			if err != nil {
				return nil, upstreamError(port, err)
			}
			return body, nil
		},
		Decode:    decodeEvent,
		Resync:    resyncEvent,
		Heartbeat: heartbeatEvent,
		Changes:   func(ev Event) bool { return ev.Type != opencode.HeartbeatEvent },
		DownRetry: e.downRetry,
		Logger:    p.log.With("port", port),
	})
	e.hubs[port], e.ids[port] = h, id
	if ok {
		delete(e.states, port)
	}
	e.mu.Unlock()
	if ok {
		old.Close()
	}
	return h, nil
}

// instanceChanged tells the subscribers of the instance on port, if any,
// its new state, and lets its hub reconnect only while it runs. A state
// told already (a new pid while starting) is not told again.
func (e *eventHubs) instanceChanged(id string, port int, state string) {
	e.mu.Lock()
	h, same := e.hubs[port], e.states[port] == state
	if h != nil && e.ids[port] != id { // the hub of another instance that held the port
		e.mu.Unlock()
		return
	}
	if e.states != nil {
		e.states[port] = state
	}
	e.mu.Unlock()
	if h == nil || same {
		return
	}
	h.SetAvailable(state == StateRunning)
	h.Publish(portalEvent(EventInstance, instanceEventProps{State: state, Port: port, ID: id}))
}

// removed ends the subscriptions to the instance on port, which is no
// longer registered, and drops its hub.
func (e *eventHubs) removed(port int) {
	e.mu.Lock()
	h := e.hubs[port]
	delete(e.hubs, port)
	delete(e.ids, port)
	delete(e.states, port)
	e.mu.Unlock()
	if h != nil {
		h.Close()
	}
}

// instanceEventProps are the properties of an EventInstance.
type instanceEventProps struct {
	State string `json:"state"`
	Port  int    `json:"port"`
	ID    string `json:"id"`
}

// close closes every hub, ending their subscriptions.
func (e *eventHubs) close() {
	e.mu.Lock()
	e.closed = true
	hubs := e.hubs
	e.hubs, e.ids, e.states = nil, nil, nil
	e.mu.Unlock()
	for _, h := range hubs {
		h.Close()
	}
}

// decodeEvent parses one event of OpenCode's /event stream.
func decodeEvent(data []byte) (Event, error) {
	e, err := opencode.DecodeEvent(data)
	if err != nil {
		return Event{}, err
	}
	return Event{ID: e.ID, Type: e.Type, SessionID: e.SessionID, Properties: e.Properties, Raw: data}, nil
}

// portalEvent builds one of the portal's own events.
func portalEvent(typ string, props any) Event {
	p, _ := json.Marshal(props)
	raw, _ := json.Marshal(struct {
		Type       string          `json:"type"`
		Properties json.RawMessage `json:"properties"`
	}{typ, p})
	return Event{Type: typ, Properties: p, Raw: raw}
}

func resyncEvent(reason string) Event {
	return portalEvent(EventResync, map[string]string{"reason": reason})
}

func heartbeatEvent() Event {
	return portalEvent(EventHeartbeat, struct{}{})
}
