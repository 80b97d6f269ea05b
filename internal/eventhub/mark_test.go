package eventhub

import (
	"errors"
	"strings"
	"testing"

	"github.com/opencode-portal/portal/internal/testwait"
)

// TestMarkAdvancesBeforeSubscribersSee checks that every change Mark
// reports is counted before any subscriber receives it, that the events
// Config.Changes calls quiet are not, and that the stream is live from its
// first event until it ends, and again once reconnected.
func TestMarkAdvancesBeforeSubscribersSee(t *testing.T) {
	u := newFakeUpstream()
	h := newTestHub(t, u, func(c *Config[testEvent]) {
		c.Changes = func(ev testEvent) bool { return ev.Type != "server.heartbeat" }
		c.MaxEventSize = 200
	})
	if _, live := h.Mark(); live {
		t.Fatal("Mark() is live before anyone subscribed")
	}
	ch := subscribe(t, h, nil)
	c := waitConn(t, u)
	m0, live := h.Mark()
	if !live {
		t.Fatal("Mark() is not live once Subscribe returned")
	}

	steps := []struct {
		name    string
		act     func()
		advance bool
	}{
		{"an upstream heartbeat", func() { c.send(`{"type":"server.heartbeat","properties":{}}`) }, false},
		{"an upstream event", func() { c.send(event("ses_a", 1)) }, true},
		{"an upstream event dropped for its size", func() { c.send(`{"type":"x","properties":{"pad":"` + strings.Repeat("x", 300) + `"}}`) }, true},
		{"a published event", func() { h.Publish(testEvent{Type: "portal.instance"}) }, true},
	}
	for _, s := range steps {
		s.act()
		next(t, ch)
		m, live := h.Mark()
		if advanced := m != m0; advanced != s.advance || !live {
			t.Errorf("after %s Mark() = %d, %t (before: %d); want advanced %t and live", s.name, m, live, m0, s.advance)
		}
		m0 = m
	}

	u.setFail(errors.New("connection refused"))
	c.pw.Close()
	testwait.Until(t, "the ended connection to be no longer live", func() bool {
		m, live := h.Mark()
		return !live && m != m0
	})
	m0, _ = h.Mark()
	u.setFail(nil)
	waitConn(t, u)
	if ev := next(t, ch); ev.Type != "portal.resync" {
		t.Fatalf("after the reconnection got %+v, want a resync", ev)
	}
	if m, live := h.Mark(); !live || m == m0 {
		t.Errorf("after the reconnection Mark() = %d, %t; want a new mark (not %d), live", m, live, m0)
	}
}
