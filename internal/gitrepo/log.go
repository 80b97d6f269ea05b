package gitrepo

import (
	"container/heap"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
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
	Author    Signature
	Committer Signature
	// Subject is the first paragraph of the message on one line (git's
	// %s): leading whitespace kept, each line's trailing whitespace dropped.
	Subject string
	// Body is the message after the subject and the blank lines that
	// follow it (git's %b), without its final newlines.
	Body string
	// Parents are the commit's parents; none for a commit at the boundary
	// of a shallow clone.
	Parents []plumbing.Hash
}

// Log lists commits as `git log` does: newest first by committer date,
// following parents through a date-ordered queue (so a commit dated before
// its parent comes where git puts it). With a Path, it applies git's
// default history simplification: a commit is shown when the path differs
// from every parent, and a merge whose path equals one parent's follows
// only that parent. In a shallow clone the commits of .git/shallow have no
// parents, as for git.
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
	if err := checkReplacements(g, r.common); err != nil {
		return nil, fmt.Errorf("git log: %w", err)
	}
	h, err := r.openHistory(g)
	if err != nil {
		return nil, fmt.Errorf("git log: %w", err)
	}
	defer h.close()
	start, err := h.resolve(g, opts.Ref)
	if err != nil {
		return nil, err
	}
	out, err := h.log(ctx, start, path, opts.Limit)
	if err != nil {
		return nil, fmt.Errorf("git log: %w", err)
	}
	return out, nil
}

// openHistory opens the repository's objects for a history walk.
func (r *Repo) openHistory(g *git.Repository) (*history, error) {
	useGraph := true
	if s, ok := g.Storer.(*repoStorage); ok {
		useGraph = boolOption(s.effective.Raw.Section("core").Option("commitgraph"), true)
	}
	return openHistory(r.common, g.Storer, useGraph)
}

// logItem is a commit waiting in the walk's queue, with what its tree holds
// at the path once a child has looked it up.
type logItem struct {
	n     *commitNode
	seq   int
	entry treeEntry
	known bool // entry is set
}

// dateQueue orders commits newest first by committer date, and among
// commits of the same date the first queued first: git's
// commit_list_insert_by_date. With byGen, it orders them by generation
// number first.
type dateQueue struct {
	items []logItem
	seq   int
	byGen bool
}

func (q *dateQueue) Len() int { return len(q.items) }
func (q *dateQueue) Less(i, j int) bool {
	a, b := &q.items[i], &q.items[j]
	if q.byGen && a.n.gen != b.n.gen {
		return a.n.gen > b.n.gen
	}
	if a.n.when != b.n.when {
		return a.n.when > b.n.when
	}
	return a.seq < b.seq
}
func (q *dateQueue) Swap(i, j int) { q.items[i], q.items[j] = q.items[j], q.items[i] }
func (q *dateQueue) Push(x any)    { q.items = append(q.items, x.(logItem)) }
func (q *dateQueue) Pop() any {
	it := q.items[len(q.items)-1]
	q.items = q.items[:len(q.items)-1]
	return it
}

func (q *dateQueue) add(it logItem) {
	q.seq++
	it.seq = q.seq
	heap.Push(q, it)
}

// log walks from start, returning at most limit commits (0: all).
func (h *history) log(ctx context.Context, start plumbing.Hash, path string, limit int) ([]Commit, error) {
	var trees *pathLookup
	if path != "" {
		trees = newPathLookup(h.objects, path)
	}
	n, err := h.node(start)
	if err != nil {
		return nil, err
	}
	var out []Commit
	q := &dateQueue{}
	q.add(logItem{n: n})
	seen := map[plumbing.Hash]bool{start: true}
	for q.Len() > 0 && (limit <= 0 || len(out) < limit) {
		if err := checkCtx(ctx); err != nil {
			return nil, err
		}
		it := heap.Pop(q).(logItem)
		show := true
		follow := make([]logItem, 0, len(it.n.parents))
		for _, p := range it.n.parents {
			pn, err := h.node(p)
			if err != nil {
				return nil, err
			}
			follow = append(follow, logItem{n: pn})
		}
		if trees != nil {
			if !it.known {
				if it.entry, err = trees.entry(it.n.tree); err != nil {
					return nil, err
				}
			}
			show, follow, err = trees.simplify(it.entry, follow)
			if err != nil {
				return nil, err
			}
		}
		if show {
			c, err := h.commit(it.n)
			if err != nil {
				return nil, err
			}
			out = append(out, c)
		}
		for _, f := range follow {
			if !seen[f.n.hash] {
				seen[f.n.hash] = true
				q.add(f)
			}
		}
	}
	return out, nil
}

// commit reads the whole commit of n for display.
func (h *history) commit(n *commitNode) (Commit, error) {
	data, err := h.objects.readTyped(n.hash, plumbing.CommitObject)
	if err != nil {
		return Commit{}, err
	}
	obj := &plumbing.MemoryObject{}
	obj.SetType(plumbing.CommitObject)
	obj.Write(data)
	var c object.Commit
	if err := c.Decode(obj); err != nil {
		return Commit{}, fmt.Errorf("read commit %s: %w", n.hash, err)
	}
	c.Hash = n.hash
	out := toCommit(&c)
	out.Parents = append([]plumbing.Hash(nil), n.parents...)
	return out, nil
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

// splitMessage returns git's subject and body (pretty.c): blank lines
// (empty or only whitespace) before the subject are skipped; the subject is
// the first paragraph, its lines stripped of trailing whitespace only and
// joined with spaces (%s); the body is what follows the blank lines after
// it, as is (%b) but for its final newlines.
func splitMessage(msg string) (subject, body string) {
	var lines []string
	rest := msg
	next := func() (line string, ok bool) {
		if rest == "" {
			return "", false
		}
		line, rest, _ = strings.Cut(rest, "\n")
		return line, true
	}
	skipBlank := func() {
		for rest != "" {
			line, after, _ := strings.Cut(rest, "\n")
			if strings.TrimRight(line, " \t\n\r") != "" {
				return
			}
			rest = after
		}
	}
	skipBlank()
	for {
		save := rest
		line, ok := next()
		if !ok {
			break
		}
		line = strings.TrimRight(line, " \t\n\r")
		if line == "" {
			rest = save
			break
		}
		lines = append(lines, line)
	}
	skipBlank()
	return strings.Join(lines, " "), strings.TrimRight(rest, "\n")
}
