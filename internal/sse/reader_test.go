package sse

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/google/go-cmp/cmp"
)

// readAll reads events until the stream ends, recording ErrEventTooLarge
// as an event of type "<too large>".
func readAll(t *testing.T, r io.Reader, max int) []Event {
	t.Helper()
	rd := NewReader(r, ReaderOptions{MaxEventSize: max})
	var got []Event
	for {
		ev, err := rd.Next()
		switch {
		case errors.Is(err, ErrEventTooLarge):
			got = append(got, Event{Type: "<too large>"})
			continue
		case err == io.EOF:
			return got
		case err != nil:
			t.Fatalf("Next: %v", err)
		}
		got = append(got, ev)
	}
}

func TestReader(t *testing.T) {
	tests := []struct {
		name  string
		input string
		max   int
		want  []Event
	}{
		{"empty stream", "", 0, nil},
		{"one data line", "data: hello\n\n", 0, []Event{{Type: "message", Data: []byte("hello")}}},
		{"opencode framing", `data: {"id":"evt_1","type":"server.connected","properties":{}}` + "\n\n", 0,
			[]Event{{Type: "message", Data: []byte(`{"id":"evt_1","type":"server.connected","properties":{}}`)}}},
		{"data lines joined with LF", "data: a\ndata: b\ndata\n\n", 0, []Event{{Type: "message", Data: []byte("a\nb\n")}}},
		{"only one leading space removed", "data:  two\ndata:none\n\n", 0, []Event{{Type: "message", Data: []byte(" two\nnone")}}},
		{"CRLF endings", "event: x\r\ndata: 1\r\n\r\n", 0, []Event{{Type: "x", Data: []byte("1")}}},
		{"CR endings", "event: x\rdata: 1\rdata: 2\r\r", 0, []Event{{Type: "x", Data: []byte("1\n2")}}},
		{"mixed endings", "data: a\r\ndata: b\rdata: c\n\r\n", 0, []Event{{Type: "message", Data: []byte("a\nb\nc")}}},
		{"CR then LF is one terminator", "data: a\r\n\r\ndata: b\r\r", 0,
			[]Event{{Type: "message", Data: []byte("a")}, {Type: "message", Data: []byte("b")}}},
		{"byte-order mark skipped", "\xEF\xBB\xBFdata: x\n\n", 0, []Event{{Type: "message", Data: []byte("x")}}},
		{"comments ignored", ": ping\n\n: hi\ndata: x\n: mid\n\n", 0, []Event{{Type: "message", Data: []byte("x")}}},
		{"no data no event", "event: x\nid: 7\n\ndata: y\n\n", 0, []Event{{ID: "7", Type: "message", Data: []byte("y")}}},
		{"id persists", "id: 1\ndata: a\n\ndata: b\n\nid\ndata: c\n\n", 0, []Event{
			{ID: "1", Type: "message", Data: []byte("a")},
			{ID: "1", Type: "message", Data: []byte("b")},
			{ID: "", Type: "message", Data: []byte("c")},
		}},
		{"id with NUL ignored", "id: 1\n\nid: a\x00b\ndata: x\n\n", 0, []Event{{ID: "1", Type: "message", Data: []byte("x")}}},
		{"event type reset after dispatch", "event: a\ndata: 1\n\ndata: 2\n\n", 0,
			[]Event{{Type: "a", Data: []byte("1")}, {Type: "message", Data: []byte("2")}}},
		{"unknown fields ignored", "foo: bar\ndata: x\nDATA: y\n\n", 0, []Event{{Type: "message", Data: []byte("x")}}},
		{"empty data line", "data\n\ndata:\n\n", 0, []Event{{Type: "message", Data: []byte("")}, {Type: "message", Data: []byte("")}}},
		{"field without colon", "event\ndata: x\n\n", 0, []Event{{Type: "message", Data: []byte("x")}}},
		{"colon in value", "data: a: b\n\n", 0, []Event{{Type: "message", Data: []byte("a: b")}}},
		{"unfinished event discarded", "data: a\n\ndata: b\n", 0, []Event{{Type: "message", Data: []byte("a")}}},
		{"unfinished line discarded", "data: a\n\ndata: b", 0, []Event{{Type: "message", Data: []byte("a")}}},
		{"UTF-8 data", "data: héllo ✓\n\n", 0, []Event{{Type: "message", Data: []byte("héllo ✓")}}},
		{"long line dropped, stream goes on", "data: " + strings.Repeat("x", 40) + "\ndata: y\n\ndata: ok\n\n", 16,
			[]Event{{Type: "<too large>"}, {Type: "message", Data: []byte("ok")}}},
		{"long data dropped, stream goes on", "data: 0123456789\ndata: 0123456789\n\ndata: ok\n\n", 16,
			[]Event{{Type: "<too large>"}, {Type: "message", Data: []byte("ok")}}},
		{"long comment dropped with its event", ": " + strings.Repeat("x", 40) + "\ndata: lost\n\ndata: ok\n\n", 16,
			[]Event{{Type: "<too large>"}, {Type: "message", Data: []byte("ok")}}},
		{"at the limit is fine", "data: " + strings.Repeat("x", 10) + "\n\n", 16,
			[]Event{{Type: "message", Data: []byte(strings.Repeat("x", 10))}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Whole input at once, and one byte at a time (line endings split across reads).
			for _, r := range []io.Reader{strings.NewReader(tt.input), iotest.OneByteReader(strings.NewReader(tt.input))} {
				got := readAll(t, r, tt.max)
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("events mismatch (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestReaderRetry(t *testing.T) {
	tests := []struct {
		input string
		want  time.Duration
	}{
		{"retry: 1500\n\n", 1500 * time.Millisecond},
		{"retry: 10\nretry: x1\n\n", 10 * time.Millisecond},
		{"retry: -5\n\n", 0},
		{"retry:\n\n", 0},
		{"retry: 99999999999999999999999\n\n", 0},
		{"data: no retry\n\n", 0},
	}
	for _, tt := range tests {
		rd := NewReader(strings.NewReader(tt.input), ReaderOptions{})
		for {
			if _, err := rd.Next(); err != nil {
				break
			}
		}
		if got := rd.Retry(); got != tt.want {
			t.Errorf("%q: Retry() = %v, want %v", tt.input, got, tt.want)
		}
	}
}

func TestReaderReadError(t *testing.T) {
	boom := errors.New("boom")
	rd := NewReader(io.MultiReader(strings.NewReader("data: a\n\ndata: b"), iotest.ErrReader(boom)), ReaderOptions{})
	ev, err := rd.Next()
	if err != nil || string(ev.Data) != "a" {
		t.Fatalf("first Next = %q, %v; want a, nil", ev.Data, err)
	}
	if _, err := rd.Next(); !errors.Is(err, boom) {
		t.Fatalf("second Next error = %v, want %v", err, boom)
	}
}

// TestReaderDispatchesWithoutWaiting checks that an event is returned as soon
// as its blank line arrives, even when that line ends with a lone CR and no
// more bytes follow yet.
func TestReaderDispatchesWithoutWaiting(t *testing.T) {
	pr, pw := io.Pipe()
	defer pr.Close()
	rd := NewReader(pr, ReaderOptions{})
	got := make(chan Event, 1)
	go func() {
		ev, err := rd.Next()
		if err == nil {
			got <- ev
		}
		close(got)
	}()
	if _, err := pw.Write([]byte("data: x\r\r")); err != nil {
		t.Fatal(err)
	}
	ev, ok := <-got
	if !ok || string(ev.Data) != "x" {
		t.Fatalf("got %q, %v; want the event before more input", ev.Data, ok)
	}
	pw.Close()
}

func FuzzReader(f *testing.F) {
	for _, s := range []string{
		"data: hello\n\n",
		"event: x\r\ndata: 1\r\n\r\n",
		"id: 1\rdata: a\r\r: c\rretry: 5\r\r",
		"\xEF\xBB\xBFdata\n\ndata:\n\n",
		`data: {"id":"evt_1","type":"message.part.delta","properties":{"delta":"hi"}}` + "\n\n",
		"data: " + strings.Repeat("x", 100) + "\n\n",
	} {
		f.Add([]byte(s))
	}
	const max = 64
	f.Fuzz(func(t *testing.T, in []byte) {
		rd := NewReader(bytes.NewReader(in), ReaderOptions{MaxEventSize: max})
		for i := 0; ; i++ {
			ev, err := rd.Next()
			if errors.Is(err, ErrEventTooLarge) {
				continue
			}
			if err == io.EOF {
				return
			}
			if err != nil {
				t.Fatalf("Next: %v", err)
			}
			if len(ev.Data) > max {
				t.Fatalf("event data of %d bytes is over the %d limit", len(ev.Data), max)
			}
			if ev.Type == "" {
				t.Fatal("event without a type")
			}
			if strings.ContainsAny(ev.Type+ev.ID, "\r\n") || bytes.ContainsRune(ev.Data, '\r') {
				t.Fatalf("line break leaked into a field: %+v", ev)
			}
			if i > len(in) {
				t.Fatalf("more events (%d) than input bytes (%d)", i, len(in))
			}
		}
	})
}
