package lifecycle

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/opencode-portal/portal/internal/fakeopencode"
	"github.com/opencode-portal/portal/internal/procfs"
	"github.com/opencode-portal/portal/internal/registry"
	"github.com/opencode-portal/portal/internal/supervisor"
	"github.com/opencode-portal/portal/internal/testwait"
)

// passwordOf returns the OPENCODE_SERVER_PASSWORD pid runs with.
func passwordOf(t *testing.T, pid int) string {
	t.Helper()
	env, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
	if err != nil {
		t.Skipf("no /proc to read the environment from: %v", err)
	}
	pw := ""
	for kv := range bytes.SplitSeq(env, []byte{0}) {
		if v, ok := bytes.CutPrefix(kv, []byte("OPENCODE_SERVER_PASSWORD=")); ok {
			pw = string(v)
		}
	}
	return pw
}

// TestProcessCrashIsRestarted runs the restart loop over real processes
// (the fake OpenCode of package fakeopencode): a crashed one is replaced by
// a new process on the same port with a new password, and Stop ends it and
// removes its output.
func TestProcessCrashIsRestarted(t *testing.T) {
	t.Parallel()
	exe, err := fakeopencode.Bin()
	if err != nil {
		t.Fatal(err)
	}
	runner := ProcessRunner{
		Bin:         exe,
		Env:         []string{fakeopencode.EnvVar + "=1", "FAKE_CRASH_MS=200", "FAKE_CRASH_ONCE=" + filepath.Join(t.TempDir(), "crashed")},
		StopTimeout: 5 * time.Second,
	}
	port, err := supervisor.FreePort("127.0.0.1", 24300, nil)
	if err != nil {
		t.Fatal(err)
	}
	e := registry.Entry{
		ID: "proc0001", Directory: t.TempDir(), Hostname: "127.0.0.1", OpencodePort: port,
		Password: "secret", LogFile: filepath.Join(t.TempDir(), "out.log"),
	}
	run, err := supervise(context.Background(), runner, e, supervision{
		Policy:      fastPolicy,
		NewPassword: func(context.Context) (string, error) { return "password-1", nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { run.Stop(context.Background()) })
	first := run.Status().PID
	passwords := []string{passwordOf(t, first)}
	testwait.Until(t, "a restart", func() bool { return run.Status().Restarts == 1 && run.Status().State == StateRunning })
	st := run.Status()
	passwords = append(passwords, passwordOf(t, st.PID))
	if st.PID == first || st.Port != port || st.LastExit != "exit status 3" {
		t.Errorf("status after the restart = %+v, first pid %d, port %d", st, first, port)
	}
	if diff := cmp.Diff([]string{"secret", "password-1"}, passwords); diff != "" {
		t.Errorf("passwords of the runs (-want +got):\n%s", diff)
	}
	if procfs.Alive(first) {
		t.Errorf("crashed pid %d not reaped", first)
	}
	if !slices.Contains(run.Logs(0), "fake: crashing") {
		t.Errorf("logs lack the crash: %q", run.Logs(0))
	}
	if err := run.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if procfs.Alive(st.PID) || !supervisor.PortFree("127.0.0.1", port) {
		t.Errorf("after Stop: pid %d alive %v, port %d free %v", st.PID, procfs.Alive(st.PID), port, supervisor.PortFree("127.0.0.1", port))
	}
	if _, err := os.Stat(e.LogFile); !os.IsNotExist(err) {
		t.Errorf("log file left after Stop: %v", err)
	}
}

// TestTerminateWaitsForThePortToComeFree ends an OpenCode this portal does
// not supervise (the fake, in a group of its own) that, on SIGTERM, leaves
// a child in a session of its own holding the listening socket for a
// moment: Terminate returns once the port can be bound again.
func TestTerminateWaitsForThePortToComeFree(t *testing.T) {
	t.Parallel()
	exe, err := fakeopencode.Bin()
	if err != nil {
		t.Fatal(err)
	}
	port, err := supervisor.FreePort("127.0.0.1", 24400, nil)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "serve", "--port", strconv.Itoa(port), "--hostname", "127.0.0.1")
	cmd.Env = append(os.Environ(), fakeopencode.EnvVar+"=1", "FAKE_TERM_CHILD_MS=700")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	testwait.Until(t, "the fake to listen", func() bool { return !supervisor.PortFree("127.0.0.1", port) })
	pid := cmd.Process.Pid
	e := registry.Entry{ID: "term0001", Hostname: "127.0.0.1", OpencodePort: port, OpencodePID: &pid}
	if err := (ProcessRunner{}).Terminate(context.Background(), e, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if !supervisor.PortFree("127.0.0.1", port) {
		t.Errorf("port %d still bound after Terminate", port)
	}
}
