package procfs

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"strconv"
	"strings"
)

// ListenerHeldBy returns nil when the sockets listening where a connection
// to addr may go (bound to its address or the wildcard one, IPv4 or IPv6)
// are all held by pid or its descendants. Otherwise the error wraps
// ErrNoListener or ErrNotHeld (a *NotHeldError naming the socket's user).
func ListenerHeldBy(pid int, addr netip.AddrPort) error {
	socks, err := listeningSockets()
	if err != nil {
		return err
	}
	return checkListeners(pid, socks, addr, func(want map[uint64]bool) map[uint64]bool { return heldBy(pid, want) })
}

// listeningSockets returns the listening TCP sockets: the kernel's list of
// its listeners (sock_diag), else those of /proc/net/tcp and tcp6.
func listeningSockets() ([]Socket, error) {
	if socks, err := diagListening(); err == nil {
		return socks, nil
	}
	return procListening()
}

// procListening returns the listening TCP sockets of /proc/net/tcp and
// /proc/net/tcp6. The kernel lists them before the connections and makes
// the text as it is read, so reading stops at the first connection; a
// table with too few listeners to fill the first read still costs the walk
// of the whole table of connections, though.
func procListening() ([]Socket, error) {
	var out []Socket
	err := readTCPTables(func(name string, f *os.File) error {
		socks, err := readListening(bufio.NewReaderSize(f, 4096))
		if err != nil {
			return fmt.Errorf("procfs: %s: %w", name, err)
		}
		out = append(out, socks...)
		return nil
	})
	return out, err
}

// readTCPTables calls read with /proc/net/tcp, then /proc/net/tcp6 unless
// IPv6 is off (the file is then absent), each open.
func readTCPTables(read func(name string, f *os.File) error) error {
	for _, name := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		f, err := os.Open(name)
		if errors.Is(err, fs.ErrNotExist) && name == "/proc/net/tcp6" {
			continue
		}
		if err != nil {
			return err
		}
		err = read(name, f)
		f.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// readListening reads a /proc/net/tcp table up to its first socket that
// is not listening.
func readListening(rd *bufio.Reader) ([]Socket, error) {
	header, err := rd.ReadBytes('\n')
	if err != nil || !bytes.Contains(header, []byte("local_address")) {
		return nil, fmt.Errorf("not a /proc/net/tcp table: no header line")
	}
	var out []Socket
	for n := 2; ; n++ {
		line, err := rd.ReadBytes('\n')
		if f := bytes.Fields(line); len(f) > 0 {
			s, perr := parseSocket(f)
			if perr != nil {
				return nil, fmt.Errorf("line %d: %w", n, perr)
			}
			if s.State != TCPListen {
				return out, nil
			}
			out = append(out, s)
		}
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// heldBy returns which of the socket inodes in want are open in pid or one
// of its descendants (an npm `opencode` may be a wrapper whose child
// listens). It looks at the process first and walks down only for what is
// left. Processes of other users can not be read: they hold nothing here.
func heldBy(pid int, want map[uint64]bool) map[uint64]bool {
	got := make(map[uint64]bool, len(want))
	seen := make(map[int]bool)
	queue := []int{pid}
	for len(queue) > 0 && len(got) < len(want) {
		p := queue[0]
		queue = queue[1:]
		if seen[p] || p <= 0 {
			continue
		}
		seen[p] = true
		dir := "/proc/" + strconv.Itoa(p) + "/fd/"
		fds, _ := os.ReadDir(dir)
		for _, fd := range fds {
			link, err := os.Readlink(dir + fd.Name())
			if err != nil {
				continue
			}
			n, ok := strings.CutPrefix(link, "socket:[")
			if !ok {
				continue
			}
			inode, err := strconv.ParseUint(strings.TrimSuffix(n, "]"), 10, 64)
			if err == nil && want[inode] {
				got[inode] = true
			}
		}
		if len(got) < len(want) {
			queue = append(queue, children(p)...)
		}
	}
	return got
}

// children returns the pids of pid's child processes, from each thread's
// /proc/PID/task/TID/children, or from every process's parent where the
// kernel has no such files.
func children(pid int) []int {
	base := "/proc/" + strconv.Itoa(pid) + "/task/"
	tasks, err := os.ReadDir(base)
	if err != nil {
		return nil
	}
	var out []int
	for _, t := range tasks {
		b, err := os.ReadFile(base + t.Name() + "/children")
		if errors.Is(err, fs.ErrNotExist) && Alive(pid) {
			return childrenByParent(pid)
		}
		for _, f := range strings.Fields(string(b)) {
			if n, err := strconv.Atoi(f); err == nil {
				out = append(out, n)
			}
		}
	}
	return out
}

// childrenByParent returns the processes whose parent is pid.
func childrenByParent(pid int) []int {
	var out []int
	for _, n := range Pids() {
		if f, ok := statFields(n); ok && f[1] == strconv.Itoa(pid) {
			out = append(out, n)
		}
	}
	return out
}
