package lifecycle

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/opencode-portal/portal/internal/registry"
	"github.com/opencode-portal/portal/internal/testwait"
)

// TestCrashFollowsTheRestartPolicy crashes a supervised instance and checks
// what the registry records and what the run does, by policy and by who
// owns the entry then.
func TestCrashFollowsTheRestartPolicy(t *testing.T) {
	type want struct {
		State    string // of the run, and recorded in the registry
		Restarts int
		LastExit string
		NewPW    bool // the registry holds a new password
		LetGo    bool // no longer supervised here
	}
	for _, tc := range []struct {
		name     string
		policy   Policy
		takeOver bool // another portal claims the entry before the crash
		want     want
	}{
		{"never", Policy{}, false, want{StateCrashed, 0, "signal: killed", false, false}},
		{"on failure", Policy{OnFailure: true, Backoff: time.Millisecond}, false, want{StateRunning, 1, "signal: killed", true, false}},
		{"on failure, taken over", Policy{OnFailure: true, Backoff: time.Millisecond}, true, want{StateStopped, 0, "signal: killed", false, true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newTestBed(t)
			m := b.manager(tc.policy)
			e, run, proc := b.start(m)
			if tc.takeOver {
				err := b.reg.Update(context.Background(), func(f *registry.File) error {
					f.Instances[0].Owner = strconv.Itoa(os.Getpid()) + "-other"
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
			}
			proc.crash("signal: killed")
			testwait.Until(t, "the policy to be applied", func() bool {
				st, recorded := run.Status(), b.entries()[0]
				return st.State == tc.want.State && st.Restarts == tc.want.Restarts && (m.Run(e.ID) == nil) == tc.want.LetGo &&
					(tc.takeOver || recorded.State == tc.want.State && recorded.Restarts == tc.want.Restarts)
			})

			st := run.Status()
			after := b.entries()[0]
			got := want{st.State, st.Restarts, st.LastExit, after.Password != e.Password, m.Run(e.ID) == nil}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("after the crash (-want +got):\n%s", diff)
			}
			if !tc.takeOver && (after.State != tc.want.State || after.LastExit != tc.want.LastExit || after.Restarts != tc.want.Restarts) {
				t.Errorf("registry records %s, %q, %d restarts; want %s, %q, %d", after.State, after.LastExit, after.Restarts, tc.want.State, tc.want.LastExit, tc.want.Restarts)
			}
		})
	}
}

// TestAdopt starts Managers on registries left by other portals and checks
// which instances each adopts.
func TestAdopt(t *testing.T) {
	for _, tc := range []struct {
		name   string
		entry  registry.Entry
		alive  bool
		refuse bool // the live OpenCode does not answer the adoption
		want   bool // adopted
	}{
		{"a dead portal's running instance", registry.Entry{Owner: deadOwner, State: StateRunning}, true, false, true},
		{"an original CLI's instance", registry.Entry{}, true, false, true},
		{"a live portal's instance", registry.Entry{Owner: liveOwner(), State: StateRunning}, true, false, false},
		{"a dead portal's dead instance", registry.Entry{Owner: deadOwner, State: StateRunning}, false, false, false},
		{"a dead portal's instance that does not answer", registry.Entry{Owner: deadOwner, State: StateRunning}, true, true, false},
		{"a container of an old CLI", registry.Entry{InstanceType: "docker"}, true, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newTestBed(t)
			e := tc.entry
			e.ID, e.Directory, e.OpencodePort, e.OpencodePID, e.Hostname = "adoptme1", t.TempDir(), 24099, pid(4242), "127.0.0.1"
			b.write(e)
			b.runner.alive[e.ID] = tc.alive
			if tc.refuse {
				b.runner.adoptErr = errors.New("health check: connection refused")
			}
			m := b.manager(Policy{})
			after := b.entries()[0]
			got := m.Run(e.ID) != nil
			if got != tc.want {
				t.Fatalf("adopted = %v, want %v", got, tc.want)
			}
			if wantOwner := map[bool]string{true: m.owner, false: e.Owner}[tc.want]; after.Owner != wantOwner {
				t.Errorf("owner after New = %q, want %q", after.Owner, wantOwner)
			}
			if tc.want && after.State != StateRunning {
				t.Errorf("adopted instance recorded as %q, want running", after.State)
			}
			if logged := strings.Contains(b.logged(), `msg="not adopting instance" instance=adoptme1 err="health check: connection refused"`); logged != tc.refuse {
				t.Errorf("refused adoption logged = %v, want %v; the log:\n%s", logged, tc.refuse, b.logged())
			}
		})
	}
}

