package portal_test

import (
	"context"
	"sync"
	"testing"

	"github.com/opencode-portal/portal"
	"github.com/opencode-portal/portal/internal/testwait"
)

// TestSharedStartOutlivesItsFirstCaller starts one folder from ten callers
// at once; the first one gives up while OpenCode is still starting. The
// start is not its own: the nine others get the one instance.
func TestSharedStartOutlivesItsFirstCaller(t *testing.T) {
	t.Parallel()
	// The start lasts long enough for the callers to join it while it is
	// under way, also on a machine busy with the tests running beside.
	cfg := fakeConfig(t, "FAKE_DELAY_MS=5000")
	p := portal.NewTestPortal(t, cfg)
	dir := t.TempDir()

	first, leave := context.WithCancel(context.Background())
	firstErr := make(chan error, 1)
	go func() {
		_, err := p.StartInstance(first, portal.StartOptions{Directory: dir})
		firstErr <- err
	}()
	// Wait until the first caller's start has written its entry: the
	// others join it.
	testwait.Until(t, "the first start to reserve the folder", func() bool {
		return len(readRegistry(t, cfg.RegistryPath)) == 1
	})
	ids := make([]string, 9)
	errs := make([]error, 9)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Go(func() {
			in, err := p.StartInstance(context.Background(), portal.StartOptions{Directory: dir})
			ids[i], errs[i] = in.ID, err
		})
	}
	leave()
	if err := <-firstErr; portal.ErrorCode(err) != portal.ETIMEOUT {
		t.Errorf("the caller who left got %v, want ETIMEOUT", err)
	}
	wg.Wait()
	entries := readRegistry(t, cfg.RegistryPath)
	if len(entries) != 1 {
		t.Fatalf("registry has %d entries, want 1: %+v", len(entries), entries)
	}
	for i := range ids {
		if errs[i] != nil || ids[i] != entries[0].ID {
			t.Errorf("caller %d got instance %q, %v; want %q", i+2, ids[i], errs[i], entries[0].ID)
		}
	}
	in, err := p.Instance(context.Background(), entries[0].ID)
	if err != nil || in.State != portal.StateRunning {
		t.Errorf("Instance = %+v, %v; want it running", in, err)
	}
}
