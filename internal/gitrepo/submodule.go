package gitrepo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"strings"
	"sync"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	format "github.com/go-git/go-git/v5/plumbing/format/config"
	"golang.org/x/sync/errgroup"
	"golang.org/x/sys/unix"

	"github.com/opencode-portal/portal/internal/gitrepo/index"
)

// A submodule is recorded in the superproject's index and trees as a gitlink
// entry (mode 160000) holding a commit id. Its files belong to its own
// repository: status and diff of the superproject never list them. As in
// git, the submodule's worktree counts as changed when its HEAD is not the
// recorded commit, when it has changes of its own (found by running this
// package's status in it, which recurses into nested submodules) or when it
// has untracked files, each subject to the submodule's ignore setting. A
// submodule that is not checked out (an empty folder) is unchanged; writes
// never enter a submodule's worktree, as git without --recurse-submodules.

// maxSubmoduleDepth bounds the nesting of submodules whose content is
// inspected. Each level is a real directory inside the one above, so the
// nesting cannot cycle; the bound keeps a pathological tree finite in time.
const maxSubmoduleDepth = 16

// Ignore modes of submodule.<name>.ignore and diff.ignoreSubmodules: which
// changes of a submodule's worktree status and diff leave out.
const (
	ignoreNone      = "none"      // nothing
	ignoreUntracked = "untracked" // untracked files inside
	ignoreDirty     = "dirty"     // any change inside; a moved HEAD still shows
	ignoreAll       = "all"       // everything, also staged gitlink changes in diffs
)

// subCheck is how much of a submodule's worktree is inspected.
type subCheck int

const (
	subHead      subCheck = iota // its HEAD commit only
	subModified                  // and changes to its tracked files
	subUntracked                 // and its untracked files
)

// submodule is the worktree state of one gitlink entry, after its ignore
// mode: a flag the mode ignores is never set.
type submodule struct {
	// head is the submodule's HEAD commit; zero when it is not checked out
	// or has no commit, which git counts as matching the recorded commit.
	head plumbing.Hash
	// commit, modified and untracked are the C, M and U of porcelain v2's
	// <sub> field: HEAD moved, tracked changes inside, untracked files inside.
	commit, modified, untracked bool
}

func (s *submodule) changed() bool {
	return s != nil && (s.commit || s.modified || s.untracked)
}

// flags is porcelain v2's <sub> field of a path that is a submodule on at
// least one side: "S" and then C, M, U or "." for each state.
func (s *submodule) flags() string {
	out := []byte("S...")
	if s != nil {
		for i, on := range []bool{s.commit, s.modified, s.untracked} {
			if on {
				out[i+1] = "CMU"[i]
			}
		}
	}
	return string(out)
}

// submoduleIgnores is the ignore mode of each submodule path.
type submoduleIgnores struct {
	byPath map[string]string
	def    string // diff.ignoreSubmodules; "" for none
}

func (si submoduleIgnores) mode(path string) string {
	if m, ok := si.byPath[path]; ok {
		return m
	}
	return si.def
}

// submoduleIgnores reads the ignore modes as git does: submodule.<name>.ignore
// from the configuration in effect in the worktree (config.worktree
// included) or the global one, else from .gitmodules (the worktree's file,
// else the index's), where the submodule's path gives its name;
// diff.ignoreSubmodules for paths without a setting. An unknown value
// counts as none.
func (r *Repo) submoduleIgnores(g *git.Repository, idx *index.Index) submoduleIgnores {
	hasGitlink := false
	for i := range idx.Entries {
		if idx.Entries[i].Mode == index.ModeGitlink {
			hasGitlink = true
			break
		}
	}
	if !hasGitlink {
		return submoduleIgnores{} // no config to read: only gitlinks have modes
	}
	cfgs := loadConfig(g)
	option := func(name, key string) string {
		for _, c := range cfgs {
			if v := subsectionOption(c, "submodule", name, key); v != "" {
				return v
			}
		}
		return ""
	}
	si := submoduleIgnores{byPath: map[string]string{}}
	for _, c := range cfgs {
		if v := c.Section("diff").Option("ignoresubmodules"); v != "" {
			si.def = validIgnore(v)
			break
		}
	}
	modules := r.gitmodules(g, idx)
	if modules == nil {
		return si
	}
	for _, ss := range modules.Section("submodule").Subsections {
		path := ss.Option("path")
		if path == "" {
			continue
		}
		if v := option(ss.Name, "ignore"); v != "" {
			si.byPath[path] = validIgnore(v)
		} else if v := ss.Option("ignore"); v != "" {
			si.byPath[path] = validIgnore(v)
		}
	}
	return si
}

