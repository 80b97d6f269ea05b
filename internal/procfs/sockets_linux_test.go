package procfs

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/opencode-portal/portal/internal/testwait"
)

// helperEnv makes the test binary a helper process: "listen" listens on
// 127.0.0.1 and prints its address; "wrap" runs a "listen" child, as an npm
// wrapper runs the real binary, and prints its address. Both live until
// their stdin closes. "leader-exits" is "listen" whose main thread exits
// once the address is printed, while another thread holds the listener.
const helperEnv = "PROCFS_TEST_HELPER"

func init() {
	if os.Getenv(helperEnv) == "leader-exits" {
		runtime.LockOSThread()
	}
}

func TestMain(m *testing.M) {
	switch os.Getenv(helperEnv) {
	case "listen":
		helperListen()
		io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	case "leader-exits":
		l := helperListen()
		go func() {
			io.Copy(io.Discard, os.Stdin)
			l.Close()
			os.Exit(0)
		}()
		// The main goroutine is locked to the main thread (init): the
		// exit system call ends that thread only, not the process.
		syscall.RawSyscall(syscall.SYS_EXIT, 0, 0, 0)
	case "wrap":
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), helperEnv+"=listen")
		cmd.Stdin, cmd.Stdout = os.Stdin, os.Stdout
		if err := cmd.Run(); err != nil {
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// helperListen listens on a loopback port and prints its address, as a
// helper does first; it exits if it can not.
func helperListen() net.Listener {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	fmt.Println(l.Addr())
	return l
}

// helper starts the test binary in a helper mode and returns its pid, the
// address it listens on, and a stop that closes its stdin and waits for it
// to exit; the test's end stops it too.
func helper(t *testing.T, mode string) (int, netip.AddrPort, func() error) {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), helperEnv+"="+mode, "GOGC=off") // no collection: "leader-exits" must not stop the world
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	var waited error
	stop := func() error {
		once.Do(func() { in.Close(); waited = cmd.Wait() })
		return waited
	}
	t.Cleanup(func() { stop() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("helper %s: %v", mode, err)
	}
	addr, err := netip.ParseAddrPort(strings.TrimSpace(line))
	if err != nil {
		t.Fatalf("helper %s printed %q", mode, line)
	}
	return cmd.Process.Pid, addr, stop
}

// listen returns a listener of this process, closed with the test.
func listen(t *testing.T) (net.Listener, netip.AddrPort) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l, l.Addr().(*net.TCPAddr).AddrPort()
}

// freeAddr returns a loopback address nothing listens on.
func freeAddr(t *testing.T) netip.AddrPort {
	l, addr := listen(t)
	l.Close()
	return addr
}

func TestListenerHeldBy(t *testing.T) {
	self := os.Getpid()
	_, own := listen(t)
	child, childAddr, _ := helper(t, "listen")
	wrapper, wrappedAddr, _ := helper(t, "wrap")
	tests := []struct {
		name string
		pid  int
		addr netip.AddrPort
		want error // nil, ErrNotHeld or ErrNoListener
	}{
		{"this process's listener", self, own, nil},
		{"a child's listener, asked of the child", child, childAddr, nil},
		{"a child's listener, asked of its parent", self, childAddr, nil},
		{"a wrapper's child's listener, asked of the wrapper", wrapper, wrappedAddr, nil},
		{"this process's listener, asked of a child", child, own, ErrNotHeld},
		{"a child's listener, asked of another child", wrapper, childAddr, ErrNotHeld},
		{"a gone pid", 1 << 30, own, ErrNotHeld},
		{"nothing listening", self, freeAddr(t), ErrNoListener},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ListenerHeldBy(tt.pid, tt.addr)
			if (tt.want == nil) != (err == nil) || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Fatalf("ListenerHeldBy(%d, %s) = %v, want %v", tt.pid, tt.addr, err, tt.want)
			}
			var nh *NotHeldError
			if errors.As(err, &nh) && nh.UID != uint32(os.Getuid()) {
				t.Errorf("the error names user %d, want %d", nh.UID, os.Getuid())
			}
		})
	}
}

// A process whose main thread has exited while another thread still holds
// its listener is alive: its port is not free yet.
func TestAliveWhileAThreadOutlivesTheMain(t *testing.T) {
	pid, addr, stop := helper(t, "leader-exits")
	testwait.Until(t, "the helper's main thread to exit", func() bool {
		state, _, _ := Stat(pid)
		return state == 'Z'
	})
	conn, err := net.Dial("tcp", addr.String())
	if err != nil {
		t.Fatalf("the listener's thread should still hold %s: %v", addr, err)
	}
	conn.Close()
	if !Alive(pid) {
		t.Errorf("Alive = false for a process whose other thread still holds %s", addr)
	}
	if err := stop(); err != nil {
		t.Fatalf("the helper ended with %v", err)
	}
	if Alive(pid) {
		t.Error("Alive = true once the process has exited")
	}
}
