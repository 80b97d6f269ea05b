package dockerrun

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"syscall"

	"github.com/opencode-portal/portal/internal/docker"
	"github.com/opencode-portal/portal/internal/procfs"
)

// proxyCache remembers the docker-proxy process found at each published
// address, so that a check (two at each connection to an instance) does
// not walk every process of the machine. A remembered process is checked
// again at each use: a pid reused, or a proxy of another container, is
// looked for anew.
type proxyCache struct {
	mu   sync.Mutex
	pids map[netip.AddrPort]int // by the published address
}

// holds reports whether the socket at addr is the one the Engine publishes
// for the container st's port: addr is one of its published addresses, and
// the listener there is held by the docker-proxy process that forwards to
// the container's address and that port. The proxy runs as root: a portal
// of another user can not read its sockets, and then takes a listener of
// root's, where the proxy is, as the proxy's (no other user can make one).
func (c *proxyCache) holds(st docker.ContainerState, port int, addr netip.AddrPort) error {
	if !slices.Contains(st.Published[port], addr) {
		return fmt.Errorf("the Docker Engine does not publish port %d of container %s at %s: %w", port, docker.ShortID(st.ID), addr, procfs.ErrNotHeld)
	}
	pid := c.find(st, port, addr)
	if pid == 0 {
		return fmt.Errorf("no docker-proxy forwards %s to container %s (the Engine's userland proxy may be off): %w", addr, docker.ShortID(st.ID), errors.ErrUnsupported)
	}
	err := procfs.ListenerHeldBy(pid, addr)
	var nh *procfs.NotHeldError
	if errors.As(err, &nh) && nh.UID == 0 && os.Getuid() != 0 && owner(pid) == 0 {
		return nil
	}
	return err
}

// find returns the pid of the docker-proxy process that forwards addr to
// the container's port, or 0.
func (c *proxyCache) find(st docker.ContainerState, port int, addr netip.AddrPort) int {
	want := proxyArgs(st.IP, port, addr)
	c.mu.Lock()
	defer c.mu.Unlock()
	if pid := c.pids[addr]; pid != 0 && isProxy(procfs.Args(pid), want) {
		return pid
	}
	delete(c.pids, addr)
	for _, pid := range procfs.Pids() {
		if isProxy(procfs.Args(pid), want) {
			if c.pids == nil {
				c.pids = make(map[netip.AddrPort]int)
			}
			c.pids[addr] = pid
			return pid
		}
	}
	return 0
}

// proxyArgs are the flags and values of the command line of the
// docker-proxy that forwards addr to ip:port.
func proxyArgs(ip netip.Addr, port int, addr netip.AddrPort) map[string]string {
	return map[string]string{
		"-proto":          "tcp",
		"-host-ip":        addr.Addr().String(),
		"-host-port":      strconv.Itoa(int(addr.Port())),
		"-container-ip":   ip.String(),
		"-container-port": strconv.Itoa(port),
	}
}

// isProxy reports whether args is the command line of a docker-proxy with
// the flags and values in want.
func isProxy(args []string, want map[string]string) bool {
	if len(args) == 0 || filepath.Base(args[0]) != "docker-proxy" {
		return false
	}
	got := make(map[string]string)
	for i := 1; i+1 < len(args); i += 2 {
		got[args[i]] = args[i+1]
	}
	for k, v := range want {
		if got[k] != v {
			return false
		}
	}
	return true
}

// owner returns the user that owns pid, or -1.
func owner(pid int) int {
	fi, err := os.Stat("/proc/" + strconv.Itoa(pid))
	if err != nil {
		return -1
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return int(st.Uid)
	}
	return -1
}
