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
	"github.com/opencode-portal/portal/internal/procfs"
	"github.com/opencode-portal/portal/internal/supervisor"
	"github.com/opencode-portal/portal/internal/testwait"
	"github.com/opencode-portal/portal/portaltest"
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

// TestPortSquatterGetsNothingWithOpenCode runs one instance of the real
// OpenCode through its life. Started and used through the API, it is
// killed while a client follows its events: under the restart policy never
// it stays down. Another program takes its port, and neither the relayed
// routes nor the event stream's reconnections send it anything; once the
// port is free again, a restart (with a new password) serves as before,
// and a stop through the API ends it.
func TestPortSquatterGetsNothingWithOpenCode(t *testing.T) {
	t.Parallel()
	cfg := openCodeConfig(t, t.TempDir())
	logs := &logBuffer{}
	cfg.Logger = slog.New(slog.NewTextHandler(logs, nil))
	p := portal.NewTestPortal(t, cfg)
	portal.RetryDownStreamsEvery(p, time.Second) // not every 30 s: the test waits for a try
	api := httptest.NewServer(httpapi.New(p))
	defer api.Close()
	ctx := context.Background()

	var created struct {
		ID, State, URL string
		Port           int
		OpencodePID    int
	}
	status, body := call(t, "POST", api.URL+"/api/instances", map[string]any{"directory": portaltest.NewGitRepo(t)}, &created)
	if status != http.StatusCreated || created.State != portal.StateRunning || created.OpencodePID == 0 {
		t.Fatalf("POST /api/instances: %d %s", status, body)
	}
	oldPassword := passwordOf(t, cfg.RegistryPath, created.ID)
	var list struct {
		Total     int
		Instances []struct{ ID string }
	}
	status, listBody := call(t, "GET", api.URL+"/api/instances", nil, &list)
	if status != 200 || list.Total != 1 || list.Instances[0].ID != created.ID {
		t.Fatalf("GET /api/instances: %d %s", status, listBody)
	}
	if strings.Contains(string(body)+string(listBody), oldPassword) {
		t.Fatal("an API answer carries the instance's password")
	}
	sessionRoundTrip(t, api.URL, created.Port)
	var lines struct{ Lines []string }
	if status, body := call(t, "GET", api.URL+"/api/instances/"+created.ID+"/logs?tail=5", nil, &lines); status != 200 ||
		!strings.Contains(strings.Join(lines.Lines, "\n"), "opencode server listening on") {
		t.Errorf("logs: %d %s", status, body)
	}
	in, err := p.Instance(ctx, created.ID)
	if err != nil || pidOf(t, in) != created.OpencodePID || in.Port != created.Port {
		t.Fatalf("Instance = %+v, %v; want pid %d, port %d", in, err, created.OpencodePID, created.Port)
	}

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
	squatter, record := startSquatter(t, in.Port)
	refused := logs.count("reconnecting", "is not running")
	checkRefused(t, api.URL, in.Port, "is not running (crashed); restart it")
	// The open event stream tried to reconnect while the port was taken
	// (a down instance's stream is tried again every second here), and
	// was refused.
	testwait.Until(t, "a refused reconnection of the event stream", func() bool {
		return logs.count("reconnecting", "is not running") > refused
	})
	if got := record(); got != "" {
		t.Errorf("the program on the crashed instance's port received:\n%s", got)
	}

	syscall.Kill(squatter, syscall.SIGKILL)
	var restarted portal.Instance
	testwait.Until(t, "the port to be free", func() bool {
		restarted, err = p.RestartInstance(ctx, in.ID)
		return err == nil
	})
	if pw := passwordOf(t, cfg.RegistryPath, in.ID); pw == oldPassword {
		t.Error("the restart kept the crashed run's password")
	}
	sessionRoundTrip(t, api.URL, in.Port)

	if status, body := call(t, "DELETE", api.URL+"/api/instances/"+in.ID, nil, nil); status != http.StatusNoContent {
		t.Fatalf("DELETE: %d %s", status, body)
	}
	if pid := pidOf(t, restarted); procfs.Alive(pid) {
		t.Errorf("pid %d alive after DELETE", pid)
	}
	if !supervisor.PortFree("127.0.0.1", in.Port) {
		t.Errorf("port %d still bound after DELETE, %s", in.Port, stillBound(in.Port))
	}
	if status, body := call(t, "GET", api.URL+"/api/instances", nil, &list); status != 200 || list.Total != 0 {
		t.Errorf("GET /api/instances after DELETE: %d %s", status, body)
	}
	if status, _ := call(t, "GET", api.URL+"/api/instances/"+in.ID, nil, nil); status != http.StatusNotFound {
		t.Errorf("GET the stopped instance: %d, want 404", status)
	}
}