// TestStop stops instances supervised here, by another portal and by none,
// and checks that each one's OpenCode ends, its entry goes and its port is
// released.
func TestStop(t *testing.T) {
	for _, tc := range []struct {
		name           string
		foreign        *registry.Entry // else an instance started here
		alive          bool
		wantTerminated bool // Terminate was asked (a foreign instance's OpenCode)
	}{
		{"supervised here", nil, true, false},
		{"a live portal's", &registry.Entry{Owner: liveOwner(), State: StateRunning}, true, true},
		{"a dead portal's", &registry.Entry{Owner: deadOwner, State: StateRunning}, true, true},
		{"one whose OpenCode is gone", &registry.Entry{Owner: deadOwner, State: StateCrashed}, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newTestBed(t)
			var e registry.Entry
			var proc *fakeProc
			m := b.manager(Policy{})
			if tc.foreign == nil {
				e, _, proc = b.start(m)
			} else {
				e = *tc.foreign
				e.ID, e.Directory, e.OpencodePort, e.OpencodePID, e.Hostname = "foreign1", t.TempDir(), 24098, pid(4243), "127.0.0.1"
				b.write(e)
				b.runner.alive[e.ID] = tc.alive
			}
			if err := m.Stop(context.Background(), e); err != nil {
				t.Fatal(err)
			}
			if proc != nil && !proc.wasStopped() {
				t.Error("the supervised run was not stopped")
			}
			if got := slices.Contains(b.runner.terminated, e.ID); got != tc.wantTerminated {
				t.Errorf("Terminate asked = %v, want %v", got, tc.wantTerminated)
			}
			if b.runner.Alive(e) {
				t.Error("its OpenCode is still alive")
			}
			if entries := b.entries(); len(entries) != 0 {
				t.Errorf("registry after Stop: %+v", entries)
			}
			if !slices.Contains(b.released, e.OpencodePort) {
				t.Errorf("port %d not released (released: %v)", e.OpencodePort, b.released)
			}
		})
	}
}

// TestReservationsRace starts folders from two Managers on one registry at
// once: each folder is started once, whoever asks, and no two instances
// share a port.
func TestReservationsRace(t *testing.T) {
	b := newTestBed(t)
	managers := []*Manager{b.manager(Policy{}), b.manager(Policy{})}
	folders := []string{t.TempDir(), t.TempDir(), t.TempDir()}
	const callers = 4 // per folder and Manager
	var mu sync.Mutex
	ids := make(map[string]map[string]bool) // folder -> instance ids returned
	var wg sync.WaitGroup
	for _, m := range managers {
		for _, dir := range folders {
			for range callers {
				wg.Go(func() {
					in, err := m.Start(context.Background(), StartOptions{Directory: dir, Hostname: "127.0.0.1"})
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					defer mu.Unlock()
					if ids[dir] == nil {
						ids[dir] = make(map[string]bool)
					}
					ids[dir][in.Entry.ID] = true
				})
			}
		}
	}
	wg.Wait()
	if n := b.runner.starts(); n != len(folders) {
		t.Errorf("%d starts for %d folders", n, len(folders))
	}
	for dir, got := range ids {
		if len(got) != 1 {
			t.Errorf("folder %s got instances %v, want one", dir, got)
		}
	}
	ports := make(map[int]string)
	for _, e := range b.entries() {
		if other, ok := ports[e.OpencodePort]; ok {
			t.Errorf("instances %s and %s share port %d", other, e.ID, e.OpencodePort)
		}
		ports[e.OpencodePort] = e.ID
	}
	if len(ports) != len(folders) {
		t.Errorf("%d entries for %d folders: %+v", len(ports), len(folders), b.entries())
	}
}

