package gitrepo

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// Branch is a local or remote-tracking branch.
type Branch struct {
	// Name is the short name: "main", or "origin/main" for a remote-tracking branch.
	Name string
	// Ref is the full reference name, e.g. "refs/heads/main".
	Ref string
	// Hash is the commit the branch points at.
	Hash plumbing.Hash
	// Remote is set for remote-tracking branches.
	Remote bool
	// Current is set for the checked-out branch.
	Current bool
	// Upstream is the short name of a local branch's upstream, if configured.
	Upstream string
}

// Branches lists branches and what HEAD points at.
type Branches struct {
	// Current is the checked-out branch; empty when HEAD is detached.
	Current string
	// Detached is set when HEAD points at a commit rather than a branch.
	Detached bool
	// Head is the commit HEAD points at (zero in an empty repository).
	Head plumbing.Hash
	// Local and Remote are sorted by name.
	Local, Remote []Branch
}

// Branches lists local and remote-tracking branches.
func (r *Repo) Branches(ctx context.Context) (*Branches, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if err := checkCtx(ctx); err != nil {
		return nil, err
	}
	g, err := r.open()
	if err != nil {
		return nil, err
	}
	h, err := readHead(g)
	if err != nil {
		return nil, err
	}
	cfg, err := g.Config()
	if err != nil {
		return nil, fmt.Errorf("git branches: read config: %w", err)
	}
	out := &Branches{Current: h.branch, Detached: h.branch == "", Head: h.hash}
	refs, err := g.Storer.IterReferences()
	if err != nil {
		return nil, fmt.Errorf("git branches: %w", err)
	}
	err = refs.ForEach(func(ref *plumbing.Reference) error {
		if ref.Type() != plumbing.HashReference {
			return nil
		}
		name := ref.Name()
		switch {
		case name.IsBranch():
			b := Branch{Name: name.Short(), Ref: name.String(), Hash: ref.Hash(), Current: name.Short() == h.branch}
			if up, ok := upstreamRef(cfg, b.Name); ok {
				b.Upstream = up.Short()
			}
			out.Local = append(out.Local, b)
		case name.IsRemote():
			out.Remote = append(out.Remote, Branch{Name: name.Short(), Ref: name.String(), Hash: ref.Hash(), Remote: true})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("git branches: %w", err)
	}
	sort.Slice(out.Local, func(i, j int) bool { return out.Local[i].Name < out.Local[j].Name })
	sort.Slice(out.Remote, func(i, j int) bool { return out.Remote[i].Name < out.Remote[j].Name })
	return out, nil
}

// upstreamRef is the ref of branch's upstream from branch.<name>.remote and
// .merge, mapped through the remote's fetch refspecs.
func upstreamRef(cfg *config.Config, branch string) (plumbing.ReferenceName, bool) {
	b, ok := cfg.Branches[branch]
	if !ok || b.Remote == "" || b.Merge == "" {
		return "", false
	}
	if b.Remote == "." {
		return b.Merge, true
	}
	rc, ok := cfg.Remotes[b.Remote]
	if !ok {
		return "", false
	}
	for _, rs := range rc.Fetch {
		if rs.Match(b.Merge) {
			return rs.Dst(b.Merge), true
		}
	}
	return "", false
}

// upstreamState fills the upstream fields of st for the current branch.
func (r *Repo) upstreamState(g *git.Repository, h head, st *Status) error {
	if h.branch == "" {
		return nil
	}
	cfg, err := g.Config()
	if err != nil {
		return fmt.Errorf("read config: %w", err)
	}
	up, ok := upstreamRef(cfg, h.branch)
	if !ok {
		return nil
	}
	st.Upstream = up.Short()
	ref, err := g.Storer.Reference(up)
	if errors.Is(err, plumbing.ErrReferenceNotFound) {
		st.UpstreamGone = true
		return nil
	}
	if err != nil {
		return fmt.Errorf("read upstream %s: %w", up, err)
	}
	if h.unborn() {
		return nil
	}
	st.Ahead, st.Behind, err = aheadBehind(g.Storer, h.hash, ref.Hash())
	return err
}

// aheadBehind counts the commits reachable only from a and only from b. It
// walks both histories newest first, painting commits with the side(s) they
// are reachable from, and stops once every commit left to visit is
// reachable from both, as git does.
func aheadBehind(s storer.EncodedObjectStorer, a, b plumbing.Hash) (ahead, behind int, err error) {
	if a == b {
		return 0, 0, nil
	}
	const (
		fromA = 1
		fromB = 2
		both  = fromA | fromB
	)
	flags := map[plumbing.Hash]uint8{}
	q := &commitQueue{}
	push := func(h plumbing.Hash, f uint8) error {
		old := flags[h]
		if old|f == old {
			return nil
		}
		flags[h] = old | f
		c, err := object.GetCommit(s, h)
		if err != nil {
			return fmt.Errorf("read commit %s: %w", h, err)
		}
		q.seq++
		heap.Push(q, queued{c: c, seq: q.seq})
		return nil
	}
	if err := push(a, fromA); err != nil {
		return 0, 0, err
	}
	if err := push(b, fromB); err != nil {
		return 0, 0, err
	}
	for q.Len() > 0 {
		if q.allStale(flags, both) {
			break
		}
		c := heap.Pop(q).(queued).c
		f := flags[c.Hash]
		for _, p := range c.ParentHashes {
			if err := push(p, f); err != nil {
				return 0, 0, err
			}
		}
	}
	for _, f := range flags {
		switch f {
		case fromA:
			ahead++
		case fromB:
			behind++
		}
	}
	return ahead, behind, nil
}

type queued struct {
	c   *object.Commit
	seq int
}

// commitQueue orders commits newest first (by committer time), first queued
// first among equals.
type commitQueue struct {
	items []queued
	seq   int
}

func (q *commitQueue) Len() int { return len(q.items) }
func (q *commitQueue) Less(i, j int) bool {
	ti, tj := q.items[i].c.Committer.When, q.items[j].c.Committer.When
	if !ti.Equal(tj) {
		return ti.After(tj)
	}
	return q.items[i].seq < q.items[j].seq
}
func (q *commitQueue) Swap(i, j int) { q.items[i], q.items[j] = q.items[j], q.items[i] }
func (q *commitQueue) Push(x any)    { q.items = append(q.items, x.(queued)) }
func (q *commitQueue) Pop() any {
	it := q.items[len(q.items)-1]
	q.items = q.items[:len(q.items)-1]
	return it
}

func (q *commitQueue) allStale(flags map[plumbing.Hash]uint8, both uint8) bool {
	for _, it := range q.items {
		if flags[it.c.Hash] != both {
			return false
		}
	}
	return true
}
