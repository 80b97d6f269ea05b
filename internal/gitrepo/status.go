package gitrepo

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"golang.org/x/sync/errgroup"

	"github.com/opencode-portal/portal/internal/gitignore"

	"github.com/opencode-portal/portal/internal/gitrepo/index"
)

// Status codes of a file, as in the XY columns of `git status --porcelain`.
const (
	Unmodified  = '.'
	Modified    = 'M'
	TypeChanged = 'T'
	Added       = 'A'
	Deleted     = 'D'
	Renamed     = 'R'
	Unmerged    = 'U'
	Untracked   = '?'
)

// Status is the state of the worktree, as `git status --porcelain=v2
// --branch -uall` reports it.
type Status struct {
	// Branch is the current branch; empty when HEAD is detached.
	Branch string
	// Head is the commit HEAD points at; zero when there is no commit yet.
	Head plumbing.Hash
	// Upstream is the upstream branch (for example "origin/main"), if any.
	Upstream string
	// UpstreamGone is set when the upstream is configured but its ref is missing.
	UpstreamGone bool
	// Ahead and Behind count the commits only on the branch and only on its
	// upstream.
	Ahead, Behind int
	// Files lists every changed or unmerged file sorted by path, then the
	// untracked files sorted by path.
	Files []FileStatus
}

// FileStatus is the state of one file.
type FileStatus struct {
	// Path is the file's path, relative to the worktree, with "/" separators.
	Path string
	// OrigPath is the source path of a staged rename.
	OrigPath string
	// Index is the staged state (HEAD against index) and Worktree the unstaged
	// state (index against worktree): one of the status code constants.
	Index, Worktree byte
	// Score is the similarity of a rename, in percent.
	Score int
	// HeadMode, IndexMode and WorktreeMode are the file modes (0 when absent).
	HeadMode, IndexMode, WorktreeMode uint32
	// HeadHash and IndexHash are the blob ids in HEAD and in the index.
	HeadHash, IndexHash plumbing.Hash
	// Stages holds the mode and blob of each conflict stage (1: base, 2: ours,
	// 3: theirs) of an unmerged file.
	Stages [3]Stage
	// Submodule is porcelain v2's <sub> field for a path that is a submodule
	// (mode 160000) on any side: "S" then "C" when its checked-out commit
	// differs from the index's, "M" when it has changes to tracked files,
	// "U" when it has untracked files, "." for each state it is not in, as
	// its ignore setting filters them (for example "SC.U"). Any of them
	// makes Worktree Modified. Empty for other paths.
	Submodule string
}

// Stage is one side of an unmerged file.
type Stage struct {
	Mode uint32
	Hash plumbing.Hash
}

// Status returns the state of the worktree: branch, upstream and every
// changed or untracked file, honouring .gitignore files at every level,
// .git/info/exclude and core.excludesFile.
func (r *Repo) Status(ctx context.Context) (*Status, error) {
	st, _, err := r.readStatus(ctx, false)
	return st, err
}

// readStatus is Status; with check, StatusUnlessCLI.
func (r *Repo) readStatus(ctx context.Context, check bool) (*Status, string, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	g, err := r.open()
	if err != nil {
		return nil, "", err
	}
	idx, _, err := r.readWorktreeIndex(g)
	if err != nil {
		return nil, "", fmt.Errorf("git status: %w", err)
	}
	if check {
		if why := r.readsNeedGitCLI(g, idx); why != "" {
			return nil, why, nil
		}
	}
	st, snap, err := r.statusOf(ctx, g, idx)
	if err != nil {
		return nil, "", fmt.Errorf("git status: %w", err)
	}
	refreshIndex(r.gitDir, snap.idx, snap.scan.fresh)
	return st, "", nil
}

// snapshot is the state shared by status and diff: HEAD, the index, the
// HEAD-to-index changes and the worktree side of every index entry.
type snapshot struct {
	head      head
	headTree  plumbing.Hash // zero when HEAD is unborn
	idx       *index.Index
	changes   []treeChange
	scan      *scanner
	untracked []string
}

