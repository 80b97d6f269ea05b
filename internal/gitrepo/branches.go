package gitrepo

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"math"
	"sort"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
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
func (r *Repo) upstreamState(ctx context.Context, g *git.Repository, h head, st *Status) error {
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
	st.Ahead, st.Behind, err = r.aheadBehind(ctx, g, h.hash, ref.Hash())
	return err
}

// aheadBehind counts the commits reachable only from a and only from b,
// as `git rev-list --count --left-right a...b` does.
func (r *Repo) aheadBehind(ctx context.Context, g *git.Repository, a, b plumbing.Hash) (ahead, behind int, err error) {
	if a == b {
		return 0, 0, nil
	}
	h, err := r.openHistory(g)
	if err != nil {
		return 0, 0, err
	}
	defer h.close()
	return h.aheadBehind(ctx, a, b)
}

// aheadBehind paints the commits reachable from a and from b, walking both
// histories at once, and stops when every commit left to visit is reachable
// from both. With a commit-graph it visits commits by generation number,
// so a commit comes after all its descendants and the count is exact;
// without one (and for commits newer than the graph), by committer date,
// and it goes on until the commits left are older than every commit found
// on one side only, so a commit dated before its parent is still painted
// from both sides.
func (h *history) aheadBehind(ctx context.Context, a, b plumbing.Hash) (ahead, behind int, err error) {
	const (
		fromA = 1
		fromB = 2
		both  = fromA | fromB
	)
	flags := map[plumbing.Hash]uint8{}
	q := &dateQueue{byGen: h.graph != nil}
	push := func(c plumbing.Hash, f uint8) error {
		old := flags[c]
		if old|f == old {
			return nil
		}
		flags[c] = old | f
		n, err := h.node(c)
		if err != nil {
			return err
		}
		q.add(logItem{n: n})
		return nil
	}
	if err := push(a, fromA); err != nil {
		return 0, 0, err
	}
	if err := push(b, fromB); err != nil {
		return 0, 0, err
	}
	oldestSingle := int64(math.MaxInt64)
	for q.Len() > 0 {
		if err := checkCtx(ctx); err != nil {
			return 0, 0, err
		}
		top := q.items[0].n
		if q.allFlagged(flags, both) && ((q.byGen && top.gen != genInfinity) || top.when < oldestSingle) {
			break
		}
		n := heap.Pop(q).(logItem).n
		f := flags[n.hash]
		if f != both {
			oldestSingle = min(oldestSingle, n.when)
		}
		for _, p := range n.parents {
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

// allFlagged reports whether every queued commit has all of want's flags.
func (q *dateQueue) allFlagged(flags map[plumbing.Hash]uint8, want uint8) bool {
	for _, it := range q.items {
		if flags[it.n.hash] != want {
			return false
		}
	}
	return true
}
