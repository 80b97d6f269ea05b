package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestServeAnswersAndShutsDownOnCancel(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr bytes.Buffer
	done := make(chan int, 1)
	reg := filepath.Join(t.TempDir(), "portal.json")
	go func() { done <- run(ctx, []string{"serve", "--addr", addr, "--registry", reg}, os.Stdout, &stderr) }()

	var resp *http.Response
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if resp, err = http.Get(fmt.Sprintf("http://%s/api/system/hostname", addr)); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("server never answered: %v\n%s", err, &stderr)
	}
	var body struct{ Hostname string }
	json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	want, _ := os.Hostname()
	if body.Hostname != want {
		t.Errorf("hostname = %q, want %q", body.Hostname, want)
	}

	cancel() // what SIGINT or SIGTERM does
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit code %d after shutdown:\n%s", code, &stderr)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not shut down after its context ended")
	}
	if !strings.Contains(stderr.String(), `"msg":"shutting down"`) {
		t.Errorf("no structured shutdown log:\n%s", &stderr)
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
	os.WriteFile(file, []byte("  hunter2 \nsecond line\n"), 0o600)
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, []byte("\n"), 0o600)
	t.Setenv("PORTAL_PASSWORD", "from-env")
	tests := []struct {
		file, want string
		fails      bool
	}{
		{"", "from-env", false},
		{file, "hunter2", false},
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
