package gitrepo

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"

	"github.com/opencode-portal/portal/internal/gitrepo/index"
)

// Checkout switches to a branch, like `git switch`. With create, the branch
// is made at HEAD (ErrBranchExists if it exists). Without, a missing local
// branch is created from the one remote-tracking branch of that name, with
// it as upstream (ErrBranchNotFound otherwise). Local changes to files that
// differ between the two commits fail with ErrWouldOverwrite and nothing
// changes; other local changes are carried over.
func (r *Repo) Checkout(ctx context.Context, branch string, create bool) error {
	if err := CheckBranchName(branch); err != nil {
		return fmt.Errorf("git checkout: %w", err)
	}
	tx, err := r.beginWrite(ctx)
	if err != nil {
		return fmt.Errorf("git checkout: %w", err)
	}
	defer tx.end()
	if err := r.checkout(ctx, tx, branch, create); err != nil {
		return fmt.Errorf("git checkout: %w", err)
	}
	return nil
}

func (r *Repo) checkout(ctx context.Context, tx *writeTx, branch string, create bool) error {
	g := tx.g
	h, err := readHead(g)
	if err != nil {
		return err
	}
	name := plumbing.NewBranchReferenceName(branch)
	existing, err := g.Storer.Reference(name)
	if err != nil && !errors.Is(err, plumbing.ErrReferenceNotFound) {
		return err
	}
	var target plumbing.Hash
	var track *config.Branch
	switch {
	case create && existing != nil:
		return fmt.Errorf("%w: %s", ErrBranchExists, branch)
	case create:
		target = h.hash
	case existing != nil:
		if h.branch == branch {
			return nil
		}
		if err := r.checkNotCheckedOut(branch); err != nil {
			return err
		}
		target = existing.Hash()
	default:
		remoteRef, err := uniqueRemoteBranch(g.Storer, branch)
		if err != nil {
			return err
		}
		target = remoteRef.Hash()
		remote := strings.TrimPrefix(remoteRef.Name().String(), "refs/remotes/")
		remote = remote[:len(remote)-len(branch)-1]
		track = &config.Branch{Name: branch, Remote: remote, Merge: name}
	}

	var plan *switchPlan
	if !target.IsZero() {
		snap, err := tx.snapshot(ctx, false)
		if err != nil {
			return err
		}
		sparse := tx.sparse
		if create {
			// A branch made at HEAD changes no file: git switch -c does not
			// apply the sparse patterns then.
			sparse = nil
		}
		if plan, err = r.planSwitch(g.Storer, snap, target, sparse); err != nil {
			return err
		}
	}
	if existing == nil && !target.IsZero() {
		if err := g.Storer.SetReference(plumbing.NewHashReference(name, target)); err != nil {
			return fmt.Errorf("create branch %s: %w", branch, err)
		}
	}
	if track != nil {
		cfg, err := g.Config()
		if err != nil {
			return err
		}
		cfg.Branches[branch] = track
		if err := g.Storer.SetConfig(cfg); err != nil {
			return fmt.Errorf("set upstream of %s: %w", branch, err)
		}
	}
	if plan != nil {
		if err := r.applySwitch(g, tx.idx, plan); err != nil {
			return err
		}
	}
	if !create {
		tx.idx.ClearResolveUndo() // git switch forgets them; switch -c keeps them
	}
	if err := g.Storer.SetReference(plumbing.NewSymbolicReference(plumbing.HEAD, name)); err != nil {
		return fmt.Errorf("update HEAD: %w", err)
	}
	return tx.save()
}

// uniqueRemoteBranch finds refs/remotes/<remote>/<branch> in exactly one remote.
func uniqueRemoteBranch(s storer.ReferenceStorer, branch string) (*plumbing.Reference, error) {
	refs, err := s.IterReferences()
	if err != nil {
		return nil, err
	}
	var found []*plumbing.Reference
	refs.ForEach(func(ref *plumbing.Reference) error {
		n := ref.Name().String()
		if ref.Type() == plumbing.HashReference && strings.HasPrefix(n, "refs/remotes/") &&
			strings.HasSuffix(n, "/"+branch) && strings.Count(strings.TrimPrefix(n, "refs/remotes/"), "/") == strings.Count(branch, "/")+1 {
			found = append(found, ref)
		}
		return nil
	})
	if len(found) != 1 {
		return nil, fmt.Errorf("%w: %s", ErrBranchNotFound, branch)
	}
	return found[0], nil
}

// treeDiff is a file that differs between two trees; mode 0 means absent.
type treeDiff struct {
	path           string
	fromMode, mode uint32
	fromHash, hash plumbing.Hash
}

// switchPlan is the set of files to rewrite to move the worktree and index
// from HEAD's tree to another commit's.
type switchPlan struct {
	diffs  []treeDiff
	sparse *sparseCheckout // files outside it are not written
}

