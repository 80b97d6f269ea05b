package fakeopencode

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Server is OpenCode served by the test process itself (say, behind an
// httptest.Server), for the calls the portal makes of it without a model:
// the health check, the event stream, file search, the session listing,
// the renaming and deletion of a session (which, unlike OpenCode's, send
// no event: the test sends those it wants) and the prompt of one session,
// whose answer the test holds back. Its zero value works: healthy, no
// sessions, nothing found. Other paths answer 404 with OpenCode's error
// body.
type Server struct {
	// Found is what GET /find/file answers.
	Found []string
	// Sessions is what GET /experimental/session lists, sorted as OpenCode
	// sorts them: most recently updated first, then by id, descending.
	// Once the server serves, change it only through EditSessions.
	Sessions []Session
	// Listed, when set, is called by each session listing after it read
	// the sessions and before it answers.
	Listed func()
	// RefuseStreams makes GET /event answer 503.
	RefuseStreams atomic.Bool
	// Heartbeat, when set, is how often each /event stream sends OpenCode's
	// server.heartbeat event (OpenCode's every 10 s); none otherwise.
	Heartbeat time.Duration
	// PromptSession is the session whose prompts the server takes: each
	// POST /session/{PromptSession}/message waits until AnswerPrompts and
	// answers Answer (a message, as JSON), or until the client leaves.
	// GET /session/{PromptSession}/message answers Messages (JSON).
	PromptSession, Answer, Messages string
	// Busy is whether GET /session/status lists PromptSession as busy;
	// StatusDown makes it fail.
	Busy, StatusDown atomic.Bool

	promptsOpen atomic.Int32
	answered    chan struct{} // closed by AnswerPrompts

	mu       sync.Mutex
	listings int            // GET /experimental/session answered
	queries  []url.Values   // of /find/file, in order
	sent     map[string]int // directory → sessions listed
	streams  []chan string  // the open /event streams
	opened   int            // /event streams opened so far
}

// Session is a session the Server lists, in OpenCode's JSON.
type Session struct {
	ID        string      `json:"id"`
	Directory string      `json:"directory"`
	Title     string      `json:"title"`
	Time      SessionTime `json:"time"`
}

// SessionTime is a session's times, in Unix milliseconds.
type SessionTime struct {
	Created int64 `json:"created"`
	Updated int64 `json:"updated"`
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method + " " + r.URL.Path {
	case "GET /global/health":
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"healthy":true,"version":"1.18.33"}`))
	case "GET /event":
		if s.RefuseStreams.Load() {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte(`{"name":"UnknownError","data":{"message":"refused"}}`))
			return
		}
		s.stream(w, r)
	case "GET /find/file":
		s.mu.Lock()
		s.queries = append(s.queries, r.URL.Query())
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(s.Found)
	case "GET /experimental/session":
		s.listSessions(w, r)
	case "PATCH " + r.URL.Path, "DELETE " + r.URL.Path:
		if id, ok := strings.CutPrefix(r.URL.Path, "/session/"); ok && !strings.Contains(id, "/") {
			s.changeSession(w, r, id)
			return
		}
		notFound(w)
	case "GET /session/status":
		w.Header().Set("Content-Type", "application/json")
		switch {
		case s.StatusDown.Load():
			w.WriteHeader(http.StatusInternalServerError)
			w.Write([]byte(`{"name":"UnknownError","data":{"message":"down"}}`))
		case s.Busy.Load():
			fmt.Fprintf(w, `{%q:{"type":"busy"}}`, s.PromptSession)
		default:
			w.Write([]byte(`{}`))
		}
	case "POST /session/" + s.PromptSession + "/message":
		s.prompt(w, r)
	case "GET /session/" + s.PromptSession + "/message":
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(s.Messages))
	default:
		notFound(w)
	}
}

// notFound answers 404 as OpenCode does.
func notFound(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusNotFound)
	w.Write([]byte(`{"name":"NotFoundError","data":{"message":"no route"}}`))
}

// changeSession renames (PATCH {title}) or deletes the session id, and
// answers as OpenCode does: the session, or true.
func (s *Server) changeSession(w http.ResponseWriter, r *http.Request, id string) {
	var body struct{ Title string }
	if r.Method == http.MethodPatch {
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.Title == "" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
	}
	var answer any = true
	s.EditSessions(func(list []Session) []Session {
		i := slices.IndexFunc(list, func(ses Session) bool { return ses.ID == id })
		switch {
		case i < 0:
			answer = nil
		case r.Method == http.MethodDelete:
			list = slices.Delete(list, i, i+1)
		default:
			list[i].Title = body.Title
			answer = list[i]
		}
		return list
	})
	if answer == nil {
		notFound(w)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(answer)
}

// EditSessions replaces Sessions with what edit makes of a copy of them,
// while no listing reads them.
func (s *Server) EditSessions(edit func([]Session) []Session) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Sessions = edit(slices.Clone(s.Sessions))
}

// Listings returns how many session listings (GET /experimental/session,
// each page) were answered so far.
func (s *Server) Listings() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.listings
}

// stream serves /event: OpenCode's server.connected event, then what Send
// sends, until Send("") or the client leaves.
func (s *Server) stream(w http.ResponseWriter, r *http.Request) {
	ch := make(chan string, 16)
	s.mu.Lock()
	s.streams = append(s.streams, ch)
	s.opened++
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.streams = slices.DeleteFunc(s.streams, func(c chan string) bool { return c == ch })
	}()
	w.Header().Set("Content-Type", "text/event-stream")
	fmt.Fprint(w, "data: {\"id\":\"evt_0\",\"type\":\"server.connected\",\"properties\":{}}\n\n")
	w.(http.Flusher).Flush()
	var beat <-chan time.Time
	if s.Heartbeat > 0 {
		t := time.NewTicker(s.Heartbeat)
		defer t.Stop()
		beat = t.C
	}
	for {
		select {
		case data := <-ch:
			if data == "" {
				return // end the stream
			}
			fmt.Fprintf(w, "data: %s\n\n", data)
			w.(http.Flusher).Flush()
		case <-beat:
			fmt.Fprint(w, "data: {\"id\":\"evt_beat\",\"type\":\"server.heartbeat\",\"properties\":{}}\n\n")
			w.(http.Flusher).Flush()
		case <-r.Context().Done():
			return
		}
	}
}

// prompt takes a prompt of PromptSession and answers it once the test
// calls AnswerPrompts.
func (s *Server) prompt(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body) // lets the server notice the client leaving
	s.promptsOpen.Add(1)
	defer s.promptsOpen.Add(-1)
	select {
	case <-r.Context().Done():
	case <-s.answeredChan():
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(s.Answer))
	}
}

func (s *Server) answeredChan() chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.answered == nil {
		s.answered = make(chan struct{})
	}
	return s.answered
}

// AnswerPrompts answers the prompts waiting and those to come.
func (s *Server) AnswerPrompts() {
	ch := s.answeredChan()
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-ch:
	default:
		close(ch)
	}
}

// PromptsOpen returns how many prompts wait for their answer.
func (s *Server) PromptsOpen() int {
	return int(s.promptsOpen.Load())
}

// Send sends the event data to every open /event stream; "" ends them.
func (s *Server) Send(data string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ch := range s.streams {
		ch <- data
	}
	if data == "" {
		s.streams = nil
	}
}

// StreamsOpen returns how many /event streams are open now.
func (s *Server) StreamsOpen() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.streams)
}

// StreamsOpened returns how many /event streams were opened so far.
func (s *Server) StreamsOpened() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.opened
}

// FindQueries returns the queries /find/file received since the last
// call, and forgets them.
func (s *Server) FindQueries() []url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.queries
	s.queries = nil
	return q
}

// listSessions serves /experimental/session as OpenCode does: at most
// limit sessions (default 100), of exactly directory when given, updated
// before cursor when given.
func (s *Server) listSessions(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, _ := strconv.Atoi(q.Get("limit"))
	if limit == 0 {
		limit = 100
	}
	s.mu.Lock()
	sessions := s.Sessions
	s.mu.Unlock()
	from := 0 // the first session updated before the cursor
	if cursor, _ := strconv.ParseInt(q.Get("cursor"), 10, 64); cursor != 0 {
		from, _ = slices.BinarySearchFunc(sessions, cursor, func(ses Session, cursor int64) int {
			if ses.Time.Updated >= cursor {
				return -1
			}
			return 1
		})
	}
	page := []Session{}
	for _, ses := range sessions[from:] {
		if len(page) == limit {
			break
		}
		if d := q.Get("directory"); d == "" || ses.Directory == d {
			page = append(page, ses)
		}
	}
	s.mu.Lock()
	if s.sent == nil {
		s.sent = map[string]int{}
	}
	for _, ses := range page {
		s.sent[ses.Directory]++
	}
	s.listings++
	s.mu.Unlock()
	if s.Listed != nil {
		s.Listed()
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(page)
}

// SentOutside returns how many sessions /experimental/session listed whose
// directory is not dir since the last call.
func (s *Server) SentOutside(dir string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for d, c := range s.sent {
		if d != dir {
			n += c
		}
	}
	clear(s.sent)
	return n
}
