package portal_test

import (
	"context"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/opencode-portal/portal"
	"github.com/opencode-portal/portal/internal/testwait"
)

// TestEveryPortalReadsTheSameState runs two portals on one registry: the
// instance one of them starts reads the same to both, field by field, while
// it starts, runs, and after its OpenCode is killed under the restart policy
// never (crashed, with how it ended); and still crashed once its owner is
// closed, also to a portal made after that.
func TestEveryPortalReadsTheSameState(t *testing.T) {
	t.Parallel()
	// The start lasts long enough for both portals to be read while it is
	// under way, also on a machine busy with the tests running beside.
	cfg := fakeConfig(t, "FAKE_DELAY_MS=5000")
	cfg.StopOnClose = false
	owner, err := portal.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ownerClosed := false
	t.Cleanup(func() {
		if !ownerClosed {
			owner.Close()
		}
	})
	other := portal.NewTestPortal(t, portal.Config{RegistryPath: cfg.RegistryPath, StopOnClose: true})
	ctx := context.Background()
	list := func(p *portal.Portal) []portal.Instance {
		t.Helper()
		l, err := p.Instances(ctx, portal.ListOptions{All: true})
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	// agree waits until both portals list the one instance alike, in state.
	agree := func(state string) portal.Instance {
		t.Helper()
		var mine, theirs []portal.Instance
		testwait.Until(t, "both portals to list the instance "+state, func() bool {
			mine, theirs = list(owner), list(other)
			return len(mine) == 1 && mine[0].State == state && cmp.Equal(mine, theirs)
		})
		return mine[0]
	}

	started := make(chan error, 1)
	go func() {
		_, err := owner.StartInstance(ctx, portal.StartOptions{Directory: t.TempDir()})
		started <- err
	}()
	agree(portal.StateStarting)
	if err := <-started; err != nil {
		t.Fatal(err)
	}
	in := agree(portal.StateRunning)

	if err := syscall.Kill(*in.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	crashed := agree(portal.StateCrashed)
	if crashed.LastExit != "signal: killed" || crashed.PID != nil {
		t.Errorf("crashed instance: LastExit %q, PID %v; want \"signal: killed\", none", crashed.LastExit, crashed.PID)
	}
	for name, p := range map[string]*portal.Portal{"owner": owner, "other": other} {
		got, err := p.Instance(ctx, in.ID)
		if diff := cmp.Diff(crashed, got); err != nil || diff != "" {
			t.Errorf("%s: Instance (-want +got):\n%s%v", name, diff, err)
		}
		// A relay through either is refused alike.
		_, err = p.Sessions(ctx, in.Port, portal.SessionListOptions{})
		if portal.ErrorCode(err) != portal.ENOTRUNNING || !strings.Contains(err.Error(), "is not running (crashed); restart it") {
			t.Errorf("%s: Sessions of the crashed instance: %v, want %s saying it crashed", name, err, portal.ENOTRUNNING)
		}
	}

	ownerClosed = true
	if err := owner.Close(); err != nil {
		t.Fatal(err)
	}
	later := portal.NewTestPortal(t, portal.Config{RegistryPath: cfg.RegistryPath, StopOnClose: true})
	for name, p := range map[string]*portal.Portal{"other": other, "a portal made after": later} {
		if diff := cmp.Diff([]portal.Instance{crashed}, list(p)); diff != "" {
			t.Errorf("%s, after the owner closed (-want +got):\n%s", name, diff)
		}
	}
}
