package portal_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/opencode-portal/portal"
	"github.com/opencode-portal/portal/internal/fakeopencode"
	"github.com/opencode-portal/portal/internal/procfs"
	"github.com/opencode-portal/portal/internal/registry"
	"github.com/opencode-portal/portal/internal/supervisor"
	"github.com/opencode-portal/portal/internal/testwait"
)

// fakeConfig returns a Config with a fresh registry whose instances run the
// fake OpenCode (package fakeopencode) with the given FAKE_* settings, from
// a first port at random (firstPort), so that tests running in parallel
// start apart. The instances a Portal started are stopped when it closes.
func fakeConfig(t testing.TB, env ...string) portal.Config {
	t.Helper()
	exe, err := fakeopencode.Bin()
	if err != nil {
		t.Fatal(err)
	}
	first, err := firstPort()
	if err != nil {
		t.Fatal(err)
	}
	return portal.Config{
		RegistryPath: filepath.Join(t.TempDir(), "portal.json"),
		OpenCodeBin:  exe,
		Env:          append([]string{fakeopencode.EnvVar + "=1"}, env...),
		FirstPort:    first,
		ProbeTimeout: time.Second,
		StopTimeout:  2 * time.Second,
		StopOnClose:  true,
	}
}

// readRegistry returns the registry's entries.
func readRegistry(t testing.TB, path string) []registry.Entry {
	t.Helper()
	f, err := registry.New(path).Read()
	if err != nil {
		t.Fatal(err)
	}
	return f.Instances
}

func TestStartInstanceRejectsBadInput(t *testing.T) {
	p := portal.NewTestPortal(t, fakeConfig(t))
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, nil, 0o600)
	tests := []struct {
		name string
		opts portal.StartOptions
		want string // in the message
	}{
		{"no directory", portal.StartOptions{}, "Directory required"},
		{"relative", portal.StartOptions{Directory: "src/app"}, "not an absolute path"},
		{"missing", portal.StartOptions{Directory: "/nonexistent/portal-test"}, "does not exist"},
		{"a file", portal.StartOptions{Directory: file}, "is not a directory"},
		{"NUL byte", portal.StartOptions{Directory: "/tmp/a\x00b"}, "NUL"},
		{"port too big", portal.StartOptions{Directory: t.TempDir(), Port: 70000}, "Invalid port 70000"},
		{"negative port", portal.StartOptions{Directory: t.TempDir(), Port: -1}, "Invalid port -1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := p.StartInstance(context.Background(), tt.opts)
			if code := portal.ErrorCode(err); code != portal.EINVALID || !strings.Contains(portal.ErrorMessage(err), tt.want) {
				t.Errorf("err = %s %q, want EINVALID with %q", code, portal.ErrorMessage(err), tt.want)
			}
		})
	}
	if entries := readRegistry(t, p.Config().RegistryPath); len(entries) != 0 {
		t.Errorf("bad input changed the registry: %+v", entries)
	}
}

