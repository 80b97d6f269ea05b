package portal

import (
	"context"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/opencode-portal/portal/internal/fakeopencode"
	"github.com/opencode-portal/portal/internal/registry"
)

// TestCachesEndWithTheInstance stops an instance and starts another on the
// same port, three times, the last time as another program would (its
// entry replaced in the registry, not removed by this Portal): each new
// instance's events and git are its own, what was kept for the old one is
// dropped, and no goroutine is left behind.
func TestCachesEndWithTheInstance(t *testing.T) {
	srv := &fakeopencode.Server{}
	p, port, path := newEventPortal(t, srv)
	reg := registry.New(path)
	place := func(id, dir string) { // registers instance id in dir on port, in place of any other
		t.Helper()
		pid := os.Getpid()
		err := reg.Update(context.Background(), func(f *registry.File) error {
			f.Instances = []registry.Entry{{ID: id, Directory: dir, OpencodePort: port, Hostname: "127.0.0.1", OpencodePID: &pid}}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// use subscribes to the instance on port and reads its git status; it
	// returns the subscription and the worktree the status was read in.
	use := func() (<-chan Event, string) {
		t.Helper()
		ch, err := p.Subscribe(t.Context(), port, EventFilter{})
		if err != nil {
			t.Fatal(err)
		}
		st, err := p.GitStatus(t.Context(), port)
		if err != nil {
			t.Fatal(err)
		}
		return ch, st.Worktree
	}
	closed := func(ch <-chan Event) bool {
		timeout := time.After(10 * time.Second)
		for {
			select {
			case _, ok := <-ch:
				if !ok {
					return true
				}
			case <-timeout:
				return false
			}
		}
	}

	place("first", gitInit(t))
	ch, _ := use()
	if err := p.life.Remove("first"); err != nil { // as StopInstance does
		t.Fatal(err)
	}
	if !closed(ch) {
		t.Fatal("the stopped instance's subscription is still open")
	}
	if diff := cmp.Diff(instanceCaches{}, cachesOf(p)); diff != "" {
		t.Errorf("kept after the stop (-want +got):\n%s", diff)
	}
	base := runtime.NumGoroutine()

	for round, byPortal := range []bool{true, true, false} {
		id, dir := "next"+strconv.Itoa(round), gitInit(t)
		place(id, dir)
		ch, wt := use()
		if wt != dir {
			t.Errorf("round %d: git status read in %s, want the new instance's %s", round, wt, dir)
		}
		srv.Send(`{"type":"round","properties":{"n":` + strconv.Itoa(round) + `}}`)
		if ev := receiveEvent(t, ch); ev.Type != "round" {
			t.Errorf("round %d: got event %s, want round", round, ev.Type)
		}
		if diff := cmp.Diff(instanceCaches{Clients: 1, Repos: 1, GitPorts: 1, Hubs: 1}, cachesOf(p)); diff != "" {
			t.Errorf("round %d: kept while up (-want +got):\n%s", round, diff)
		}
		if byPortal {
			if err := p.life.Remove(id); err != nil {
				t.Fatal(err)
			}
		} else {
			place("other", gitInit(t)) // another program put its instance on the port
			srv.Send("")               // the old instance's stream ends
			if !closed(ch) {
				t.Fatal("the subscription to the replaced instance is still open")
			}
			if _, wt := use(); wt == dir {
				t.Errorf("git of the replaced instance is still served: %s", wt)
			}
			if err := p.life.Remove("other"); err != nil {
				t.Fatal(err)
			}
		}
		if !closed(ch) {
			t.Fatalf("round %d: the stopped instance's subscription is still open", round)
		}
		if diff := cmp.Diff(instanceCaches{}, cachesOf(p)); diff != "" {
			t.Errorf("round %d: kept after the stop (-want +got):\n%s", round, diff)
		}
	}
	p.transport.CloseIdleConnections()
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > base && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > base {
		t.Errorf("%d goroutines after three instances came and went on the port, %d before", n, base)
	}
}

// instanceCaches counts what a Portal keeps for its instances.
type instanceCaches struct{ Clients, Repos, GitPorts, Hubs int }

func cachesOf(p *Portal) instanceCaches {
	var c instanceCaches
	p.mu.Lock()
	c.Clients = len(p.clients)
	p.mu.Unlock()
	p.git.mu.Lock()
	c.Repos, c.GitPorts = len(p.git.repos), len(p.git.ports)
	p.git.mu.Unlock()
	p.events.mu.Lock()
	c.Hubs = len(p.events.hubs)
	p.events.mu.Unlock()
	return c
}

// gitInit returns a new empty git repository, its path free of symlinks.
func gitInit(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("git", "init", "-q", dir).CombinedOutput(); err != nil {
		t.Fatalf("git init: %v\n%s", err, out)
	}
	return dir
}

// TestCachesOfAForeignInstanceEndWhenItsProcessIsGone: the client and git
// repository kept for an instance another portal supervises are dropped as
// soon as a connection to it finds its process gone, not when its port is
// reused or its entry removed.
func TestCachesOfAForeignInstanceEndWhenItsProcessIsGone(t *testing.T) {
	p, port, path := newEventPortal(t, &fakeopencode.Server{})
	reg := registry.New(path)
	dir := gitInit(t)
	register := func(pid int) {
		t.Helper()
		err := reg.Update(context.Background(), func(f *registry.File) error {
			f.Instances = []registry.Entry{{ID: "foreign1", Directory: dir, OpencodePort: port, Hostname: "127.0.0.1",
				OpencodePID: &pid, Owner: strconv.Itoa(os.Getpid()) + "-another-portal"}}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	register(os.Getpid()) // this test process serves the stand-in OpenCode
	if _, err := p.Health(t.Context(), port); err != nil {
		t.Fatal(err)
	}
	if _, err := p.GitStatus(t.Context(), port); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(instanceCaches{Clients: 1, Repos: 1, GitPorts: 1}, cachesOf(p)); diff != "" {
		t.Errorf("kept while up (-want +got):\n%s", diff)
	}

	// Its OpenCode exits; the registry keeps the pid, which is gone.
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	register(gone.Process.Pid)
	p.transport.CloseIdleConnections() // as the exit closed them
	_, err := p.Health(t.Context(), port)
	if ErrorCode(err) != ENOTRUNNING {
		t.Fatalf("Health of a gone instance = %v, want ENOTRUNNING", err)
	}
	if diff := cmp.Diff(instanceCaches{}, cachesOf(p)); diff != "" {
		t.Errorf("kept after its process is gone (-want +got):\n%s", diff)
	}
}
