package opencode

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// SessionsService calls OpenCode's session routes.
type SessionsService service

// SessionPage is how many sessions List asks OpenCode for per call
// (OpenCode answers 100 by default), unless more were updated in one
// millisecond.
const SessionPage = 500

// listed is what List reads of each session: enough to page.
type listed struct {
	ID   string `json:"id"`
	Time struct {
		Updated int64 `json:"updated"`
	} `json:"time"`
}

// List returns the JSON array of the sessions whose directory is dir, or
// of every project the server knows when dir is empty, most recently
// updated first, page by page to the last. When the first page holds them
// all, as it does for all but the largest projects, the array is the bytes
// OpenCode sent.
//
// It asks /experimental/session, whose directory filter is an exact match
// (directory also selects the OpenCode instance answering, so dir must be
// the folder the server already serves). Servers without that route fall
// back to /session, which covers only their own project and one page. Each
// call is bounded by the client's Timeout.
func (s *SessionsService) List(ctx context.Context, dir string) (json.RawMessage, error) {
	limit := SessionPage
	q := url.Values{"limit": {strconv.Itoa(limit)}}
	if dir != "" {
		q.Set("directory", dir)
	}
	var all []json.RawMessage // the sessions of the pages read, when more than one
	var seen map[string]bool
	for {
		data, err := s.client.get(ctx, "/experimental/session", q)
		var oe *Error
		if all == nil && (errors.Is(err, ErrNotJSON) || errors.As(err, &oe) && oe.Status == http.StatusNotFound) {
			if dir == "" {
				q.Set("scope", "project")
			}
			return s.client.get(ctx, "/session", q)
		}
		if err != nil {
			return nil, err
		}
		var page []listed
		if err := json.Unmarshal(data, &page); err != nil {
			return nil, fmt.Errorf("GET /experimental/session: decoding the answer: %w", err)
		}
		if all == nil && len(page) < limit {
			return data, nil
		}
		var raw []json.RawMessage
		if err := json.Unmarshal(data, &raw); err != nil {
			return nil, fmt.Errorf("GET /experimental/session: decoding the answer: %w", err)
		}
		if all == nil {
			all, seen = make([]json.RawMessage, 0, len(raw)), make(map[string]bool, len(raw))
		}
		added := 0
		for i, l := range page {
			if !seen[l.ID] {
				seen[l.ID] = true
				all = append(all, raw[i])
				added++
			}
		}
		if len(page) < limit {
			return joinArray(all), nil
		}
		if added == 0 {
			// A whole page was updated in the same millisecond: the
			// cursor cannot move past it, so ask for more at once.
			limit *= 2
			q.Set("limit", strconv.Itoa(limit))
			continue
		}
		// The next page holds the sessions updated before the last one
		// and at the same time (the cursor is exclusive); those already
		// listed are skipped.
		q.Set("cursor", strconv.FormatInt(page[len(page)-1].Time.Updated+1, 10))
	}
}

// joinArray returns the JSON array of elems.
func joinArray(elems []json.RawMessage) json.RawMessage {
	n := 2
	for _, e := range elems {
		n += len(e) + 1
	}
	b := bytes.NewBuffer(make([]byte, 0, n))
	b.WriteByte('[')
	for i, e := range elems {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(e)
	}
	b.WriteByte(']')
	return b.Bytes()
}

// sessionPath is the path of the session id's route suffix ("" for the
// session itself).
func sessionPath(id, suffix string) string {
	return "/session/" + url.PathEscape(id) + suffix
}

// Create creates a session (POST /session) from body ({title?, parentID?})
// and decodes it into out.
func (s *SessionsService) Create(ctx context.Context, body, out any) error {
	return s.client.Call(ctx, http.MethodPost, "/session", nil, body, out)
}

// Get decodes the session id into out.
func (s *SessionsService) Get(ctx context.Context, id string, out any) error {
	return s.client.Call(ctx, http.MethodGet, sessionPath(id, ""), nil, nil, out)
}

// Update changes the session id with body ({title}) and decodes the
// session into out.
func (s *SessionsService) Update(ctx context.Context, id string, body, out any) error {
	return s.client.Call(ctx, http.MethodPatch, sessionPath(id, ""), nil, body, out)
}

// Delete deletes the session id and its children.
func (s *SessionsService) Delete(ctx context.Context, id string) error {
	return s.client.Call(ctx, http.MethodDelete, sessionPath(id, ""), nil, nil, nil)
}

// Children decodes the child sessions of the session id into out.
func (s *SessionsService) Children(ctx context.Context, id string, out any) error {
	return s.client.Call(ctx, http.MethodGet, sessionPath(id, "/children"), nil, nil, out)
}

// Fork copies the session id into a new session, up to the message body
// names ({messageID?}), and decodes the new session into out.
func (s *SessionsService) Fork(ctx context.Context, id string, body, out any) error {
	return s.client.Call(ctx, http.MethodPost, sessionPath(id, "/fork"), nil, body, out)
}

// Messages decodes the messages of the session id, oldest first, into out
// (a *json.RawMessage keeps them as sent).
func (s *SessionsService) Messages(ctx context.Context, id string, out any) error {
	return s.client.Call(ctx, http.MethodGet, sessionPath(id, "/message"), nil, nil, out)
}

// Abort stops the running turn of the session id.
func (s *SessionsService) Abort(ctx context.Context, id string) error {
	return s.client.Call(ctx, http.MethodPost, sessionPath(id, "/abort"), nil, nil, nil)
}

// Status decodes the status of the sessions that are not idle, by session
// id, into out.
func (s *SessionsService) Status(ctx context.Context, out any) error {
	return s.client.Call(ctx, http.MethodGet, "/session/status", nil, nil, out)
}
