package portal

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/opencode-portal/portal/internal/eventhub"
	"github.com/opencode-portal/portal/internal/gitrepo"
)

// The Portal keeps, for each instance, an OpenCode client, a git repository
// handle, an event hub and its own session listing. They live as long as
// the instance: when it stops they are dropped (for an instance another
// portal supervises, when a connection to it finds its process gone), and
// when it is removed or another instance takes its port, its hub is closed
// too, ending its subscriptions and goroutines.

// instanceEnded drops the client, the git repository handle and the session
// listing kept for the instance on port, whose OpenCode stopped or crashed;
// they are made again if it runs again. With removed (the instance is no
// longer registered, or another one took its port) its event hub is closed
// and dropped as well.
func (p *Portal) instanceEnded(port int, removed bool) {
	if port == 0 {
		return
	}
	want := strconv.Itoa(port)
	p.mu.Lock()
	for addr := range p.clients {
		if _, ap, _ := net.SplitHostPort(addr); ap == want {
			delete(p.clients, addr)
		}
	}
	p.mu.Unlock()
	p.git.drop(port)
	p.lists.drop(port)
	if removed {
		p.events.removed(port)
	}
}

// gitRepos keeps one gitrepo.Repo per worktree, so that writes to a
// worktree are serialized and reads run concurrently. A repository is kept
// while an instance that used it is up.
type gitRepos struct {
	mu    sync.Mutex
	repos map[string]*gitrepo.Repo // by worktree
	ports map[int]string           // the worktree each instance port used
}

func newGitRepos() *gitRepos {
	return &gitRepos{repos: make(map[string]*gitrepo.Repo), ports: make(map[int]string)}
}

// open returns the repository of worktree wt for the instance on port,
// opening it on first use.
func (g *gitRepos) open(port int, wt string) (*gitrepo.Repo, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if old, ok := g.ports[port]; ok && old != wt {
		g.release(port)
	}
	r, ok := g.repos[wt]
	if !ok {
		var err error
		if r, err = gitrepo.Open(wt); err != nil {
			return nil, gitError(err, EINTERNAL)
		}
		g.repos[wt] = r
	}
	g.ports[port] = wt
	return r, nil
}

// drop forgets that the instance on port uses its worktree; the repository
// is dropped once no instance uses it.
func (g *gitRepos) drop(port int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.release(port)
}

// release is drop with g.mu held.
func (g *gitRepos) release(port int) {
	wt, ok := g.ports[port]
	if !ok {
		return
	}
	delete(g.ports, port)
	for _, other := range g.ports {
		if other == wt {
			return
		}
	}
	delete(g.repos, wt)
}

// Session listings: the Portal keeps, for each instance whose own sessions
// were listed lately, the last listing OpenCode sent (the default scope
// only, and not for an instance in "/", whose listing holds the sessions
// of folders whose events go to other streams), and answers the next one
// with it while nothing may have changed:
//
//   - while the instance's event hub holds a live connection to OpenCode's
//     event stream (the cache subscribes to keep it open) and no event that
//     may change a session (every one but OpenCode's heartbeats), no
//     reconnection and no change of the instance's state came since it was
//     read: the hub's Mark is unchanged;
//   - while no write the portal relays to that OpenCode (a session created,
//     renamed, forked, deleted, prompted, aborted; a reply) came back since;
//   - for at most sessionListMaxAge, a bound against changes that reach
//     OpenCode's database without an event on this OpenCode's stream:
//     OpenCode keeps one database per user, so an `opencode` TUI or
//     `opencode run` in the same folder writes sessions this OpenCode lists
//     but tells only its own subscribers; and a stream that stops sending
//     without closing is noticed only after the hub's stall timeout.
//
// A listing read while any of these changed is not kept (the mark and the
// generation are taken before asking OpenCode, checked before keeping), so
// a change during the read cannot leave a stale copy; listings asked at
// once share one read if it began after the last change.

const (
	// sessionListMaxAge is how long a listing is kept at most.
	sessionListMaxAge = 2 * time.Second
	// sessionListIdle is how long a listing's subscription is kept
	// without a listing asked.
	sessionListIdle = time.Minute
	// sessionListRetry is the first wait before a failed subscription is
	// tried again; it doubles up to sessionListIdle.
	sessionListRetry = time.Second
)

// sessionLists holds the kept listing of each instance port.
type sessionLists struct {
	maxAge, idle, retry time.Duration

	mu     sync.Mutex
	lists  map[int]*sessionList
	closed bool
	wg     sync.WaitGroup // the lists' subscriptions
}

func newSessionLists() *sessionLists {
	return &sessionLists{maxAge: sessionListMaxAge, idle: sessionListIdle, retry: sessionListRetry, lists: make(map[int]*sessionList)}
}

