package procfs

import (
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// diagMessage is a netlink message of type typ holding body, as the kernel
// sends it: the header, the body, padding to 4 bytes.
func diagMessage(typ uint16, body []byte) []byte {
	b := make([]byte, nlmsgHeaderLen+len(body), nlmsgHeaderLen+(len(body)+3)&^3)
	binary.NativeEndian.PutUint32(b[0:], uint32(len(b)))
	binary.NativeEndian.PutUint16(b[4:], typ)
	copy(b[nlmsgHeaderLen:], body)
	return b[:cap(b)]
}

// diagSocket is the struct inet_diag_msg the kernel sends for s.
func diagSocket(s Socket) []byte {
	m := make([]byte, diagMsgLen)
	m[0], m[1] = syscall.AF_INET, s.State
	if !s.Local.Addr().Is4() {
		m[0] = syscall.AF_INET6
	}
	binary.BigEndian.PutUint16(m[4:], s.Local.Port())
	binary.BigEndian.PutUint16(m[6:], s.Remote.Port())
	putDiagAddr(m[8:24], s.Local.Addr())
	putDiagAddr(m[24:40], s.Remote.Addr())
	binary.NativeEndian.PutUint32(m[64:], s.UID)
	binary.NativeEndian.PutUint32(m[68:], uint32(s.Inode))
	return m
}

func diagErrno(errno syscall.Errno) []byte {
	b := make([]byte, 4+nlmsgHeaderLen)
	binary.NativeEndian.PutUint32(b, uint32(-int32(errno)))
	return diagMessage(syscall.NLMSG_ERROR, b)
}

func TestParseDiag(t *testing.T) {
	v4 := Socket{Local: netip.MustParseAddrPort("127.0.0.1:3100"), Remote: netip.MustParseAddrPort("127.0.0.1:51234"), State: TCPEstablished, UID: 1000, Inode: 4242}
	v6 := Socket{Local: netip.MustParseAddrPort("[::]:3101"), Remote: netip.MustParseAddrPort("[::]:0"), State: TCPListen, UID: 0, Inode: 1<<32 - 1}
	mapped := Socket{Local: netip.MustParseAddrPort("[::ffff:127.0.0.1]:3102"), Remote: netip.MustParseAddrPort("[::ffff:127.0.0.1]:40000"), State: TCPEstablished, UID: 7, Inode: 9}
	done := diagMessage(syscall.NLMSG_DONE, make([]byte, 4))
	badFamily := diagSocket(v4)
	badFamily[0] = 99
	for _, tc := range []struct {
		name  string
		in    []byte
		socks []Socket
		done  bool
		err   string // part of the error; "" for none
	}{
		{"nothing", nil, nil, false, ""},
		{"sockets, then the end", slices.Concat(diagMessage(sockDiagByFamily, diagSocket(v4)), diagMessage(sockDiagByFamily, diagSocket(v6)), diagMessage(sockDiagByFamily, diagSocket(mapped)), done), []Socket{v4, v6, mapped}, true, ""},
		{"sockets, more to come", diagMessage(sockDiagByFamily, diagSocket(v4)), []Socket{v4}, false, ""},
		{"a message of another type is passed over", slices.Concat(diagMessage(syscall.NLMSG_NOOP, []byte{1, 2, 3}), diagMessage(sockDiagByFamily, diagSocket(v6))), []Socket{v6}, false, ""},
		{"no such socket", diagErrno(syscall.ENOENT), nil, false, errDiagNotFound.Error()},
		{"another error", diagErrno(syscall.EPERM), nil, false, "sock_diag: operation not permitted"},
		{"an error without its errno", diagMessage(syscall.NLMSG_ERROR, []byte{1}), nil, false, "without its error"},
		{"a header cut short", make([]byte, 10), nil, false, "shorter than its header"},
		{"a size past the end", diagMessage(sockDiagByFamily, diagSocket(v4))[:40], nil, false, "says it has 88 bytes, of 40 left"},
		{"a size shorter than the header", func() []byte { b := diagMessage(sockDiagByFamily, nil); binary.NativeEndian.PutUint32(b, 8); return b }(), nil, false, "says it has 8 bytes"},
		{"a socket cut short", diagMessage(sockDiagByFamily, diagSocket(v4)[:60]), nil, false, "a socket of 60 bytes, want 72"},
		{"an unknown address family", diagMessage(sockDiagByFamily, badFamily), nil, false, "address family 99"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			socks, done, err := parseDiag(tc.in)
			if got := errText(err); tc.err == "" && got != "" || !strings.Contains(got, tc.err) {
				t.Fatalf("error %q, want one with %q", got, tc.err)
			}
			if diff := cmp.Diff(tc.socks, socks, cmp.Comparer(func(a, b netip.AddrPort) bool { return a == b })); diff != "" {
				t.Errorf("sockets (-want +got):\n%s", diff)
			}
			if done != tc.done {
				t.Errorf("done = %v, want %v", done, tc.done)
			}
		})
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func FuzzParseDiag(f *testing.F) {
	s := Socket{Local: netip.MustParseAddrPort("127.0.0.1:3100"), Remote: netip.MustParseAddrPort("127.0.0.1:51234"), State: TCPEstablished, UID: 1000, Inode: 4242}
	f.Add(slices.Concat(diagMessage(sockDiagByFamily, diagSocket(s)), diagMessage(syscall.NLMSG_DONE, make([]byte, 4))))
	f.Add(diagErrno(syscall.ENOENT))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		socks, _, err := parseDiag(b)
		if err != nil && socks != nil {
			t.Errorf("sockets %v with the error %v", socks, err)
		}
		for _, s := range socks {
			// What was parsed is sent back as the kernel would: it reads the same.
			again, _, err := parseDiag(diagMessage(sockDiagByFamily, diagSocket(s)))
			if err != nil || len(again) != 1 || again[0] != s {
				t.Errorf("%+v read back as %+v, %v", s, again, err)
			}
		}
	})
}

