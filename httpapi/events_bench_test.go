package httpapi_test

import (
	"bytes"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/opencode-portal/portal/internal/sse"
	"github.com/opencode-portal/portal/internal/ssetest"
)

// arrival is when a watcher saw the event of one benchmark iteration.
type arrival struct {
	iter int
	at   time.Time
}

// benchMarker prefixes the session titles the benchmark sets.
var benchMarker = []byte(`"title":"bench-`)

// watch opens an event stream and reports when each benchmark title event
// arrives. Portal and OpenCode streams are read by this same code.
func watch(tb testing.TB, req *http.Request) <-chan arrival {
	tb.Helper()
	out := make(chan arrival, 1024)
	ssetest.Watch(tb, req, func(ev sse.Event) {
		i := bytes.Index(ev.Data, benchMarker)
		if i < 0 {
			return
		}
		rest := ev.Data[i+len(benchMarker):]
		end := bytes.IndexByte(rest, '"')
		if n, err := strconv.Atoi(string(rest[:max(end, 0)])); err == nil {
			select {
			case out <- arrival{n, time.Now()}:
			default: // the benchmark is not reading: it failed
			}
		}
	})
	return out
}

// await returns when the watcher saw iteration iter.
func await(tb testing.TB, ch <-chan arrival, iter int) time.Time {
	timeout := time.After(30 * time.Second)
	for {
		select {
		case a := <-ch:
			if a.iter == iter {
				return a.at
			}
		case <-timeout:
			tb.Fatalf("event of iteration %d not delivered within 30s", iter)
		}
	}
}

func percentile(d []time.Duration, p float64) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[int(p*float64(len(s)-1))]
}

// BenchmarkEventFanout compares how late an event reaches each of 200
// clients of the portal's /events with how late it reaches one client of
// OpenCode's own /event, in the same run. Each iteration sets a session's
// title on OpenCode and waits until every client saw the session.updated
// event; delays count from just before the title change. added-p99-ms is
// the 99th percentile of each portal client's lag behind the direct one.
func BenchmarkEventFanout(b *testing.B) {
	const subscribers = 200
	oc := sharedOpenCode(b)
	s := newAPIServer(b)
	if _, err := oc.Register(s.Registry); err != nil {
		b.Fatal(err)
	}
	id := newSession(b, oc)

	direct, _ := http.NewRequest("GET", oc.URL+"/event", nil)
	direct.SetBasicAuth("opencode", oc.Password)
	directCh := watch(b, direct)
	portalChs := make([]<-chan arrival, subscribers)
	for i := range portalChs {
		req, _ := http.NewRequest("GET", portURL(s, oc.Port, "events"), nil)
		portalChs[i] = watch(b, req)
	}
	// Warm up: every stream delivers before the measurement starts.
	setTitle(b, oc, id, "bench--1")
	await(b, directCh, -1)
	for _, ch := range portalChs {
		await(b, ch, -1)
	}

	var directDelays, portalDelays, added []time.Duration
	b.ResetTimer()
	for i := range b.N {
		start := time.Now()
		setTitle(b, oc, id, fmt.Sprintf("bench-%d", i))
		directAt := await(b, directCh, i)
		directDelays = append(directDelays, directAt.Sub(start))
		for _, ch := range portalChs {
			at := await(b, ch, i)
			portalDelays = append(portalDelays, at.Sub(start))
			added = append(added, at.Sub(directAt))
		}
	}
	b.StopTimer()

	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	d50, d99 := percentile(directDelays, 0.50), percentile(directDelays, 0.99)
	p50, p99 := percentile(portalDelays, 0.50), percentile(portalDelays, 0.99)
	b.ReportMetric(ms(d50), "direct-p50-ms")
	b.ReportMetric(ms(d99), "direct-p99-ms")
	b.ReportMetric(ms(p50), "portal-p50-ms")
	b.ReportMetric(ms(p99), "portal-p99-ms")
	// What the portal adds on top of OpenCode's own delivery.
	b.ReportMetric(ms(percentile(added, 0.99)), "added-p99-ms")
	b.ReportMetric(float64(p50)/float64(d50), "p50-ratio")
	b.ReportMetric(float64(p99)/float64(d99), "p99-ratio")
}
