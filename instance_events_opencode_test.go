package portal_test

import (
	"context"
	"encoding/json"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/opencode-portal/portal"
	"github.com/opencode-portal/portal/portaltest"
)

// TestInstanceEventsAcrossACrash kills a real OpenCode with -9 under the
// on-failure policy while a subscriber listens: it must be told the crash,
// the restart and the new run in portal.instance events, then get a
// portal.resync once the stream from the new run is open. The delays from
// the kill to the crash event and from the new run to the resync are logged
// (go test -v).
func TestInstanceEventsAcrossACrash(t *testing.T) {
	t.Parallel()
	cfg := openCodeConfig(t, t.TempDir())
	cfg.Restart, cfg.RestartBackoff = portal.RestartOnFailure, 100*time.Millisecond
	p := portal.NewTestPortal(t, cfg)
	in, err := p.StartInstance(context.Background(), portal.StartOptions{Directory: portaltest.NewGitRepo(t)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events, err := p.Subscribe(ctx, in.Port, portal.EventFilter{})
	if err != nil {
		t.Fatal(err)
	}

	type seen struct{ Type, State, Reason string }
	var got []seen
	var killed, crashed, running, resynced time.Time
	killed = time.Now()
	if err := syscall.Kill(pidOf(t, in), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	timeout := time.After(2 * time.Minute) // a restart on a loaded 2-core machine
	for resynced.IsZero() {
		var ev portal.Event
		select {
		case ev = <-events:
		case <-timeout:
			t.Fatalf("no resync within 2 minutes; events so far: %+v", got)
		}
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
				crashed = time.Now()
			case portal.StateRunning:
				running = time.Now()
			}
		case portal.EventResync:
			resynced = time.Now()
		default:
			continue // OpenCode's own events and heartbeats
		}
		got = append(got, seen{ev.Type, props.State, props.Reason})
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
		crashed.Sub(killed), resynced.Sub(running), resynced.Sub(killed))
}
