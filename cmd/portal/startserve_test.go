package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/opencode-portal/portal/portaltest"
)

// serveRun is a `portal serve` running inside a test.
type serveRun struct {
	addr   string
	stderr bytes.Buffer // read it only once stop has returned
	done   chan int
	cancel context.CancelFunc
}

// startServe runs `portal serve` on a free loopback port with a temporary
// registry and args, and returns once it answers. It is stopped when the
// test ends.
func startServe(t *testing.T, args ...string) *serveRun {
	t.Helper()
	port, err := portaltest.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	s := &serveRun{addr: "127.0.0.1:" + strconv.Itoa(port), done: make(chan int, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	args = append([]string{"serve", "--addr", s.addr, "--registry", filepath.Join(t.TempDir(), "portal.json")}, args...)
	go func() { s.done <- run(ctx, args, os.Stdout, &s.stderr) }()
	t.Cleanup(func() { s.stop(t) })
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		resp, err := http.Get("http://" + s.addr + "/api/system/hostname")
		if err == nil {
			resp.Body.Close()
			return s
		}
		select {
		case code := <-s.done:
			s.done <- code
			t.Fatalf("serve exited with %d:\n%s", code, &s.stderr)
		default:
		}
	}
	t.Fatalf("serve never answered on %s", s.addr)
	return nil
}

// stop ends serve as SIGINT or SIGTERM do and returns its exit code.
func (s *serveRun) stop(t *testing.T) int {
	t.Helper()
	s.cancel()
	select {
	case code := <-s.done:
		s.done <- code
		return code
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not shut down after its context ended")
		return -1
	}
}
