package portal

import (
	"net"
	"strconv"
	"sync"

	"github.com/opencode-portal/portal/internal/gitrepo"
)

// The Portal keeps, for each instance, an OpenCode client, a git repository
// handle and an event hub. They live as long as the instance: when it stops
// they are dropped (for an instance another portal supervises, when a
// connection to it finds its process gone), and when it is removed or
// another instance takes its port, its hub is closed too, ending its
// subscriptions and goroutines.

// instanceEnded drops the client and the git repository handle kept for the
// instance on port, whose OpenCode stopped or crashed; they are made again
// if it runs again. With removed (the instance is no longer registered, or
// another one took its port) its event hub is closed and dropped as well.
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
