package main

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLogRequests(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	h := logRequests(log, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot)
		w.Write([]byte("short and stout"))
		if err := http.NewResponseController(w).Flush(); err != nil {
			t.Errorf("flush through the recorder: %v", err) // streams (SSE) need it
		}
	}))
	srv := httptest.NewServer(h)
	resp, err := http.Get(srv.URL + "/api/opencode/3100/files/read?path=secret.txt")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	srv.Close() // waits for the handler, which logs after answering

	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("log line %q: %v", &buf, err)
	}
	got := map[string]any{"method": line["method"], "path": line["path"], "status": line["status"], "bytes": line["bytes"]}
	want := map[string]any{"method": "GET", "path": "/api/opencode/3100/files/read", "status": float64(418), "bytes": float64(15)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("log line (-want +got):\n%s", diff)
	}
	if strings.Contains(buf.String(), "secret.txt") {
		t.Errorf("the query string reached the log: %s", &buf)
	}
}
