package procfs

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const tcpHeader = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"

// tcpLine formats s as the kernel prints it in /proc/net/tcp(6).
func tcpLine(s Socket) string {
	return fmt.Sprintf("   0: %s %s %02X 00000000:00000000 00:00000000 00000000 %5d        0 %d 1 0000000000000000 100 0 0 10 0",
		hexAddrPort(s.Local), hexAddrPort(s.Remote), s.State, s.UID, s.Inode)
}

func hexAddrPort(ap netip.AddrPort) string {
	raw := ap.Addr().AsSlice()
	var b strings.Builder
	for i := 0; i < len(raw); i += 4 {
		fmt.Fprintf(&b, "%08X", binary.NativeEndian.Uint32(raw[i:]))
	}
	return fmt.Sprintf("%s:%04X", b.String(), ap.Port())
}

// parseTable parses the text of /proc/net/tcp or /proc/net/tcp6: a header
// line, then one socket a line ("sl local rem st tx:rx tr:when retrnsmt uid
// timeout inode ..."). Addresses are hexadecimal 32-bit words in the host's
// byte order, ports hexadecimal numbers. The portal reads only the
// listening part of a table (readListening); the tests read whole ones,
// with the same line parser.
func parseTable(data []byte) ([]Socket, error) {
	lines := bytes.Split(data, []byte("\n"))
	if len(lines) == 0 || !bytes.Contains(lines[0], []byte("local_address")) {
		return nil, fmt.Errorf("procfs: not a /proc/net/tcp table: no header line")
	}
	var out []Socket
	for i, line := range lines[1:] {
		f := bytes.Fields(line)
		if len(f) == 0 {
			continue
		}
		s, err := parseSocket(f)
		if err != nil {
			return nil, fmt.Errorf("procfs: /proc/net/tcp line %d: %w", i+2, err)
		}
		out = append(out, s)
	}
	return out, nil
}

func TestParseTCP(t *testing.T) {
	le := binary.NativeEndian.Uint16([]byte{1, 0}) == 1
	if !le {
		t.Skip("the sample lines are from a little-endian machine")
	}
	tests := []struct {
		name, text string
		want       []Socket
		wantErr    string
	}{
		{
			name: "IPv4 listener and an accepted connection",
			text: tcpHeader +
				"   0: 0100007F:94EB 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 85177 1 00000000137f88f3 100 0 0 10 0\n" +
				"   1: 0100007F:94EB 0100007F:D2F0 01 00000000:00000000 00:00000000 00000000     0        0 0 1 0000000000000000 20 4 30 10 -1\n",
			want: []Socket{
				{Local: netip.MustParseAddrPort("127.0.0.1:38123"), Remote: netip.MustParseAddrPort("0.0.0.0:0"), State: TCPListen, UID: 1000, Inode: 85177},
				{Local: netip.MustParseAddrPort("127.0.0.1:38123"), Remote: netip.MustParseAddrPort("127.0.0.1:54000"), State: TCPEstablished, UID: 0, Inode: 0},
			},
		},
		{
			name: "IPv6 wildcard and IPv4-mapped",
			text: "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n" +
				"   0: 00000000000000000000000000000000:0BB8 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     7        0 4242 1 0000000000000000 100 0 0 10 0\n" +
				"   1: 0000000000000000FFFF00000100007F:0BB8 0000000000000000FFFF00000100007F:C350 01 00000000:00000000 00:00000000 00000000     7        0 4243 1 0000000000000000 100 0 0 10 0\n" +
				"   2: 00000000000000000000000001000000:0BB9 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     7        0 4244 1 0000000000000000 100 0 0 10 0\n",
			want: []Socket{
				{Local: netip.MustParseAddrPort("[::]:3000"), Remote: netip.MustParseAddrPort("[::]:0"), State: TCPListen, UID: 7, Inode: 4242},
				{Local: netip.MustParseAddrPort("[::ffff:127.0.0.1]:3000"), Remote: netip.MustParseAddrPort("[::ffff:127.0.0.1]:50000"), State: TCPEstablished, UID: 7, Inode: 4243},
				{Local: netip.MustParseAddrPort("[::1]:3001"), Remote: netip.MustParseAddrPort("[::]:0"), State: TCPListen, UID: 7, Inode: 4244},
			},
		},
		{name: "header only", text: tcpHeader},
		{name: "no header", text: "   0: 0100007F:94EB 00000000:0000 0A 0 0 0 0 0 1\n", wantErr: "no header line"},
		{name: "too few fields", text: tcpHeader + "   0: 0100007F:94EB 00000000:0000 0A\n", wantErr: "line 2: 4 fields"},
		{name: "bad address", text: tcpHeader + "   0: 0100007G:94EB 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1 1\n", wantErr: "not hexadecimal"},
		{name: "short address", text: tcpHeader + "   0: 100007F:94EB 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1 1\n", wantErr: "7 digits"},
		{name: "mixed families", text: tcpHeader + "   0: 0100007F:94EB 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1 1\n", wantErr: "different families"},
		{name: "bad uid", text: tcpHeader + "   0: 0100007F:94EB 00000000:0000 0A 00000000:00000000 00:00000000 00000000 -1 0 1 1\n", wantErr: "uid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseTable([]byte(tt.text))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, cmp.Comparer(func(a, b netip.AddrPort) bool { return a == b })); diff != "" {
				t.Errorf("parseTable (-want +got):\n%s", diff)
			}
		})
	}
}

// FuzzParseTCP checks that the table parser never panics, and that what it
// parses prints back (as the kernel would) to a table it parses the same.
func FuzzParseTCP(f *testing.F) {
	f.Add([]byte(tcpHeader + "   0: 0100007F:94EB 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 85177 1 00000000137f88f3 100 0 0 10 0\n"))
	f.Add([]byte(tcpHeader + "   1: 0000000000000000FFFF00000100007F:0BB8 0000000000000000FFFF00000100007F:C350 01 00000000:00000000 00:00000000 00000000     7        0 4243 1\n"))
	f.Add([]byte(tcpHeader + "\n\n   0: :: 0A\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		socks, err := parseTable(data)
		if err != nil {
			return
		}
		var b strings.Builder
		b.WriteString(tcpHeader)
		for _, s := range socks {
			if !s.Local.IsValid() || !s.Remote.IsValid() {
				t.Fatalf("parsed an invalid address: %+v", s)
			}
			b.WriteString(tcpLine(s) + "\n")
		}
		again, err := parseTable([]byte(b.String()))
		if err != nil {
			t.Fatalf("the printed table does not parse: %v\n%s", err, b.String())
		}
		if diff := cmp.Diff(socks, again, cmp.Comparer(func(a, b netip.AddrPort) bool { return a == b })); diff != "" {
			t.Fatalf("printed and parsed again (-first +again):\n%s", diff)
		}
	})
}
