package procfs

import (
	"bytes"
	"os"
	"strconv"
	"time"
)

// Pids returns the pids of the processes /proc lists; none where there is
// no /proc.
func Pids() []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []int
	for _, e := range entries {
		if n, err := strconv.Atoi(e.Name()); err == nil {
			out = append(out, n)
		}
	}
	return out
}

// execWait is how long Args waits for the command line of a process caught
// in execve.
const execWait = time.Second

// Args returns the command line of pid, from /proc/PID/cmdline; nil when
// it can not be read or is empty.
//
// A process caught in execve, between the switch to its new memory and the
// setup of its arguments there, has an empty command line. One just started
// can be seen so for milliseconds on a loaded machine: the close-on-exec
// that ends the wait of os/exec's Start comes before the arguments are set
// up. Args waits that out, up to execWait, while the process lives and is
// not a kernel thread (which never has a command line).
func Args(pid int) []string {
	path := "/proc/" + strconv.Itoa(pid) + "/cmdline"
	deadline := time.Now().Add(execWait)
	for delay := time.Millisecond; ; delay = min(2*delay, 20*time.Millisecond) {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil
		}
		if len(b) > 0 {
			var args []string
			for a := range bytes.SplitSeq(bytes.TrimSuffix(b, []byte{0}), []byte{0}) {
				args = append(args, string(a))
			}
			return args
		}
		if !mayBeInExec(pid) || time.Now().After(deadline) {
			return nil
		}
		time.Sleep(delay)
	}
}

// mayBeInExec reports whether pid, whose command line is empty, may be in
// execve: it is alive and not a kernel thread (its flags in /proc do not
// hold PF_KTHREAD).
func mayBeInExec(pid int) bool {
	const pfKthread = 0x00200000
	f, ok := statFields(pid)
	if !ok || len(f) < 7 || !Alive(pid) {
		return false
	}
	flags, err := strconv.ParseUint(f[6], 10, 64)
	return err == nil && flags&pfKthread == 0
}
