package gitrepo

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
)

// treeEntry is what a tree holds at a path: the zero value when nothing.
type treeEntry struct {
	hash plumbing.Hash
	mode uint32
}

const modeTree = 0o40000

// pathLookup finds the entry at one path in commits' trees, reading only
// the trees along the path. It remembers, for each folder level, the
// entries it found in the most recent trees, up to pathCacheSize per level:
// consecutive commits mostly share their subtrees.
type pathLookup struct {
	objects *objectReader
	names   []string
	seen    []map[plumbing.Hash]treeEntry // per level: tree → entry of names[level]
}

const pathCacheSize = 4096

func newPathLookup(objects *objectReader, path string) *pathLookup {
	names := strings.Split(path, "/")
	return &pathLookup{objects: objects, names: names, seen: make([]map[plumbing.Hash]treeEntry, len(names))}
}

// entry returns the entry at the path in the root tree root.
func (l *pathLookup) entry(root plumbing.Hash) (treeEntry, error) {
	cur := treeEntry{hash: root, mode: modeTree}
	for level, name := range l.names {
		if cur.mode != modeTree {
			return treeEntry{}, nil // a file where a folder was expected
		}
		m := l.seen[level]
		if e, ok := m[cur.hash]; ok {
			cur = e
			continue
		}
		data, err := l.objects.readTyped(cur.hash, plumbing.TreeObject)
		if err != nil {
			return treeEntry{}, err
		}
		e, err := findTreeEntry(data, name)
		if err != nil {
			return treeEntry{}, fmt.Errorf("tree %s: %w", cur.hash, err)
		}
		if m == nil || len(m) >= pathCacheSize {
			m = make(map[plumbing.Hash]treeEntry, 64)
			l.seen[level] = m
		}
		m[cur.hash] = e
		cur = e
	}
	return cur, nil
}

// findTreeEntry scans a raw tree for name.
func findTreeEntry(data []byte, name string) (treeEntry, error) {
	for len(data) > 0 {
		sp := bytes.IndexByte(data, ' ')
		if sp < 0 {
			return treeEntry{}, fmt.Errorf("bad tree entry; run git fsck")
		}
		var mode uint32
		for _, c := range data[:sp] {
			if c < '0' || c > '7' {
				return treeEntry{}, fmt.Errorf("bad tree entry mode %q; run git fsck", data[:sp])
			}
			mode = mode<<3 | uint32(c-'0')
		}
		nul := bytes.IndexByte(data[sp+1:], 0)
		if nul < 0 || sp+1+nul+1+20 > len(data) {
			return treeEntry{}, fmt.Errorf("bad tree entry; run git fsck")
		}
		entryName := data[sp+1 : sp+1+nul]
		rest := data[sp+1+nul+1:]
		if string(entryName) == name {
			var h plumbing.Hash
			copy(h[:], rest[:20])
			return treeEntry{hash: h, mode: canonMode(mode)}, nil
		}
		data = rest[20:]
	}
	return treeEntry{}, nil
}

// canonMode is the mode git compares trees by (tree-walk.h, canon_mode):
// a legacy 100664 is a 100644, and anything not a file, link or folder a
// gitlink.
func canonMode(mode uint32) uint32 {
	switch mode & 0o170000 {
	case 0o100000:
		if mode&0o100 != 0 {
			return 0o100755
		}
		return 0o100644
	case 0o120000:
		return 0o120000
	case modeTree:
		return modeTree
	}
	return 0o160000
}

// simplify applies git's history simplification (revision.c,
// try_to_simplify_commit, with the defaults of `git log -- path`) to a
// commit whose tree holds mine at the path and whose parents are
// parents, in order. The first parent with the same entry (TREESAME) is the
// only one followed and the commit is not shown; when there is none, the
// commit is shown and every parent followed. A root commit is shown when
// it has the path. Each parent item returned carries its own entry.
func (l *pathLookup) simplify(mine treeEntry, parents []logItem) (show bool, follow []logItem, err error) {
	if len(parents) == 0 {
		return mine != treeEntry{}, nil, nil
	}
	for i := range parents {
		p := &parents[i]
		if p.entry, err = l.entry(p.n.tree); err != nil {
			return false, nil, err
		}
		p.known = true
		if p.entry == mine {
			return false, parents[i : i+1], nil
		}
	}
	return true, parents, nil
}
