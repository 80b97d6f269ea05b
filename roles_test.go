package portal_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opencode-portal/portal"
	"github.com/opencode-portal/portal/internal/fakeopencode"
	"github.com/opencode-portal/portal/internal/registry"
)

// init lets the package's test binary be re-executed as a stand-in
// program: a fake `opencode serve` (package fakeopencode), or a portal
// process of a multi-process test (roleEnv). It is an init function, not a
// TestMain, so that the package keeps a single TestMain of its own.
func init() {
	fakeopencode.Main()
	if role := os.Getenv(roleEnv); role != "" {
		if err := runRole(role); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
}

// roleEnv names the role a re-executed test binary plays; roleArgs holds its
// arguments as JSON.
const (
	roleEnv  = "PORTAL_TEST_ROLE"
	roleArgs = "PORTAL_TEST_ARGS"
)

// roleConfig is what a role process is told.
type roleConfig struct {
	Config portal.Config
	Dir    string // hold: the folder to start
	Dirs   string // churn: where to make its folders
	Rounds int    // churn: how many start/stop rounds
	Worker int    // churn: its number
	Port   int    // squat: the port to take
	Record string // squat: the file it records what it receives in
}

func runRole(role string) error {
	var rc roleConfig
	if err := json.Unmarshal([]byte(os.Getenv(roleArgs)), &rc); err != nil {
		return err
	}
	switch role {
	case "hold":
		return holdInstance(rc)
	case "churn":
		return churn(rc)
	case "squat":
		return squat(rc)
	case "lock-and-hang":
		// Take the registry lock and never give it back: the test kills us.
		return registry.New(rc.Config.RegistryPath).Update(context.Background(), func(*registry.File) error {
			fmt.Println("LOCKED")
			time.Sleep(time.Hour)
			return nil
		})
	}
	return fmt.Errorf("unknown role %q", role)
}

// holdInstance starts an instance, prints it as JSON, and waits to be killed.
func holdInstance(rc roleConfig) error {
	p, err := portal.New(rc.Config)
	if err != nil {
		return err
	}
	in, err := p.StartInstance(context.Background(), portal.StartOptions{Directory: rc.Dir})
	if err != nil {
		return err
	}
	b, _ := json.Marshal(in)
	fmt.Printf("READY %s\n", b)
	select {}
}

// churn starts and stops instances for many rounds, keeping the first one
// running, and checks after each step that its own entries are in the
// registry as expected, whatever the other processes did meanwhile.
func churn(rc roleConfig) error {
	p, err := portal.New(rc.Config)
	if err != nil {
		return err
	}
	defer p.Close()
	ctx := context.Background()
	reg := registry.New(rc.Config.RegistryPath)
	has := func(id string) (bool, error) {
		f, err := reg.Read()
		if err != nil {
			return false, err
		}
		for _, e := range f.Instances {
			if e.ID == id {
				return true, nil
			}
		}
		return false, nil
	}
	var kept string
	for round := range rc.Rounds {
		dir := filepath.Join(rc.Dirs, fmt.Sprintf("w%d-r%d", rc.Worker, round))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		in, err := p.StartInstance(ctx, portal.StartOptions{Directory: dir})
		if err != nil {
			return fmt.Errorf("round %d: start: %w", round, err)
		}
		if ok, err := has(in.ID); err != nil || !ok {
			return fmt.Errorf("round %d: entry %s missing right after its start (%v)", round, in.ID, err)
		}
		if round == 0 {
			kept = in.ID
			continue
		}
		if err := p.StopInstance(ctx, in.ID); err != nil {
			return fmt.Errorf("round %d: stop: %w", round, err)
		}
		if ok, err := has(in.ID); err != nil || ok {
			return fmt.Errorf("round %d: entry %s still there after its stop (%v)", round, in.ID, err)
		}
		if ok, err := has(kept); err != nil || !ok {
			return fmt.Errorf("round %d: the kept entry %s was lost (%v)", round, kept, err)
		}
	}
	fmt.Println("KEPT", kept)
	return nil
}

// roleProcess is a running role process.
type roleProcess struct {
	cmd   *exec.Cmd
	lines chan string // its stdout, line by line
}

// startRole runs the test binary in a role. The process is killed when the
// test ends.
func startRole(t testing.TB, role string, rc roleConfig) *roleProcess {
	t.Helper()
	args, err := json.Marshal(rc)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), roleEnv+"="+role, roleArgs+"="+string(args))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	rp := &roleProcess{cmd: cmd, lines: make(chan string, 16)}
	go func() {
		defer close(rp.lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			rp.lines <- sc.Text()
		}
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return rp
}

// expect returns the rest of the first line starting with prefix.
func (rp *roleProcess) expect(t testing.TB, prefix string, timeout time.Duration) string {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case line, ok := <-rp.lines:
			if !ok {
				t.Fatalf("role process ended before printing %q", prefix)
			}
			if rest, found := strings.CutPrefix(line, prefix); found {
				return strings.TrimSpace(rest)
			}
		case <-deadline:
			t.Fatalf("role process did not print %q within %s", prefix, timeout)
		}
	}
}

// pidOf returns the pid in an instance, failing the test when there is none.
func pidOf(t testing.TB, in portal.Instance) int {
	t.Helper()
	if in.PID == nil {
		t.Fatalf("instance %s has no pid: %+v", in.ID, in)
	}
	return *in.PID
}

func itoa(n int) string { return strconv.Itoa(n) }
