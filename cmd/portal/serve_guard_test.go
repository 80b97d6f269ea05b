package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestServeAllowHostAndOrigin(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	var stderr bytes.Buffer
	done := make(chan int, 1)
	reg := filepath.Join(t.TempDir(), "portal.json")
	go func() {
		done <- run(ctx, []string{"serve", "--addr", addr, "--registry", reg,
			"--allow-host", "portal.example", "--allow-host", "Box.Lan.", "--allow-origin", "https://app.example"}, os.Stdout, &stderr)
	}()
	t.Cleanup(func() { cancel(); <-done })

	// do stops an instance that does not exist: an answer from past the
	// guards is 404.
	do := func(host, origin string) (int, error) {
		req, _ := http.NewRequest("DELETE", fmt.Sprintf("http://%s/api/instances/nope1234", addr), nil)
		req.Host = host
		if origin != "" {
			req.Header.Set("Origin", origin)
			req.Header.Set("Sec-Fetch-Site", "cross-site")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if _, err = do(addr, ""); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("server never answered: %v\n%s", err, &stderr)
	}
	for _, tt := range []struct {
		host, origin string
		status       int
	}{
		{"portal.example:3000", "", 404},
		{"box.lan", "", 404},
		{"evil.example", "", 421},
		{addr, "https://app.example", 404},
		{addr, "https://evil.example", 403},
	} {
		if status, err := do(tt.host, tt.origin); err != nil || status != tt.status {
			t.Errorf("Host %s, Origin %q: %d %v, want %d", tt.host, tt.origin, status, err, tt.status)
		}
	}
}

func TestServeRefusesBadAllowFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--allow-host", "http://portal.example"},
		{"--allow-host", "portal.example:3000"},
		{"--allow-origin", "portal.example"},
	} {
		var stderr bytes.Buffer
		reg := filepath.Join(t.TempDir(), "portal.json")
		ctx, cancel := context.WithCancel(context.Background())
		cancel() // a serve that accepted the flags returns at once
		code := run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0", "--registry", reg}, args...), os.Stdout, &stderr)
		if code == 0 || !strings.Contains(stderr.String(), "invalid allowed") {
			t.Errorf("%v: exit %d, stderr %q; want a refusal", args, code, &stderr)
		}
	}
}