func TestStartAndStopInstance(t *testing.T) {
	cfg := fakeConfig(t)
	p := portal.NewTestPortal(t, cfg)
	dir := t.TempDir()
	in, err := p.StartInstance(context.Background(), portal.StartOptions{Directory: dir + "/./"})
	if err != nil {
		t.Fatal(err)
	}
	pid := pidOf(t, in)
	want := portal.Instance{
		ID: in.ID, Name: filepath.Base(dir), Directory: dir, Port: in.Port, Hostname: "127.0.0.1",
		PID: &pid, StartedAt: in.StartedAt, InstanceType: "process", State: portal.StateRunning,
		URL: "http://127.0.0.1:" + itoa(in.Port),
	}
	if diff := cmp.Diff(want, in); diff != "" {
		t.Errorf("started instance (-want +got):\n%s", diff)
	}
	if in.Port < cfg.FirstPort || len(in.ID) != 8 || !procfs.Alive(pid) {
		t.Errorf("port %d (first %d), id %q, pid %d alive %v", in.Port, cfg.FirstPort, in.ID, pid, procfs.Alive(pid))
	}

	// The registry has it, with a password, in a file only we can read.
	entries := readRegistry(t, cfg.RegistryPath)
	if len(entries) != 1 || entries[0].ID != in.ID || len(entries[0].Password) < 32 || *entries[0].OpencodePID != pid {
		t.Fatalf("registry entries = %+v", entries)
	}
	if fi, _ := os.Stat(cfg.RegistryPath); fi.Mode().Perm() != 0o600 {
		t.Errorf("registry mode %v, want 0600", fi.Mode().Perm())
	}
	if b, _ := json.Marshal(in); strings.Contains(string(b), entries[0].Password) {
		t.Errorf("the instance carries its password: %s", b)
	}

	// Found by id and by port, and listed.
	for _, key := range []string{in.ID, itoa(in.Port)} {
		got, err := p.Instance(context.Background(), key)
		if err != nil || got.ID != in.ID {
			t.Errorf("Instance(%q) = %+v, %v", key, got, err)
		}
	}
	list, err := p.Instances(context.Background())
	if err != nil || len(list) != 1 || list[0].ID != in.ID || list[0].State != portal.StateRunning {
		t.Errorf("Instances = %+v, %v", list, err)
	}
	logs, err := p.InstanceLogs(context.Background(), in.ID, 0)
	if err != nil || !slices.Contains(logs, "opencode server listening on http://127.0.0.1:"+itoa(in.Port)) {
		t.Errorf("InstanceLogs = %q, %v", logs, err)
	}

	if err := p.StopInstance(context.Background(), itoa(in.Port)); err != nil {
		t.Fatal(err)
	}
	if procfs.Alive(pid) {
		t.Errorf("after Stop: pid %d alive", pid)
	}
	if !supervisor.PortFree("127.0.0.1", in.Port) {
		t.Errorf("after Stop: port %d bound, %s", in.Port, stillBound(in.Port))
	}
	if entries := readRegistry(t, cfg.RegistryPath); len(entries) != 0 {
		t.Errorf("registry after Stop = %+v", entries)
	}
	if _, err := os.Stat(entries[0].LogFile); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("log file left after Stop: %v", err)
	}
	for _, key := range []string{in.ID, itoa(in.Port)} {
		if err := p.StopInstance(context.Background(), key); !errors.Is(err, portal.ErrNotFound) {
			t.Errorf("second StopInstance(%q) = %v, want ENOTFOUND", key, err)
		}
	}
}

