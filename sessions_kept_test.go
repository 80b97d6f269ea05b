package portal_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/opencode-portal/portal"
	"github.com/opencode-portal/portal/internal/fakeopencode"
	"github.com/opencode-portal/portal/internal/testwait"
)

// keptBed is a Portal over a stand-in OpenCode, which counts its session
// listings and sends only the events the test sends, and the test's own
// subscription to the instance's events.
type keptBed struct {
	oc     *fakeopencode.Server
	p      *portal.Portal
	port   int
	dir    string
	events <-chan portal.Event
	during atomic.Pointer[func()] // run once by the next listing, after it read the sessions
	sent   atomic.Int64           // events sent so far, for their ids
}

// newKeptBed starts a keptBed whose Portal keeps a listing for at most
// maxAge, with two sessions in the instance's folder and one elsewhere.
func newKeptBed(t *testing.T, maxAge time.Duration) *keptBed {
	t.Helper()
	b := &keptBed{dir: t.TempDir()}
	b.oc = &fakeopencode.Server{Sessions: []fakeopencode.Session{
		{ID: "ses_b", Directory: b.dir, Title: "b", Time: fakeopencode.SessionTime{Created: 1, Updated: 3}},
		{ID: "ses_x", Directory: t.TempDir(), Title: "x", Time: fakeopencode.SessionTime{Created: 1, Updated: 2}},
		{ID: "ses_a", Directory: b.dir, Title: "a", Time: fakeopencode.SessionTime{Created: 1, Updated: 1}},
	}}
	b.oc.Listed = func() {
		if f := b.during.Swap(nil); f != nil {
			(*f)()
		}
	}
	b.port = portal.ServeStandIn(t, b.oc)
	b.p = portal.NewTestPortal(t, portal.Config{}, portal.StandIn{Dir: b.dir, Port: b.port})
	portal.KeepSessionListsFor(b.p, maxAge)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	var err error
	if b.events, err = b.p.Subscribe(ctx, b.port, portal.EventFilter{}); err != nil {
		t.Fatal(err)
	}
	return b
}

