package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestServeAnswersAndShutsDownOnCancel(t *testing.T) {
	s := startServe(t)
	resp, err := http.Get("http://" + s.addr + "/api/system/hostname")
	if err != nil {
		t.Fatal(err)
	}
	var body struct{ Hostname string }
	json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	want, _ := os.Hostname()
	if body.Hostname != want {
		t.Errorf("hostname = %q, want %q", body.Hostname, want)
	}

	if code := s.stop(t); code != 0 { // what SIGINT or SIGTERM does
		t.Errorf("exit code %d after shutdown:\n%s", code, &s.stderr)
	}
	if !strings.Contains(s.stderr.String(), `"msg":"shutting down"`) {
		t.Errorf("no structured shutdown log:\n%s", &s.stderr)
	}
}

func TestUnknownCommand(t *testing.T) {
	var stderr bytes.Buffer
	if code := run(context.Background(), []string{"bogus"}, os.Stdout, &stderr); code != 1 {
		t.Errorf("exit code %d, want 1", code)
	}
	if !strings.HasPrefix(stderr.String(), "Unknown command: bogus") {
		t.Errorf("stderr = %q", &stderr)
	}
}

func TestServeRefusesAnOpenNonLoopbackAddress(t *testing.T) {
	t.Setenv("PORTAL_PASSWORD", "")
	var stderr bytes.Buffer
	reg := filepath.Join(t.TempDir(), "portal.json")
	code := run(context.Background(), []string{"serve", "--addr", "0.0.0.0:0", "--registry", reg}, os.Stdout, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "refusing to serve 0.0.0.0:0 without a password") {
		t.Errorf("exit %d, stderr %q; want a refusal", code, &stderr)
	}
}

func TestIsLoopback(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:3000": true, "localhost:3000": true, "[::1]:3000": true, "127.0.0.2:1": true,
		"0.0.0.0:3000": false, ":3000": false, "[::]:3000": false, "192.0.2.1:3000": false, "bogus": false,
	} {
		if got := isLoopback(addr); got != want {
			t.Errorf("isLoopback(%q) = %v, want %v", addr, got, want)
		}
	}
}

func TestReadPassword(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "pw")
	os.WriteFile(file, []byte("  correct horse battery \nsecond line\n"), 0o600)
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, []byte("\n"), 0o600)
	t.Setenv("PORTAL_PASSWORD", "from-env-and-long")
	tests := []struct {
		file, want string
		fails      bool
	}{
		{"", "from-env-and-long", false},
		{file, "correct horse battery", false},
		{empty, "", true},
		{filepath.Join(dir, "missing"), "", true},
	}
	for _, tt := range tests {
		got, err := readPassword(tt.file)
		if got != tt.want || (err != nil) != tt.fails {
			t.Errorf("readPassword(%q) = %q, %v; want %q, error %v", tt.file, got, err, tt.want, tt.fails)
		}
	}
}
