package procfs

import (
	"encoding/binary"
	"io"
	"net"
	"net/netip"
	"os"
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

// putDiagAddr writes a as the kernel does: IPv4 in the first 4 bytes.
func putDiagAddr(b []byte, a netip.Addr) {
	if a.Is4() {
		v := a.As4()
		copy(b, v[:])
		return
	}
	v := a.As16()
	copy(b, v[:])
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
		{"no such socket", diagErrno(syscall.ENOENT), nil, false, "sock_diag: no such file or directory"},
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

// connect opens a connection to l at addr, accepted by l; both ends are
// closed when the test ends.
func connect(tb testing.TB, l net.Listener, addr string) {
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
}

// tcpTable returns the TCP sockets of /proc/net/tcp and tcp6, whole.
func tcpTable(tb testing.TB) []Socket {
	tb.Helper()
	var all []Socket
	err := readTCPTables(func(name string, f *os.File) error {
		data, err := io.ReadAll(f)
		if err != nil {
			return err
		}
		socks, err := parseTable(data)
		all = append(all, socks...)
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return all
}

// TestDiagMatchesTheTable checks the kernel's list of listening sockets
// (sock_diag) against /proc/net/tcp and tcp6 for this process's listeners
// on IPv4, IPv6 and both, each with a connection open to it; and the
// listeners the portal reads from /proc where the kernel does not answer
// (procListening) against the whole table.
func TestDiagMatchesTheTable(t *testing.T) {
	var ports []uint16
	for _, addr := range []string{"127.0.0.1:0", "[::1]:0", "[::]:0"} {
		// [::] with "tcp" takes IPv4 connections too.
		network := map[string]string{"127.0.0.1:0": "tcp4", "[::1]:0": "tcp6", "[::]:0": "tcp"}[addr]
		l, err := net.Listen(network, addr)
		if err != nil {
			t.Logf("listening on %s: %v (no IPv6 here?)", addr, err)
			continue
		}
		t.Cleanup(func() { l.Close() })
		port := l.Addr().(*net.TCPAddr).AddrPort().Port()
		ports = append(ports, port)
		dial := "127.0.0.1"
		if addr == "[::1]:0" {
			dial = "[::1]"
		}
		connect(t, l, dial+":"+strconv.Itoa(int(port)))
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
	want := ours(tcpTable(t))
	if len(want) != len(ports) {
		t.Fatalf("/proc/net has %d of the %d listeners on %v: %v", len(want), len(ports), ports, want)
	}
	fromDiag, err := diagListening()
	if err != nil {
		t.Fatalf("sock_diag: %v", err)
	}
	fromProc, err := procListening()
	if err != nil {
		t.Fatal(err)
	}
	addrs := cmp.Comparer(func(a, b netip.AddrPort) bool { return a == b })
	if diff := cmp.Diff(want, ours(fromDiag), addrs); diff != "" {
		t.Errorf("listeners on %v (-/proc/net +sock_diag):\n%s", ports, diff)
	}
	if diff := cmp.Diff(want, ours(fromProc), addrs); diff != "" {
		t.Errorf("listeners on %v (-the whole table +its listening part):\n%s", ports, diff)
	}
}

// BenchmarkListeningSockets measures the kernel's list of listening
// sockets (sock_diag) against the listening part of /proc/net/tcp and
// tcp6, in the same run; it reports the ratio as x-vs-proc.
func BenchmarkListeningSockets(b *testing.B) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	connect(b, l, l.Addr().String())
	var asked, read time.Duration
	for b.Loop() {
		start := time.Now()
		if _, err := diagListening(); err != nil {
			b.Fatal(err)
		}
		asked += time.Since(start)
		start = time.Now()
		if _, err := procListening(); err != nil {
			b.Fatal(err)
		}
		read += time.Since(start)
	}
	b.ReportMetric(float64(asked)/float64(read), "x-vs-proc")
	b.ReportMetric(float64(asked)/float64(b.N)/1e3, "µs/op")
}
