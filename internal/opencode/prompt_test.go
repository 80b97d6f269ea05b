package opencode

import (
	"context"
	"errors"
	"io"
	"net/http"
	"sync/atomic"
	"testing"
	"time"
)

// TestPromptSendWatchdog sends a prompt to a stand-in whose prompt call
// never answers (or answers), with the session's status as given: the
// watchdog ends the wait with the cause that says why.
func TestPromptSendWatchdog(t *testing.T) {
	tests := []struct {
		name    string
		status  func(w http.ResponseWriter, polls int32)
		answer  bool
		wantErr error // nil: the answer is decoded
	}{
		{"answered", func(w http.ResponseWriter, _ int32) { w.Write([]byte(`{"ses_1":{"type":"busy"}}`)) }, true, nil},
		{"idle after busy, no answer", func(w http.ResponseWriter, polls int32) {
			if polls <= 2 {
				w.Write([]byte(`{"ses_1":{"type":"busy"}}`))
				return
			}
			w.Write([]byte(`{}`))
		}, false, ErrPromptStalled},
		{"never busy, no answer", func(w http.ResponseWriter, _ int32) { w.Write([]byte(`{}`)) }, false, ErrPromptStalled},
		{"status checks fail", func(w http.ResponseWriter, _ int32) {
			w.WriteHeader(500)
			w.Write([]byte(`{"name":"UnknownError","data":{"message":"down"}}`))
		}, false, ErrPromptLost},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var polls atomic.Int32
			c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				switch r.Method + " " + r.URL.Path {
				case "GET /session/status":
					tt.status(w, polls.Add(1))
				case "POST /session/ses_1/message":
					io.Copy(io.Discard, r.Body) // lets the server notice the client leaving
					if tt.answer {
						w.Write([]byte(`{"info":{"id":"msg_2"}}`))
						return
					}
					<-r.Context().Done()
				default:
					http.NotFound(w, r)
				}
			}, time.Minute)
			var msg struct {
				Info struct {
					ID string `json:"id"`
				} `json:"info"`
			}
			err := c.Prompt.Send(context.Background(), "ses_1", map[string]any{}, &msg, time.Millisecond)
			switch {
			case tt.wantErr == nil && (err != nil || msg.Info.ID != "msg_2"):
				t.Errorf("Send = %v with message %+v, want msg_2", err, msg)
			case tt.wantErr != nil && !errors.Is(err, tt.wantErr):
				t.Errorf("Send = %v, want %v", err, tt.wantErr)
			}
		})
	}
}