// takeSnapshot reads HEAD and the index and compares them with each other
// and with the worktree, in parallel. walk lists untracked files too.
func (r *Repo) takeSnapshot(ctx context.Context, g *git.Repository, walk bool) (*snapshot, error) {
	idx, _, err := r.readWorktreeIndex(g)
	if err != nil {
		return nil, err
	}
	return r.snapshotOf(ctx, g, idx, walk)
}

// snapshotOf is takeSnapshot for an index already read (under the index lock).
func (r *Repo) snapshotOf(ctx context.Context, g *git.Repository, idx *index.Index, walk bool) (*snapshot, error) {
	h, err := readHead(g)
	if err != nil {
		return nil, err
	}
	set := r.settings(g)
	set.conv = r.newConverter(g, idx, false, nil)
	snap := &snapshot{head: h, idx: idx, scan: newScanner(r.dir, idx, set)}
	eg, ctx := errgroup.WithContext(ctx)
	eg.Go(func() error {
		var tree plumbing.Hash
		if !h.unborn() {
			c, err := object.GetCommit(g.Storer, h.hash)
			if err != nil {
				return fmt.Errorf("read HEAD commit: %w", err)
			}
			tree = c.TreeHash
			snap.headTree = tree
		}
		var err error
		snap.changes, err = headIndexChanges(g.Storer, tree, idx)
		return err
	})
	eg.Go(func() error {
		if !walk {
			return snap.scan.checkEntries(ctx)
		}
		var err error
		snap.untracked, err = snap.scan.walk(ctx, r.baseIgnores(set))
		return err
	})
	if err := eg.Wait(); err != nil {
		return nil, err
	}
	skipWorktreeClean(idx, snap.scan.wt)
	sort.Strings(snap.untracked)
	return snap, nil
}

// baseIgnores are the patterns in effect before any .gitignore.
func (r *Repo) baseIgnores(set settings) gitignore.List {
	var l gitignore.List
	if set.excludesFile != "" {
		if data, err := os.ReadFile(set.excludesFile); err == nil {
			l = append(l, gitignore.Parse(data, "")...)
		}
	}
	if data, err := os.ReadFile(filepath.Join(r.commonDir(), "info", "exclude")); err == nil {
		l = append(l, gitignore.Parse(data, "")...)
	}
	return l
}

func (r *Repo) status(ctx context.Context, g *git.Repository) (*Status, *snapshot, error) {
	idx, _, err := r.readWorktreeIndex(g)
	if err != nil {
		return nil, nil, err
	}
	return r.statusOf(ctx, g, idx)
}

