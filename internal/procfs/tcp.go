package procfs

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/netip"
	"strconv"
)

// TCP states as /proc/net/tcp numbers them.
const (
	TCPEstablished uint8 = 0x01
	TCPListen      uint8 = 0x0A
)

// Socket is one TCP socket of /proc/net/tcp or /proc/net/tcp6.
type Socket struct {
	Local, Remote netip.AddrPort
	State         uint8
	// UID owns the socket: the user of the process that made it (for an
	// accepted connection, of the process that listens).
	UID uint32
	// Inode names the socket among a process's open files
	// (/proc/PID/fd/N links to "socket:[Inode]"). It is 0 for a connection
	// that waits in a listener's queue, accepted by no process yet.
	Inode uint64
}

// parseSocket parses the fields of one socket line.
func parseSocket(f [][]byte) (Socket, error) {
	if len(f) < 10 {
		return Socket{}, fmt.Errorf("%d fields, want at least 10", len(f))
	}
	var s Socket
	var err error
	if s.Local, err = parseAddrPort(f[1]); err != nil {
		return Socket{}, fmt.Errorf("local address: %w", err)
	}
	if s.Remote, err = parseAddrPort(f[2]); err != nil {
		return Socket{}, fmt.Errorf("remote address: %w", err)
	}
	if s.Local.Addr().Is4() != s.Remote.Addr().Is4() {
		return Socket{}, fmt.Errorf("local and remote addresses of different families")
	}
	st, err := strconv.ParseUint(string(f[3]), 16, 8)
	if err != nil || len(f[3]) != 2 {
		return Socket{}, fmt.Errorf("state %q is not 2 hexadecimal digits", f[3])
	}
	s.State = uint8(st)
	uid, err := strconv.ParseUint(string(f[7]), 10, 32)
	if err != nil {
		return Socket{}, fmt.Errorf("uid %q: %w", f[7], err)
	}
	s.UID = uint32(uid)
	if s.Inode, err = strconv.ParseUint(string(f[9]), 10, 64); err != nil {
		return Socket{}, fmt.Errorf("inode %q: %w", f[9], err)
	}
	return s, nil
}

// parseAddrPort parses "0100007F:1F90": 8 (IPv4) or 32 (IPv6) hexadecimal
// digits of 32-bit words in host byte order, then 4 digits of port.
func parseAddrPort(b []byte) (netip.AddrPort, error) {
	addr, port, ok := bytes.Cut(b, []byte(":"))
	if !ok || len(port) != 4 {
		return netip.AddrPort{}, fmt.Errorf("%q is not ADDRESS:PORT", b)
	}
	p, err := strconv.ParseUint(string(port), 16, 16)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("port %q is not hexadecimal", port)
	}
	if len(addr) != 8 && len(addr) != 32 {
		return netip.AddrPort{}, fmt.Errorf("address %q has %d digits, want 8 or 32", addr, len(addr))
	}
	raw := make([]byte, len(addr)/2)
	if _, err := hex.Decode(raw, addr); err != nil {
		return netip.AddrPort{}, fmt.Errorf("address %q is not hexadecimal", addr)
	}
	// Each word was printed as a number: put its bytes back in host order.
	for i := 0; i < len(raw); i += 4 {
		binary.NativeEndian.PutUint32(raw[i:], binary.BigEndian.Uint32(raw[i:]))
	}
	ip, _ := netip.AddrFromSlice(raw)
	return netip.AddrPortFrom(ip, uint16(p)), nil
}
