package gitrepo

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// LogOptions selects the commits Log returns.
type LogOptions struct {
	// Limit is the maximum number of commits; 0 means no limit.
	Limit int
	// Ref is where to start: a branch, tag, commit id or revision such as
	// "HEAD~2"; empty means HEAD.
	Ref string
	// Path limits the log to commits that changed this file or directory,
	// with git's default history simplification.
	Path string
}

// Signature is an author or committer.
type Signature struct {
	Name  string
	Email string
	When  time.Time
}

// Commit is one entry of a log.
type Commit struct {
	Hash      plumbing.Hash
	Parents   []plumbing.Hash
	Author    Signature
	Committer Signature
	// Subject is the first paragraph of the message on one line (git's %s).
	Subject string
	// Body is the rest of the message.
	Body string
}

// Log lists commits newest first (by commit time), like `git log`.
func (r *Repo) Log(ctx context.Context, opts LogOptions) ([]Commit, error) {
	path, err := CleanPath(opts.Path)
	if err != nil {
		return nil, err
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	g, err := r.open()
	if err != nil {
		return nil, err
	}
	start, err := resolveCommit(g, opts.Ref)
	if err != nil {
		return nil, err
	}
	var out []Commit
	w := &pathWalker{s: g.Storer, path: path}
	q := &commitQueue{}
	seen := map[plumbing.Hash]bool{start: true}
	c, err := object.GetCommit(g.Storer, start)
	if err != nil {
		return nil, fmt.Errorf("git log: read commit %s: %w", start, err)
	}
	heap.Push(q, queued{c: c})
	for q.Len() > 0 && (opts.Limit <= 0 || len(out) < opts.Limit) {
		if err := checkCtx(ctx); err != nil {
			return nil, err
		}
		c := heap.Pop(q).(queued).c
		show, follow, err := w.visit(c)
		if err != nil {
			return nil, fmt.Errorf("git log: %w", err)
		}
		if show {
			out = append(out, toCommit(c))
		}
		for _, p := range follow {
			if seen[p] {
				continue
			}
			seen[p] = true
			pc, err := object.GetCommit(g.Storer, p)
			if err != nil {
				return nil, fmt.Errorf("git log: read commit %s: %w", p, err)
			}
			q.seq++
			heap.Push(q, queued{c: pc, seq: q.seq})
		}
	}
	return out, nil
}

// resolveCommit resolves a revision ("" for HEAD) to a commit id.
func resolveCommit(g *git.Repository, rev string) (plumbing.Hash, error) {
	if rev == "" {
		h, err := readHead(g)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		if h.unborn() {
			return plumbing.ZeroHash, ErrNoCommits
		}
		return h.hash, nil
	}
	if err := checkRevision(rev); err != nil {
		return plumbing.ZeroHash, err
	}
	h, err := g.ResolveRevision(plumbing.Revision(rev))
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("%w: %q: %v", ErrBranchNotFound, rev, err)
	}
	return *h, nil
}

func toCommit(c *object.Commit) Commit {
	subject, body := splitMessage(c.Message)
	return Commit{
		Hash:      c.Hash,
		Parents:   append([]plumbing.Hash(nil), c.ParentHashes...),
		Author:    Signature{Name: c.Author.Name, Email: c.Author.Email, When: c.Author.When},
		Committer: Signature{Name: c.Committer.Name, Email: c.Committer.Email, When: c.Committer.When},
		Subject:   subject,
		Body:      body,
	}
}

// splitMessage returns git's subject (the first paragraph joined into one
// line) and the body after it.
func splitMessage(msg string) (subject, body string) {
	msg = strings.TrimLeft(msg, "\n")
	para, rest, _ := strings.Cut(msg, "\n\n")
	lines := strings.Split(strings.TrimRight(para, "\n"), "\n")
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
	}
	return strings.Join(lines, " "), strings.Trim(rest, "\n")
}

// pathWalker decides which commits a path-limited log shows and which
// parents it follows: a commit is shown when the path differs from every
// parent; a merge whose path equals one parent's follows only that parent.
type pathWalker struct {
	s     storer.EncodedObjectStorer
	path  string
	trees map[plumbing.Hash]*object.Tree
}

func (w *pathWalker) visit(c *object.Commit) (show bool, follow []plumbing.Hash, err error) {
	if w.path == "" {
		return true, c.ParentHashes, nil
	}
	mine, err := w.entry(c.TreeHash)
	if err != nil {
		return false, nil, err
	}
	if len(c.ParentHashes) == 0 {
		return !mine.hash.IsZero(), nil, nil
	}
	for _, p := range c.ParentHashes {
		pc, err := object.GetCommit(w.s, p)
		if err != nil {
			return false, nil, fmt.Errorf("read commit %s: %w", p, err)
		}
		theirs, err := w.entry(pc.TreeHash)
		if err != nil {
			return false, nil, err
		}
		if theirs == mine {
			return false, []plumbing.Hash{p}, nil
		}
	}
	return true, c.ParentHashes, nil
}

// pathEntry is what a tree holds at a path.
type pathEntry struct {
	hash plumbing.Hash
	mode filemode.FileMode
}

// entry returns the entry at w.path in a tree (zero when absent).
func (w *pathWalker) entry(tree plumbing.Hash) (pathEntry, error) {
	if w.trees == nil {
		w.trees = map[plumbing.Hash]*object.Tree{}
	}
	cur := pathEntry{hash: tree, mode: filemode.Dir}
	for _, name := range strings.Split(w.path, "/") {
		if cur.mode != filemode.Dir {
			return pathEntry{}, nil // a file where a directory was expected
		}
		t := w.trees[cur.hash]
		if t == nil {
			var err error
			if t, err = object.GetTree(w.s, cur.hash); err != nil {
				return pathEntry{}, fmt.Errorf("read tree %s: %w", cur.hash, err)
			}
			w.trees[cur.hash] = t
		}
		e, err := t.FindEntry(name)
		if errors.Is(err, object.ErrEntryNotFound) || errors.Is(err, object.ErrDirectoryNotFound) {
			return pathEntry{}, nil
		}
		if err != nil {
			return pathEntry{}, err
		}
		cur = pathEntry{hash: e.Hash, mode: e.Mode}
	}
	return cur, nil
}