// TestLogs reads the output of instances supervised here and of others.
func TestLogs(t *testing.T) {
	b := newTestBed(t)
	m := b.manager(Policy{})
	e, _, _ := b.start(m)
	for _, tc := range []struct {
		name     string
		entry    registry.Entry
		want     []string
		wantKind Kind // when an error is wanted
	}{
		{"supervised here", e, []string{"supervised output of " + e.ID}, -1},
		{"another portal's", registry.Entry{ID: "other123", LogFile: "/logs/other123.log"}, []string{"output of other123"}, -1},
		{"an original CLI's", registry.Entry{ID: "cli12345"}, nil, NotFound},
		{"a container of an old CLI", registry.Entry{ID: "docker12", InstanceType: "docker"}, nil, NotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := m.Logs(tc.entry, 0)
			var le *Error
			switch {
			case tc.wantKind >= 0 && (!errors.As(err, &le) || le.Kind != tc.wantKind):
				t.Errorf("err = %v, want kind %d", err, tc.wantKind)
			case tc.wantKind < 0 && err != nil:
				t.Errorf("err = %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("logs (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRestartTakesOver restarts instances no portal here supervises: each
// is claimed, its OpenCode (if alive) ended, and started again here on its
// port with a new password and a log file of its own.
func TestRestartTakesOver(t *testing.T) {
	for _, tc := range []struct {
		name           string
		entry          registry.Entry
		alive          bool
		refuse         bool // the live OpenCode does not answer, so it is not adopted
		wantTerminated bool
		wantLog        string // the log file's name, "" for the entry's own
	}{
		{"a live portal's", registry.Entry{Owner: liveOwner(), State: StateRunning, LogFile: "kept"}, true, false, true, ""},
		{"a dead portal's crashed one", registry.Entry{Owner: deadOwner, State: StateCrashed, LogFile: "kept"}, false, false, false, ""},
		{"an original CLI's that does not answer", registry.Entry{}, true, true, true, "taken01.log"},
		{"an original CLI's that exited", registry.Entry{}, false, false, false, "taken01.log"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newTestBed(t)
			e := tc.entry
			e.ID, e.Directory, e.OpencodePort, e.OpencodePID, e.Hostname, e.Password = "taken01", t.TempDir(), 24097, pid(4245), "127.0.0.1", "old-secret"
			if e.LogFile != "" {
				e.LogFile = filepath.Join(t.TempDir(), e.LogFile+".log")
			}
			b.write(e)
			b.runner.alive[e.ID] = tc.alive
			if tc.refuse {
				b.runner.adoptErr = errors.New("health check: connection refused")
			}
			m := b.manager(Policy{})
			if m.Run(e.ID) != nil {
				t.Fatal("the instance was adopted; the test needs one supervised elsewhere or not at all")
			}

			in, err := m.Restart(context.Background(), e)
			if err != nil {
				t.Fatal(err)
			}
			if got := slices.Contains(b.runner.terminated, e.ID); got != tc.wantTerminated {
				t.Errorf("old OpenCode ended = %v, want %v", got, tc.wantTerminated)
			}
			proc := b.runner.last()
			after := b.entries()[0]
			st := in.Run.Status()
			wantLog := e.LogFile
			if tc.wantLog != "" {
				wantLog = filepath.Join(m.cfg.LogDir, tc.wantLog)
			}
			type view struct {
				Owner, State, LogFile string
				Port, PID             int
				Supervised, NewPW     bool
			}
			got := view{after.Owner, st.State, after.LogFile, proc.Port(), st.PID, m.Run(e.ID) == in.Run, after.Password != e.Password && after.Password != ""}
			want := view{m.owner, StateRunning, wantLog, e.OpencodePort, proc.pid, true, true}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("after Restart (-want +got):\n%s", diff)
			}
			if proc.spec.Entry.Password != after.Password {
				t.Error("the new OpenCode was not given the password the registry holds")
			}
		})
	}
}

// TestStartRefuses starts folders a Manager can not start: each start
// fails with an error of the kind a caller maps, saying what to do, and
// leaves the registry as it found it.
func TestStartRefuses(t *testing.T) {
	notAFolder := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notAFolder, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		config  func(*Config)
		setup   func(b *testBed, m *Manager, dir string)
		typ     string
		want    Kind
		message string
	}{
		{"after Close", nil, func(b *testBed, m *Manager, dir string) { m.Close(false) }, "", Unavailable, "create a new one"},
		{"of a type this portal can not run", nil, nil, "docker", Conflict, `instances of type "docker"; start the folder as a process`},
		{"while another portal starts the folder, for longer than a start may take",
			// The start's own limit: a caller that leaves first gets its context's error.
			func(c *Config) { c.StartTimeout = 300 * time.Millisecond },
			func(b *testBed, m *Manager, dir string) {
				b.write(registry.Entry{ID: "other001", Directory: dir, OpencodePort: 24111, Hostname: "127.0.0.1", Owner: liveOwner(), State: StateStarting})
			}, "", Timeout, "Waiting for another portal to start"},
		{"when its log folder can not be made", func(c *Config) { c.LogDir = filepath.Join(notAFolder, "logs") }, nil, "", Internal, "Creating the log folder"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newTestBed(t)
			var change []func(*Config)
			if tc.config != nil {
				change = append(change, tc.config)
			}
			m := b.manager(Policy{}, change...)
			dir := t.TempDir()
			if tc.setup != nil {
				tc.setup(b, m, dir)
			}
			before := b.entries()
			_, err := m.Start(context.Background(), StartOptions{Directory: dir, Hostname: "127.0.0.1", Type: tc.typ})
			var le *Error
			if !errors.As(err, &le) || le.Kind != tc.want || !strings.Contains(le.Message, tc.message) {
				t.Fatalf("Start = %v; want an error of kind %d saying %q", err, tc.want, tc.message)
			}
			if diff := cmp.Diff(before, b.entries(), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("registry after the refused start (-before +after):\n%s", diff)
			}
			if n := b.runner.starts(); n != 0 {
				t.Errorf("%d OpenCode started", n)
			}
		})
	}
}
