package gitrepo

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"

	"github.com/opencode-portal/portal/internal/gitrepo/index"
)

// Identity is a commit author or committer without a time.
type Identity struct {
	Name  string
	Email string
}

// Commit records the staged changes as a new commit on the current branch
// (or on a detached HEAD). author may be nil: the author is then user.name
// and user.email from the repository's configuration (or the global one).
// The committer is always the configured identity, or the author when none
// is configured. Nothing staged fails with ErrNothingStaged.
//
// Like `git commit`, it concludes a merge stopped for conflicts (the
// commits of MERGE_HEAD become further parents, even when the tree equals
// HEAD's), a cherry-pick (the picked commit's author is kept when author is
// nil) or a revert, and then removes their state files. Unresolved
// conflicts fail with ErrUnmerged.
func (r *Repo) Commit(ctx context.Context, message string, author *Identity) (Commit, error) {
	msg := cleanMessage(message)
	if msg == "" {
		return Commit{}, fmt.Errorf("git commit: %w", ErrEmptyMessage)
	}
	if author != nil && (strings.TrimSpace(author.Name) == "" || strings.TrimSpace(author.Email) == "" ||
		strings.ContainsAny(author.Name+author.Email, "<>\n\x00")) {
		return Commit{}, fmt.Errorf("git commit: %w: the author needs a name and an email without <, > or newlines", ErrNoIdentity)
	}
	tx, err := r.beginWrite(ctx)
	if err != nil {
		return Commit{}, fmt.Errorf("git commit: %w", err)
	}
	defer tx.end()
	g, idx := tx.g, tx.idx
	for i := range idx.Entries {
		if idx.Entries[i].Stage() != 0 {
			return Commit{}, fmt.Errorf("git commit: %w: %s; resolve the conflicts and stage the files first",
				ErrUnmerged, idx.Entries[i].Name)
		}
	}
	h, err := readHead(g)
	if err != nil {
		return Commit{}, fmt.Errorf("git commit: %w", err)
	}
	op, err := readPending(r.gitDir)
	if err != nil {
		return Commit{}, fmt.Errorf("git commit: %w", err)
	}
	b := treeBuilder{s: g.Storer, idx: idx}
	tree, ct, err := b.build("", 0, len(idx.Entries), idx.Tree)
	if err != nil {
		return Commit{}, fmt.Errorf("git commit: %w", err)
	}
	var parents []plumbing.Hash
	if !h.unborn() {
		head, err := object.GetCommit(g.Storer, h.hash)
		if err != nil {
			return Commit{}, fmt.Errorf("git commit: read HEAD: %w", err)
		}
		// A merge is recorded even when its tree is HEAD's, as git does.
		if head.TreeHash == tree && len(op.mergeHeads) == 0 {
			return Commit{}, fmt.Errorf("git commit: %w", ErrNothingStaged)
		}
		parents = []plumbing.Hash{h.hash}
	} else if len(idx.Entries) == 0 && len(op.mergeHeads) == 0 {
		return Commit{}, fmt.Errorf("git commit: %w", ErrNothingStaged)
	}
	for _, p := range op.mergeHeads {
		if _, err := object.GetCommit(g.Storer, p); err != nil {
			return Commit{}, fmt.Errorf("git commit: read MERGE_HEAD commit %s: %w", p, err)
		}
		parents = append(parents, p)
	}

	cfg := loadConfig(g) // read once for the identity and the reflogs
	configured := identity(cfg)
	if author == nil {
		author = configured
	}
	if author == nil {
		return Commit{}, fmt.Errorf("git commit: %w: give an author or set user.name and user.email in the repository's git config", ErrNoIdentity)
	}
	committer := configured
	if committer == nil {
		committer = author
	}
	now := time.Now()
	authored := object.Signature{Name: author.Name, Email: author.Email, When: now}
	if !op.cherryPick.IsZero() && author == configured {
		// Like git, a cherry-pick keeps the author of the picked commit.
		picked, err := object.GetCommit(g.Storer, op.cherryPick)
		if err != nil {
			return Commit{}, fmt.Errorf("git commit: read CHERRY_PICK_HEAD commit %s: %w", op.cherryPick, err)
		}
		authored = picked.Author
	}
	if err := os.WriteFile(filepath.Join(r.gitDir, "COMMIT_EDITMSG"), []byte(msg), 0o644); err != nil {
		return Commit{}, fmt.Errorf("git commit: save the message: %w", err)
	}
	c := &object.Commit{
		Author:       authored,
		Committer:    object.Signature{Name: committer.Name, Email: committer.Email, When: now},
		Message:      msg,
		TreeHash:     tree,
		ParentHashes: parents,
	}
	obj := g.Storer.NewEncodedObject()
	if err := c.Encode(obj); err != nil {
		return Commit{}, fmt.Errorf("git commit: %w", err)
	}
	id, err := g.Storer.SetEncodedObject(obj)
	if err != nil {
		return Commit{}, fmt.Errorf("git commit: write commit: %w", err)
	}
	c.Hash = id
	if err := moveHead(g.Storer, h, id); err != nil {
		return Commit{}, fmt.Errorf("git commit: %w", err)
	}
	if err := r.logCommit(cfg, h, id, op, committer, now, msg); err != nil {
		return Commit{}, fmt.Errorf("git commit: commit %s was made, but not recorded in the reflog (check that .git/logs is writable): %w", id, err)
	}
	// Keep the cache-tree that was just computed, for fast status.
	idx.Tree = ct
	if err := tx.save(); err != nil {
		return Commit{}, fmt.Errorf("git commit: commit %s was made but the index was not updated: %w", id, err)
	}
	if err := clearPending(r.gitDir); err != nil {
		return Commit{}, fmt.Errorf("git commit: commit %s was made but the merge state was not cleared (git merge --quit or git cherry-pick --quit clears it): %w", id, err)
	}
	return toCommit(c), nil
}

