package portal_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/opencode-portal/portal"
	"github.com/opencode-portal/portal/internal/testwait"
)

// idStates returns the ids and states of a list of instances.
func idStates(list []portal.Instance) []string {
	out := []string{}
	for _, in := range list {
		out = append(out, in.ID+" "+in.State)
	}
	return out
}

// TestDownInstancesAreHiddenAndCleaned crashes an instance: the list
// leaves it out, ListOptions.All shows it, and Clean, run by this portal or
// by another one while this one supervises it, removes it.
func TestDownInstancesAreHiddenAndCleaned(t *testing.T) {
	// Clean reports it crashed, whichever portal runs it: the one that
	// supervises the instance recorded the crash in the registry.
	for _, cleaner := range []string{"this portal", "another portal"} {
		t.Run(cleaner, func(t *testing.T) {
			cfg := fakeConfig(t, "FAKE_CRASH_MS=100")
			p := portal.NewTestPortal(t, cfg)
			ctx := context.Background()
			crashed := startCrashed(t, p)
			list, err := p.Instances(ctx)
			if diff := cmp.Diff([]string{}, idStates(list)); err != nil || diff != "" {
				t.Errorf("Instances (-want +got):\n%s%v", diff, err)
			}
			list, err = p.Instances(ctx, portal.ListOptions{All: true})
			if diff := cmp.Diff([]string{crashed.ID + " crashed"}, idStates(list)); err != nil || diff != "" {
				t.Errorf("Instances(All) (-want +got):\n%s%v", diff, err)
			}
			c := p
			if cleaner == "another portal" {
				c = portal.NewTestPortal(t, portal.Config{RegistryPath: cfg.RegistryPath})
			}
			removed, err := c.Clean(ctx)
			if diff := cmp.Diff([]string{crashed.ID + " crashed"}, idStates(removed)); err != nil || diff != "" {
				t.Errorf("Clean removed (-want +got):\n%s%v", diff, err)
			}
			list, err = p.Instances(ctx, portal.ListOptions{All: true})
			if diff := cmp.Diff([]string{}, idStates(list)); err != nil || diff != "" {
				t.Errorf("Instances(All) after Clean (-want +got):\n%s%v", diff, err)
			}
		})
	}
}

// startCrashed starts an instance of a Portal whose instances crash soon
// after they start, and returns it once it crashed.
func startCrashed(t *testing.T, p *portal.Portal) portal.Instance {
	t.Helper()
	ctx := context.Background()
	in, err := p.StartInstance(ctx, portal.StartOptions{Directory: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	testwait.Until(t, "the crash", func() bool {
		got, err := p.Instance(ctx, in.ID)
		return err == nil && got.State == portal.StateCrashed
	})
	return in
}

// TestStopRemovesACrashedInstance: StopInstance (DELETE
// /api/instances/{id}) clears a crashed instance from the registry.
func TestStopRemovesACrashedInstance(t *testing.T) {
	cfg := fakeConfig(t, "FAKE_CRASH_MS=100")
	p := portal.NewTestPortal(t, cfg)
	in := startCrashed(t, p)
	if err := p.StopInstance(context.Background(), in.ID); err != nil {
		t.Fatal(err)
	}
	if entries := readRegistry(t, cfg.RegistryPath); len(entries) != 0 {
		t.Errorf("registry after stopping a crashed instance: %+v", entries)
	}
}

// TestGivenUpRestartsLeaveTheInstanceDown: under RestartOnFailure, an
// instance whose restarts gave up is crashed for every portal, so another
// portal's Clean removes it.
func TestGivenUpRestartsLeaveTheInstanceDown(t *testing.T) {
	cfg := fakeConfig(t, "FAKE_CRASH_MS=50")
	cfg.Restart, cfg.MaxRestarts, cfg.RestartBackoff = portal.RestartOnFailure, 1, 10*time.Millisecond
	p := portal.NewTestPortal(t, cfg)
	in := startCrashed(t, p)
	testwait.Until(t, "the restarts to give up", func() bool {
		got, err := p.Instance(context.Background(), in.ID)
		return err == nil && got.State == portal.StateCrashed && got.Restarts == 1
	})
	removed, err := portal.NewTestPortal(t, portal.Config{RegistryPath: cfg.RegistryPath}).Clean(context.Background())
	if diff := cmp.Diff([]string{in.ID + " crashed"}, idStates(removed)); err != nil || diff != "" {
		t.Errorf("another portal's Clean removed (-want +got):\n%s%v", diff, err)
	}
}
