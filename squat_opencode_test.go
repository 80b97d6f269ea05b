package portal_test

import (
	"bufio"
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/opencode-portal/portal"
	"github.com/opencode-portal/portal/httpapi"
	"github.com/opencode-portal/portal/internal/testwait"
)

// logBuffer collects log output for a test to read while it is written.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// count returns how many lines contain all of words.
func (b *logBuffer) count(words ...string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for line := range strings.Lines(b.buf.String()) {
		all := true
		for _, w := range words {
			all = all && strings.Contains(line, w)
		}
		if all {
			n++
		}
	}
	return n
}

// TestPortSquatterGetsNothingWithOpenCode kills the real OpenCode of an
// instance while a client follows its events, lets another program take its
// port, and checks that neither the relayed routes nor the event stream's
// reconnections send it anything; once the port is free again, a restart
// (with a new password) serves as before. Killed under the restart policy
// never, the instance stays down until that restart.
func TestPortSquatterGetsNothingWithOpenCode(t *testing.T) {
	t.Parallel()
	cfg := openCodeConfig(t, t.TempDir())
	logs := &logBuffer{}
	cfg.Logger = slog.New(slog.NewTextHandler(logs, nil))
	p := portal.NewTestPortal(t, cfg)
	api := httptest.NewServer(httpapi.New(p))
	defer api.Close()
	ctx := context.Background()
	in, err := p.StartInstance(ctx, portal.StartOptions{Directory: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	oldPassword := passwordOf(t, cfg.RegistryPath, in.ID)

	// A client follows the instance's events.
	req, _ := http.NewRequestWithContext(t.Context(), "GET", api.URL+"/api/opencode/"+itoa(in.Port)+"/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("events: %v %v", resp, err)
	}
	defer resp.Body.Close()
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
		}
	}()

	pid := pidOf(t, in)
	syscall.Kill(-pid, syscall.SIGKILL)
	testwait.Until(t, "the crash to be noticed", func() bool {
		got, err := p.Instance(ctx, in.ID)
		return err == nil && got.State == portal.StateCrashed
	})
	// Under the restart policy never (the default) the instance stays
	// down.
	time.Sleep(time.Second) // a wrong restart would have happened by now
	got, err := p.Instance(ctx, in.ID)
	if err != nil || got.State != portal.StateCrashed || got.PID != nil || got.Restarts != 0 || got.LastExit != "signal: killed" {
		t.Errorf("after the crash: %+v, %v", got, err)
	}
	// The entry keeps the dead pid: it reads as down, not as being started.
	if e := readRegistry(t, cfg.RegistryPath)[0]; e.OpencodePID == nil || *e.OpencodePID != pid {
		t.Errorf("registry names pid %v, want the last one, %d", e.OpencodePID, pid)
	}
	refused := logs.count("reconnecting", "is not running")
	squatter, record := startSquatter(t, in.Port)
	checkRefused(t, api.URL, in.Port, "is not running (crashed); restart it")
	// The open event stream tried to reconnect while the port was taken
	// (a down instance's stream is retried every 30 s), and was refused.
	testwait.Until(t, "a refused reconnection of the event stream", func() bool {
		return logs.count("reconnecting", "is not running") > refused
	})
	if got := record(); got != "" {
		t.Errorf("the program on the crashed instance's port received:\n%s", got)
	}

	syscall.Kill(squatter, syscall.SIGKILL)
	testwait.Until(t, "the port to be free", func() bool {
		_, err := p.RestartInstance(ctx, in.ID)
		return err == nil
	})
	if pw := passwordOf(t, cfg.RegistryPath, in.ID); pw == oldPassword {
		t.Error("the restart kept the crashed run's password")
	}
	sessionRoundTrip(t, api.URL, in.Port)
}
