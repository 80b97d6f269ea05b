package portal_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/opencode-portal/portal"
	"github.com/opencode-portal/portal/internal/procfs"
	"github.com/opencode-portal/portal/internal/supervisor"
)

// TestTruncatedRegistry truncates the registry under a running instance:
// the list still shows it, a second start of its folder returns it without
// starting another OpenCode, a start elsewhere says the registry is damaged
// and how to repair it, the file is not written over, and Close leaves no
// OpenCode behind (none could be found again without the registry).
func TestTruncatedRegistry(t *testing.T) {
	cfg := fakeConfig(t)
	cfg.StopOnClose = false // Close would leave instances to the next portal
	p, err := portal.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	dir := t.TempDir()
	in, err := p.StartInstance(ctx, portal.StartOptions{Directory: dir})
	if err != nil {
		p.Close()
		t.Fatal(err)
	}
	pid := *in.PID
	t.Cleanup(func() { supervisor.Terminate(context.Background(), pid, 0) })
	if err := os.Truncate(cfg.RegistryPath, 0); err != nil {
		t.Fatal(err)
	}

	list, err := p.Instances(ctx)
	if diff := cmp.Diff([]string{in.ID + " running"}, idStates(list)); err != nil || diff != "" {
		t.Errorf("Instances (-want +got):\n%s%v", diff, err)
	}
	again, err := p.StartInstance(ctx, portal.StartOptions{Directory: dir})
	if err != nil || again.ID != in.ID || again.PID == nil || *again.PID != pid {
		t.Errorf("second start = %+v, %v; want instance %s, pid %d", again, err, in.ID, pid)
	}
	_, err = p.StartInstance(ctx, portal.StartOptions{Directory: t.TempDir()})
	if msg := portal.ErrorMessage(err); !strings.Contains(msg, "damaged") || !strings.Contains(msg, cfg.RegistryPath) ||
		!strings.Contains(msg, "restore the file from a backup or remove it") {
		t.Errorf("start in another folder: %v; want a message saying the registry is damaged, where, and how to repair it", err)
	}
	if _, err := p.Instance(ctx, in.ID); err != nil {
		t.Errorf("Instance(%s): %v", in.ID, err)
	}

	err = p.Close()
	if err == nil || !strings.Contains(err.Error(), cfg.RegistryPath) {
		t.Errorf("Close = %v, want the registry's failure", err)
	}
	if procfs.Alive(pid) {
		t.Errorf("OpenCode (pid %d) outlived Close, orphaned: no registry lists it", pid)
	}
	if fi, err := os.Stat(cfg.RegistryPath); err != nil || fi.Size() != 0 {
		t.Errorf("the damaged registry was written over: %v, %v", fi, err)
	}
	if _, err := portal.New(cfg); !strings.Contains(portal.ErrorMessage(err), "damaged") {
		t.Errorf("New on the damaged registry: %v, want it said damaged", err)
	}
}
