package httpapi_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/opencode-portal/portal/internal/opencode"
	"github.com/opencode-portal/portal/portaltest"
)

// BenchmarkSessionRoutes measures the latency the portal adds to GET
// sessions and GET session/{id}/messages: each iteration does the same call
// through the portal and straight to OpenCode, alternately, and the ratios
// of their 50th and 99th percentiles are reported (1.0 = no overhead).
// Nothing changes between the calls, so the portal answers GET sessions
// with the listing it kept; BenchmarkSessionsBesideAnotherProject measures
// it asked of OpenCode too.
func BenchmarkSessionRoutes(b *testing.B) {
	bed := newSessionBed(b)
	for range 5 {
		bed.createSession(b)
	}
	id := bed.createSession(b)
	// A conversation of realistic size: 40 user messages (no reply) and
	// a real turn with a tool call.
	for i := range 40 {
		callOpenCode(b, bed.oc, "POST", "/session/"+id+"/message", map[string]any{
			"noReply": true,
			"parts":   []any{map[string]any{"type": "text", "text": fmt.Sprintf("message %d: %s", i, loremIpsum)}},
		}, nil)
	}
	bed.model.Enqueue(portaltest.ToolCallReply("read", map[string]string{"filePath": bed.oc.Dir + "/README.md"}), portaltest.TextReply(loremIpsum))
	bed.callOK(b, "POST", "session/"+id+"/prompt", `{"text":"read the readme"}`, 200, nil)

	// Uncompressed, like the portal's own calls to OpenCode: both paths
	// then move the same bytes.
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8, DisableCompression: true}}
	defer client.CloseIdleConnections()
	get := func(url string, auth bool) time.Duration {
		req, _ := http.NewRequest("GET", url, nil)
		if auth {
			req.SetBasicAuth("opencode", bed.oc.Password)
		}
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		d := time.Since(start)
		if err != nil || resp.StatusCode != 200 {
			b.Fatalf("GET %s: %d %v", url, resp.StatusCode, err)
		}
		return d
	}
	for _, c := range []struct{ name, portal, openCode string }{
		// OpenCode's own listing of the instance's folder, as the portal asks for it.
		{"sessions", "sessions", "/experimental/session?limit=" + strconv.Itoa(opencode.SessionPage) + "&directory=" + url.QueryEscape(bed.oc.Dir)},
		{"messages", "session/" + id + "/messages", "/session/" + id + "/message"},
		// A route that relays bytes and does nothing else, for reference:
		// the cost of the extra hop alone.
		{"project-current", "project/current", "/project/current"},
	} {
		b.Run(c.name, func(b *testing.B) {
			ourURL, theirURL := portURL(bed.api, bed.oc.Port, c.portal), bed.oc.URL+c.openCode
			for range 20 { // warm the connections and OpenCode's JIT
				get(ourURL, false)
				get(theirURL, true)
			}
			var ours, theirs []time.Duration
			for i := 0; b.Loop(); i++ {
				if i%2 == 0 { // alternate the order, so neither gains from going second
					ours = append(ours, get(ourURL, false))
					theirs = append(theirs, get(theirURL, true))
				} else {
					theirs = append(theirs, get(theirURL, true))
					ours = append(ours, get(ourURL, false))
				}
			}
			b.ReportMetric(float64(percentile(ours, 0.5))/float64(percentile(theirs, 0.5)), "p50-ratio")
			b.ReportMetric(float64(percentile(ours, 0.99))/float64(percentile(theirs, 0.99)), "p99-ratio")
			b.ReportMetric(float64(percentile(theirs, 0.5).Microseconds()), "opencode-p50-µs")
			b.ReportMetric(float64((percentile(ours, 0.5) - percentile(theirs, 0.5)).Microseconds()), "added-p50-µs")
		})
	}
}

const loremIpsum = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat."
