package lifecycle

import (
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/opencode-portal/portal/internal/fakeopencode"
	"github.com/opencode-portal/portal/internal/registry"
)

// TestEntryState derives states from registry entries, as a portal that
// does not supervise the instance does: the record of a live owner, the
// process's liveness (as ProcessRunner tells it) and health, a recorded
// end.
func TestEntryState(t *testing.T) {
	const port = 4321
	serving := serveProcess(t, port)
	dead := 2147483646
	liveOwner := strconv.Itoa(os.Getpid()) + "-abcd"
	deadOwner := strconv.Itoa(dead) + "-abcd"
	type want struct {
		State  string
		Known  bool
		Probed bool
	}
	for _, tc := range []struct {
		name    string
		state   string
		owner   string
		pid     int
		webPID  int
		healthy bool
		want    want
	}{
		{"owner says running", StateRunning, liveOwner, serving, 0, false, want{StateRunning, true, false}},
		{"owner says starting of a healthy process", StateStarting, liveOwner, serving, 0, true, want{StateStarting, true, false}},
		{"owner awaits a restart", StateStarting, liveOwner, dead, 0, false, want{StateStarting, true, false}},
		{"owner says running of a gone process", StateRunning, liveOwner, dead, 0, true, want{StateStopped, false, false}},
		{"owner says crashed", StateCrashed, liveOwner, dead, 0, false, want{StateCrashed, true, false}},
		{"crashed under a dead owner", StateCrashed, deadOwner, dead, 0, false, want{StateCrashed, true, false}},
		{"stopped, released", StateStopped, "", dead, 0, false, want{StateStopped, true, false}},
		{"dead owner's healthy process", StateStarting, deadOwner, serving, 0, true, want{StateRunning, true, true}},
		{"dead owner's process not answering", StateRunning, deadOwner, serving, 0, false, want{StateStarting, true, true}},
		{"original CLI's healthy process", "", "", serving, 0, true, want{StateRunning, true, true}},
		{"original CLI's web UI", "", "", dead, os.Getpid(), false, want{StateRunning, true, false}},
		{"original CLI's gone process", "", "", dead, 0, true, want{StateStopped, false, false}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := registry.Entry{ID: "abcdefgh", OpencodePort: port, OpencodePID: &tc.pid, State: tc.state, Owner: tc.owner}
			if tc.webPID != 0 {
				e.WebPID = &tc.webPID
			}
			var got want
			got.State, got.Known = EntryState(e, ProcessRunner{}.Alive(e), func() bool { got.Probed = true; return tc.healthy })
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("entryState (-want +got):\n%s", diff)
			}
		})
	}
}

// serveProcess runs a process whose command line is `... serve --port
// port` (the fake OpenCode, sleeping) until the test ends, and returns its
// pid.
func serveProcess(t testing.TB, port int) int {
	t.Helper()
	exe, err := fakeopencode.Bin()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "serve", "--port", strconv.Itoa(port))
	cmd.Env = append(os.Environ(), fakeopencode.EnvVar+"=sleep")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
	})
	return cmd.Process.Pid
}