// list returns the instance's sessions through the Portal, as id:title.
func (b *keptBed) list(t *testing.T) []string {
	t.Helper()
	list, err := b.p.Sessions(context.Background(), b.port, portal.SessionListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, s := range list {
		out = append(out, s.ID+":"+s.Title)
	}
	return out
}

// direct returns the instance's sessions as the stand-in lists them.
func (b *keptBed) direct() []string {
	var out []string
	b.oc.EditSessions(func(list []fakeopencode.Session) []fakeopencode.Session {
		for _, s := range list {
			if s.Directory == b.dir {
				out = append(out, s.ID+":"+s.Title)
			}
		}
		return list
	})
	return out
}

// asks returns how many times OpenCode was asked for a listing while fn ran.
func (b *keptBed) asks(fn func()) int {
	n := b.oc.Listings()
	fn()
	return b.oc.Listings() - n
}

// settle waits until a listing is kept: the Portal's subscription is live
// and a listing asked twice asks OpenCode once.
func (b *keptBed) settle(t *testing.T) {
	t.Helper()
	testwait.Until(t, "a listing to be kept", func() bool {
		b.list(t)
		return b.asks(func() { b.list(t) }) == 0
	})
}

// send sends an event of type typ for the session id on the stand-in's
// event stream, and waits until the test's subscription received it.
func (b *keptBed) send(typ, id string) error {
	evID := fmt.Sprintf("evt_%d", b.sent.Add(1))
	b.oc.Send(fmt.Sprintf(`{"id":%q,"type":%q,"properties":{"sessionID":%q}}`, evID, typ, id))
	timeout := time.After(testwait.Limit)
	for {
		select {
		case ev, ok := <-b.events:
			if !ok {
				return errors.New("the test's subscription ended")
			}
			if ev.ID == evID {
				return nil
			}
		case <-timeout:
			return fmt.Errorf("event %s of type %s not received after %s", evID, typ, testwait.Limit)
		}
	}
}

// add adds the session id to the instance's folder, on the stand-in only.
func (b *keptBed) add(id, title string) {
	b.oc.EditSessions(func(list []fakeopencode.Session) []fakeopencode.Session {
		return append([]fakeopencode.Session{{ID: id, Directory: b.dir, Title: title, Time: fakeopencode.SessionTime{Created: 4, Updated: 4}}}, list...)
	})
}

// TestSessionListingKept lists an instance's sessions again and again: the
// listing OpenCode sent is answered again until an event that may change a
// session (any but OpenCode's heartbeat) or a write through the Portal, and
// the next listing shows the change at once.
func TestSessionListingKept(t *testing.T) {
	b := newKeptBed(t, time.Hour)
	b.settle(t)
	if n := b.asks(func() {
		for range 10 {
			b.list(t)
		}
	}); n != 0 {
		t.Errorf("10 listings with no change asked OpenCode %d times, want 0: the listing was not kept", n)
	}

	raw, err := b.p.SessionsJSON(context.Background(), b.port, portal.SessionListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := string(raw)
	clear(raw)
	if again, err := b.p.SessionsJSON(context.Background(), b.port, portal.SessionListOptions{}); err != nil || string(again) != want {
		t.Errorf("after the caller cleared the bytes SessionsJSON returned, it returns %q, %v; want %s", again, err, want)
	}

	steps := []struct {
		name string
		act  func() error
		asks bool // whether the next listing asks OpenCode again
		want []string
	}{
		{"OpenCode's heartbeat", func() error { return b.send("server.heartbeat", "") }, false, []string{"ses_b:b", "ses_a:a"}},
		{"a session created on OpenCode", func() error {
			b.add("ses_c", "c")
			return b.send("session.created", "ses_c")
		}, true, []string{"ses_c:c", "ses_b:b", "ses_a:a"}},
		{"a session renamed through the portal", func() error {
			_, err := b.p.UpdateSession(context.Background(), b.port, "ses_a", portal.SessionUpdate{Title: "renamed"})
			return err
		}, true, []string{"ses_c:c", "ses_b:b", "ses_a:renamed"}},
		{"a session deleted through the portal", func() error {
			return b.p.DeleteSession(context.Background(), b.port, "ses_b")
		}, true, []string{"ses_c:c", "ses_a:renamed"}},
		{"a part of a message streamed", func() error { return b.send("message.part.delta", "ses_a") }, true, []string{"ses_c:c", "ses_a:renamed"}},
	}
	for _, s := range steps {
		if err := s.act(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		var got []string
		if n := b.asks(func() { got = b.list(t) }); (n == 1) != s.asks {
			t.Errorf("after %s the listing asked OpenCode %d times; want asked again: %t", s.name, n, s.asks)
		}
		if diff := gocmp.Diff(s.want, got); diff != "" {
			t.Errorf("after %s Sessions() (-want +got):\n%s", s.name, diff)
		}
		if n := b.asks(func() { b.list(t) }); n != 0 {
			t.Errorf("after %s a second listing asked OpenCode %d times, want 0", s.name, n)
		}
	}
}

// TestSessionListingAgesOut checks the bound on a kept listing: a change
// that comes with no event shows once the listing is older than the bound.
func TestSessionListingAgesOut(t *testing.T) {
	b := newKeptBed(t, 50*time.Millisecond)
	b.settle(t)
	b.add("ses_c", "c")
	testwait.Until(t, "the session created without an event to be listed", func() bool {
		return slices.Contains(b.list(t), "ses_c:c")
	})
}

// TestSessionListingStreamDropped drops the event stream: while it is
// down no kept listing is answered, so a change whose event is lost shows;
// once it is back, listings are kept again.
func TestSessionListingStreamDropped(t *testing.T) {
	b := newKeptBed(t, time.Hour)
	b.settle(t)
	b.oc.RefuseStreams.Store(true)
	b.oc.Send("") // ends the open streams
	b.add("ses_c", "c")
	testwait.Until(t, "the session created while the stream was down to be listed", func() bool {
		return slices.Contains(b.list(t), "ses_c:c")
	})
	if n := b.asks(func() {
		for range 3 {
			b.list(t)
		}
	}); n != 3 {
		t.Errorf("3 listings while the event stream was down asked OpenCode %d times, want 3", n)
	}
	b.oc.RefuseStreams.Store(false)
	b.settle(t)
}

// TestSessionListingChangedWhileRead changes a session while OpenCode's
// listing is on its way, on OpenCode (its event arrives before the
// listing) or through the Portal: the listing read before the change is
// answered to the caller who asked for it, but not kept.
func TestSessionListingChangedWhileRead(t *testing.T) {
	tests := []struct {
		name   string
		change func(b *keptBed) error
		want   string
	}{
		{"on OpenCode", func(b *keptBed) error {
			b.add("ses_c", "c")
			return b.send("session.created", "ses_c")
		}, "ses_c:c"},
		{"through the portal", func(b *keptBed) error {
			_, err := b.p.UpdateSession(context.Background(), b.port, "ses_a", portal.SessionUpdate{Title: "renamed"})
			return err
		}, "ses_a:renamed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newKeptBed(t, time.Hour)
			b.settle(t)
			if err := b.send("message.updated", "ses_a"); err != nil { // the next listing asks OpenCode
				t.Fatal(err)
			}
			var changeErr error
			change := func() { changeErr = tt.change(b) }
			b.during.Store(&change)
			if n := b.asks(func() { b.list(t) }); n != 1 {
				t.Fatalf("the listing after an event asked OpenCode %d times, want 1", n)
			}
			if changeErr != nil {
				t.Fatal(changeErr)
			}
			if got := b.list(t); !slices.Contains(got, tt.want) {
				t.Errorf("after a change while the listing was read, Sessions() = %v; want %s listed", got, tt.want)
			}
		})
	}
}

// TestSessionListingRace lists, renames sessions through the Portal and
// changes them on OpenCode (with their events) all at once; once all is
// done and every event arrived, the listing is OpenCode's.
func TestSessionListingRace(t *testing.T) {
	b := newKeptBed(t, time.Hour)
	for i := range 20 {
		b.add(fmt.Sprintf("ses_%02d", i), "new")
	}
	b.settle(t)
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for w := range 3 {
		wg.Go(func() { // writes through the Portal
			for i := range 40 {
				id := fmt.Sprintf("ses_%02d", rand.N(20))
				if _, err := b.p.UpdateSession(context.Background(), b.port, id, portal.SessionUpdate{Title: fmt.Sprintf("w%d-%d", w, i)}); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Go(func() { // changes on OpenCode, each with its event
		for i := range 60 {
			id := fmt.Sprintf("ses_%02d", rand.N(20))
			b.oc.EditSessions(func(list []fakeopencode.Session) []fakeopencode.Session {
				for j := range list {
					if list[j].ID == id {
						list[j].Title = fmt.Sprintf("direct-%d", i)
					}
				}
				return list
			})
			if err := b.send("session.updated", id); err != nil {
				errs <- err
				return
			}
		}
	})
	stop := make(chan struct{})
	var readers sync.WaitGroup
	for range 4 {
		readers.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := b.p.SessionsJSON(context.Background(), b.port, portal.SessionListOptions{}); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	readers.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	var last string
	b.oc.EditSessions(func(list []fakeopencode.Session) []fakeopencode.Session { // one more, after the last listing kept
		list[0].Title, last = "last", list[0].ID
		return list
	})
	if err := b.send("session.updated", last); err != nil {
		t.Fatal(err)
	}
	if diff := gocmp.Diff(b.direct(), b.list(t)); diff != "" {
		t.Errorf("once every change was made, Sessions() differs from OpenCode's listing (-OpenCode +portal):\n%s", diff)
	}
}

// TestSessionListingEndsWithPortal checks that the subscription a kept
// listing holds, and its goroutines, end when the Portal is closed.
func TestSessionListingEndsWithPortal(t *testing.T) {
	base := runtime.NumGoroutine()
	t.Cleanup(func() { // after the Portal and the stand-in are closed
		testwait.Until(t, "the goroutines to end", func() bool { return runtime.NumGoroutine() <= base })
	})
	b := newKeptBed(t, time.Hour)
	b.settle(t)
}

// TestSessionListingReleasesItsStream checks that the event stream a kept
// listing holds open is closed once no listing was asked for a while, and
// opened again by the next listing, which is kept again.
func TestSessionListingReleasesItsStream(t *testing.T) {
	dir := t.TempDir()
	oc := &fakeopencode.Server{ // its heartbeats keep the stream from being reconnected as silent
		Sessions:  []fakeopencode.Session{{ID: "ses_a", Directory: dir, Title: "a", Time: fakeopencode.SessionTime{Created: 1, Updated: 1}}},
		Heartbeat: 10 * time.Millisecond,
	}
	port := portal.ServeStandIn(t, oc)
	p := portal.NewTestPortal(t, portal.Config{}, portal.StandIn{Dir: dir, Port: port})
	portal.KeepSessionListsFor(p, time.Hour)
	portal.ReleaseSessionListsAfter(p, 20*time.Millisecond)
	list := func() {
		if _, err := p.Sessions(context.Background(), port, portal.SessionListOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	list()
	testwait.Until(t, "the listing to open the event stream", func() bool { return oc.StreamsOpened() == 1 })
	testwait.Until(t, "the event stream to be closed with no listing asked", func() bool { return oc.StreamsOpen() == 0 })
	testwait.Until(t, "a listing to be kept again", func() bool {
		list()
		n := oc.Listings()
		list()
		return oc.Listings() == n
	})
	if n := oc.StreamsOpened(); n < 2 {
		t.Errorf("%d event streams opened; want one before the release and one after", n)
	}
}
