package lifecycle

import (
	"net/url"
	"strconv"
	"strings"
	"testing"
)

func TestParseListening(t *testing.T) {
	tests := []struct {
		line      string
		wantPort  int
		wantFound bool
	}{
		{"opencode server listening on http://127.0.0.1:4096", 4096, true},
		{"opencode server listening on http://0.0.0.0:3100  ", 3100, true},
		{"opencode server listening on http://[::1]:3101", 3101, true},
		{"\x1b[0mopencode server listening on http://localhost:3102", 3102, true},
		{"opencode server listening on http://127.0.0.1", 0, true},
		{"opencode server listening on http://127.0.0.1:99999", 0, true},
		{"opencode server listening on ::garbage", 0, true},
		{"Warning: OPENCODE_SERVER_PASSWORD is not set; server is unsecured.", 0, false},
		{"", 0, false},
	}
	for _, tt := range tests {
		port, found := parseListening(tt.line)
		if port != tt.wantPort || found != tt.wantFound {
			t.Errorf("parseListening(%q) = %d, %v; want %d, %v", tt.line, port, found, tt.wantPort, tt.wantFound)
		}
	}
}

func FuzzParseListening(f *testing.F) {
	f.Add("opencode server listening on http://127.0.0.1:4096")
	f.Add("opencode server listening on http://[::1]:0")
	f.Fuzz(func(t *testing.T, line string) {
		port, found := parseListening(line)
		if found != strings.Contains(line, listeningMarker) {
			t.Fatalf("found = %v for %q", found, line)
		}
		if port < 0 || port > 65535 || (!found && port != 0) {
			t.Fatalf("port %d for %q", port, line)
		}
		if port != 0 {
			_, rest, _ := strings.Cut(line, listeningMarker)
			u, err := url.Parse(strings.TrimSpace(rest))
			if n, perr := strconv.Atoi(u.Port()); err != nil || perr != nil || n != port {
				t.Fatalf("port %d not in %q", port, rest)
			}
		}
	})
}