// sessionList is the kept listing of one instance, valid while its hub's
// mark and its generation are those it was read at.
type sessionList struct {
	owner  *sessionLists
	hub    *eventhub.Hub[Event]
	cancel context.CancelFunc // ends the subscription
	used   atomic.Int64       // when a listing was last asked, in Unix nanoseconds
	reads  singleflight.Group // by mark and generation

	mu   sync.Mutex
	gen  uint64          // advanced by each write relayed to the instance
	raw  json.RawMessage // nil when none is kept
	mark uint64          // the hub's mark raw was read at
	at   time.Time       // when raw was asked for
}

// get returns the listing of the instance whose event hub is hub, kept or
// read by read, and keeps what read returns when nothing changed meanwhile.
// The bytes returned must not be modified.
func (s *sessionLists) get(ctx context.Context, port int, hub *eventhub.Hub[Event], read func(context.Context) (json.RawMessage, error)) (json.RawMessage, error) {
	l := s.list(port, hub)
	if l == nil { // the portal is closing
		return read(ctx)
	}
	for {
		mark, live := hub.Mark()
		l.mu.Lock()
		gen := l.gen
		if live && l.raw != nil && l.mark == mark && time.Since(l.at) < s.maxAge {
			raw := l.raw
			l.mu.Unlock()
			return raw, nil
		}
		l.mu.Unlock()
		if !live {
			return read(ctx)
		}
		v, err, shared := l.reads.Do(strconv.FormatUint(mark, 10)+"/"+strconv.FormatUint(gen, 10), func() (any, error) {
			at := time.Now()
			raw, err := read(ctx)
			if err == nil {
				l.keep(raw, mark, gen, at)
			}
			return raw, err
		})
		if shared && err != nil && ctx.Err() == nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
			continue // the caller who read for all left: read again
		}
		raw, _ := v.(json.RawMessage)
		return raw, err
	}
}

// keep stores raw, read from mark and gen on, unless a change came since.
func (l *sessionList) keep(raw json.RawMessage, mark, gen uint64, at time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now, live := l.hub.Mark(); !live || now != mark || l.gen != gen {
		return
	}
	l.raw, l.mark, l.at = raw, mark, at
}

// invalidate drops the listing kept for the instance on port: a write was
// relayed to it.
func (s *sessionLists) invalidate(port int) {
	s.mu.Lock()
	l := s.lists[port]
	s.mu.Unlock()
	if l == nil {
		return
	}
	l.mu.Lock()
	l.gen++
	l.raw = nil
	l.mu.Unlock()
}

// list returns the listing of the instance on port whose hub is hub, and
// marks it used; a new one starts its subscription. It returns nil after
// close.
func (s *sessionLists) list(port int, hub *eventhub.Hub[Event]) *sessionList {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	l := s.lists[port]
	if l == nil || l.hub != hub { // none yet, or kept for the instance that held the port before
		if l != nil {
			l.cancel()
		}
		ctx, cancel := context.WithCancel(context.Background())
		l = &sessionList{owner: s, hub: hub, cancel: cancel}
		s.lists[port] = l
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			l.subscribe(ctx)
			s.forget(port, l)
		}()
	}
	l.used.Store(time.Now().UnixNano())
	return l
}

// subscribe keeps a subscription to the hub, so that its stream stays
// open, until ctx ends, the hub ends it, or no listing was asked for the
// idle time. A subscription that fails is tried again, waiting longer
// each time.
func (l *sessionList) subscribe(ctx context.Context) {
	s := l.owner
	tick := time.NewTicker(s.idle / 2)
	defer tick.Stop()
	idle := func() bool { return time.Since(time.Unix(0, l.used.Load())) > s.idle }
	for wait := s.retry; ; wait = min(2*wait, s.idle) {
		ch, err := l.hub.Subscribe(ctx, nil)
		if err == nil {
			for open := true; open; {
				select {
				case _, open = <-ch: // the hub's mark says what changed
				case <-tick.C:
					if idle() {
						return
					}
				}
			}
			return // ctx ended, or the hub ended the subscription: its instance is gone
		}
		if errors.Is(err, eventhub.ErrClosed) {
			return
		}
		retry := time.NewTimer(wait)
		select {
		case <-retry.C:
		case <-ctx.Done():
			retry.Stop()
			return
		}
		if idle() {
			return
		}
	}
}

// forget drops l, the listing of the instance on port, whose subscription
// ended, unless another took its place.
func (s *sessionLists) forget(port int, l *sessionList) {
	l.cancel()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lists[port] == l {
		delete(s.lists, port)
	}
}

// drop ends the subscription of the listing kept for the instance on port
// and drops the listing: the instance ended.
func (s *sessionLists) drop(port int) {
	s.mu.Lock()
	l := s.lists[port]
	delete(s.lists, port)
	s.mu.Unlock()
	if l != nil {
		l.cancel()
	}
}

// close ends every subscription and waits for them to end.
func (s *sessionLists) close() {
	s.mu.Lock()
	s.closed = true
	for port, l := range s.lists {
		l.cancel()
		delete(s.lists, port)
	}
	s.mu.Unlock()
	s.wg.Wait()
}
