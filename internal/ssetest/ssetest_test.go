package ssetest_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/opencode-portal/portal/internal/sse"
	"github.com/opencode-portal/portal/internal/ssetest"
	"github.com/opencode-portal/portal/internal/testwait"
)

func TestWatchCallsEachWithEveryEventInOrder(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if got := r.Header.Get("Accept"); got != "text/event-stream" {
			t.Errorf("Accept = %q, want text/event-stream", got)
		}
		w.Header().Set("Content-Type", "text/event-stream")
		w.Write([]byte("data: a\n\nevent: named\ndata: b\n\n"))
	}))
	t.Cleanup(srv.Close)
	req, err := http.NewRequest(http.MethodGet, srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan sse.Event, 10)
	var events []sse.Event
	t.Run("watch", func(t *testing.T) {
		ssetest.Watch(t, req, func(ev sse.Event) { got <- ev })
		for len(events) < 2 {
			select {
			case ev := <-got:
				events = append(events, ev)
			case <-time.After(testwait.Limit):
				t.Fatalf("saw %d events after %s, want 2", len(events), testwait.Limit)
			}
		}
	}) // the subtest's cleanup closed the stream and waited for its reader
	close(got)
	for ev := range got {
		events = append(events, ev)
	}
	want := []sse.Event{{Type: "message", Data: []byte("a")}, {Type: "named", Data: []byte("b")}}
	if diff := cmp.Diff(want, events); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}