// moveHead points the current branch (or a detached HEAD) at id, failing if
// it moved since h was read.
func moveHead(s storer.ReferenceStorer, h head, id plumbing.Hash) error {
	name := plumbing.HEAD
	if h.branch != "" {
		name = plumbing.NewBranchReferenceName(h.branch)
	}
	var old *plumbing.Reference
	if !h.unborn() {
		old = plumbing.NewHashReference(name, h.hash)
	}
	if err := s.CheckAndSetReference(plumbing.NewHashReference(name, id), old); err != nil {
		return fmt.Errorf("update %s: %w", name, err)
	}
	return nil
}

// logCommit records a commit in the reflogs of the branch and HEAD, with
// the message git commit writes ("commit (merge): subject").
func (r *Repo) logCommit(cfg layeredConfig, h head, id plumbing.Hash, op pending, committer *Identity, when time.Time, msg string) error {
	action := "commit"
	switch {
	case h.unborn():
		action = "commit (initial)"
	case len(op.mergeHeads) > 0:
		action = "commit (merge)"
	case !op.cherryPick.IsZero():
		action = "commit (cherry-pick)"
	}
	subject, _, _ := strings.Cut(msg, "\n")
	logMsg := action + ": " + subject
	if h.branch != "" {
		if err := r.logRefUpdate(cfg, plumbing.NewBranchReferenceName(h.branch).String(), h.hash, id, committer, when, logMsg); err != nil {
			return err
		}
	}
	return r.logRefUpdate(cfg, "HEAD", h.hash, id, committer, when, logMsg)
}

// identity is user.name/user.email from the configuration in effect in
// the worktree (config.worktree, the repository's, the global one), or nil.
func identity(cfg layeredConfig) *Identity {
	name, email := cfg.get("user", "name"), cfg.get("user", "email")
	if name == "" || email == "" {
		return nil
	}
	return &Identity{Name: name, Email: email}
}

// cleanMessage applies git's "whitespace" cleanup: trailing spaces removed,
// runs of blank lines collapsed, leading and trailing blank lines dropped,
// a final newline added.
func cleanMessage(msg string) string {
	var out []string
	blank := false
	for _, l := range strings.Split(strings.ReplaceAll(msg, "\r\n", "\n"), "\n") {
		l = strings.TrimRight(l, " \t\r")
		if l == "" {
			blank = len(out) > 0
			continue
		}
		if blank {
			out = append(out, "")
			blank = false
		}
		out = append(out, l)
	}
	if len(out) == 0 {
		return ""
	}
	return strings.Join(out, "\n") + "\n"
}

// treeBuilder writes the tree objects of the index, reusing valid
// cache-tree entries, and returns a fresh cache-tree.
type treeBuilder struct {
	s   storer.EncodedObjectStorer
	idx *index.Index
}

func (b *treeBuilder) build(prefix string, lo, hi int, ct *index.Tree) (plumbing.Hash, *index.Tree, error) {
	name := ""
	if prefix != "" {
		name = prefix[strings.LastIndexByte(prefix[:len(prefix)-1], '/')+1 : len(prefix)-1]
	}
	if ct != nil && ct.Count >= 0 && ct.Count == hi-lo {
		return ct.Hash, ct, nil
	}
	node := &index.Tree{Name: name, Count: hi - lo}
	var t object.Tree
	es := b.idx.Entries
	for i := lo; i < hi; {
		rest := es[i].Name[len(prefix):]
		if slash := strings.IndexByte(rest, '/'); slash >= 0 {
			dir := rest[:slash]
			p := prefix + dir + "/"
			j := i + 1
			for j < hi && strings.HasPrefix(es[j].Name, p) {
				j++
			}
			h, child, err := b.build(p, i, j, ct.Child(dir))
			if err != nil {
				return plumbing.ZeroHash, nil, err
			}
			t.Entries = append(t.Entries, object.TreeEntry{Name: dir, Mode: filemode.Dir, Hash: h})
			node.Children = append(node.Children, child)
			i = j
			continue
		}
		if es[i].ExtFlags&index.IntentToAdd == 0 {
			t.Entries = append(t.Entries, object.TreeEntry{Name: rest, Mode: filemode.FileMode(es[i].Mode), Hash: es[i].Hash})
		}
		i++
	}
	obj := b.s.NewEncodedObject()
	if err := t.Encode(obj); err != nil {
		return plumbing.ZeroHash, nil, err
	}
	h := obj.Hash()
	if b.s.HasEncodedObject(h) != nil {
		if _, err := b.s.SetEncodedObject(obj); err != nil {
			return plumbing.ZeroHash, nil, fmt.Errorf("write tree %s: %w", prefix, err)
		}
	}
	node.Hash = h
	return h, node, nil
}