func TestStartSameFolderGivesOneInstance(t *testing.T) {
	cfg := fakeConfig(t, "FAKE_DELAY_MS=300") // a start long enough to overlap
	p1 := portal.NewTestPortal(t, cfg)
	p2 := portal.NewTestPortal(t, cfg) // another Portal on the same registry
	dir := t.TempDir()
	var wg sync.WaitGroup
	ids := make([]string, 10)
	errs := make([]error, 10)
	for i := range ids {
		p := p1
		if i%2 == 1 {
			p = p2
		}
		wg.Go(func() {
			in, err := p.StartInstance(context.Background(), portal.StartOptions{Directory: dir})
			ids[i], errs[i] = in.ID, err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("start %d: %v", i, err)
		}
	}
	if slices.Compact(slices.Clone(ids))[0] != ids[0] || len(slices.Compact(slices.Sorted(slices.Values(ids)))) != 1 {
		t.Errorf("ids = %q, want one id", ids)
	}
	if entries := readRegistry(t, cfg.RegistryPath); len(entries) != 1 {
		t.Errorf("registry has %d entries, want 1: %+v", len(entries), entries)
	}
	// Starting it again later returns it too.
	in, err := p2.StartInstance(context.Background(), portal.StartOptions{Directory: dir, Port: 1})
	if err != nil || in.ID != ids[0] {
		t.Errorf("later start = %+v, %v; want %s", in, err, ids[0])
	}
}

func TestStartPortConflicts(t *testing.T) {
	cfg := fakeConfig(t)
	p := portal.NewTestPortal(t, cfg)
	first, err := p.StartInstance(context.Background(), portal.StartOptions{Directory: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	busy := l.Addr().(*net.TCPAddr).Port
	tests := []struct {
		name string
		port int
		want string
	}{
		{"port of an instance", first.Port, "already used by instance"},
		{"port of another program", busy, "in use by another program"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := p.StartInstance(context.Background(), portal.StartOptions{Directory: t.TempDir(), Port: tt.port})
			if !errors.Is(err, portal.ErrConflict) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want ECONFLICT with %q", err, tt.want)
			}
		})
	}
	// Without a port, the taken ones are skipped.
	cfg2 := cfg
	cfg2.FirstPort = busy
	p2 := portal.NewTestPortal(t, cfg2)
	in, err := p2.StartInstance(context.Background(), portal.StartOptions{Directory: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if in.Port <= busy {
		t.Errorf("port %d, want one after the busy %d", in.Port, busy)
	}
	if entries := readRegistry(t, cfg.RegistryPath); len(entries) != 2 {
		t.Errorf("registry has %d entries, want 2", len(entries))
	}
}

func TestFailedStartLeavesNothing(t *testing.T) {
	t.Parallel() // it waits for a start timeout
	cfg := fakeConfig(t, "FAKE_EXIT=1")
	p := portal.NewTestPortal(t, cfg)
	_, err := p.StartInstance(context.Background(), portal.StartOptions{Directory: t.TempDir()})
	if !errors.Is(err, portal.ErrUnavailable) || !strings.Contains(err.Error(), "fatal: boom") {
		t.Fatalf("err = %v, want EUNAVAILABLE with OpenCode's output", err)
	}
	if entries := readRegistry(t, cfg.RegistryPath); len(entries) != 0 {
		t.Errorf("registry after a failed start = %+v", entries)
	}

	cfg = fakeConfig(t, "FAKE_SILENT=1")
	cfg.StartTimeout = 3 * time.Second
	p = portal.NewTestPortal(t, cfg)
	_, err = p.StartInstance(context.Background(), portal.StartOptions{Directory: t.TempDir()})
	if !errors.Is(err, portal.ErrTimeout) || !strings.Contains(err.Error(), "fake: booting") {
		t.Fatalf("err = %v, want ETIMEOUT with OpenCode's output", err)
	}
}

func TestCloseLeavesInstancesForTheNextPortal(t *testing.T) {
	cfg := fakeConfig(t)
	cfg.StopOnClose = false
	p1, err := portal.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	in, err := p1.StartInstance(context.Background(), portal.StartOptions{Directory: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	pid := pidOf(t, in)
	t.Cleanup(func() { supervisor.Terminate(context.Background(), pid, 0) })
	if err := p1.Close(); err != nil {
		t.Fatal(err)
	}
	if !procfs.Alive(pid) {
		t.Fatal("Close stopped the instance")
	}
	if _, err := p1.StartInstance(context.Background(), portal.StartOptions{Directory: t.TempDir()}); !errors.Is(err, portal.ErrUnavailable) {
		t.Errorf("StartInstance after Close = %v, want EUNAVAILABLE", err)
	}

	p2 := portal.NewTestPortal(t, cfg)
	got, err := p2.Instance(context.Background(), in.ID)
	if err != nil || got.State != portal.StateRunning || pidOf(t, got) != pid {
		t.Fatalf("adopted instance = %+v, %v", got, err)
	}
	logs, err := p2.InstanceLogs(context.Background(), in.ID, 1)
	if err != nil || len(logs) != 1 || !strings.Contains(logs[0], "listening on") {
		t.Errorf("logs of the adopted instance = %q, %v", logs, err)
	}
	if err := p2.StopInstance(context.Background(), in.ID); err != nil {
		t.Fatal(err)
	}
	testwait.Until(t, "the adopted process to end", func() bool { return !procfs.Alive(pid) })
}

func TestStopOnCloseStopsWhatItStarted(t *testing.T) {
	cfg := fakeConfig(t)
	p, err := portal.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for range 3 {
		in, err := p.StartInstance(context.Background(), portal.StartOptions{Directory: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		pids = append(pids, pidOf(t, in))
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	for _, pid := range pids {
		if procfs.Alive(pid) {
			t.Errorf("pid %d alive after Close", pid)
		}
	}
	if entries := readRegistry(t, cfg.RegistryPath); len(entries) != 0 {
		t.Errorf("registry after Close = %+v", entries)
	}
}

func TestCleanRemovesDeadEntries(t *testing.T) {
	cfg := fakeConfig(t)
	p := portal.NewTestPortal(t, cfg)
	live, err := p.StartInstance(context.Background(), portal.StartOptions{Directory: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	dead := 2147483646
	err = registry.New(cfg.RegistryPath).Update(context.Background(), func(f *registry.File) error {
		f.Instances = append(f.Instances, registry.Entry{ID: "deadbeef", Name: "gone", Directory: "/gone", OpencodePort: 4000, OpencodePID: &dead})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	removed, err := p.Clean(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != 1 || removed[0].ID != "deadbeef" {
		t.Errorf("Clean removed %+v, want deadbeef", removed)
	}
	if entries := readRegistry(t, cfg.RegistryPath); len(entries) != 1 || entries[0].ID != live.ID {
		t.Errorf("registry after Clean = %+v", entries)
	}
}

// TestRegistryChurnAcrossProcesses runs 8 portal processes that start and
// stop instances against one registry file for many rounds, while another
// process dies holding the registry lock. No entry may be lost and the file
// must stay valid.
func TestRegistryChurnAcrossProcesses(t *testing.T) {
	t.Parallel()
	const workers, rounds = 8, 12
	cfg := fakeConfig(t)
	cfg.StopOnClose = false // each worker keeps one instance running
	dirs := t.TempDir()

	holder := startRole(t, "lock-and-hang", roleConfig{Config: cfg})
	holder.expect(t, "LOCKED", time.Minute)
	var procs []*roleProcess
	for w := range workers {
		procs = append(procs, startRole(t, "churn", roleConfig{Config: cfg, Dirs: dirs, Rounds: rounds, Worker: w}))
	}
	time.Sleep(200 * time.Millisecond) // let them queue behind the lock
	holder.cmd.Process.Kill()          // the holder crashes with the lock

	var kept []string
	for w, rp := range procs {
		kept = append(kept, rp.expect(t, "KEPT", 2*time.Minute))
		if err := rp.cmd.Wait(); err != nil {
			t.Errorf("worker %d: %v", w, err)
		}
	}
	entries := readRegistry(t, cfg.RegistryPath)
	var ids []string
	for _, e := range entries {
		ids = append(ids, e.ID)
		if e.OpencodePID == nil || !procfs.Alive(*e.OpencodePID) {
			t.Errorf("entry %s: process not alive: %+v", e.ID, e)
		}
	}
	slices.Sort(ids)
	slices.Sort(kept)
	if diff := cmp.Diff(kept, ids); diff != "" {
		t.Errorf("registry entries after the churn (-kept +registry):\n%s", diff)
	}
	// A new portal adopts all of them (their portals are gone) and stops them.
	cfg.StopOnClose = true
	p := portal.NewTestPortal(t, cfg)
	for _, e := range entries {
		if err := p.StopInstance(context.Background(), e.ID); err != nil {
			t.Error(err)
		}
	}
	for _, e := range entries {
		testwait.Until(t, fmt.Sprintf("pid %d to end", *e.OpencodePID), func() bool { return !procfs.Alive(*e.OpencodePID) })
	}
}

// TestAdoptsAnInstanceOfTheOriginalCLI checks that an entry as the original
// openportal CLI writes it (no owner, no password, no log file, its web UI
// port) is adopted while its OpenCode answers, and can be stopped.
func TestAdoptsAnInstanceOfTheOriginalCLI(t *testing.T) {
	cfg := fakeConfig(t)
	port, err := supervisor.FreePort("127.0.0.1", 27100, nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cmd := exec.Command(cfg.OpenCodeBin, "serve", "--port", itoa(port), "--hostname", "0.0.0.0")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), cfg.Env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	waited := make(chan struct{})
	go func() { cmd.Wait(); close(waited) }()
	t.Cleanup(func() { syscall.Kill(-pid, syscall.SIGKILL); <-waited })
	testwait.Until(t, "the fake to listen", func() bool { return !supervisor.PortFree("127.0.0.1", port) })

	original := fmt.Sprintf(`{"instances":[{"id":"k3j9x2ab","name":"app","directory":%q,"port":3000,
		"opencodePort":%d,"hostname":"0.0.0.0","opencodePid":%d,"webPid":null,
		"startedAt":"2026-04-26T09:12:44.120Z","futureField":[1,2]}]}`, dir, port, pid)
	if err := os.WriteFile(cfg.RegistryPath, []byte(original), 0o600); err != nil {
		t.Fatal(err)
	}
	p := portal.NewTestPortal(t, cfg)
	in, err := p.Instance(context.Background(), "k3j9x2ab")
	if err != nil || in.State != portal.StateRunning || pidOf(t, in) != pid || in.URL != "http://127.0.0.1:"+itoa(port) {
		t.Fatalf("instance = %+v, %v", in, err)
	}
	e := readRegistry(t, cfg.RegistryPath)[0]
	var extra []int
	json.Unmarshal(e.Extra["futureField"], &extra)
	if e.Owner == "" || !slices.Equal(extra, []int{1, 2}) {
		t.Errorf("entry after adoption: owner %q, extra %s", e.Owner, e.Extra)
	}
	if logs, err := p.InstanceLogs(context.Background(), in.ID, 10); err != nil || len(logs) != 0 {
		t.Errorf("logs of an instance whose output nobody captured: %q, %v", logs, err)
	}
	if err := p.StopInstance(context.Background(), in.ID); err != nil {
		t.Fatal(err)
	}
	select {
	case <-waited:
	case <-time.After(30 * time.Second):
		t.Fatal("the adopted process did not exit")
	}
}

// TestRestartTakesOverAnotherPortalsInstance checks that restarting an
// instance another live portal supervises moves it here, and that the other
// portal lets it go instead of restarting it.
func TestRestartTakesOverAnotherPortalsInstance(t *testing.T) {
	cfg := fakeConfig(t)
	cfg.Restart = portal.RestartOnFailure
	cfg.RestartBackoff = 10 * time.Millisecond
	p1 := portal.NewTestPortal(t, cfg)
	p2 := portal.NewTestPortal(t, cfg)
	in, err := p1.StartInstance(context.Background(), portal.StartOptions{Directory: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	first := pidOf(t, in)
	got, err := p2.RestartInstance(context.Background(), in.ID)
	if err != nil {
		t.Fatal(err)
	}
	second := pidOf(t, got)
	if second == first || got.Port != in.Port || got.State != portal.StateRunning {
		t.Fatalf("after the takeover: %+v (first pid %d)", got, first)
	}
	testwait.Until(t, "the first process to end", func() bool { return !procfs.Alive(first) })
	time.Sleep(300 * time.Millisecond) // a wrong restart by p1 would have happened by now
	entries := readRegistry(t, cfg.RegistryPath)
	if len(entries) != 1 || entries[0].OpencodePID == nil || *entries[0].OpencodePID != second {
		t.Fatalf("registry after the takeover: %+v", entries)
	}
	seen, err := p1.Instance(context.Background(), in.ID)
	if err != nil || pidOf(t, seen) != second || seen.State != portal.StateRunning {
		t.Errorf("p1 sees %+v, %v; want p2's process %d running", seen, err, second)
	}
	if err := p2.StopInstance(context.Background(), in.ID); err != nil {
		t.Fatal(err)
	}
	if procfs.Alive(second) {
		t.Errorf("pid %d alive after stop", second)
	}
}

// TestCloseLeavesNoGoroutine checks that Close ends every goroutine the
// instances started.
func TestCloseLeavesNoGoroutine(t *testing.T) {
	base := runtime.NumGoroutine()
	p, err := portal.New(fakeConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := p.StartInstance(context.Background(), portal.StartOptions{Directory: t.TempDir()}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := p.Instances(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	testwait.Until(t, "the goroutines to end", func() bool { return runtime.NumGoroutine() <= base })
}
