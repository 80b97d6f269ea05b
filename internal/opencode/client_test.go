package opencode

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func newTestClient(t *testing.T, h http.HandlerFunc, timeout time.Duration) *Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c, err := New(Options{BaseURL: srv.URL, Password: "secret", Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCallErrors(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		ctype   string
		body    string
		want    *Error
		wantErr error
	}{
		{"name/data shape", 404, "application/json", `{"name":"NotFoundError","data":{"message":"Session not found: ses_x"}}`,
			&Error{Status: 404, Name: "NotFoundError", Message: "Session not found: ses_x"}, nil},
		{"_tag shape", 409, "application/json", `{"_tag":"SessionBusyError","sessionID":"ses_1","message":"Session is busy: ses_1"}`,
			&Error{Status: 409, Name: "SessionBusyError", Message: "Session is busy: ses_1"}, nil},
		{"_tag only", 400, "application/json", `{"_tag":"BadRequest"}`,
			&Error{Status: 400, Name: "BadRequest", Message: "Bad Request"}, nil},
		{"empty 401", 401, "", ``,
			&Error{Status: 401, Name: "Unauthorized", Message: "Unauthorized"}, nil},
		{"html 200 for unknown path", 200, "text/html; charset=utf-8", `<!doctype html>`, nil, ErrNotJSON},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
				if tt.ctype != "" {
					w.Header().Set("Content-Type", tt.ctype)
				}
				w.WriteHeader(tt.status)
				w.Write([]byte(tt.body))
			}, time.Second)
			var out json.RawMessage
			err := c.Call(context.Background(), "GET", "/x", nil, nil, &out)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			var got *Error
			if !errors.As(err, &got) {
				t.Fatalf("err = %v, want *Error", err)
			}
			if diff := cmp.Diff(tt.want, got, cmpIgnoreRequest); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}
}

var cmpIgnoreRequest = cmp.Comparer(func(a, b *Error) bool {
	return a.Status == b.Status && a.Name == b.Name && a.Message == b.Message
})

func TestCallRelaysBytesAndSendsAuth(t *testing.T) {
	const body = `{"b":1,"a":{"unknown":[true,null]}}`
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		user, pass, ok := r.BasicAuth()
		if !ok || user != DefaultUsername || pass != "secret" {
			w.WriteHeader(401)
			return
		}
		if r.URL.Query().Get("q") != "a b" {
			w.WriteHeader(400)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(body))
	}, time.Second)
	var out json.RawMessage
	if err := c.Call(context.Background(), "GET", "/x", map[string][]string{"q": {"a b"}}, nil, &out); err != nil {
		t.Fatal(err)
	}
	if string(out) != body {
		t.Errorf("relayed %s, want %s", out, body)
	}
}

func TestCallTimesOutButCallLongDoesNot(t *testing.T) {
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(300 * time.Millisecond)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`true`))
	}, 50*time.Millisecond)
	err := c.Call(context.Background(), "GET", "/slow", nil, nil, nil)
	if !errors.Is(err, ErrTimeout) {
		t.Errorf("Call err = %v, want ErrTimeout", err)
	}
	var ok bool
	if err := c.CallLong(context.Background(), "GET", "/slow", nil, nil, &ok); err != nil || !ok {
		t.Errorf("CallLong = %v, %v; want true, nil", ok, err)
	}
}

func TestCallUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	c, _ := New(Options{BaseURL: url})
	err := c.Call(context.Background(), "GET", "/x", nil, nil, nil)
	if !errors.Is(err, ErrUnreachable) {
		t.Errorf("err = %v, want ErrUnreachable", err)
	}
}

func TestCancellingTheContextCancelsTheCall(t *testing.T) {
	started := make(chan struct{})
	gone := make(chan struct{})
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body) // lets the server notice the client leaving
		close(started)
		<-r.Context().Done() // the upstream sees the cancellation
		close(gone)
	}, time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-started; cancel() }()
	err := c.CallLong(ctx, "POST", "/session/x/message", nil, map[string]any{}, nil)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	select {
	case <-gone:
	case <-time.After(5 * time.Second):
		t.Error("the upstream request was not cancelled")
	}
}
