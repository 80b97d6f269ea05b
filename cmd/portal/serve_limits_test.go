package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// openFDs counts this process's open files (Linux; 0 elsewhere).
func openFDs() int {
	fds, _ := os.ReadDir("/proc/self/fd")
	return len(fds)
}

// stallBody opens a connection to addr and sends a POST that announces a
// 100000-byte body and sends one byte of it.
func stallBody(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	fmt.Fprintf(c, "POST /api/instances HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{", addr)
	return c
}

// TestServeEndsStalledBodies sends 200 requests whose bodies stall: serve
// must answer and close every one once --body-timeout passes, leaving no
// goroutine or open file behind (the figures are logged with -v).
func TestServeEndsStalledBodies(t *testing.T) {
	s := startServe(t, "--body-timeout", "1s")
	http.DefaultClient.CloseIdleConnections()
	baseG, baseFD := runtime.NumGoroutine(), openFDs()

	const n = 200
	conns := make([]net.Conn, n)
	for i := range conns {
		conns[i] = stallBody(t, s.addr)
	}
	heldG, heldFD := runtime.NumGoroutine(), openFDs()
	for i, c := range conns {
		c.SetReadDeadline(time.Now().Add(time.Minute)) // a hang is the failure
		got, err := io.ReadAll(c)
		if err != nil {
			t.Fatalf("connection %d: still open (%v) after %q", i, err, got)
		}
		if i == 0 && !strings.Contains(string(got), "the request body stopped arriving") {
			t.Errorf("answer to a stalled body: %q", got)
		}
		c.Close()
	}
	var g, fd int
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if g, fd = runtime.NumGoroutine(), openFDs(); g <= baseG+2 && fd <= baseFD {
			break
		}
	}
	t.Logf("%d stalled bodies: goroutines %d → %d → %d, open files %d → %d → %d (before, held, after)", n, baseG, heldG, g, baseFD, heldFD, fd)
	if g > baseG+2 || fd > baseFD {
		t.Errorf("after the stalled requests ended: %d goroutines (baseline %d), %d open files (baseline %d)", g, baseG, fd, baseFD)
	}
}

// TestServeCapsConnections holds --max-connections connections open: the
// next request must wait until one of them closes.
func TestServeCapsConnections(t *testing.T) {
	s := startServe(t, "--max-connections", "3", "--body-timeout", "1h")
	http.DefaultClient.CloseIdleConnections() // the readiness probe's connection
	held := []net.Conn{stallBody(t, s.addr), stallBody(t, s.addr), stallBody(t, s.addr)}

	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	answered := make(chan error, 1)
	go func() {
		resp, err := client.Get("http://" + s.addr + "/api/system/hostname")
		if err == nil {
			resp.Body.Close()
		}
		answered <- err
	}()
	select {
	case err := <-answered:
		t.Fatalf("a 4th connection was served while 3 were held (err %v)", err)
	case <-time.After(500 * time.Millisecond):
	}
	held[0].Close()
	select {
	case err := <-answered:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the waiting request was not served after a connection closed")
	}
}

func TestServeRefusesLimitsBelowOne(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--body-timeout", "0s"}, "--body-timeout 0s: give a positive duration, such as 15s"},
		{[]string{"--body-timeout", "-1m"}, "--body-timeout -1m0s: give a positive duration"},
		{[]string{"--max-connections", "0"}, "--max-connections 0: give a positive number, such as 1000"},
		{[]string{"--max-prompt-mib", "0"}, "--max-prompt-mib 0: give a number of MiB from 1 to 1024"},
		{[]string{"--max-body-mib", "1025"}, "--max-body-mib 1025: give a number of MiB from 1 to 1024"},
	}
	for _, tt := range tests {
		var stderr strings.Builder
		args := append([]string{"serve", "--addr", "127.0.0.1:0", "--registry", t.TempDir() + "/portal.json"}, tt.args...)
		if code := run(t.Context(), args, io.Discard, &stderr); code != 1 || !strings.Contains(stderr.String(), tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want 1 and %q", tt.args, code, stderr.String(), tt.want)
		}
	}
}
