package httpapi_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opencode-portal/portal/portaltest"
)

// BenchmarkSessionsBesideAnotherProject measures GET sessions of an
// instance whose OpenCode also holds 1,000 sessions of another project: each
// iteration lists the instance's sessions through the portal and asks
// OpenCode for its own listing of the instance's folder
// (/experimental/session?directory=DIR), alternately. throughput-ratio is
// OpenCode's total time over the portal's (1.0 = as fast as OpenCode
// itself). relay-throughput-ratio is the same for project/current, which
// the portal relays and does nothing else with: the cost of the extra hop
// alone, for reference. setup-s is the time 1,000 POST /session took.
//
// In "repeated" nothing changes between listings, so the portal answers
// the listing it kept; in "after-a-rename" each listing follows a rename of
// one of the instance's sessions (not timed): through the portal before the
// portal's listing, which then asks OpenCode again, and on OpenCode before
// OpenCode's.
func BenchmarkSessionsBesideAnotherProject(b *testing.B) {
	model := portaltest.NewFakeModel(b)
	oc := portaltest.NewOpenCode(b, portaltest.OpenCodeOptions{ModelURL: model.URL()})
	api := newAPIServer(b)
	if _, err := oc.Register(api.Registry); err != nil {
		b.Fatal(err)
	}
	other := b.TempDir()
	if err := os.WriteFile(filepath.Join(other, "other.txt"), []byte("another project\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	for _, args := range [][]string{{"init", "-q"}, {"add", "-A"}, {"commit", "-q", "-m", "another project"}} {
		if err := portaltest.Git(other, args...); err != nil {
			b.Fatal(err)
		}
	}
	var own struct{ ID string }
	for i := range 10 {
		callOpenCode(b, oc, "POST", "/session", map[string]any{"title": fmt.Sprintf("own %d", i)}, &own)
	}
	start := time.Now()
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := w; i < 1000; i += 4 {
				callOpenCode(b, oc, "POST", "/session?directory="+url.QueryEscape(other), map[string]any{"title": fmt.Sprintf("other %d", i)}, nil)
			}
		})
	}
	wg.Wait()
	setup := time.Since(start)

	// Uncompressed, like the portal's own calls to OpenCode.
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8, DisableCompression: true}}
	defer client.CloseIdleConnections()
	get := func(url string, auth bool) (time.Duration, int64) {
		req, _ := http.NewRequest("GET", url, nil)
		if auth {
			req.SetBasicAuth("opencode", oc.Password)
		}
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		d := time.Since(start)
		if err != nil || resp.StatusCode != 200 {
			b.Fatalf("GET %s: %d %v", url, resp.StatusCode, err)
		}
		return d, n
	}
	ourURL := portURL(api, oc.Port, "sessions")
	theirURL := oc.URL + "/experimental/session?limit=500&directory=" + url.QueryEscape(oc.Dir)
	for range 20 { // warm the connections and OpenCode's JIT
		get(ourURL, false)
		get(theirURL, true)
	}
	relayURL, relayTheirURL := portURL(api, oc.Port, "project/current"), oc.URL+"/project/current"
	renames := 0
	rename := func(ours bool) { // the same length each time, so both answers keep their size
		renames++
		title := fmt.Sprintf("renamed %07d", renames)
		if !ours {
			callOpenCode(b, oc, "PATCH", "/session/"+own.ID, map[string]string{"title": title}, nil)
			return
		}
		req, _ := http.NewRequest("PATCH", portURL(api, oc.Port, "session/"+own.ID), strings.NewReader(`{"title":"`+title+`"}`))
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("PATCH session through the portal: %s", resp.Status)
		}
	}
	for _, variant := range []struct {
		name   string
		before func(ours bool)
	}{
		{"repeated", func(bool) {}},
		{"after-a-rename", rename},
	} {
		b.Run(variant.name, func(b *testing.B) {
			var ours, theirs []time.Duration
			var ourTotal, theirTotal, relayTotal, relayTheirTotal time.Duration
			var ourBytes, theirBytes int64
			for i := 0; b.Loop(); i++ {
				for j := range 2 { // alternate the order, so neither gains from going second
					if (i+j)%2 == 0 {
						variant.before(true)
						d, n := get(ourURL, false)
						ours, ourTotal, ourBytes = append(ours, d), ourTotal+d, n
						d, _ = get(relayURL, false)
						relayTotal += d
					} else {
						variant.before(false)
						d, n := get(theirURL, true)
						theirs, theirTotal, theirBytes = append(theirs, d), theirTotal+d, n
						d, _ = get(relayTheirURL, true)
						relayTheirTotal += d
					}
				}
			}
			if ourBytes != theirBytes+1 { // the portal ends its answer with a newline
				b.Fatalf("the portal answered %d bytes, OpenCode's listing %d", ourBytes, theirBytes)
			}
			b.ReportMetric(float64(theirTotal)/float64(ourTotal), "throughput-ratio")
			b.ReportMetric(float64(relayTheirTotal)/float64(relayTotal), "relay-throughput-ratio")
			b.ReportMetric(float64(percentile(ours, 0.5))/float64(percentile(theirs, 0.5)), "p50-ratio")
			b.ReportMetric(float64(percentile(theirs, 0.5).Microseconds()), "opencode-p50-µs")
			b.ReportMetric(float64(percentile(ours, 0.5).Microseconds()), "portal-p50-µs")
			b.ReportMetric(setup.Seconds(), "setup-s")
		})
	}
}
