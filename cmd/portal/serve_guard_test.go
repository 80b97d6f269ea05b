package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestServeAllowHostAndOrigin(t *testing.T) {
	s := startServe(t, "--allow-host", "portal.example", "--allow-host", "Box.Lan.", "--allow-origin", "https://app.example")
	// do stops an instance that does not exist: an answer from past the
	// guards is 404.
	do := func(host, origin string) (int, error) {
		req, _ := http.NewRequest("DELETE", "http://"+s.addr+"/api/instances/nope1234", nil)
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
	for _, tt := range []struct {
		host, origin string
		status       int
	}{
		{"portal.example:3000", "", 404},
		{"box.lan", "", 404},
		{"evil.example", "", 421},
		{s.addr, "https://app.example", 404},
		{s.addr, "https://evil.example", 403},
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
