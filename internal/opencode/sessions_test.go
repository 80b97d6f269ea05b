package opencode

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/opencode-portal/portal/internal/fakeopencode"
)

// lister stands in for OpenCode's /experimental/session with
// fakeopencode.Server, and records the query of every call.
type lister struct {
	srv fakeopencode.Server

	mu      sync.Mutex
	queries []url.Values
}

func (l *lister) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	l.mu.Lock()
	l.queries = append(l.queries, r.URL.Query())
	l.mu.Unlock()
	l.srv.ServeHTTP(w, r)
}

// newLister returns a lister of n sessions in dir, updated perMilli at a
// time in each millisecond, and a client of it.
func newLister(t *testing.T, n, perMilli int, dir string) (*lister, *Client) {
	t.Helper()
	l := &lister{}
	for i := range n {
		s := fakeopencode.Session{ID: fmt.Sprintf("ses_%05d", i), Directory: dir}
		s.Time.Updated = 1_800_000_000_000 - int64(i/perMilli)
		l.srv.Sessions = append(l.srv.Sessions, s)
	}
	return l, newTestClient(t, l.ServeHTTP, time.Minute)
}

func TestSessionsListPages(t *testing.T) {
	tests := []struct {
		name      string
		n         int // sessions
		perMilli  int // sessions updated in one millisecond
		wantCalls []string
	}{
		{"one page", 3, 1, []string{"directory=%2Fp&limit=500"}},
		{"a full page and an empty one", SessionPage, 1, []string{
			"directory=%2Fp&limit=500",
			"cursor=1799999999502&directory=%2Fp&limit=500"}},
		{"pages ending amid one millisecond", 1201, 2, []string{
			"directory=%2Fp&limit=500",
			"cursor=1799999999752&directory=%2Fp&limit=500",
			"cursor=1799999999503&directory=%2Fp&limit=500"}},
		{"a page updated in one millisecond", 700, 700, []string{
			"directory=%2Fp&limit=500",
			"cursor=1800000000001&directory=%2Fp&limit=500",
			"cursor=1800000000001&directory=%2Fp&limit=1000"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, c := newLister(t, tt.n, tt.perMilli, "/p")
			raw, err := c.Sessions.List(context.Background(), "/p")
			if err != nil {
				t.Fatal(err)
			}
			var got []fakeopencode.Session
			if err := json.Unmarshal(raw, &got); err != nil {
				t.Fatalf("List answered %.200s: %v", raw, err)
			}
			if diff := cmp.Diff(l.srv.Sessions, got); diff != "" {
				t.Errorf("sessions (-want +got):\n%s", diff)
			}
			var calls []string
			for _, q := range l.queries {
				calls = append(calls, q.Encode())
			}
			if diff := cmp.Diff(tt.wantCalls, calls); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSessionsListRelaysOnePageAsSent(t *testing.T) {
	const page = `[{"id":"ses_1","directory":"/p","time":{"updated":2},"unknown":{"kept":[1,true]}}]`
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(page))
	}, time.Minute)
	raw, err := c.Sessions.List(context.Background(), "")
	if err != nil || string(raw) != page {
		t.Errorf("List = %s, %v; want %s", raw, err, page)
	}
}

// TestSessionsListFallsBack lists sessions from a server without
// /experimental/session, which answers it with 404 or, as OpenCode does
// for paths it does not know, with its web page: /session is asked for the
// server's own project.
func TestSessionsListFallsBack(t *testing.T) {
	tests := []struct {
		name      string
		unknown   func(w http.ResponseWriter)
		dir       string
		wantQuery string
	}{
		{"404, every project", func(w http.ResponseWriter) { w.WriteHeader(404) }, "", "limit=500&scope=project"},
		{"web page, a folder", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte("<!doctype html>"))
		}, "/p", "directory=%2Fp&limit=500"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var query string
			c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/session" {
					tt.unknown(w)
					return
				}
				query = r.URL.RawQuery
				w.Header().Set("Content-Type", "application/json")
				w.Write([]byte(`[{"id":"ses_1"}]`))
			}, time.Minute)
			raw, err := c.Sessions.List(context.Background(), tt.dir)
			if err != nil || string(raw) != `[{"id":"ses_1"}]` {
				t.Errorf("List = %s, %v", raw, err)
			}
			if query != tt.wantQuery {
				t.Errorf("GET /session?%s, want ?%s", query, tt.wantQuery)
			}
		})
	}
}