func validIgnore(v string) string {
	switch v {
	case ignoreUntracked, ignoreDirty, ignoreAll:
		return v
	}
	return ignoreNone
}

// subsectionOption reads section.name.key without adding the subsection.
func subsectionOption(c *format.Config, section, name, key string) string {
	if !c.HasSection(section) {
		return ""
	}
	for _, ss := range c.Section(section).Subsections {
		if ss.IsName(name) && ss.HasOption(key) {
			return ss.Option(key)
		}
	}
	return ""
}

// gitmodules parses the worktree's .gitmodules, else the index's; nil when
// there is none or it cannot be parsed.
func (r *Repo) gitmodules(g *git.Repository, idx *index.Index) *format.Config {
	data, err := os.ReadFile(r.full(".gitmodules"))
	if err != nil {
		k := idx.Find(".gitmodules")
		if k < 0 || idx.Entries[k].Stage() != 0 {
			return nil
		}
		if data, err = readBlob(g.Storer, idx.Entries[k].Hash); err != nil {
			return nil
		}
	}
	c := format.New()
	if err := format.NewDecoder(bytes.NewReader(data)).Decode(c); err != nil {
		return nil
	}
	return c
}

// checkSubmodules inspects the submodule of every gitlink entry of the
// snapshot's index whose worktree side is a directory (of a conflicted one,
// against our side), as far as check and each one's ignore mode say, and
// marks those found changed as modified in snap.scan.wt; of a repository
// that replaced a tracked file, it reads the HEAD only. The result is keyed
// by path.
func (r *Repo) checkSubmodules(ctx context.Context, snap *snapshot, ign submoduleIgnores, check subCheck) (map[string]*submodule, error) {
	idx, wt := snap.idx, snap.scan.wt
	var at []int
	for i := range idx.Entries {
		e := &idx.Entries[i]
		switch {
		case e.Stage() != 0:
			// A conflicted submodule is compared with our side, as git does.
			if e.Mode == index.ModeGitlink && e.Stage() == 2 && ign.mode(e.Name) != ignoreAll {
				at = append(at, i)
			}
		case e.Mode == index.ModeGitlink && wt[i].state == wtClean && ign.mode(e.Name) != ignoreAll:
			at = append(at, i)
		case e.Mode != index.ModeGitlink && wt[i].mode == index.ModeGitlink:
			at = append(at, i) // a repository in place of a file: its HEAD only
		}
	}
	if len(at) == 0 {
		return nil, nil
	}
	if r.depth >= maxSubmoduleDepth {
		return nil, fmt.Errorf("%w: submodules nested more than %d levels deep in %s; inspect the inner ones with git itself",
			ErrUnsupported, maxSubmoduleDepth, r.dir)
	}
	out := make(map[string]*submodule, len(at))
	var mu sync.Mutex
	eg, ctx := errgroup.WithContext(ctx)
	eg.SetLimit(workers())
	for _, i := range at {
		e := &idx.Entries[i]
		eg.Go(func() error {
			sm, err := r.inspectSubmodule(ctx, e, ign.mode(e.Name), check)
			if err != nil {
				return err
			}
			mu.Lock()
			out[e.Name] = sm
			mu.Unlock()
			return nil
		})
	}
	if err := eg.Wait(); err != nil {
		return nil, err
	}
	for _, i := range at {
		if idx.Entries[i].Mode == index.ModeGitlink && idx.Entries[i].Stage() == 0 && out[idx.Entries[i].Name].changed() {
			wt[i].state = wtModified
		}
	}
	return out, nil
}

