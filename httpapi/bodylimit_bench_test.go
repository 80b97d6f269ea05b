package httpapi_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"runtime"
	"strconv"
	"testing"
)

// BenchmarkLargePrompt sends a 32 MiB prompt (a pasted log, the default
// limit) through prompt_async to a stand-in OpenCode that discards it, and
// reports the bytes the process allocated per byte of prompt text: how many
// copies of a prompt relaying it costs (client and stand-in included; they
// hold no copy).
func BenchmarkLargePrompt(b *testing.B) {
	url, port := newPromptBed(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusNoContent)
	}))
	text := bigPrompt(29 << 20) // 31 MiB once escaped: within the limit
	body, err := json.Marshal(map[string]string{"text": text})
	if err != nil {
		b.Fatal(err)
	}
	route := url + "/api/opencode/" + strconv.Itoa(port) + "/session/ses_big/prompt_async"
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		resp, err := http.Post(route, "application/json", bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted {
			b.Fatalf("%d-byte prompt: %d", len(body), resp.StatusCode)
		}
	}
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(b.N)/float64(len(text)), "alloc-B/text-B")
}
