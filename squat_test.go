package portal_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/opencode-portal/portal"
	"github.com/opencode-portal/portal/httpapi"
	"github.com/opencode-portal/portal/internal/registry"
	"github.com/opencode-portal/portal/internal/supervisor"
	"github.com/opencode-portal/portal/internal/testwait"
	"github.com/opencode-portal/portal/portaltest"
)

// squat plays another local user's program that takes over a crashed
// instance's port: it listens on rc.Port, answers every request as a
// healthy OpenCode would, and appends to rc.Record a line per connection
// and per request, saying whether the request carried credentials.
func squat(rc roleConfig) error {
	var l net.Listener
	var err error
	for range 100 { // the port may take a moment to be free
		if l, err = net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(rc.Port)); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		return err
	}
	rec, err := os.OpenFile(rc.Record, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	fmt.Println("LISTENING")
	for {
		conn, err := l.Accept()
		if err != nil {
			return err
		}
		fmt.Fprintln(rec, "connection")
		go func() {
			defer conn.Close()
			rd := bufio.NewReader(conn)
			for {
				req, err := http.ReadRequest(rd)
				if err != nil {
					return
				}
				fmt.Fprintf(rec, "request %s %s authorization=%t\n", req.Method, req.URL.Path, req.Header.Get("Authorization") != "")
				body := `{"healthy":true,"version":"squatter"}`
				fmt.Fprintf(conn, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
			}
		}()
	}
}

// startSquatter runs the squat role on port in a child process, stopped
// when the test ends, and returns its pid and a function that reads what
// it recorded.
func startSquatter(t *testing.T, port int) (int, func() string) {
	t.Helper()
	record := filepath.Join(t.TempDir(), "squatter.log")
	args, _ := json.Marshal(roleConfig{Port: port, Record: record})
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), roleEnv+"=squat", roleArgs+"="+string(args))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	if line, err := bufio.NewReader(out).ReadString('\n'); err != nil || line != "LISTENING\n" {
		t.Fatalf("the squatter did not take port %d: %q %v", port, line, err)
	}
	return cmd.Process.Pid, func() string {
		b, _ := os.ReadFile(record)
		return string(b)
	}
}

// stillBound explains why port is still bound on 127.0.0.1, for a test's
// failure: the sockets on it then, with their processes (as ss lists
// them, where it is installed), and whether it came free within a second.
func stillBound(port int) string {
	sockets, err := exec.Command("ss", "-tanpe", "sport = :"+strconv.Itoa(port)).CombinedOutput()
	if err != nil {
		sockets = fmt.Appendf(nil, "(ss: %v)\n", err)
	}
	why := "and still bound a second later"
	for range 20 {
		time.Sleep(50 * time.Millisecond)
		if supervisor.PortFree("127.0.0.1", port) {
			why = "but free within a second"
			break
		}
	}
	return fmt.Sprintf("%s; the sockets on it when found bound:\n%s", why, sockets)
}

// relayedRoutes are routes relayed to OpenCode, one of each kind: a plain
// call, a write, the event stream.
var relayedRoutes = []struct{ method, path string }{
	{"GET", "health"},
	{"GET", "config"},
	{"GET", "sessions"},
	{"POST", "session/create"},
	{"GET", "events"},
}

// checkRefused calls every relayed route of the instance on port through
// api and checks that each is refused with 503 and a message containing
// want.
func checkRefused(t *testing.T, api string, port int, want string) {
	t.Helper()
	for _, r := range relayedRoutes {
		var env struct{ Message, Code string }
		status, body := call(t, r.method, api+"/api/opencode/"+itoa(port)+"/"+r.path, nil, &env)
		if status != http.StatusServiceUnavailable || env.Code != portal.ENOTRUNNING || !strings.Contains(env.Message, want) {
			t.Errorf("%s %s: %d %s, want 503 %s saying %q", r.method, r.path, status, body, portal.ENOTRUNNING, want)
		}
	}
}

func TestPortSquatterAfterACrashGetsNothing(t *testing.T) {
	p := portal.NewTestPortal(t, fakeConfig(t))
	api := httptest.NewServer(httpapi.New(p))
	defer api.Close()
	ctx := context.Background()
	in, err := p.StartInstance(ctx, portal.StartOptions{Directory: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	syscall.Kill(-pidOf(t, in), syscall.SIGKILL)
	testwait.Until(t, "the crash to be noticed", func() bool {
		got, err := p.Instance(ctx, in.ID)
		return err == nil && got.State == portal.StateCrashed
	})
	_, record := startSquatter(t, in.Port)

	checkRefused(t, api.URL, in.Port, "is not running (crashed); restart it")
	if got := record(); got != "" {
		t.Errorf("the program on the crashed instance's port received:\n%s", got)
	}
}

// TestPortHeldByAnotherProcessGetsNothing registers a live process that does
// not hold its port, on which another program listens. Registered by
// address, the portal refuses before it connects; registered by name
// ("localhost"), it learns the address only by connecting, and refuses
// before it sends a byte.
func TestPortHeldByAnotherProcessGetsNothing(t *testing.T) {
	for _, tc := range []struct {
		hostname string
		want     string // what the program on the port records
	}{
		{"127.0.0.1", ""},
		{"localhost", "connection\n"},
	} {
		t.Run(tc.hostname, func(t *testing.T) {
			reg := filepath.Join(t.TempDir(), "portal.json")
			p := portal.NewTestPortal(t, portal.Config{RegistryPath: reg})
			api := httptest.NewServer(httpapi.New(p))
			defer api.Close()
			port, err := portaltest.FreePort()
			if err != nil {
				t.Fatal(err)
			}
			squatter, record := startSquatter(t, port)
			register := func(pid int) {
				t.Helper()
				err := registry.New(reg).Update(context.Background(), func(f *registry.File) error {
					f.Instances = append(f.Instances, registry.Entry{ID: "held" + itoa(pid), Directory: t.TempDir(), OpencodePort: port,
						Hostname: tc.hostname, OpencodePID: &pid, InstanceType: "process", Password: "pw"})
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
			}

			// The registered process is alive but another one holds the port: as
			// after a crash of an instance whose pid was reused, or one that
			// closed its listener.
			sleeper := exec.Command("sleep", "600")
			if err := sleeper.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() { sleeper.Process.Kill(); sleeper.Wait() }()
			register(sleeper.Process.Pid)
			checkRefused(t, api.URL, port, "another program listens on its port, so nothing was sent there")
			if got := strings.ReplaceAll(record(), tc.want, ""); got != "" {
				t.Errorf("the program holding the port received more than %q on each call:\n%s", tc.want, record())
			}

			// Control: registered with the pid that does hold the port, the same
			// program gets the calls, credentials included.
			if err := p.StopInstance(context.Background(), itoa(port)); err != nil {
				t.Fatal(err)
			}
			register(squatter)
			if status, body := call(t, "GET", api.URL+"/api/opencode/"+itoa(port)+"/health", nil, nil); status != http.StatusOK {
				t.Fatalf("health through the holder of the port: %d %s", status, body)
			}
			if got := record(); !strings.Contains(got, "request GET /global/health authorization=true") {
				t.Errorf("the port's holder recorded %q, want the health check with credentials", got)
			}
		})
	}
}
