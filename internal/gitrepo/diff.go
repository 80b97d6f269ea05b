package gitrepo

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/opencode-portal/portal/internal/gitrepo/xdiff"
	"golang.org/x/sync/errgroup"
	"golang.org/x/sys/unix"

	"github.com/opencode-portal/portal/internal/gitrepo/index"
)

// DiffOptions selects what Diff and Numstat compare. The zero value is
// `git diff HEAD`: staged and unstaged changes of tracked files against HEAD.
type DiffOptions struct {
	// Staged compares the index with HEAD (`git diff --cached HEAD`).
	Staged bool
	// Untracked adds untracked files as new-file patches.
	Untracked bool
	// Paths limits the diff to these worktree-relative files or directories.
	Paths []string
	// Binary writes binary changes as applicable "GIT binary patch" hunks
	// (`git diff --binary`) instead of "Binary files ... differ".
	Binary bool
}

// FileStat is the per-file summary of a diff, as `git diff --numstat`.
type FileStat struct {
	// Path is the file's path (the new path of a rename).
	Path string
	// OrigPath is the old path of a rename.
	OrigPath string
	// Status is Added, Deleted, Modified, Renamed, TypeChanged, or Unmerged
	// for a conflicted path in a staged diff.
	Status byte
	// Added and Deleted count lines; both are 0 for binary files.
	Added, Deleted int
	// Binary is set when either side is binary.
	Binary bool
}

// fileSide is one side of a file pair; mode 0 means absent.
type fileSide struct {
	path string
	mode uint32
	hash plumbing.Hash
	file string // the worktree file holding the content; "" for the blob hash
	data []byte
	drv  *diffDriver // the path's diff driver; nil for git's defaults
	// dirty marks a submodule's worktree side that has changes of its own:
	// git writes its commit with a "-dirty" suffix.
	dirty bool
}

// load reads the side's content from the worktree or the object store.
func (s *fileSide) load(objects storer.EncodedObjectStorer) ([]byte, error) {
	if s.file != "" {
		return readWorktreeFile(s.file, s.mode == index.ModeSymlink)
	}
	return readBlob(objects, s.hash)
}

// filePair is one changed file.
type filePair struct {
	old, new fileSide
	score    int          // rename similarity in percent; 0 when not a rename
	unmerged bool         // a conflicted path in a staged diff: nothing to compare
	style    *patchStyle  // the configured hunk style; nil for git's default
	edits    *xdiff.Edits // the line diff, computed once for patch and numstat
}

// lineDiff returns the pair's line diff with its configured algorithm,
// computing it on first use so that the patch and the numstat of one call
// share it.
func (p *filePair) lineDiff() *xdiff.Edits {
	if p.edits == nil {
		style := p.style
		if style == nil {
			style = defaultPatchStyle()
		}
		e := &xdiff.Edits{A: xdiff.SplitLines(p.old.data), B: xdiff.SplitLines(p.new.data)}
		e.Del, e.Ins = xdiff.Lines(e.A, e.B, style.lines)
		p.edits = e
	}
	return p.edits
}

func (p *filePair) status() byte {
	switch {
	case p.unmerged:
		return Unmerged
	case p.old.mode == 0:
		return Added
	case p.new.mode == 0:
		return Deleted
	case p.score > 0:
		return Renamed
	case p.old.mode&0o170000 != p.new.mode&0o170000:
		return TypeChanged
	}
	return Modified
}

// Diff returns the unified diff of the worktree (or, with Staged, of the
// index) against HEAD, in git's format: it applies with `git apply`.
// An empty repository yields ErrNoCommits.
func (r *Repo) Diff(ctx context.Context, opts DiffOptions) (string, error) {
	text, _, _, err := r.diff(ctx, opts, true, false, false)
	return text, err
}

// Numstat returns the per-file added and deleted line counts of the diff
// that Diff would return for the same options.
func (r *Repo) Numstat(ctx context.Context, opts DiffOptions) ([]FileStat, error) {
	_, stats, _, err := r.diff(ctx, opts, false, true, false)
	return stats, err
}

// DiffStat returns what Diff and Numstat return for the same options, from
// one comparison of the worktree: the cost of one call, not two.
func (r *Repo) DiffStat(ctx context.Context, opts DiffOptions) (string, []FileStat, error) {
	text, stats, _, err := r.diff(ctx, opts, true, true, false)
	return text, stats, err
}

// diff compares once and writes the patch, the per-file summary or both.
// With check, it is DiffUnlessCLI: when the repository's reads need the
// git CLI, it returns why and no diff.
func (r *Repo) diff(ctx context.Context, opts DiffOptions, patch, stats, check bool) (string, []FileStat, string, error) {
	pairs, why, err := r.diffPairs(ctx, opts, check)
	if err != nil {
		return "", nil, "", fmt.Errorf("git diff: %w", err)
	}
	if why != "" {
		return "", nil, why, nil
	}
	var sb strings.Builder
	if patch {
		abbrev := r.abbrevLen()
		for i := range pairs {
			writePatch(&sb, &pairs[i], opts.Binary, abbrev)
		}
	}
	var out []FileStat
	if stats {
		out = make([]FileStat, len(pairs))
		for i := range pairs {
			out[i] = fileStat(&pairs[i])
		}
	}
	return sb.String(), out, "", nil
}

