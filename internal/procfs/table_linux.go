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

// otherEnd returns the socket at the other end of this process's
// connection from local to remote, if the table has it.
func otherEnd(socks []Socket, local, remote netip.AddrPort) (Socket, bool) {
	for _, s := range socks {
		if s.State != TCPListen && sameAddrPort(s.Local, remote) && sameAddrPort(s.Remote, local) {
			return s, true
		}
	}
	return Socket{}, false
}

// sameAddrPort compares addresses with IPv4-mapped IPv6 ones made IPv4: a
// connection to an IPv6 wildcard listener shows its IPv4 ends mapped.
func sameAddrPort(a, b netip.AddrPort) bool {
	return a.Port() == b.Port() && a.Addr().Unmap() == b.Addr().Unmap()
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

// peerUID returns the owner of the socket at the other end of a connection
// this process accepted, from local (its own end) to remote.
func peerUID(socks []Socket, local, remote netip.AddrPort) (uint32, error) {
	if s, ok := otherEnd(socks, local, remote); ok && s.Inode != 0 {
		return s.UID, nil
	}
	return 0, fmt.Errorf("procfs: %s: %w", remote, ErrNotLocal)
}