// inspectSubmodule reads the state of the submodule checked out at e's path.
func (r *Repo) inspectSubmodule(ctx context.Context, e *index.Entry, ignore string, check subCheck) (*submodule, error) {
	sm := &submodule{}
	sub, g, head := openGitlink(r.full(e.Name))
	if sub == nil {
		return sm, nil // not checked out (or not a repository): unchanged
	}
	sub.depth = r.depth + 1
	sm.head = head
	sm.commit = !sm.head.IsZero() && sm.head != e.Hash
	if check == subHead || ignore == ignoreDirty || e.Mode != index.ModeGitlink {
		// git looks into a repository only where the index has a gitlink.
		return sm, nil
	}
	var err error
	if check == subModified || ignore == ignoreUntracked {
		if sm.modified, err = sub.hasChanges(ctx, g); err != nil {
			return nil, fmt.Errorf("status of submodule %s: %w", e.Name, err)
		}
		return sm, nil
	}
	st, snap, err := sub.status(ctx, g)
	if err != nil {
		return nil, fmt.Errorf("status of submodule %s: %w", e.Name, err)
	}
	refreshIndex(sub.gitDir, snap.idx, snap.scan.fresh)
	// As git reads `git status --porcelain=2` of the submodule: a nested
	// submodule with only untracked files counts as untracked content.
	for _, f := range st.Files {
		switch {
		case f.Index == Untracked, f.Submodule == "S..U":
			sm.untracked = true
		default:
			sm.modified = true
		}
	}
	return sm, nil
}

// hasChanges reports whether the worktree has staged or unstaged changes to
// tracked files, its submodules' included: what `git status -uno` would
// list, found without looking for untracked files.
func (r *Repo) hasChanges(ctx context.Context, g *git.Repository) (bool, error) {
	snap, err := r.takeSnapshot(ctx, g, false)
	if err != nil {
		return false, err
	}
	defer refreshIndex(r.gitDir, snap.idx, snap.scan.fresh)
	if len(snap.changes) > 0 {
		return true, nil
	}
	if _, err := r.checkSubmodules(ctx, snap, r.submoduleIgnores(g, snap.idx), subModified); err != nil {
		return false, err
	}
	for i := range snap.idx.Entries {
		if snap.scan.wt[i].state != wtClean || snap.idx.Entries[i].ExtFlags&index.IntentToAdd != 0 {
			return true, nil
		}
	}
	return false, nil
}

// openGitlink opens the repository checked out in dir and reads its HEAD
// commit (zero when it has none); nil when dir holds no repository.
func openGitlink(dir string) (*Repo, *git.Repository, plumbing.Hash) {
	sub, g, err := openWithGit(dir)
	if err != nil {
		return nil, nil, plumbing.ZeroHash
	}
	h, err := readHead(g)
	if err != nil {
		return sub, g, plumbing.ZeroHash
	}
	return sub, g, h.hash
}

// isGitlinkDir reports whether the folder dir holds a repository whose HEAD
// has a commit: git then takes the folder for a submodule, also where the
// index has a file.
func isGitlinkDir(dir string) bool {
	_, _, h := openGitlink(dir)
	return !h.IsZero()
}

// gitlinkSide is the worktree side of a gitlink entry whose folder is a
// directory: the submodule's HEAD (the recorded commit when it is not
// checked out), "-dirty" when it has changes of its own.
func gitlinkSide(e *index.Entry, sm *submodule) fileSide {
	s := fileSide{path: e.Name, mode: index.ModeGitlink, hash: e.Hash}
	if sm != nil {
		if !sm.head.IsZero() {
			s.hash = sm.head
		}
		s.dirty = sm.modified
	}
	return s
}

