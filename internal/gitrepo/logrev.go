package gitrepo

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// resolve resolves a revision ("" for HEAD): a ref name as git finds it
// (the name, then under refs/, refs/tags/, refs/heads/, refs/remotes/, and
// refs/remotes/NAME/HEAD), a full or abbreviated commit id, or an
// annotated tag, followed by ~N and ^N steps taken on the history's
// parents (so a shallow commit has none).
func (h *history) resolve(g *git.Repository, rev string) (plumbing.Hash, error) {
	if rev == "" {
		hd, err := readHead(g)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		if hd.unborn() {
			return plumbing.ZeroHash, ErrNoCommits
		}
		return hd.hash, nil
	}
	if err := checkRevision(rev); err != nil {
		return plumbing.ZeroHash, err
	}
	base, steps := rev, ""
	if i := strings.IndexAny(rev, "~^"); i >= 0 {
		base, steps = rev[:i], rev[i:]
	}
	id, err := h.lookupName(g, base, rev)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if id, err = h.peel(id, rev); err != nil {
		return plumbing.ZeroHash, err
	}
	return h.steps(id, steps, rev)
}

// lookupName finds the object a ref name or commit id names.
func (h *history) lookupName(g *git.Repository, name, rev string) (plumbing.Hash, error) {
	if len(name) == 40 && plumbing.IsHash(name) {
		return plumbing.NewHash(name), nil
	}
	// git's rules for a short ref name, in order.
	for _, rule := range []string{"%s", "refs/%s", "refs/tags/%s", "refs/heads/%s", "refs/remotes/%s", "refs/remotes/%s/HEAD"} {
		ref, err := storer.ResolveReference(g.Storer, plumbing.ReferenceName(fmt.Sprintf(rule, name)))
		if err == nil && ref.Type() == plumbing.HashReference {
			return ref.Hash(), nil
		}
	}
	if len(name) >= 4 && len(name) < 40 && isHex(name) {
		ids := h.objects.withPrefix(strings.ToLower(name))
		switch len(ids) {
		case 1:
			return ids[0], nil
		case 0:
		default:
			return plumbing.ZeroHash, fmt.Errorf("%w: %q: the short id %s names %d objects; give more of its digits", ErrBranchNotFound, rev, name, len(ids))
		}
	}
	return plumbing.ZeroHash, fmt.Errorf("%w: %q names no branch, tag or commit; list them with git branch -a and git tag", ErrBranchNotFound, rev)
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if !strings.ContainsRune("0123456789abcdefABCDEF", rune(s[i])) {
			return false
		}
	}
	return true
}

// peel follows annotated tags to the commit they name.
func (h *history) peel(id plumbing.Hash, rev string) (plumbing.Hash, error) {
	for depth := 0; ; depth++ {
		t, data, err := h.objects.read(id)
		if err != nil {
			return plumbing.ZeroHash, fmt.Errorf("%w: %q: %v", ErrBranchNotFound, rev, err)
		}
		switch {
		case t == plumbing.CommitObject:
			return id, nil
		case t == plumbing.TagObject && depth < 100:
			line, _, _ := bytes.Cut(data, []byte{'\n'})
			target, ok := bytes.CutPrefix(line, []byte("object "))
			if !ok || !plumbing.IsHash(string(target)) {
				return plumbing.ZeroHash, fmt.Errorf("read tag %s: no object line; run git fsck", id)
			}
			id = plumbing.NewHash(string(target))
		default:
			return plumbing.ZeroHash, fmt.Errorf("%w: %q names a %s, not a commit", ErrBranchNotFound, rev, t)
		}
	}
}

// steps follows the ~N (N first parents) and ^N (the Nth parent) steps of
// revision rev from c.
func (h *history) steps(c plumbing.Hash, steps, rev string) (plumbing.Hash, error) {
	for steps != "" {
		op := steps[0]
		steps = steps[1:]
		digits := len(steps) - len(strings.TrimLeft(steps, "0123456789"))
		n := 1
		if digits > 0 {
			var err error
			if n, err = strconv.Atoi(steps[:digits]); err != nil {
				return plumbing.ZeroHash, fmt.Errorf("%w %q: %q is too large", ErrInvalidRevision, rev, steps[:digits])
			}
		}
		steps = steps[digits:]
		if op == '^' {
			if n == 0 {
				continue
			}
			node, err := h.node(c)
			if err != nil {
				return plumbing.ZeroHash, err
			}
			if n > len(node.parents) {
				return plumbing.ZeroHash, fmt.Errorf("%w: %q: commit %s has %d parents; name a commit that exists", ErrBranchNotFound, rev, c, len(node.parents))
			}
			c = node.parents[n-1]
			continue
		}
		for ; n > 0; n-- {
			node, err := h.node(c)
			if err != nil {
				return plumbing.ZeroHash, err
			}
			if len(node.parents) == 0 {
				return plumbing.ZeroHash, fmt.Errorf("%w: %q: the history ends at commit %s; use fewer ~ steps", ErrBranchNotFound, rev, c)
			}
			c = node.parents[0]
		}
	}
	return c, nil
}

// withPrefix lists the objects (packed or loose, up to 2) whose id starts
// with the lowercase hex prefix.
func (o *objectReader) withPrefix(prefix string) []plumbing.Hash {
	seen := map[plumbing.Hash]bool{}
	var out []plumbing.Hash
	add := func(h plumbing.Hash) {
		if !seen[h] {
			seen[h] = true
			out = append(out, h)
		}
	}
	even := prefix[:len(prefix)&^1]
	lo, _ := hex.DecodeString(even)
	for _, p := range o.packs {
		names := p.idx[8+256*4:]
		// The first name not below the prefix, by binary search.
		i, j := 0, int(p.count)
		for i < j {
			mid := (i + j) / 2
			if bytes.Compare(names[mid*20:mid*20+len(lo)], lo) < 0 {
				i = mid + 1
			} else {
				j = mid
			}
		}
		for ; i < int(p.count) && len(out) < 2; i++ {
			var h plumbing.Hash
			copy(h[:], names[i*20:i*20+20])
			if !strings.HasPrefix(h.String(), prefix) {
				if !bytes.HasPrefix(h[:], lo) {
					break
				}
				continue
			}
			add(h)
		}
	}
	entries, _ := os.ReadDir(filepath.Join(o.objects, prefix[:2]))
	for _, e := range entries {
		if name := prefix[:2] + e.Name(); len(name) == 40 && strings.HasPrefix(name, prefix) && plumbing.IsHash(name) {
			add(plumbing.NewHash(name))
		}
	}
	return out
}
