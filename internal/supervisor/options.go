package supervisor

import (
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"
)

// State is where a supervised process is in its life.
type State string

// The states of a supervised process.
const (
	StateStarting State = "starting" // spawned, not ready yet
	StateRunning  State = "running"  // ready: listening and healthy
	StateStopped  State = "stopped"  // stopped on request, or exited with status 0
	StateCrashed  State = "crashed"  // exited on its own with another status
)

// Options describe one `opencode serve` process. Dir is required; every
// other field has a default.
type Options struct {
	Bin      string // the opencode binary (default "opencode" on PATH)
	Dir      string // the directory it serves and runs in
	Hostname string // --hostname (default 127.0.0.1)
	Port     int    // --port, required
	// Password turns on OpenCode's basic auth (OPENCODE_SERVER_PASSWORD);
	// Username (OPENCODE_SERVER_USERNAME) defaults to OpenCode's "opencode".
	Username, Password string
	// Env is added to this program's environment less its own settings
	// (see childEnv).
	Env []string

	// LogFile receives the process's stdout and stderr, so that the process
	// can outlive this program. Default: a new file in os.TempDir(). Stop
	// removes it. Adopt follows it only if it is set.
	LogFile  string
	LogLines int // output lines kept in memory (default 1000)

	StopTimeout time.Duration // SIGTERM to SIGKILL (default 5s)

	// Notify, if set, is called after every change of state, pid or port,
	// one call at a time. It must not call Stop or Detach.
	Notify func(Status)
	Logger *slog.Logger
}

// withDefaults validates o and fills in its defaults.
func (o Options) withDefaults() (Options, error) {
	if o.Dir == "" {
		return o, fmt.Errorf("no directory given")
	}
	if fi, err := os.Stat(o.Dir); err != nil {
		return o, fmt.Errorf("directory: %w", err)
	} else if !fi.IsDir() {
		return o, fmt.Errorf("%s is not a directory", o.Dir)
	}
	if o.Port < 1 || o.Port > 65535 {
		return o, fmt.Errorf("port %d is not in 1-65535", o.Port)
	}
	if o.Bin == "" {
		o.Bin = "opencode"
	}
	bin, err := exec.LookPath(o.Bin)
	if err != nil {
		return o, fmt.Errorf("find opencode: %w", err)
	}
	o.Bin = bin
	if o.Hostname == "" {
		o.Hostname = "127.0.0.1"
	}
	if o.LogLines <= 0 {
		o.LogLines = 1000
	}
	if o.StopTimeout <= 0 {
		o.StopTimeout = 5 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o, nil
}

// command is the argv and environment the process runs with.
func (o Options) command(port int) (argv, env []string) {
	argv = []string{o.Bin, "serve", "--port", strconv.Itoa(port), "--hostname", o.Hostname}
	extra := append([]string{"NO_COLOR=1"}, o.Env...)
	if o.Username != "" {
		extra = append(extra, "OPENCODE_SERVER_USERNAME="+o.Username)
	}
	if o.Password != "" {
		extra = append(extra, "OPENCODE_SERVER_PASSWORD="+o.Password)
	}
	return argv, mergeEnv(childEnv(os.Environ()), extra...)
}

// childEnv returns env without the portal's own settings, which OpenCode,
// and every shell command, MCP server and plugin its agent runs, must not
// see: every PORTAL_* variable (PORTAL_PASSWORD, PORTAL_REGISTRY, ...) and
// OPENCODE_BIN (which opencode the portal runs). Options.Env may still set
// any of them.
func childEnv(env []string) []string {
	return slices.DeleteFunc(slices.Clone(env), func(kv string) bool {
		k, _, _ := strings.Cut(kv, "=")
		return k == "OPENCODE_BIN" || strings.HasPrefix(k, "PORTAL_")
	})
}