// restoreGitlink puts back the empty folder of a submodule whose folder is
// missing or was replaced by a file, as `git restore` does; a checked-out
// submodule is left alone.
func (r *Repo) restoreGitlink(e index.Entry) (index.Entry, error) {
	full := r.full(e.Name)
	var st unix.Stat_t
	if err := unix.Lstat(full, &st); err == nil && st.Mode&unix.S_IFMT != unix.S_IFDIR {
		if err := os.Remove(full); err != nil {
			return index.Entry{}, fmt.Errorf("restore submodule folder %s: %w", e.Name, err)
		}
	}
	if err := os.MkdirAll(full, 0o755); err != nil {
		return index.Entry{}, fmt.Errorf("restore submodule folder %s: %w", e.Name, err)
	}
	if err := unix.Lstat(full, &st); err != nil {
		return index.Entry{}, fmt.Errorf("restore submodule folder %s: %w", e.Name, err)
	}
	fillStat(&e, &st)
	return e, nil
}

// removeGitlink removes the folder of a submodule that a checkout drops,
// when it is empty: a checked-out submodule stays, as git leaves it.
func (r *Repo) removeGitlink(path string) error {
	err := r.removeFile(path)
	if errors.Is(err, unix.ENOTEMPTY) || errors.Is(err, unix.EEXIST) {
		return nil
	}
	return err
}

// gitlinkEntry is the index entry git add makes for a submodule whose HEAD
// is head, with the stat data st of its folder.
func gitlinkEntry(path string, head plumbing.Hash, st *unix.Stat_t) index.Entry {
	e := index.Entry{Name: path, Mode: index.ModeGitlink, Hash: head}
	fillStat(&e, st)
	return e
}

// embeddedRepoEntry is the gitlink entry git add makes for an untracked
// repository inside the worktree (rel ends in "/"): its HEAD commit.
func (r *Repo) embeddedRepoEntry(rel string) (index.Entry, error) {
	path := strings.TrimSuffix(rel, "/")
	_, g, err := openWithGit(r.full(path))
	if err != nil {
		return index.Entry{}, fmt.Errorf("stage repository %s: %w", path, err)
	}
	h, err := readHead(g)
	if err != nil {
		return index.Entry{}, fmt.Errorf("stage repository %s: %w", path, err)
	}
	if h.unborn() {
		return index.Entry{}, fmt.Errorf("%w: %s is a repository without a commit checked out; commit in it first, or leave it out of the paths to stage",
			ErrUnsupported, path)
	}
	var st unix.Stat_t
	if err := unix.Lstat(r.full(path), &st); err != nil {
		return index.Entry{}, fmt.Errorf("stage repository %s: %w", path, err)
	}
	return gitlinkEntry(path, h.hash, &st), nil
}

// subField is FileStatus.Submodule for porcelain v2's <sub> field: empty
// for "N..." (not a submodule).
func subField(sub string) string {
	if strings.HasPrefix(sub, "N") {
		return ""
	}
	return sub
}

// inSubmodule fails for a path that matched nothing because it lies inside
// a submodule, as git refuses such a pathspec: the files belong to the
// submodule's own repository.
func (ps *pathSet) inSubmodule(idx *index.Index) error {
	for i, m := range ps.matched {
		if m {
			continue
		}
		for dir := path.Dir(ps.paths[i]); dir != "." && dir != "/"; dir = path.Dir(dir) {
			if k := idx.Find(dir); k >= 0 && idx.Entries[k].Mode == index.ModeGitlink {
				return fmt.Errorf("%w: %s is inside submodule %s, whose files belong to its own repository: change them there, or name %s for the submodule itself",
					ErrPathNotFound, ps.orig[i], dir, dir)
			}
		}
	}
	return nil
}
