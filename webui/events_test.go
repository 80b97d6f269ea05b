package webui_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/google/go-cmp/cmp"

	"github.com/opencode-portal/portal"
	"github.com/opencode-portal/portal/httpapi"
	"github.com/opencode-portal/portal/webui"
)

// eventStreamParser checks js/events.js's reading of text/event-stream in
// the page: each stream is cut into chunks at the given byte offsets (in
// the middle of a line, of a CRLF, of a UTF-8 character) and must give the
// same events as whole. The same page then checks the stream's re-check
// on wake (eventStreamWake) and the lists' rows (keyedRowsMovesFew).
func eventStreamParser(t *testing.T, browser context.Context, ready func(*testing.T)) {
	p, err := portal.New(portal.Config{RegistryPath: filepath.Join(t.TempDir(), "portal.json")})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(httpapi.New(p, httpapi.WithUI(webui.FS())))
	t.Cleanup(func() { srv.Close(); p.Close() })
	ready(t)
	ph := newPhone(t, browser)
	ph.do("opening the UI", chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(`[data-testid="instance-start-dir"]`))

	type streamCase struct {
		Name   string `json:"name"`
		Stream string `json:"stream"`
		Cuts   []int  `json:"cuts"`
	}
	tests := []struct {
		streamCase
		want []string // the events' types, then their "text" property if any
	}{
		{streamCase{"one event", `data: {"type":"a"}` + "\n\n", nil}, []string{"a"}},
		{streamCase{"cut amid a line", `data: {"type":"a"}` + "\n\n", []int{2, 9, 19}}, []string{"a"}},
		{streamCase{"CRLF cut in two", `data: {"type":"a"}` + "\r\n\r\n" + `data: {"type":"b"}` + "\r\r", []int{19, 21}}, []string{"a", "b"}},
		{streamCase{"several in a chunk, comments and other fields", ": hello\nevent: x\nid: 7\nretry: 10\ndata: {\"type\":\"a\"}\n\ndata:{\"type\":\"b\"}\n\n", nil}, []string{"a", "b"}},
		{streamCase{"a line over three chunks, then a CRLF cut in two", `data: {"type":"l","properties":{"text":"abcdef"}}` + "\r\n\r\n", []int{10, 30, 50}}, []string{"l abcdef"}},
		{streamCase{"data on two lines", "data: {\"type\":\ndata: \"c\"}\n\n", []int{14}}, []string{"c"}},
		{streamCase{"UTF-8 cut amid a character", `data: {"type":"t","properties":{"text":"été"}}` + "\n\n", []int{41, 42}}, []string{"t été"}},
		{streamCase{"an event not ended is dropped", `data: {"type":"a"}` + "\n\n" + `data: {"type":"z"}` + "\n", nil}, []string{"a"}},
		{streamCase{"not JSON, or no type, is skipped", "data: nope\n\ndata: {\"x\":1}\n\ndata: {\"type\":\"a\"}\n\n", nil}, []string{"a"}},
	}
	var cases []streamCase
	for _, tt := range tests {
		cases = append(cases, tt.streamCase)
	}
	js, err := json.Marshal(cases)
	if err != nil {
		t.Fatal(err)
	}
	got := eval[map[string][]string](ph, fmt.Sprintf(`(async () => {
		const { EventStream } = await import("./js/events.js");
		const out = {};
		for (const c of %s) {
			const bytes = new TextEncoder().encode(c.stream);
			const chunks = [];
			let at = 0;
			for (const cut of [...(c.cuts || []), bytes.length]) {
				chunks.push(bytes.slice(at, cut));
				at = cut;
			}
			const body = new ReadableStream({ start(ctl) { for (const b of chunks) ctl.enqueue(b); ctl.close(); } });
			const stream = new EventStream(0);
			const seen = [];
			stream.on("*", (e) => seen.push(e.properties.text ? e.type + " " + e.properties.text : e.type));
			await stream.read(body, new AbortController().signal);
			out[c.name] = seen;
		}
		return out;
	})()`, js))
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, got[tt.Name]); diff != "" {
			t.Errorf("%s: events (-want +got):\n%s", tt.Name, diff)
		}
	}
	eventStreamWake(t, ph)
	keyedRowsMovesFew(t, ph)
}

// eventStreamWake checks js/events.js's re-check when the page shows again
// or resumes: a stream is replaced at once after the page was away longer
// than a heartbeat's interval or frozen, a waiting one tries at once, and a
// live one is kept after a short absence. Its connect is a stand-in that
// counts.
func eventStreamWake(t *testing.T, ph *phone) {
	tests := []struct {
		name, setup, act string
		want             string // connect calls and the state after
	}{
		{"shown after 16 s away", `s.state = "live"; s.lastByte = Date.now(); s.hiddenAt = Date.now() - 16000`, `s.onVisibility()`, "1 reconnecting"},
		{"shown after 1 s away", `s.state = "live"; s.lastByte = Date.now(); s.hiddenAt = Date.now() - 1000`, `s.onVisibility()`, "0 live"},
		{"shown while waiting to retry", `s.state = "reconnecting"; s.retryTimer = setTimeout(() => {}, 60000); s.hiddenAt = Date.now() - 1000`, `s.onVisibility()`, "1 reconnecting"},
		{"shown while silent past the watchdog", `s.state = "live"; s.lastByte = Date.now() - 41000; s.controller = { abort: () => s.setState("reconnecting") }`, `s.onVisibility()`, "0 reconnecting"},
		{"resumed", `s.state = "live"; s.lastByte = Date.now()`, `document.dispatchEvent(new Event("resume"))`, "1 reconnecting"},
		{"stopped, then resumed", `s.state = "live"; s.stop()`, `document.dispatchEvent(new Event("resume"))`, "0 stopped"},
	}
	for _, tt := range tests {
		got := eval[string](ph, fmt.Sprintf(`(async () => {
			const { EventStream } = await import("./js/events.js");
			const s = new EventStream(0);
			let calls = 0;
			s.connect = () => { calls++; };
			s.start();
			calls = 0;
			%s;
			%s;
			const out = calls + " " + s.state;
			s.stop();
			return out;
		})()`, tt.setup, tt.act))
		if got != tt.want {
			t.Errorf("%s: %q (connect calls, state), want %q", tt.name, got, tt.want)
		}
	}
}
