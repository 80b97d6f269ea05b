// Package portaltest is a test bed for code that drives OpenCode, in the
// spirit of net/http/httptest: it starts the real `opencode serve` offline,
// in a temporary git repository with an isolated HOME, pointed at a fake
// OpenAI-compatible model written in Go.
package portaltest

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	mathrand "math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// OpenCodeVersion is the OpenCode release the test bed is built against.
const OpenCodeVersion = "1.18.33"

// OpenCodeBinary finds the opencode executable: $OPENCODE_BIN, then
// `opencode` on PATH, then the copy scripts/ensure-opencode installs in the
// module's .tools folder.
func OpenCodeBinary() (string, error) {
	if bin := os.Getenv("OPENCODE_BIN"); bin != "" {
		return exec.LookPath(bin)
	}
	if bin, err := exec.LookPath("opencode"); err == nil {
		return bin, nil
	}
	dir, err := os.Getwd()
	for err == nil {
		if _, serr := os.Stat(filepath.Join(dir, "go.mod")); serr == nil {
			bin := filepath.Join(dir, ".tools", "opencode", "node_modules", ".bin", "opencode")
			if _, serr := os.Stat(bin); serr == nil {
				return bin, nil
			}
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	return "", fmt.Errorf("opencode not found: set OPENCODE_BIN, put opencode on PATH, or run scripts/ensure-opencode (npm install opencode-ai@%s)", OpenCodeVersion)
}

// RequireOpenCode returns the opencode executable. Without one, the test
// fails when the CI environment variable is set and is skipped otherwise.
func RequireOpenCode(tb testing.TB) string {
	tb.Helper()
	bin, err := OpenCodeBinary()
	if err != nil {
		if os.Getenv("CI") != "" {
			tb.Fatalf("%v", err)
		}
		tb.Skipf("skipping: %v", err)
	}
	return bin
}

// Config returns the OpenCode configuration that points the agent at the
// fake model at modelURL (a base URL ending in /v1) and keeps OpenCode
// offline. bash asks for permission so tests can exercise that flow.
//
// Snapshots are off: with them, OpenCode copies the project's tree into a
// git repository of its own before and after each step of a turn, for its
// session diffs, its "patch" message parts and reverting a turn. That is
// about 1 s of CPU on an instance's first turn and 0.4 s on each turn
// after it, for features a test of something else does not read. A test
// of those features sets "snapshot": true in OpenCodeOptions.Config (or
// over Config's map).
func Config(modelURL string) map[string]any {
	if modelURL == "" {
		modelURL = "http://127.0.0.1:9/v1" // nothing listens there: prompts fail fast
	}
	return map[string]any{
		"$schema":           "https://opencode.ai/config.json",
		"model":             "fake/fake-model",
		"small_model":       "fake/fake-model",
		"enabled_providers": []string{"fake"},
		"autoupdate":        false,
		"share":             "disabled",
		"snapshot":          false,
		"permission":        map[string]any{"bash": "ask"},
		"provider": map[string]any{
			"fake": map[string]any{
				"npm":     "@ai-sdk/openai-compatible",
				"name":    "Fake LLM",
				"options": map[string]any{"baseURL": modelURL, "apiKey": "sk-fake"},
				"models": map[string]any{
					"fake-model": map[string]any{"name": "Fake Model", "tool_call": true,
						"limit": map[string]any{"context": 128000, "output": 4096}},
				},
			},
		},
	}
}

// PrepareHome readies home to be an OpenCode process's isolated HOME (see
// Env): it marks the dependencies of OpenCode's global config folder as
// installed. Otherwise OpenCode, on the first request to a folder, installs
// @opencode-ai/plugin there from the npm registry in the background: 64 MB
// and some 15 s of CPU for each new HOME, or a failure logged when offline.
//
// It writes an empty catalogue of models where Env points OpenCode's
// OPENCODE_MODELS_PATH (modelsPath), so that OpenCode knows the providers
// of its configuration only. Otherwise it loads the catalogue of every
// provider and model of models.dev built into it on its first turn (or
// other first use of its providers), about 4 s of CPU, to keep only the
// fake provider (Config enables no other).
//
// It also makes the folder Env gives OpenCode as TMPDIR, home's "tmp".
// StartOpenCode calls it; call it for a HOME given to OpenCode some other
// way, such as a portal's Config.Env. It keeps what home already holds.
func PrepareHome(home string) error {
	if err := os.MkdirAll(filepath.Join(home, "tmp"), 0o755); err != nil {
		return err
	}
	models := modelsPath(home)
	if err := os.MkdirAll(filepath.Dir(models), 0o755); err != nil {
		return err
	}
	if err := writeNew(models, "{}\n"); err != nil {
		return err
	}
	dir := filepath.Join(home, ".config", "opencode")
	if err := os.MkdirAll(filepath.Join(dir, "node_modules"), 0o755); err != nil {
		return err
	}
	// OpenCode installs when a dependency it adds is missing from the
	// lock file's root package; it does not look inside node_modules.
	content := fmt.Sprintf(`{"packages":{"":{"dependencies":{"@opencode-ai/plugin":%q}}}}`, OpenCodeVersion)
	return writeNew(filepath.Join(dir, "package-lock.json"), content+"\n")
}

// writeNew writes content to a new file at path, and leaves a file already
// there as it is.
func writeNew(path, content string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	_, err = f.WriteString(content)
	return errors.Join(err, f.Close())
}

// modelsPath is the catalogue of models PrepareHome writes in home, and
// Env gives OpenCode as OPENCODE_MODELS_PATH: where OpenCode keeps its
// copy of the models.dev catalogue (in its cache folder). An OpenCode
// whose catalogue is missing there (a home PrepareHome did not prepare)
// uses the one built into it.
func modelsPath(home string) string {
	return filepath.Join(home, ".cache", "opencode", "models.json")
}

// Env returns the environment that isolates an OpenCode process in home
// (prepared by PrepareHome) and keeps it offline, with config as
// OPENCODE_CONFIG_CONTENT. It does not include the rest of the process
// environment. Its temporary files go in home too: once running, OpenCode
// unpacks a 5.5 MB library of its file search into TMPDIR and leaves it
// there when it exits.
func Env(home string, config map[string]any) []string {
	content, _ := json.Marshal(config)
	return []string{
		"HOME=" + home,
		"TMPDIR=" + filepath.Join(home, "tmp"),
		"XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
		"XDG_DATA_HOME=" + filepath.Join(home, ".local", "share"),
		"XDG_CACHE_HOME=" + filepath.Join(home, ".cache"),
		"XDG_STATE_HOME=" + filepath.Join(home, ".local", "state"),
		"OPENCODE_DISABLE_MODELS_FETCH=1",
		"OPENCODE_DISABLE_AUTOUPDATE=1",
		"OPENCODE_DISABLE_LSP_DOWNLOAD=1",
		"OPENCODE_DISABLE_DEFAULT_PLUGINS=1",
		"OPENCODE_MODELS_PATH=" + modelsPath(home),
		"OPENCODE_CONFIG_CONTENT=" + string(content),
		"NO_COLOR=1",
	}
}

// OpenCodeOptions configures StartOpenCode. The zero value works.
type OpenCodeOptions struct {
	// Bin is the opencode executable. Default: OpenCodeBinary().
	Bin string
	// Dir is the project folder. Default: a new git repository (NewGitRepo).
	Dir string
	// Home is the isolated HOME. Default: a new temporary folder.
	Home string
	// ModelURL is the fake model's base URL (FakeModel.URL()).
	ModelURL string
	// Config is merged over Config(ModelURL), key by key.
	Config map[string]any
	// Password is OPENCODE_SERVER_PASSWORD. Default: a random one.
	Password string
	// Port to listen on. Default: a free port.
	Port int
	// StartTimeout bounds the wait for the listening line. Default 60s.
	StartTimeout time.Duration
}

// OpenCode is a running `opencode serve`.
type OpenCode struct {
	URL      string
	Port     int
	Password string
	Dir      string
	Home     string
	PID      int

	cmd     *exec.Cmd
	done    chan struct{}
	cleanup []string // temporary folders to remove on Close
	mu      sync.Mutex
	output  []string
	closed  bool
}

// StartOpenCode starts `opencode serve` and returns once it printed its
// listening line. Close stops it.
func StartOpenCode(ctx context.Context, opts OpenCodeOptions) (_ *OpenCode, err error) {
	oc := &OpenCode{Password: opts.Password, Port: opts.Port, Dir: opts.Dir, Home: opts.Home, done: make(chan struct{})}
	defer func() {
		if err != nil {
			oc.Close()
		}
	}()
	bin := opts.Bin
	if bin == "" {
		if bin, err = OpenCodeBinary(); err != nil {
			return nil, err
		}
	}
	if oc.Dir == "" {
		if oc.Dir, err = os.MkdirTemp("", "portaltest-project-*"); err != nil {
			return nil, err
		}
		oc.cleanup = append(oc.cleanup, oc.Dir)
		if err = InitGitRepo(oc.Dir); err != nil {
			return nil, err
		}
	}
	if oc.Home == "" {
		if oc.Home, err = os.MkdirTemp("", "portaltest-home-*"); err != nil {
			return nil, err
		}
		oc.cleanup = append(oc.cleanup, oc.Home)
	}
	if err = PrepareHome(oc.Home); err != nil {
		return nil, err
	}
	if oc.Password == "" {
		oc.Password = RandomPassword()
	}
	if oc.Port == 0 {
		if oc.Port, err = FreePort(); err != nil {
			return nil, err
		}
	}
	config := Config(opts.ModelURL)
	maps.Copy(config, opts.Config)
	cmd := exec.Command(bin, "serve", "--port", strconv.Itoa(oc.Port), "--hostname", "127.0.0.1")
	cmd.Dir = oc.Dir
	cmd.Env = append(append(os.Environ(), Env(oc.Home, config)...), "OPENCODE_SERVER_PASSWORD="+oc.Password)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = cmd.Stdout
	if err = cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	oc.cmd, oc.PID = cmd, cmd.Process.Pid
	ready := make(chan string, 1)
	go func() {
		defer close(oc.done)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			line := sc.Text()
			oc.mu.Lock()
			oc.output = append(oc.output, line)
			oc.mu.Unlock()
			if _, addr, ok := strings.Cut(line, "listening on "); ok {
				select {
				case ready <- strings.TrimSpace(addr):
				default:
				}
			}
		}
		cmd.Wait()
	}()
	timeout := opts.StartTimeout
	if timeout <= 0 {
		timeout = 60 * time.Second
	}
	select {
	case oc.URL = <-ready:
		return oc, nil
	case <-oc.done:
		return nil, fmt.Errorf("opencode exited before listening:\n%s", oc.Output())
	case <-time.After(timeout):
		return nil, fmt.Errorf("opencode did not print its listening line within %s:\n%s", timeout, oc.Output())
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// NewOpenCode starts `opencode serve` for a test and stops it when the test
// ends. Without an opencode executable it fails under CI and skips elsewhere.
func NewOpenCode(tb testing.TB, opts OpenCodeOptions) *OpenCode {
	tb.Helper()
	if opts.Bin == "" {
		opts.Bin = RequireOpenCode(tb)
	}
	oc, err := StartOpenCode(context.Background(), opts)
	if err != nil {
		tb.Fatalf("starting OpenCode: %v", err)
	}
	tb.Cleanup(func() { oc.Close() })
	return oc
}

// Output returns what the process printed so far.
func (oc *OpenCode) Output() string {
	oc.mu.Lock()
	defer oc.mu.Unlock()
	return strings.Join(oc.output, "\n")
}

// Kill sends SIGKILL to the process group, as a crash would.
func (oc *OpenCode) Kill() {
	if oc.cmd != nil && oc.cmd.Process != nil {
		syscall.Kill(-oc.cmd.Process.Pid, syscall.SIGKILL)
		<-oc.done
	}
}

// Close stops the process (SIGTERM, then SIGKILL after 5s) and removes the
// temporary folders StartOpenCode made.
func (oc *OpenCode) Close() error {
	oc.mu.Lock()
	closed := oc.closed
	oc.closed = true
	oc.mu.Unlock()
	if closed {
		return nil
	}
	if oc.cmd != nil && oc.cmd.Process != nil {
		syscall.Kill(-oc.cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-oc.done:
		case <-time.After(5 * time.Second):
			syscall.Kill(-oc.cmd.Process.Pid, syscall.SIGKILL)
			<-oc.done
		}
	}
	var errs []error
	for _, dir := range oc.cleanup {
		errs = append(errs, os.RemoveAll(dir))
	}
	return errors.Join(errs...)
}

// RandomPassword returns a fresh random password.
func RandomPassword() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
// It is taken outside the system's range of ephemeral ports, those the
// kernel gives a listener on port 0 and the near end of each connection:
// until the caller listens on it, a connection made meanwhile (by any
// process) cannot take it, as one did a port taken from that range. Where
// that range leaves no room, the kernel picks the port.
func FreePort() (int, error) {
	lo, hi := ephemeralPorts()
	first, last := portsOutside(lo, hi)
	if first == 0 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		defer l.Close()
		return l.Addr().(*net.TCPAddr).Port, nil
	}
	var err error
	for range 100 {
		port := first + mathrand.IntN(last-first+1)
		var l net.Listener
		if l, err = net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port)); err == nil {
			l.Close()
			return port, nil
		}
	}
	return 0, fmt.Errorf("no free port found in 100 tries among %d-%d (the ports outside the ephemeral range %d-%d): %w; stop what holds them, or run fewer tests at once", first, last, lo, hi, err)
}

// portsOutside returns the ports from 10000 up FreePort takes from, given
// the ephemeral range lo-hi: below it where there are 1000 of them, else
// above it; 0, 0 when neither side has that many.
func portsOutside(lo, hi int) (first, last int) {
	switch {
	case lo-10000 >= 1000:
		return 10000, lo - 1
	case 65535-hi >= 1000:
		return max(hi+1, 10000), 65535
	}
	return 0, 0
}

// ephemeralPorts returns the system's range of ephemeral ports: Linux's
// setting, else the range IANA suggests (macOS's).
func ephemeralPorts() (lo, hi int) {
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			lo, err1 := strconv.Atoi(f[0])
			hi, err2 := strconv.Atoi(f[1])
			if err1 == nil && err2 == nil && 0 < lo && lo <= hi && hi <= 65535 {
				return lo, hi
			}
		}
	}
	return 49152, 65535
}