// connection connects to l at addr and returns both ends, closed when the
// test ends.
func connection(tb testing.TB, l net.Listener, addr string) (client, server net.Conn) {
	tb.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	s, err := l.Accept()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return c, s
}

// ends returns a connection's local and remote ends.
func ends(c net.Conn) [2]netip.AddrPort {
	return [2]netip.AddrPort{c.LocalAddr().(*net.TCPAddr).AddrPort(), c.RemoteAddr().(*net.TCPAddr).AddrPort()}
}

// TestDiagMatchesTheTable checks the kernel's answers to the sock_diag
// questions against /proc/net/tcp and tcp6 for this process's own
// sockets: listeners on IPv4, IPv6 and both, and both ends of connections
// to each.
func TestDiagMatchesTheTable(t *testing.T) {
	var ports []uint16
	var conns [][2]netip.AddrPort // the two ends of each connection
	for _, addr := range []string{"127.0.0.1:0", "[::1]:0", "[::]:0"} {
		// [::] with "tcp" takes IPv4 connections too.
		network := map[string]string{"127.0.0.1:0": "tcp4", "[::1]:0": "tcp6", "[::]:0": "tcp"}[addr]
		l, err := net.Listen(network, addr)
		if err != nil {
			t.Logf("listening on %s: %v (no IPv6 here?)", addr, err)
			continue
		}
		defer l.Close()
		port := l.Addr().(*net.TCPAddr).AddrPort().Port()
		ports = append(ports, port)
		dial := "127.0.0.1"
		if addr == "[::1]:0" {
			dial = "[::1]"
		}
		c, s := connection(t, l, dial+":"+strconv.Itoa(int(port)))
		conns = append(conns, ends(c), ends(s))
	}
	ours := func(socks []Socket) []Socket {
		var out []Socket
		for _, s := range socks {
			if s.State == TCPListen && slices.Contains(ports, s.Local.Port()) {
				out = append(out, s)
			}
		}
		slices.SortFunc(out, func(a, b Socket) int { return int(a.Inode) - int(b.Inode) })
		return out
	}
	fromDiag, err := diagListening()
	if err != nil {
		t.Fatalf("sock_diag: %v", err)
	}
	table, err := Sockets()
	if err != nil {
		t.Fatal(err)
	}
	addrs := cmp.Comparer(func(a, b netip.AddrPort) bool { return a == b })
	if diff := cmp.Diff(ours(table), ours(fromDiag), addrs); diff != "" || len(ours(table)) != len(ports) {
		t.Errorf("listeners on %v (-/proc/net +sock_diag):\n%s", ports, diff)
	}
	for _, c := range conns {
		got, err := diagConnection(c[0], c[1])
		if err != nil {
			t.Errorf("sock_diag of %s → %s: %v", c[0], c[1], err)
			continue
		}
		want, ok := otherEnd(table, c[1], c[0])
		if !ok {
			t.Errorf("/proc/net has no socket %s → %s", c[0], c[1])
			continue
		}
		if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b netip.AddrPort) bool { return sameAddrPort(a, b) })); diff != "" {
			t.Errorf("socket %s → %s (-/proc/net +sock_diag):\n%s", c[0], c[1], diff)
		}
	}
	// The ends of no connection: the kernel says so, and PeerUID says the
	// other end is not on this machine.
	nowhere := netip.MustParseAddrPort("127.0.0.1:1")
	if _, err := diagConnection(nowhere, conns[0][1]); !errors.Is(err, errDiagNotFound) {
		t.Errorf("sock_diag of a connection that is not: %v, want errDiagNotFound", err)
	}
	if _, err := PeerUID(conns[0][1], nowhere); !errors.Is(err, ErrNotLocal) {
		t.Errorf("PeerUID of a connection that is not: %v, want ErrNotLocal", err)
	}
}

// BenchmarkPeerUID measures PeerUID, which asks the kernel for the one
// socket (sock_diag), against reading the whole of /proc/net/tcp and tcp6
// for it, in the same run; it reports the ratio as x-vs-table.
func BenchmarkPeerUID(b *testing.B) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	_, s := connection(b, l, l.Addr().String())
	local, remote := ends(s)[0], ends(s)[1]
	var asked, read time.Duration
	for b.Loop() {
		start := time.Now()
		if _, err := PeerUID(local, remote); err != nil {
			b.Fatal(err)
		}
		asked += time.Since(start)
		start = time.Now()
		socks, err := Sockets()
		if err != nil {
			b.Fatal(err)
		}
		if _, err := peerUID(socks, local, remote); err != nil {
			b.Fatal(err)
		}
		read += time.Since(start)
	}
	b.ReportMetric(float64(asked)/float64(read), "x-vs-table")
	b.ReportMetric(float64(asked)/float64(b.N)/1e3, "µs/op")
}