// statusOf is status for an index already read (readWorktreeIndex).
func (r *Repo) statusOf(ctx context.Context, g *git.Repository, idx *index.Index) (*Status, *snapshot, error) {
	snap, err := r.snapshotOf(ctx, g, idx, true)
	if err != nil {
		return nil, nil, err
	}
	st := &Status{Branch: snap.head.branch, Head: snap.head.hash}
	if err := r.upstreamState(ctx, g, snap.head, st); err != nil {
		return nil, nil, err
	}
	subs, err := r.checkSubmodules(ctx, snap, r.submoduleIgnores(g, snap.idx), subUntracked)
	if err != nil {
		return nil, nil, err
	}
	idx, wt := snap.idx, snap.scan.wt

	files := make(map[string]*FileStatus)
	get := func(p string) *FileStatus {
		f := files[p]
		if f == nil {
			f = &FileStatus{Path: p, Index: Unmodified, Worktree: Unmodified}
			files[p] = f
		}
		return f
	}
	var srcs, dsts []renameSide
	for _, c := range snap.changes {
		if c.lo >= 0 && c.hi-c.lo > 1 || c.lo >= 0 && idx.Entries[c.lo].Stage() != 0 {
			continue // unmerged: below
		}
		f := get(c.path)
		f.HeadMode, f.HeadHash = c.headMode, c.headHash
		switch {
		case c.lo < 0:
			f.Index = Deleted
			srcs = append(srcs, renameSide{path: c.path, mode: c.headMode, hash: c.headHash, load: blobLoader(g.Storer, c.headHash)})
		case c.headMode == 0:
			f.Index = Added
			e := &idx.Entries[c.lo]
			dsts = append(dsts, renameSide{path: c.path, mode: e.Mode, hash: e.Hash, load: blobLoader(g.Storer, e.Hash)})
		case c.headMode&0o170000 != idx.Entries[c.lo].Mode&0o170000:
			f.Index = TypeChanged
		default:
			f.Index = Modified
		}
	}
	for i := 0; i < len(idx.Entries); i++ {
		e := &idx.Entries[i]
		if e.Stage() != 0 {
			j := i
			f := get(e.Name)
			mask := 0
			for ; j < len(idx.Entries) && idx.Entries[j].Name == e.Name; j++ {
				s := idx.Entries[j].Stage()
				if s > 0 {
					mask |= 1 << (s - 1)
					f.Stages[s-1] = Stage{Mode: idx.Entries[j].Mode, Hash: idx.Entries[j].Hash}
				}
			}
			f.Index, f.Worktree = unmergedCodes(mask)
			f.WorktreeMode = wt[i].mode
			i = j - 1
			continue
		}
		if e.ExtFlags&index.IntentToAdd != 0 {
			// Only announced to git: nothing staged, the file is new.
			f := get(e.Name)
			f.Worktree, f.WorktreeMode = Added, wt[i].mode
			if wt[i].state == wtDeleted {
				f.Worktree = Deleted
			}
			continue
		}
		if wt[i].state == wtClean {
			if f := files[e.Name]; f != nil {
				f.IndexMode, f.IndexHash, f.WorktreeMode = e.Mode, e.Hash, wt[i].mode
			}
			continue
		}
		f := get(e.Name)
		f.Worktree = wt[i].state
		f.IndexMode, f.IndexHash, f.WorktreeMode = e.Mode, e.Hash, wt[i].mode
		if f.Index == Unmodified {
			f.HeadMode, f.HeadHash = e.Mode, e.Hash
		}
	}
	for _, p := range detectRenames(srcs, dsts) {
		src, dst := files[srcs[p.src].path], files[dsts[p.dst].path]
		dst.Index, dst.OrigPath, dst.Score = Renamed, src.Path, p.score*100/maxScore
		dst.HeadMode, dst.HeadHash = src.HeadMode, src.HeadHash
		delete(files, src.Path)
	}
	st.Files = make([]FileStatus, 0, len(files)+len(snap.untracked))
	for _, f := range files {
		if f.HeadMode == index.ModeGitlink || f.IndexMode == index.ModeGitlink || f.WorktreeMode == index.ModeGitlink {
			f.Submodule = subs[f.Path].flags()
		}
		st.Files = append(st.Files, *f)
	}
	sort.Slice(st.Files, func(i, j int) bool { return st.Files[i].Path < st.Files[j].Path })
	// Untracked files come last, as in git's output; a path can be both
	// (deleted from the index, still on disk).
	for _, p := range snap.untracked {
		st.Files = append(st.Files, FileStatus{Path: p, Index: Untracked, Worktree: Untracked})
	}
	return st, snap, nil
}

// unmergedCodes maps the conflict stages present (bit 0: base, 1: ours,
// 2: theirs) to git's XY codes.
func unmergedCodes(mask int) (byte, byte) {
	switch mask {
	case 1:
		return 'D', 'D'
	case 2:
		return 'A', 'U'
	case 3:
		return 'U', 'D'
	case 4:
		return 'U', 'A'
	case 5:
		return 'D', 'U'
	case 6:
		return 'A', 'A'
	}
	return 'U', 'U'
}

func blobLoader(s storer.EncodedObjectStorer, h plumbing.Hash) func() ([]byte, error) {
	return func() ([]byte, error) { return readBlob(s, h) }
}

// readBlob returns the content of a blob.
func readBlob(s storer.EncodedObjectStorer, h plumbing.Hash) ([]byte, error) {
	o, err := s.EncodedObject(plumbing.BlobObject, h)
	if err != nil {
		return nil, fmt.Errorf("read blob %s: %w", h, err)
	}
	rd, err := o.Reader()
	if err != nil {
		return nil, fmt.Errorf("read blob %s: %w", h, err)
	}
	defer rd.Close()
	data, err := io.ReadAll(rd)
	if err != nil {
		return nil, fmt.Errorf("read blob %s: %w", h, err)
	}
	return data, nil
}