// fileStat is the numstat line of one changed file.
func fileStat(p *filePair) FileStat {
	fs := FileStat{Path: p.new.path, Status: p.status()}
	if p.new.mode == 0 {
		fs.Path = p.old.path
	}
	if p.score > 0 {
		fs.OrigPath = p.old.path
	}
	switch {
	case p.unmerged:
		fs.Path = p.old.path
	case p.old.hash == p.new.hash:
		// Same content: a rename, a mode change or a dirty submodule,
		// which git counts as no line changed.
	case p.old.driver().isBinaryFor(p.old.data) || p.new.driver().isBinaryFor(p.new.data):
		fs.Binary = true
	default:
		e := p.lineDiff()
		fs.Deleted, fs.Added = count(e.Del), count(e.Ins)
	}
	return fs
}

func count(bs []bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}

// diffPairs collects the changed files with both sides loaded, renames
// detected, sorted by path.
func (r *Repo) diffPairs(ctx context.Context, opts DiffOptions, check bool) ([]filePair, string, error) {
	filter, err := newPathFilter(opts.Paths)
	if err != nil {
		return nil, "", err
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	g, err := r.open()
	if err != nil {
		return nil, "", err
	}
	idx, _, err := r.readWorktreeIndex(g)
	if err != nil {
		return nil, "", err
	}
	if check {
		if why := r.readsNeedGitCLI(g, idx); why != "" {
			return nil, why, nil
		}
	}
	snap, err := r.snapshotOf(ctx, g, idx, opts.Untracked && !opts.Staged)
	if err != nil {
		return nil, "", err
	}
	if snap.head.unborn() {
		return nil, "", ErrNoCommits
	}
	ign := r.submoduleIgnores(g, snap.idx)
	var subs map[string]*submodule
	if !opts.Staged {
		if subs, err = r.checkSubmodules(ctx, snap, ign, subModified); err != nil {
			return nil, "", err
		}
	}
	idx, wt := snap.idx, snap.scan.wt
	file := func(path string) string { return filepath.Join(r.dir, filepath.FromSlash(path)) }

	var pairs []filePair
	add := func(p filePair) {
		if p.old.mode == index.ModeGitlink && p.new.mode == index.ModeGitlink && ign.mode(p.new.path) == ignoreAll {
			return
		}
		if filter.match(p.old.path) || filter.match(p.new.path) {
			pairs = append(pairs, p)
		}
	}
	// Paths that differ between HEAD and the index.
	inChanges := make(map[string]bool, len(snap.changes))
	for _, c := range snap.changes {
		inChanges[c.path] = true
		p := filePair{old: fileSide{path: c.path}}
		if c.headMode != 0 {
			p.old = fileSide{path: c.path, mode: c.headMode, hash: c.headHash}
		}
		if c.lo >= 0 {
			e := &idx.Entries[c.lo]
			switch {
			case opts.Staged && e.Stage() == 0:
				p.new = fileSide{path: c.path, mode: e.Mode, hash: e.Hash}
			case opts.Staged:
				p.unmerged = true // git writes "* Unmerged path"
			case e.ExtFlags&index.SkipWorktree != 0:
				// Not in the worktree: git takes the index's version.
				p.new = fileSide{path: c.path, mode: e.Mode, hash: e.Hash}
			case wt[c.lo].state != wtDeleted:
				m := wt[c.lo].mode
				p.new = fileSide{path: c.path, mode: m, file: file(c.path)}
				if m == index.ModeGitlink {
					p.new = gitlinkSide(e, subs[c.path])
				}
			}
		}
		if p.old.mode != 0 || p.new.mode != 0 || p.unmerged {
			add(p)
		}
	}
	if !opts.Staged {
		// Paths whose index and HEAD versions agree but whose file changed.
		for i := range idx.Entries {
			e := &idx.Entries[i]
			if e.Stage() != 0 || wt[i].state == wtClean || inChanges[e.Name] {
				continue
			}
			p := filePair{old: fileSide{path: e.Name, mode: e.Mode, hash: e.Hash}}
			if e.ExtFlags&index.IntentToAdd != 0 {
				p.old = fileSide{path: e.Name} // announced with git add -N: new
			}
			if wt[i].state != wtDeleted {
				p.new = fileSide{path: e.Name, mode: wt[i].mode, file: file(e.Name)}
			}
			if p.new.mode == index.ModeGitlink {
				p.new = gitlinkSide(e, subs[e.Name])
			}
			add(p)
		}
		for _, u := range snap.untracked {
			if strings.HasSuffix(u, "/") {
				continue // a nested repository
			}
			var st unix.Stat_t
			if err := unix.Lstat(filepath.Join(r.dir, u), &st); err != nil {
				continue
			}
			m := snap.scan.wtMode(nil, &st)
			add(filePair{new: fileSide{path: u, mode: m, file: file(u)}})
		}
	}

	if err := r.loadPairs(ctx, g, snap.scan.set.conv, pairs); err != nil {
		return nil, "", err
	}
	if err := setPatchConfig(pairs, snap.scan.set.conv.attrs, loadConfig(g)); err != nil {
		return nil, "", err
	}
	// Drop files whose content and mode ended up equal to HEAD's (a staged
	// change undone in the worktree).
	kept := pairs[:0]
	for _, p := range pairs {
		if !p.unmerged && p.old.mode == p.new.mode && p.old.hash == p.new.hash && !p.new.dirty {
			continue
		}
		kept = append(kept, p)
	}
	pairs = pairRenames(kept)
	return pairs, "", nil
}

// loadPairs loads both sides of every pair in parallel; worktree sides get
// their blob id. go-git's object storage is not safe for concurrent use, so
// the first worker uses g and each other one opens its own.
func (r *Repo) loadPairs(ctx context.Context, g *git.Repository, conv *converter, pairs []filePair) error {
	n := min(runtime.GOMAXPROCS(0), (len(pairs)+15)/16)
	eg, ctx := errgroup.WithContext(ctx)
	for w := 0; w < n; w++ {
		eg.Go(func() error {
			g := g
			if w > 0 {
				var err error
				if g, err = r.open(); err != nil {
					return err
				}
			}
			for i := w; i < len(pairs); i += n {
				if err := ctx.Err(); err != nil {
					return err
				}
				if err := loadPair(g.Storer, conv, &pairs[i]); err != nil {
					return err
				}
			}
			return nil
		})
	}
	return eg.Wait()
}

func loadPair(objects storer.EncodedObjectStorer, conv *converter, p *filePair) error {
	if p.unmerged {
		return nil
	}
	for _, s := range []*fileSide{&p.old, &p.new} {
		if s.mode == 0 {
			continue
		}
		if s.mode == index.ModeGitlink {
			s.data = []byte("Subproject commit " + s.hash.String() + "\n")
			if s.dirty {
				s.data = []byte("Subproject commit " + s.hash.String() + "-dirty\n")
			}
			continue
		}
		data, err := s.load(objects)
		if err == nil && s.file != "" && s.mode != index.ModeSymlink {
			data, err = conv.toGit(s.path, data) // the worktree side as git stores it
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", s.path, err)
		}
		s.data = data
		if s.hash.IsZero() {
			s.hash = blobHash(data)
		}
	}
	return nil
}

// pairRenames turns deleted and added files that match into renames and
// orders the pairs by path as git does.
func pairRenames(pairs []filePair) []filePair {
	var srcs, dsts []renameSide
	var srcAt, dstAt []int
	for i, p := range pairs {
		switch {
		case p.unmerged:
		case p.new.mode == 0:
			srcs = append(srcs, renameSide{path: p.old.path, mode: p.old.mode, hash: p.old.hash, load: loaded(p.old.data)})
			srcAt = append(srcAt, i)
		case p.old.mode == 0:
			dsts = append(dsts, renameSide{path: p.new.path, mode: p.new.mode, hash: p.new.hash, load: loaded(p.new.data)})
			dstAt = append(dstAt, i)
		}
	}
	drop := make(map[int]bool)
	for _, rp := range detectRenames(srcs, dsts) {
		src, dst := srcAt[rp.src], dstAt[rp.dst]
		pairs[dst].old = pairs[src].old
		pairs[dst].score = max(1, rp.score*100/maxScore)
		drop[src] = true
	}
	out := make([]filePair, 0, len(pairs)-len(drop))
	for i, p := range pairs {
		if !drop[i] {
			out = append(out, p)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].sortPath() < out[j].sortPath() })
	return out
}

func (p *filePair) sortPath() string {
	if p.new.mode != 0 {
		return p.new.path
	}
	return p.old.path
}

func loaded(data []byte) func() ([]byte, error) {
	return func() ([]byte, error) { return data, nil }
}

// pathFilter matches paths against a list of files or directories.
type pathFilter []string

func newPathFilter(paths []string) (pathFilter, error) {
	var f pathFilter
	for _, p := range paths {
		clean, err := CleanPath(p)
		if err != nil {
			return nil, err
		}
		if clean == "" {
			return nil, nil // the whole worktree
		}
		f = append(f, clean)
	}
	return f, nil
}

func (f pathFilter) match(path string) bool {
	if f == nil {
		return true
	}
	if path == "" {
		return false
	}
	for _, p := range f {
		if path == p || strings.HasPrefix(path, p+"/") {
			return true
		}
	}
	return false
}
