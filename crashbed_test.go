package portal_test

import (
	"context"
	"errors"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/opencode-portal/portal"
	"github.com/opencode-portal/portal/portaltest"
)

// crashBed is a real OpenCode started by a Portal under the on-failure
// policy, in a git repository, and killed with -9 while a subscriber
// listens to the instance's events: one crash, set up once for the two
// tests that check what follows it. TestInstanceEventsAcrossACrash checks
// the events, the on-failure subtest of TestInstancesWithOpenCode the
// instance once restarted.
type crashBed struct {
	once  sync.Once
	ready chan struct{} // closed once the crash is set up, or err is set
	err   error

	cfg      portal.Config
	portal   *portal.Portal
	in       portal.Instance // as started, before the kill
	killed   time.Time       // when the kill was sent
	events   []seenEvent     // what the subscriber got after the kill, up to the first resync
	resynced bool            // whether a resync came within 2 minutes of the kill
}

// seenEvent is an event and when the subscriber received it.
type seenEvent struct {
	portal.Event
	At time.Time
}

// crashes is the package's one shared crash.
var crashes = &crashBed{ready: make(chan struct{})}

// start sets the crash up in the background unless a test did, and returns
// at once. A test calls it before t.Parallel, so that OpenCode starts, is
// killed and starts again while the tests that do not run in parallel run,
// and waits for it with wait afterwards.
func (c *crashBed) start() {
	c.once.Do(func() {
		shared.goStart(func() {
			defer close(c.ready)
			bin, err := portaltest.OpenCodeBinary()
			if err == nil {
				err = c.setUp(bin)
			}
			c.err = err
		})
	})
}

// wait returns the crash once the subscriber got the resync that follows
// the restart (or gave up after 2 minutes), setting it up unless a test
// did. Without opencode the test fails under CI and is skipped elsewhere.
func (c *crashBed) wait(t testing.TB) *crashBed {
	t.Helper()
	portaltest.RequireOpenCode(t)
	c.start()
	<-c.ready
	if c.err != nil {
		t.Fatalf("the shared crash: %v", c.err)
	}
	return c
}

func (c *crashBed) setUp(bin string) error {
	home, err := shared.tempDir("portal-crash-home-*")
	if err != nil {
		return err
	}
	regDir, err := shared.tempDir("portal-crash-registry-*")
	if err != nil {
		return err
	}
	dir, err := shared.tempDir("portal-crash-project-*")
	if err != nil {
		return err
	}
	if err := portaltest.InitGitRepo(dir); err != nil {
		return err
	}
	if c.cfg, err = newOpenCodeConfig(bin, home, regDir); err != nil {
		return err
	}
	c.cfg.Restart, c.cfg.RestartBackoff = portal.RestartOnFailure, 100*time.Millisecond
	if c.portal, err = portal.New(c.cfg); err != nil {
		return err
	}
	shared.onClose(c.portal.Close)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if c.in, err = c.portal.StartInstance(ctx, portal.StartOptions{Directory: dir}); err != nil {
		return err
	}
	if c.in.PID == nil {
		return errors.New("the started instance has no pid")
	}
	events, err := c.portal.Subscribe(ctx, c.in.Port, portal.EventFilter{})
	if err != nil {
		return err
	}
	c.killed = time.Now()
	if err := syscall.Kill(*c.in.PID, syscall.SIGKILL); err != nil {
		return err
	}
	timeout := time.After(2 * time.Minute) // a restart on a loaded 2-core machine
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				return nil
			}
			c.events = append(c.events, seenEvent{ev, time.Now()})
			if ev.Type == portal.EventResync {
				c.resynced = true
				return nil
			}
		case <-timeout:
			return nil
		}
	}
}
