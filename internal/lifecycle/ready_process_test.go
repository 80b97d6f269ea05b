package lifecycle

import (
	"context"
	"errors"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opencode-portal/portal/internal/fakeopencode"
	"github.com/opencode-portal/portal/internal/procfs"
	"github.com/opencode-portal/portal/internal/registry"
	"github.com/opencode-portal/portal/internal/supervisor"
	"github.com/opencode-portal/portal/portaltest"
)

// fakeProcess returns a ProcessRunner of the fake OpenCode (package
// fakeopencode) with the given FAKE_* settings, and the Spec of an
// instance on a free port.
func fakeProcess(t testing.TB, env ...string) (ProcessRunner, Spec) {
	t.Helper()
	exe, err := fakeopencode.Bin()
	if err != nil {
		t.Fatal(err)
	}
	runner := ProcessRunner{
		Bin:         exe,
		Env:         append([]string{fakeopencode.EnvVar + "=1"}, env...),
		StopTimeout: 5 * time.Second,
	}
	port, err := portaltest.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	spec := Spec{
		Entry: registry.Entry{
			ID: "proc0001", Directory: t.TempDir(), Hostname: "127.0.0.1", OpencodePort: port,
			Password: "secret", LogFile: filepath.Join(t.TempDir(), "out.log"),
		},
		ready: newReadiness(30*time.Second, 500*time.Millisecond),
	}
	return runner, spec
}

// startedOrDone returns once the fake wrote n pids to its pid file (it
// has started, and printed its first line), or ctx ended.
func startedOrDone(ctx context.Context, pidfile string, n int) {
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		if b, err := os.ReadFile(pidfile); err == nil && len(strings.Fields(string(b))) == n {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

func TestStartFailsAndLeavesNothing(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		env      []string
		giveUp   bool // the caller cancels once the process has started
		wantErr  error
		wantText []string // in the error text
	}{
		{
			name:     "never prints the listening line",
			env:      []string{"FAKE_SILENT=1"},
			wantErr:  ErrStartTimeout,
			wantText: []string{"no listening line", "fake: booting"},
		},
		{
			name:     "exits at once",
			env:      []string{"FAKE_EXIT=2"},
			wantErr:  ErrExited,
			wantText: []string{"exit status 2", "fatal: boom"},
		},
		{
			name:     "health check fails",
			env:      []string{"FAKE_HEALTH=500"},
			wantErr:  ErrStartTimeout,
			wantText: []string{"GET /global/health: 500", "Internal Server Error", "its output may say why", "listening on"},
		},
		{
			name:     "health check answers a web page",
			env:      []string{"FAKE_HEALTH=html"},
			wantErr:  ErrStartTimeout,
			wantText: []string{`answered 200 OK with "text/html"`, "not OpenCode's server: check which program holds the port"},
		},
		{
			name:     "caller gives up",
			env:      []string{"FAKE_SILENT=1"},
			giveUp:   true,
			wantErr:  context.Canceled,
			wantText: []string{"fake: booting"},
		},
	}
	// Three cases wait for the start timeout to expire: every case starts at
	// once, and each subtest then checks its own start's outcome.
	type outcome struct {
		err     error
		pidfile string
		logFile string
	}
	outcomes := make([]chan outcome, len(tests))
	for i, tt := range tests {
		pidfile := filepath.Join(t.TempDir(), "pids")
		runner, spec := fakeProcess(t, append(tt.env, "FAKE_GRANDCHILD=1", "FAKE_PIDFILE="+pidfile)...)
		spec.ready = newReadiness(3*time.Second, 500*time.Millisecond)
		outcomes[i] = make(chan outcome, 1)
		go func() {
			ctx := context.Background()
			if tt.giveUp {
				spec.ready = newReadiness(time.Hour, 500*time.Millisecond)
				var cancel context.CancelFunc
				ctx, cancel = context.WithCancel(ctx)
				watched := make(chan struct{})
				go func() {
					defer close(watched)
					startedOrDone(ctx, pidfile, 2)
					cancel()
				}()
				defer func() { cancel(); <-watched }()
			}
			p, err := runner.Start(ctx, spec)
			if err == nil {
				p.Stop(context.Background())
			}
			outcomes[i] <- outcome{err, pidfile, spec.Entry.LogFile}
		}()
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := <-outcomes[i]
			err := o.err
			if err == nil {
				t.Fatal("Start succeeded")
			}
			var se *StartError
			if !errors.As(err, &se) || !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want a *StartError wrapping %v", err, tt.wantErr)
			}
			if tt.wantErr != ErrStartTimeout && errors.Is(err, ErrStartTimeout) {
				t.Errorf("err = %v, must not be a start timeout", err)
			}
			for _, s := range tt.wantText {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error text lacks %q:\n%v", s, err)
				}
			}
			for _, pid := range fakeopencode.ReadPIDs(t, o.pidfile) {
				if procfs.Alive(pid) {
					t.Errorf("pid %d (or its group) left behind", pid)
				}
			}
			if _, err := os.Stat(o.logFile); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("log file left after a failed start: %v", err)
			}
		})
	}
}

func TestHangingFirstProbeIsRetried(t *testing.T) {
	t.Parallel()
	// The first health check hangs far longer than the whole start may take:
	// only a short per-request timeout and a retry can make the start succeed.
	runner, spec := fakeProcess(t, "FAKE_HEALTH_HANG_MS=60000")
	spec.ready = newReadiness(20*time.Second, 200*time.Millisecond)
	p, err := runner.Start(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	p.Stop(context.Background())
}

func TestAdoptRefuses(t *testing.T) {
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("<html>not opencode</html>"))
	}))
	defer web.Close()
	webPort := web.Listener.Addr().(*net.TCPAddr).Port

	runner, dead := fakeProcess(t)
	p, err := runner.Start(context.Background(), dead)
	if err != nil {
		t.Fatal(err)
	}
	deadPID, deadPort := p.PID(), p.Port()
	p.Stop(context.Background())

	tests := []struct {
		name string
		pid  int
		port int
	}{
		{"pid gone", deadPID, deadPort},
		{"alive but not opencode", os.Getpid(), webPort},
		{"alive but nothing listens", os.Getpid(), deadPort},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runner, spec := fakeProcess(t)
			spec.Entry.OpencodePID, spec.Entry.OpencodePort = &tt.pid, tt.port
			p, err := runner.Adopt(context.Background(), spec)
			if err == nil {
				p.Detach()
				t.Fatal("Adopt succeeded")
			}
			if !errors.Is(err, supervisor.ErrNotRunning) {
				t.Errorf("err = %v, want ErrNotRunning", err)
			}
		})
	}
}
