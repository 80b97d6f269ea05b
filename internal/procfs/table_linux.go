package procfs

import (
	"fmt"
	"net/netip"
)

// listenersFor returns the listening sockets a connection to addr may reach:
// those bound to its address or to the wildcard address, in IPv4 or IPv6
// (an IPv6 wildcard socket takes IPv4 connections unless it is IPv6-only,
// which the table does not say, so it counts).
func listenersFor(socks []Socket, addr netip.AddrPort) []Socket {
	want := addr.Addr().Unmap()
	var out []Socket
	for _, s := range socks {
		if s.State != TCPListen || s.Local.Port() != addr.Port() {
			continue
		}
		a := s.Local.Addr().Unmap()
		if a == want || a.IsUnspecified() {
			out = append(out, s)
		}
	}
	return out
}

// checkListeners returns nil when every socket listening where a connection
// to addr may go is among those held reports held; held gets the inodes to
// look for.
func checkListeners(pid int, socks []Socket, addr netip.AddrPort, held func(want map[uint64]bool) map[uint64]bool) error {
	ls := listenersFor(socks, addr)
	if len(ls) == 0 {
		return fmt.Errorf("procfs: %s: %w", addr, ErrNoListener)
	}
	want := make(map[uint64]bool, len(ls))
	for _, l := range ls {
		want[l.Inode] = true
	}
	got := held(want)
	for _, l := range ls {
		if !got[l.Inode] {
			return &NotHeldError{Addr: l.Local, PID: pid, UID: l.UID}
		}
	}
	return nil
}
