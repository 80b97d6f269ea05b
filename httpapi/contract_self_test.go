package httpapi_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// errorsTB is a testing.TB that keeps the errors reported to it instead of
// failing the test.
type errorsTB struct {
	testing.TB
	mu     sync.Mutex
	errors []string
}

func (e *errorsTB) Errorf(format string, args ...any) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.errors = append(e.errors, fmt.Sprintf(format, args...))
}

func (e *errorsTB) reported() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return strings.Join(e.errors, "\n")
}

// TestContractRefusesWhatTheDocumentDoesNot serves answers the document
// does not allow through the package's contract check (newHandler), and
// checks that it reports each, while the handler's own answer passes: the
// check every other test relies on is not one that passes anything.
func TestContractRefusesWhatTheDocumentDoesNot(t *testing.T) {
	t.Parallel()
	real := newEmptyHandler(t).(*checkedHandler).Unwrap() // checked below, as each case is
	answer := func(status int, contentType, body string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", contentType)
			w.WriteHeader(status)
			io.WriteString(w, body)
		})
	}
	events := func(frames ...string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/event-stream")
			w.WriteHeader(http.StatusOK)
			for _, f := range frames {
				io.WriteString(w, "data: "+f+"\n\n")
			}
		})
	}
	for _, tc := range []struct {
		name    string
		path    string
		handler http.Handler
		want    string // in the report; "" for none
	}{
		{"the handler's own answer", "/api/instances", real, ""},
		{"a body of the wrong type", "/api/instances", answer(200, "application/json", `{"instances":"none","total":0}`), "doesn't match schema"},
		{"a body that is not JSON", "/api/instances", answer(200, "application/json", `{"instances":`), "not JSON"},
		{"an undocumented content type", "/api/instances", answer(200, "text/html", `<p>instances</p>`), "Content-Type"},
		{"an undocumented status", "/api/instances", answer(299, "application/json", `{}`), "status is not supported"},
		{"an error envelope of the wrong type, off the document", "/api/nothing-here", answer(404, "application/json", `{"message":5}`), "error envelope does not allow"},
		{"an event of the portal's in its form", "/api/opencode/4096/events", events(`{"type":"portal.resync","properties":{"reason":"overflow"}}`), ""},
		{"an event of the portal's with a value it does not have", "/api/opencode/4096/events", events(`{"type":"portal.resync","properties":{"reason":"bored"}}`), "sent an event the document does not allow"},
		{"an event of no documented type", "/api/opencode/4096/events", events(`{"type":"portal.gossip","properties":{}}`), `no event of StreamEvent has the type "portal.gossip"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			report := &errorsTB{TB: t}
			h := &checkedHandler{h: tc.handler, c: loadContract(t), t: report, guarded: true}
			r := httptest.NewRequest("GET", tc.path, nil)
			r.Host = "127.0.0.1"
			h.ServeHTTP(httptest.NewRecorder(), r)
			got := report.reported()
			if tc.want == "" && got != "" || !strings.Contains(got, tc.want) {
				t.Errorf("the check reported %q, want a report containing %q", got, tc.want)
			}
		})
	}
}
