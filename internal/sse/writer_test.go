package sse

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestStartHeaders(t *testing.T) {
	rec := httptest.NewRecorder()
	if _, err := Start(rec); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"Content-Type":      "text/event-stream; charset=utf-8",
		"Cache-Control":     "no-cache",
		"X-Accel-Buffering": "no",
	}
	got := map[string]string{}
	for k := range want {
		got[k] = rec.Header().Get(k)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("headers (-want +got):\n%s", diff)
	}
	if rec.Code != http.StatusOK || !rec.Flushed {
		t.Errorf("status %d, flushed %v; want 200 flushed", rec.Code, rec.Flushed)
	}
}

// noFlush is a ResponseWriter that cannot flush.
type noFlush struct{ http.ResponseWriter }

func TestStartWithoutFlusher(t *testing.T) {
	if _, err := Start(noFlush{httptest.NewRecorder()}); err == nil {
		t.Fatal("Start succeeded on a writer that cannot flush")
	}
}

func TestWriterWrite(t *testing.T) {
	tests := []struct {
		name, typ, data string
		want            string
	}{
		{"plain data", "", `{"type":"x"}`, "data: {\"type\":\"x\"}\n\n"},
		{"named", "portal.resync", `{}`, "event: portal.resync\ndata: {}\n\n"},
		{"empty data", "", "", "data: \n\n"},
		{"multi-line data", "", "a\nb\r\nc\rd", "data: a\ndata: b\ndata: c\ndata: d\n\n"},
		{"trailing newline", "", "a\n", "data: a\ndata: \n\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			w, err := Start(rec)
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Write(tt.typ, []byte(tt.data)); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, rec.Body.String()); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWriterRefusesLineBreaksInType(t *testing.T) {
	rec := httptest.NewRecorder()
	w, err := Start(rec)
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range []string{"a\nb", "a\rb", "\r\n"} {
		if err := w.Write(typ, []byte("x")); err == nil {
			t.Errorf("Write accepted the event type %q", typ)
		}
	}
	if rec.Body.Len() != 0 {
		t.Errorf("body = %q, want nothing written", rec.Body.String())
	}
}

// FuzzRoundTrip checks that whatever Writer writes, Reader reads back: the
// same type and the same data with line breaks normalised to LF.
func FuzzRoundTrip(f *testing.F) {
	f.Add("", []byte(`{"id":"evt_1"}`))
	f.Add("portal.heartbeat", []byte("a\r\nb\rc\n"))
	f.Add(" spaced", []byte(" lead"))
	f.Fuzz(func(t *testing.T, typ string, data []byte) {
		if strings.ContainsAny(typ, "\r\n") {
			return
		}
		rec := httptest.NewRecorder()
		w, err := Start(rec)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write(typ, data); err != nil {
			t.Fatal(err)
		}
		rd := NewReader(rec.Body, ReaderOptions{MaxEventSize: 1 << 20})
		got, err := rd.Next()
		if err != nil {
			t.Fatalf("reading back %q: %v", rec.Body.String(), err)
		}
		wantType := typ
		if wantType == "" {
			wantType = "message"
		}
		wantData := bytes.ReplaceAll(bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n")), []byte("\r"), []byte("\n"))
		want := Event{Type: wantType, Data: wantData}
		if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("round trip (-want +got):\n%s", diff)
		}
		if _, err := rd.Next(); err != io.EOF {
			t.Errorf("after the event: %v, want io.EOF", err)
		}
	})
}
