package opencode

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// EventsService follows the server's live events.
type EventsService service

// Stream opens the server's event stream (GET /event, server-sent events
// whose data are decoded by DecodeEvent). Only ctx bounds it; the caller
// must close the body.
func (s *EventsService) Stream(ctx context.Context) (io.ReadCloser, error) {
	return s.client.Stream(ctx, "/event", nil)
}

// HeartbeatEvent is the type of the event the /event stream sends every
// 10 s to show it is alive; it tells of no change.
const HeartbeatEvent = "server.heartbeat"

// Event is one event of the /event stream.
type Event struct {
	ID   string // "evt_…"
	Type string // "message.part.delta", "session.status", …
	// SessionID is properties.sessionID, properties.info.sessionID or
	// properties.part.sessionID: the session the event concerns, if any.
	SessionID  string
	Properties json.RawMessage // as OpenCode sent them
}

// DecodeEvent parses the data of one event of the /event stream.
func DecodeEvent(data []byte) (Event, error) {
	var head struct {
		ID         string          `json:"id"`
		Type       string          `json:"type"`
		Properties json.RawMessage `json:"properties"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return Event{}, fmt.Errorf("an OpenCode event is not a JSON object: %w", err)
	}
	if head.Type == "" {
		return Event{}, errors.New("an OpenCode event has no type")
	}
	var props struct {
		SessionID string `json:"sessionID"`
		Info      struct {
			SessionID string `json:"sessionID"`
		} `json:"info"`
		Part struct {
			SessionID string `json:"sessionID"`
		} `json:"part"`
	}
	// Properties that are not an object simply carry no session.
	_ = json.Unmarshal(head.Properties, &props)
	return Event{
		ID:         head.ID,
		Type:       head.Type,
		SessionID:  cmp.Or(props.SessionID, props.Info.SessionID, props.Part.SessionID),
		Properties: head.Properties,
	}, nil
}
