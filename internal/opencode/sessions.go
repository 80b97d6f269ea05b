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
