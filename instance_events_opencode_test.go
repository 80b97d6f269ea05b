package portal_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/opencode-portal/portal"
)

// TestInstanceEventsAcrossACrash kills a real OpenCode with -9 under the
// on-failure policy while a subscriber listens (the shared crash,
// crashbed_test.go): it must be told the crash, the restart and the new
// run in portal.instance events, then get a portal.resync once the stream
// from the new run is open. The delays from the kill to the crash event
// and from the new run to the resync are logged (go test -v).
func TestInstanceEventsAcrossACrash(t *testing.T) {
	crashes.start()
	t.Parallel()
	c := crashes.wait(t)
	in := c.in

	type seen struct{ Type, State, Reason string }
	var got []seen
	var crashed, running, resynced time.Time
	for _, ev := range c.events {
		var props struct {
			State  string `json:"state"`
			Port   int    `json:"port"`
			ID     string `json:"id"`
			Reason string `json:"reason"`
		}
		json.Unmarshal(ev.Properties, &props)
		switch ev.Type {
		case portal.EventInstance:
			if props.Port != in.Port || props.ID != in.ID {
				t.Errorf("%s event names port %d, instance %q; want %d, %q", ev.Type, props.Port, props.ID, in.Port, in.ID)
			}
			switch props.State {
			case portal.StateCrashed:
				crashed = ev.At
			case portal.StateRunning:
				running = ev.At
			}
		case portal.EventResync:
			resynced = ev.At
		default:
			continue // OpenCode's own events and heartbeats
		}
		got = append(got, seen{ev.Type, props.State, props.Reason})
	}
	if !c.resynced {
		t.Fatalf("no resync within 2 minutes; events so far: %+v", got)
	}
	want := []seen{
		{Type: portal.EventInstance, State: portal.StateCrashed},
		{Type: portal.EventInstance, State: portal.StateStarting},
		{Type: portal.EventInstance, State: portal.StateRunning},
		{Type: portal.EventResync, Reason: "reconnect"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("portal events after kill -9 (-want +got):\n%s", diff)
	}
	t.Logf("kill -9 to the crashed event: %v; running again to the resync: %v; kill to resync: %v",
		crashed.Sub(c.killed), resynced.Sub(running), resynced.Sub(c.killed))
}
