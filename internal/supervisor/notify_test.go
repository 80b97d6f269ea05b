package supervisor

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestCrashIsNotifiedBeforeTheRestart(t *testing.T) {
	opts := fakeOptions(t, "FAKE_CRASH_MS=200", "FAKE_CRASH_ONCE="+filepath.Join(t.TempDir(), "crashed"))
	opts.Restart = RestartPolicy{Mode: RestartOnFailure, Backoff: 10 * time.Millisecond}
	states := make(chan State, 20)
	opts.Notify = func(s Status) { states <- s.State }
	startFake(t, opts)

	var got []State
	for runs := 0; runs < 2; {
		select {
		case s := <-states:
			got = append(got, s)
			if s == StateRunning {
				runs++
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("no second run within 20s; states so far: %v", got)
		}
	}
	want := []State{StateStarting, StateRunning, StateCrashed, StateStarting, StateStarting, StateRunning}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("notified states (-want +got):\n%s", diff)
	}
}
