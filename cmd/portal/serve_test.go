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
