// Package ssetest reads an event stream in a test the way a client
// program would.
package ssetest

import (
	"context"
	"net/http"
	"testing"

	"github.com/opencode-portal/portal/internal/sse"
)

// Watch sends req, fails the test unless it is answered 200, and then
// calls each with every event of the stream, from a goroutine of its own,
// until the stream ends. The stream is closed, and that goroutine has
// returned, when the test ends.
func Watch(tb testing.TB, req *http.Request, each func(sse.Event)) {
	tb.Helper()
	ctx, cancel := context.WithCancel(req.Context())
	req = req.WithContext(ctx)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		tb.Fatalf("opening the event stream %s: %v", req.URL, err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		cancel()
		tb.Fatalf("opening the event stream %s: %s", req.URL, resp.Status)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer resp.Body.Close()
		rd := sse.NewReader(resp.Body, sse.ReaderOptions{})
		for {
			ev, err := rd.Next()
			if err != nil {
				return
			}
			each(ev)
		}
	}()
	tb.Cleanup(func() { cancel(); <-done })
}
