package procfs

import (
	"os"
	"os/exec"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestArgsOfAJustStartedProcess reads the command line of processes (this
// test binary, waiting on its stdin, killed once read) the moment their
// start returned: some are still in execve, without their arguments yet,
// and Args must wait for them. Without the wait, one of the first ten or
// so reads finds none.
func TestArgsOfAJustStartedProcess(t *testing.T) {
	want := []string{os.Args[0], "-test.run=^$"}
	for i := range 200 {
		cmd := exec.Command(want[0], want[1:]...)
		cmd.Env = append(os.Environ(), helperEnv+"=listen")
		in, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		got := Args(cmd.Process.Pid)
		cmd.Process.Kill()
		in.Close()
		cmd.Wait()
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("start %d: Args (-want +got):\n%s", i, diff)
		}
	}
}

// TestMayBeInExec tells the processes whose empty command line Args waits
// on (a live process: in execve) from those it does not (a zombie, a pid
// not in use, a kernel thread: kthreadd, pid 2, where this namespace shows
// it).
func TestMayBeInExec(t *testing.T) {
	zombiePid, _ := startZombie(t)
	got := map[string]bool{"self": mayBeInExec(os.Getpid()), "zombie": mayBeInExec(zombiePid), "unused": mayBeInExec(1 << 30)}
	want := map[string]bool{"self": true, "zombie": false, "unused": false}
	if comm, err := os.ReadFile("/proc/2/comm"); err == nil && string(comm) == "kthreadd\n" {
		got["kernel thread"], want["kernel thread"] = mayBeInExec(2), false
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mayBeInExec (-want +got):\n%s", diff)
	}
}
