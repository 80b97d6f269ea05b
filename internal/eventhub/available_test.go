package eventhub

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func (u *fakeUpstream) attemptCount() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.attempts
}

func TestPublishReachesEverySubscriber(t *testing.T) {
	u := newFakeUpstream()
	h := newTestHub(t, u, nil)
	all := subscribe(t, h, nil)
	one := subscribe(t, h, func(e testEvent) bool { return e.Session == "ses_other" })
	waitConn(t, u)

	ev := testEvent{Type: "portal.instance", N: 4096}
	h.Publish(ev)
	for name, ch := range map[string]<-chan testEvent{"unfiltered": all, "filtered": one} {
		if diff := cmp.Diff(ev, next(t, ch)); diff != "" {
			t.Errorf("%s subscriber (-want +got):\n%s", name, diff)
		}
	}
}

func TestDownUpstreamIsNotReconnectedWithBackoff(t *testing.T) {
	u := newFakeUpstream()
	h := newTestHub(t, u, func(c *Config[testEvent]) {
		c.HeartbeatInterval = time.Millisecond // the test's clock
		c.MinBackoff, c.MaxBackoff = time.Millisecond, time.Millisecond
		c.DownRetry = time.Hour
	})
	ch := subscribe(t, h, nil)
	c := waitConn(t, u)
	h.SetAvailable(false)
	u.setFail(errors.New("connection refused"))
	c.pw.Close()

	// 50 heartbeats span at least 50 backoffs: a hub that ignored the mark
	// would have tried about as many times.
	for beats := 0; beats < 50; {
		if ev := next(t, ch); ev.Type == "portal.heartbeat" {
			beats++
		}
	}
	if got := u.attemptCount(); got != 1 {
		t.Errorf("%d connection attempts while the upstream was down, want only the first", got-1)
	}
}

func TestAvailableAgainReconnectsAtOnce(t *testing.T) {
	u := newFakeUpstream()
	h := newTestHub(t, u, func(c *Config[testEvent]) {
		c.MinBackoff, c.MaxBackoff, c.DownRetry = time.Hour, time.Hour, time.Hour
	})
	ch := subscribe(t, h, nil)
	c := waitConn(t, u)
	h.SetAvailable(false)
	c.pw.Close()
	waitClosed(t, c, "ended upstream")

	h.SetAvailable(true)
	waitConn(t, u) // without the mark, the hub would wait an hour
	if diff := cmp.Diff(testEvent{Type: "portal.resync", Session: ReasonReconnect}, next(t, ch)); diff != "" {
		t.Errorf("event after the reconnection (-want +got):\n%s", diff)
	}
}

func TestAvailableAgainReopensAPendingConnection(t *testing.T) {
	u := newFakeUpstream()
	h := newTestHub(t, u, nil) // StallTimeout is an hour
	ch := subscribe(t, h, nil)
	c := waitConn(t, u)
	u.setSilent(true)
	c.pw.Close()
	pending := waitConn(t, u) // opened while the upstream restarts: it never answers

	u.setSilent(false)
	h.SetAvailable(false)
	h.SetAvailable(true)
	waitClosed(t, pending, "connection opened before the upstream was back")
	waitConn(t, u)
	if diff := cmp.Diff(testEvent{Type: "portal.resync", Session: ReasonReconnect}, next(t, ch)); diff != "" {
		t.Errorf("event after the reconnection (-want +got):\n%s", diff)
	}
}
