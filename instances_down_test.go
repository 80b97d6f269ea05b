package portal_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/opencode-portal/portal"
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
	for _, cleaner := range []string{"this portal", "another portal"} {
		t.Run(cleaner, func(t *testing.T) {
			cfg := fakeConfig(t, "FAKE_CRASH_MS=100")
			p := newPortal(t, cfg)
			ctx := context.Background()
			crashed, err := p.StartInstance(ctx, portal.StartOptions{Directory: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			waitUntil(t, "the crash", func() bool {
				in, err := p.Instance(ctx, crashed.ID)
				return err == nil && in.State == portal.StateCrashed
			})
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
				c = newPortal(t, portal.Config{RegistryPath: cfg.RegistryPath})
			}
			removed, err := c.Clean(ctx)
			if diff := cmp.Diff([]string{crashed.ID}, idsOnly(removed)); err != nil || diff != "" {
				t.Errorf("Clean removed (-want +got):\n%s%v", diff, err)
			}
			list, err = p.Instances(ctx, portal.ListOptions{All: true})
			if diff := cmp.Diff([]string{}, idStates(list)); err != nil || diff != "" {
				t.Errorf("Instances(All) after Clean (-want +got):\n%s%v", diff, err)
			}
		})
	}
}

func idsOnly(list []portal.Instance) []string {
	out := []string{}
	for _, in := range list {
		out = append(out, in.ID)
	}
	return out
}

// TestStopRemovesACrashedInstance: StopInstance (DELETE
// /api/instances/{id}) clears a crashed instance from the registry.
func TestStopRemovesACrashedInstance(t *testing.T) {
	cfg := fakeConfig(t, "FAKE_CRASH_MS=100")
	p := newPortal(t, cfg)
	ctx := context.Background()
	in, err := p.StartInstance(ctx, portal.StartOptions{Directory: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the crash", func() bool {
		got, err := p.Instance(ctx, in.ID)
		return err == nil && got.State == portal.StateCrashed
	})
	if err := p.StopInstance(ctx, in.ID); err != nil {
		t.Fatal(err)
	}
	if entries := readRegistry(t, cfg.RegistryPath); len(entries) != 0 {
		t.Errorf("registry after stopping a crashed instance: %+v", entries)
	}
}