// planSwitch lists the files that differ between HEAD and target and checks
// that none has local changes (staged, unstaged, or an untracked file in the
// way), so that switching loses nothing. In a sparse checkout, the
// skip-worktree bits must agree with the sparse-checkout definition.
func (r *Repo) planSwitch(s storer.EncodedObjectStorer, snap *snapshot, target plumbing.Hash, sparse *sparseCheckout) (*switchPlan, error) {
	idx, wt := snap.idx, snap.scan.wt
	for i := range idx.Entries {
		if idx.Entries[i].Stage() != 0 {
			return nil, fmt.Errorf("%w: %s; resolve the conflicts first", ErrUnmerged, idx.Entries[i].Name)
		}
	}
	if err := sparse.checkApplied(idx, "moving to another commit"); err != nil {
		return nil, err
	}
	c, err := object.GetCommit(s, target)
	if err != nil {
		return nil, fmt.Errorf("read commit %s: %w", target, err)
	}
	var diffs []treeDiff
	if err := diffTrees(s, "", snap.headTree, c.TreeHash, &diffs); err != nil {
		return nil, err
	}
	if err := snap.scan.set.conv.refuse(switchWrites(diffs, sparse)); err != nil {
		return nil, err
	}
	var conflicts []string
	for _, d := range diffs {
		k := idx.Find(d.path)
		if k < 0 {
			fi, err := os.Lstat(r.full(d.path))
			// A submodule may come back over a folder: git leaves its content.
			overFolder := err == nil && fi.IsDir() && d.mode == index.ModeGitlink
			if d.fromMode != 0 || err == nil && !overFolder {
				conflicts = append(conflicts, d.path)
			}
			continue
		}
		e := &idx.Entries[k]
		fromOK := d.fromMode != 0 && e.Mode == d.fromMode && e.Hash == d.fromHash
		toOK := d.mode != 0 && e.Mode == d.mode && e.Hash == d.hash
		if (!fromOK && !toOK) || wt[k].state != wtClean {
			conflicts = append(conflicts, d.path)
		}
	}
	if len(conflicts) > 0 {
		return nil, fmt.Errorf("%w: %s; commit, stash or discard them first", ErrWouldOverwrite, strings.Join(conflicts, ", "))
	}
	return &switchPlan{diffs: diffs, sparse: sparse}, nil
}

// applySwitch rewrites the planned files in the worktree and the index.
func (r *Repo) applySwitch(g *git.Repository, idx *index.Index, plan *switchPlan) error {
	// Files are converted with the attributes of the tree checked out.
	attrFiles := map[string]plumbing.Hash{}
	for _, d := range plan.diffs {
		if d.path == ".gitattributes" || strings.HasSuffix(d.path, "/.gitattributes") {
			attrFiles[d.path] = d.hash
		}
	}
	conv := r.newConverter(g, idx, true, attrFiles)
	if err := conv.refuse(switchWrites(plan.diffs, plan.sparse)); err != nil {
		return err
	}
	s := g.Storer
	changed := make(map[string]bool, len(plan.diffs))
	// Removals first, so that a file replaced by a directory is out of the way.
	for _, d := range plan.diffs {
		changed[d.path] = true
		if d.mode == 0 || d.fromMode != 0 && d.fromMode&0o170000 != d.mode&0o170000 {
			remove := r.removeFile
			if d.fromMode == index.ModeGitlink {
				remove = r.removeGitlink // a checked-out submodule stays
			}
			if err := remove(d.path); err != nil {
				return err
			}
		}
	}
	var add []index.Entry
	for _, d := range plan.diffs {
		if d.mode == 0 {
			continue
		}
		e := index.Entry{Name: d.path, Mode: d.mode, Hash: d.hash}
		if !plan.sparse.includes(d.path) {
			// As git's unpack-trees does: kept out of the worktree.
			e.ExtFlags = index.SkipWorktree
			add = append(add, e)
			continue
		}
		if d.mode == index.ModeGitlink {
			if err := os.MkdirAll(r.full(d.path), 0o755); err != nil {
				return fmt.Errorf("write %s: %w", d.path, err)
			}
			add = append(add, e)
			continue
		}
		e, err := r.checkoutEntry(s, conv, e)
		if err != nil {
			return err
		}
		add = append(add, e)
	}
	idx.SetEntries(changed, add)
	return nil
}

// diffTrees appends the files that differ between trees a and b (either may
// be zero: the empty tree), skipping identical subtrees.
func diffTrees(s storer.EncodedObjectStorer, prefix string, a, b plumbing.Hash, out *[]treeDiff) error {
	if a == b {
		return nil
	}
	read := func(h plumbing.Hash) ([]object.TreeEntry, error) {
		if h.IsZero() {
			return nil, nil
		}
		t, err := object.GetTree(s, h)
		if err != nil {
			return nil, fmt.Errorf("read tree %s: %w", prefix, err)
		}
		return t.Entries, nil
	}
	ea, err := read(a)
	if err != nil {
		return err
	}
	eb, err := read(b)
	if err != nil {
		return err
	}
	type side struct {
		mode filemode.FileMode
		hash plumbing.Hash
	}
	names := map[string][2]*side{}
	for i := range ea {
		v := names[ea[i].Name]
		v[0] = &side{ea[i].Mode, ea[i].Hash}
		names[ea[i].Name] = v
	}
	for i := range eb {
		v := names[eb[i].Name]
		v[1] = &side{eb[i].Mode, eb[i].Hash}
		names[eb[i].Name] = v
	}
	keys := make([]string, 0, len(names))
	for k := range names {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, name := range keys {
		v := names[name]
		var fa, fb treeDiff
		var subA, subB plumbing.Hash
		if v[0] != nil {
			if v[0].mode == filemode.Dir {
				subA = v[0].hash
			} else {
				fa = treeDiff{fromMode: uint32(v[0].mode), fromHash: v[0].hash}
			}
		}
		if v[1] != nil {
			if v[1].mode == filemode.Dir {
				subB = v[1].hash
			} else {
				fb = treeDiff{mode: uint32(v[1].mode), hash: v[1].hash}
			}
		}
		if !subA.IsZero() || !subB.IsZero() {
			if err := diffTrees(s, prefix+name+"/", subA, subB, out); err != nil {
				return err
			}
		}
		if fa.fromMode != fb.mode || fa.fromHash != fb.hash {
			*out = append(*out, treeDiff{path: prefix + name, fromMode: fa.fromMode, fromHash: fa.fromHash, mode: fb.mode, hash: fb.hash})
		}
	}
	return nil
}
