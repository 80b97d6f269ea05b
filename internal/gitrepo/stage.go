package gitrepo

import (
	"context"
	"fmt"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/opencode-portal/portal/internal/gitrepo/index"
)

// pathSet is a list of caller paths that records which ones matched.
type pathSet struct {
	paths   []string // cleaned; "" is the whole worktree
	orig    []string
	matched []bool
}

func newPathSet(paths []string, allowRoot bool) (*pathSet, error) {
	if len(paths) == 0 {
		return nil, ErrNoPaths
	}
	ps := &pathSet{orig: paths, matched: make([]bool, len(paths))}
	for _, p := range paths {
		c, err := CleanPath(p)
		if err != nil {
			return nil, err
		}
		if c == "" && !allowRoot {
			return nil, fmt.Errorf("%w: %q names the whole worktree; name the files to change", ErrPathOutside, p)
		}
		ps.paths = append(ps.paths, c)
	}
	return ps, nil
}

// match reports whether path is one of the paths or under one of them, and
// marks those it matches.
func (ps *pathSet) match(path string) bool {
	ok := false
	for i, p := range ps.paths {
		if p == "" || path == p || strings.HasPrefix(path, p+"/") {
			ps.matched[i] = true
			ok = true
		}
	}
	return ok
}

// unmatched returns an error naming the paths that matched nothing.
func (ps *pathSet) unmatched() error {
	var missing []string
	for i, m := range ps.matched {
		if !m {
			missing = append(missing, ps.orig[i])
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: %s", ErrPathNotFound, strings.Join(missing, ", "))
	}
	return nil
}

// Stage adds the current content of the named files or directories to the
// index, like `git add -A -- paths`: changes, deletions and untracked files
// that are not ignored. A path that matches nothing fails with
// ErrPathNotFound and nothing is staged.
func (r *Repo) Stage(ctx context.Context, paths []string) error {
	ps, err := newPathSet(paths, true)
	if err != nil {
		return fmt.Errorf("git stage: %w", err)
	}
	tx, err := r.beginWrite(ctx)
	if err != nil {
		return fmt.Errorf("git stage: %w", err)
	}
	defer tx.end()
	snap, err := tx.snapshot(ctx, true)
	if err != nil {
		return fmt.Errorf("git stage: %w", err)
	}
	// git add stages a submodule's HEAD whatever its ignore setting.
	subs, err := r.checkSubmodules(ctx, snap, submoduleIgnores{}, subHead)
	if err != nil {
		return fmt.Errorf("git stage: %w", err)
	}
	idx, wt := tx.idx, snap.scan.wt
	// Like git add, paths outside the sparse checkout (skip-worktree
	// entries, or files outside the sparse-checkout definition) are left
	// alone; outside records the pathspecs that match such paths.
	outside, _ := newPathSet(paths, true)
	var toFile []string // paths whose index entry is taken from the worktree
	var add []index.Entry
	changed := map[string]bool{}
	for i := 0; i < len(idx.Entries); i++ {
		e := &idx.Entries[i]
		j := i + 1
		for j < len(idx.Entries) && idx.Entries[j].Name == e.Name {
			j++
		}
		name, unmerged, state := e.Name, j-i > 1 || e.Stage() != 0, wt[i].state
		i = j - 1
		if !unmerged && (e.ExtFlags&index.SkipWorktree != 0 || !tx.sparse.includes(name)) {
			outside.match(name)
			continue
		}
		if !ps.match(name) {
			continue
		}
		var st unix.Stat_t
		exists := unix.Lstat(r.full(name), &st) == nil && st.Mode&unix.S_IFMT != unix.S_IFDIR
		switch {
		case !unmerged && (e.Mode == index.ModeGitlink && state == wtModified || state == wtTypeChanged && wt[i].mode == index.ModeGitlink),
			unmerged && subs[name] != nil && !subs[name].head.IsZero(): // a conflicted submodule
			add = append(add, gitlinkEntry(name, subs[name].head, &st))
			changed[name] = true
		case unmerged && exists, !unmerged && (state == wtModified || state == wtTypeChanged):
			toFile = append(toFile, name)
			changed[name] = true
		case unmerged, state == wtDeleted:
			changed[name] = true
		}
	}
	var refused []string // untracked files outside the sparse checkout
	for _, u := range snap.untracked {
		if !tx.sparse.includes(strings.TrimSuffix(u, "/")) {
			if ps.match(u) {
				refused = append(refused, u)
			}
			continue
		}
		if !ps.match(u) {
			continue
		}
		if strings.HasSuffix(u, "/") {
			e, err := r.embeddedRepoEntry(u)
			if err != nil {
				return fmt.Errorf("git stage: %w", err)
			}
			add = append(add, e)
			changed[e.Name] = true
			continue
		}
		toFile = append(toFile, u)
		changed[u] = true
	}
	for i, m := range outside.matched {
		if m && !ps.matched[i] {
			ps.matched[i] = true
			refused = append(refused, ps.orig[i])
		}
	}
	if err := ps.inSubmodule(idx); err != nil {
		return fmt.Errorf("git stage: %w", err)
	}
	if err := ps.unmatched(); err != nil {
		return fmt.Errorf("git stage: %w", err)
	}
	if len(refused) > 0 {
		return fmt.Errorf("git stage: %w: sparse checkout: %s %s outside the sparse-checkout definition, which git add leaves out; stage with git add --sparse, or widen the definition with git sparse-checkout add",
			ErrUnsupported, strings.Join(firstFew(refused), ", "), isAre(len(refused)))
	}
	if err := snap.scan.set.conv.refuse(toFile); err != nil {
		return fmt.Errorf("git stage: %w", err)
	}
	for _, p := range toFile {
		var old *index.Entry
		if k := idx.Find(p); k >= 0 {
			old = &idx.Entries[k]
		}
		e, err := r.entryFromFile(tx.g.Storer, p, snap.scan.set, old)
		if err != nil {
			return fmt.Errorf("git stage: %w", err)
		}
		add = append(add, e)
	}
	if len(changed) == 0 {
		return nil
	}
	idx.SetEntries(changed, add)
	if err := tx.save(); err != nil {
		return fmt.Errorf("git stage: %w", err)
	}
	return nil
}

// Unstage resets the index entries of the named paths to HEAD, like
// `git restore --staged -- paths`; the worktree is not touched.
func (r *Repo) Unstage(ctx context.Context, paths []string) error {
	ps, err := newPathSet(paths, true)
	if err != nil {
		return fmt.Errorf("git unstage: %w", err)
	}
	tx, err := r.beginWrite(ctx)
	if err != nil {
		return fmt.Errorf("git unstage: %w", err)
	}
	defer tx.end()
	snap, err := tx.snapshot(ctx, false)
	if err != nil {
		return fmt.Errorf("git unstage: %w", err)
	}
	idx := tx.idx
	changed := map[string]bool{}
	for i := range idx.Entries {
		e := &idx.Entries[i]
		if ps.match(e.Name) && e.ExtFlags&index.IntentToAdd != 0 {
			changed[e.Name] = true // announced with git add -N: not in HEAD
		}
	}
	var add []index.Entry
	for _, c := range snap.changes {
		if !ps.match(c.path) {
			continue
		}
		changed[c.path] = true
		if c.headMode == 0 {
			continue // not in HEAD: unstaging removes it from the index
		}
		e := index.Entry{Name: c.path, Mode: c.headMode, Hash: c.headHash}
		// As git reset does, the entry stays out of the worktree when it
		// was, or when it is new to the index and outside the sparse
		// checkout.
		if c.lo >= 0 && idx.Entries[c.lo].ExtFlags&index.SkipWorktree != 0 || c.lo < 0 && !tx.sparse.includes(c.path) {
			e.ExtFlags = index.SkipWorktree
			add = append(add, e)
			continue
		}
		// Keep the entry clean when the file already holds HEAD's content.
		var st unix.Stat_t
		full := r.full(c.path)
		if unix.Lstat(full, &st) == nil && snap.scan.wtMode(&e, &st) == e.Mode {
			if h, err := snap.scan.hashWorktree(c.path, full, e.Mode == index.ModeSymlink); err == nil && h == e.Hash {
				fillStat(&e, &st)
			}
		}
		add = append(add, e)
	}
	if err := ps.unmatched(); err != nil {
		return fmt.Errorf("git unstage: %w", err)
	}
	if len(changed) == 0 {
		return nil
	}
	idx.SetEntries(changed, add)
	if err := tx.save(); err != nil {
		return fmt.Errorf("git unstage: %w", err)
	}
	return nil
}

// Discard throws away the unstaged changes of the named paths, and only
// those: tracked files are restored to their staged (index) version, like
// `git restore -- paths`, and untracked files under the paths are deleted
// (ignored files are left alone). The whole worktree cannot be named.
func (r *Repo) Discard(ctx context.Context, paths []string) error {
	ps, err := newPathSet(paths, false)
	if err != nil {
		return fmt.Errorf("git discard: %w", err)
	}
	tx, err := r.beginWrite(ctx)
	if err != nil {
		return fmt.Errorf("git discard: %w", err)
	}
	defer tx.end()
	snap, err := tx.snapshot(ctx, true)
	if err != nil {
		return fmt.Errorf("git discard: %w", err)
	}
	idx, wt := tx.idx, snap.scan.wt
	var restore []int
	for i := range idx.Entries {
		e := &idx.Entries[i]
		// Like git restore, skip-worktree entries are not matched: their
		// files stay out of the worktree.
		if e.ExtFlags&index.SkipWorktree != 0 || !ps.match(e.Name) {
			continue
		}
		if e.Stage() != 0 {
			return fmt.Errorf("git discard: %w: %s; resolve the conflict first", ErrUnmerged, e.Name)
		}
		if e.Mode != index.ModeGitlink && wt[i].mode == index.ModeGitlink {
			return fmt.Errorf("git discard: %w: %s is now a repository, which git restore would delete with its history; move it away first",
				ErrUnsupported, e.Name)
		}
		if wt[i].state != wtClean {
			restore = append(restore, i)
		}
	}
	var remove []string
	for _, u := range snap.untracked {
		if !strings.HasSuffix(u, "/") && ps.match(u) {
			remove = append(remove, u)
		}
	}
	if err := ps.inSubmodule(idx); err != nil {
		return fmt.Errorf("git discard: %w", err)
	}
	if err := ps.unmatched(); err != nil {
		return fmt.Errorf("git discard: %w", err)
	}
	conv := r.newConverter(tx.g, idx, true, nil)
	restorePaths := make([]string, len(restore))
	for k, i := range restore {
		restorePaths[k] = idx.Entries[i].Name
	}
	if err := conv.refuse(restorePaths); err != nil {
		return fmt.Errorf("git discard: %w", err)
	}
	for _, i := range restore {
		e, err := r.checkoutEntry(tx.g.Storer, conv, idx.Entries[i])
		if err != nil {
			return fmt.Errorf("git discard: %w", err)
		}
		idx.Entries[i] = e
	}
	for _, u := range remove {
		if err := r.removeFile(u); err != nil {
			return fmt.Errorf("git discard: %w", err)
		}
	}
	if len(restore) == 0 {
		return nil
	}
	if err := tx.save(); err != nil {
		return fmt.Errorf("git discard: %w", err)
	}
	return nil
}
