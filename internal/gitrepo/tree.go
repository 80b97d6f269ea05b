package gitrepo

import (
	"fmt"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"

	"github.com/opencode-portal/portal/internal/gitrepo/index"
)

// treeChange is a path whose HEAD and index versions differ.
type treeChange struct {
	path     string
	headMode uint32 // 0 when not in HEAD
	headHash plumbing.Hash
	lo, hi   int // its index entries (several when unmerged); lo == hi when not in the index
}

// treeFile is one file of a tree, flattened.
type treeFile struct {
	path string
	mode uint32
	hash plumbing.Hash
}

// headIndexChanges compares the tree treeHash (zero for an unborn HEAD) with
// the index. Directories whose cache-tree entry is valid and equal to the
// HEAD subtree are skipped without reading them.
func headIndexChanges(s storer.EncodedObjectStorer, treeHash plumbing.Hash, idx *index.Index) ([]treeChange, error) {
	var out []treeChange
	c := treeComparer{s: s, idx: idx, out: &out}
	if err := c.compare("", treeHash, 0, len(idx.Entries), idx.Tree); err != nil {
		return nil, err
	}
	return out, nil
}

type treeComparer struct {
	s   storer.EncodedObjectStorer
	idx *index.Index
	out *[]treeChange
}

func (c *treeComparer) compare(prefix string, treeHash plumbing.Hash, lo, hi int, ct *index.Tree) error {
	if ct != nil && ct.Count >= 0 && !treeHash.IsZero() && ct.Hash == treeHash && ct.Count == hi-lo {
		return nil
	}
	var tes []object.TreeEntry
	if !treeHash.IsZero() {
		t, err := object.GetTree(c.s, treeHash)
		if err != nil {
			return fmt.Errorf("read tree %s: %w", prefix, err)
		}
		tes = t.Entries
	}
	es := c.idx.Entries
	i, j := lo, 0
	for i < hi || j < len(tes) {
		// The next index child: a file (with its stages) or a directory.
		var iname string
		var idir bool
		iend := i
		if i < hi {
			rest := es[i].Name[len(prefix):]
			if slash := strings.IndexByte(rest, '/'); slash >= 0 {
				iname, idir = rest[:slash], true
				p := es[i].Name[:len(prefix)+slash+1]
				for iend = i + 1; iend < hi && strings.HasPrefix(es[iend].Name, p); iend++ {
				}
			} else {
				iname = rest
				for iend = i + 1; iend < hi && es[iend].Name == es[i].Name; iend++ {
				}
			}
		}
		var cmp int
		switch {
		case i >= hi:
			cmp = 1
		case j >= len(tes):
			cmp = -1
		default:
			cmp = compareTreeOrder(iname, idir, tes[j].Name, tes[j].Mode == filemode.Dir)
		}
		switch {
		case cmp < 0: // only in the index
			for k := i; k < iend; {
				n := k + 1
				for n < iend && es[n].Name == es[k].Name {
					n++
				}
				// An intent-to-add entry (git add -N) stages nothing.
				if es[k].ExtFlags&index.IntentToAdd == 0 {
					*c.out = append(*c.out, treeChange{path: es[k].Name, lo: k, hi: n})
				}
				k = n
			}
			i = iend
		case cmp > 0: // only in HEAD
			if err := c.deleted(prefix, tes[j]); err != nil {
				return err
			}
			j++
		default:
			te := tes[j]
			if idir {
				if err := c.compare(prefix+iname+"/", te.Hash, i, iend, ct.Child(iname)); err != nil {
					return err
				}
			} else {
				e := &es[i]
				if iend-i > 1 || e.Stage() != 0 || e.Hash != te.Hash || e.Mode != uint32(te.Mode) {
					*c.out = append(*c.out, treeChange{path: e.Name, headMode: uint32(te.Mode), headHash: te.Hash, lo: i, hi: iend})
				}
			}
			i = iend
			j++
		}
	}
	return nil
}

// deleted records a HEAD entry (a file or a whole subtree) missing from the index.
func (c *treeComparer) deleted(prefix string, te object.TreeEntry) error {
	if te.Mode != filemode.Dir {
		*c.out = append(*c.out, treeChange{path: prefix + te.Name, headMode: uint32(te.Mode), headHash: te.Hash, lo: -1, hi: -1})
		return nil
	}
	files, err := flattenTree(c.s, te.Hash, prefix+te.Name+"/")
	if err != nil {
		return err
	}
	for _, f := range files {
		*c.out = append(*c.out, treeChange{path: f.path, headMode: f.mode, headHash: f.hash, lo: -1, hi: -1})
	}
	return nil
}

// flattenTree lists every file under a tree, in index order.
func flattenTree(s storer.EncodedObjectStorer, h plumbing.Hash, prefix string) ([]treeFile, error) {
	t, err := object.GetTree(s, h)
	if err != nil {
		return nil, fmt.Errorf("read tree %s: %w", prefix, err)
	}
	var out []treeFile
	for _, te := range t.Entries {
		if te.Mode == filemode.Dir {
			sub, err := flattenTree(s, te.Hash, prefix+te.Name+"/")
			if err != nil {
				return nil, err
			}
			out = append(out, sub...)
			continue
		}
		out = append(out, treeFile{path: prefix + te.Name, mode: uint32(te.Mode), hash: te.Hash})
	}
	return out, nil
}

// compareTreeOrder orders names as git sorts tree entries: a directory
// compares as if its name ended with "/".
func compareTreeOrder(a string, adir bool, b string, bdir bool) int {
	n := min(len(a), len(b))
	if c := strings.Compare(a[:n], b[:n]); c != 0 {
		return c
	}
	ca, cb := byte(0), byte(0)
	if len(a) > n {
		ca = a[n]
	} else if adir {
		ca = '/'
	}
	if len(b) > n {
		cb = b[n]
	} else if bdir {
		cb = '/'
	}
	switch {
	case ca < cb:
		return -1
	case ca > cb:
		return 1
	}
	return 0
}
