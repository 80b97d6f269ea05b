package gitrepo

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	commitgraph "github.com/go-git/go-git/v5/plumbing/format/commitgraph/v2"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"golang.org/x/sys/unix"
)

// history answers what history walks need of a commit (parents, date, tree,
// generation) from the commit-graph when the repository has one, else from
// the commit object, with the commits of .git/shallow cut from their
// parents as git does. It holds no more than the mapped files and the
// object reader's bounded cache; close releases them.
type history struct {
	objects *objectReader
	graph   commitgraph.Index // nil without a usable commit-graph
	shallow map[plumbing.Hash]bool
}

// commitNode is a commit as a history walk sees it.
type commitNode struct {
	hash    plumbing.Hash
	parents []plumbing.Hash
	tree    plumbing.Hash
	when    int64 // committer time, seconds since the epoch
	// gen is the commit's generation number from the commit-graph
	// (corrected commit date when the graph has them, else topological
	// level); genInfinity for commits not in a graph.
	gen uint64
}

const genInfinity = math.MaxUint64

// openHistory opens the objects of the common directory common.
// useGraph is false when core.commitGraph is false.
func openHistory(common string, fallback storer.EncodedObjectStorer, useGraph bool) (*history, error) {
	shallow, err := readShallow(common)
	if err != nil {
		return nil, err
	}
	objects, err := newObjectReader(common, fallback)
	if err != nil {
		return nil, err
	}
	h := &history{objects: objects, shallow: shallow}
	// git does not use the commit-graph in a shallow repository: its
	// parents are those of the full history.
	if useGraph && len(shallow) == 0 {
		h.graph = openCommitGraph(filepath.Join(common, "objects", "info"))
	}
	return h, nil
}

func (h *history) close() {
	if h.graph != nil {
		h.graph.Close()
	}
	h.objects.Close()
}

// checkReplacements refuses a repository whose history git rewrites on
// the fly, with replace refs (refs/replace/, unless core.useReplaceRefs is
// false) or a grafts file: the history walks here read commits as stored.
func checkReplacements(g *git.Repository, common string) error {
	if _, err := os.Stat(filepath.Join(common, "info", "grafts")); err == nil {
		return fmt.Errorf("%w: %s rewrites parents (grafts), which only the git CLI honours; run git log, or convert it with git replace --convert-graft-file", ErrUnsupported, filepath.Join(common, "info", "grafts"))
	}
	if s, ok := g.Storer.(*repoStorage); ok && !boolOption(s.effective.Raw.Section("core").Option("usereplacerefs"), true) {
		return nil
	}
	found := false
	if entries, err := os.ReadDir(filepath.Join(common, "refs", "replace")); err == nil && len(entries) > 0 {
		found = true
	}
	if data, err := os.ReadFile(filepath.Join(common, "packed-refs")); err == nil && bytes.Contains(data, []byte(" refs/replace/")) {
		found = true
	}
	if found {
		return fmt.Errorf("%w: the repository has replace refs (refs/replace/), which only the git CLI honours; run git log, or set core.useReplaceRefs false to see the history as stored", ErrUnsupported)
	}
	return nil
}

// readShallow reads the commits a shallow clone has without their parents.
func readShallow(common string) (map[plumbing.Hash]bool, error) {
	name := filepath.Join(common, "shallow")
	f, err := os.Open(name)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	defer f.Close()
	out := map[plumbing.Hash]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		if !plumbing.IsHash(line) {
			return nil, fmt.Errorf("read %s: %q is not a commit id; run git fsck", name, line)
		}
		out[plumbing.NewHash(line)] = true
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return out, nil
}

// openCommitGraph opens objects/info/commit-graph or the chain in
// objects/info/commit-graphs, mapped into memory. A graph that is missing
// or that go-git cannot read gives nil: the walk then reads commits.
func openCommitGraph(info string) commitgraph.Index {
	if idx := openGraphFile(filepath.Join(info, "commit-graph"), nil); idx != nil {
		return idx
	}
	dir := filepath.Join(info, "commit-graphs")
	data, err := os.ReadFile(filepath.Join(dir, "commit-graph-chain"))
	if err != nil {
		return nil
	}
	var idx commitgraph.Index
	for _, line := range strings.Fields(string(data)) {
		next := openGraphFile(filepath.Join(dir, "graph-"+line+".graph"), idx)
		if next == nil {
			if idx != nil {
				idx.Close()
			}
			return nil
		}
		idx = next
	}
	return idx
}

func openGraphFile(name string, parent commitgraph.Index) commitgraph.Index {
	data, err := mapFile(name)
	if err != nil || data == nil {
		return nil
	}
	idx, err := commitgraph.OpenFileIndexWithParent(&mappedReader{data: data}, parent)
	if err != nil {
		unix.Munmap(data)
		return nil
	}
	return idx
}

// mappedReader reads a mapped file; Close unmaps it.
type mappedReader struct{ data []byte }

func (m *mappedReader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 || off >= int64(len(m.data)) {
		return 0, fmt.Errorf("read past the end of a commit-graph file")
	}
	n := copy(p, m.data[off:])
	if n < len(p) {
		return n, fmt.Errorf("read past the end of a commit-graph file")
	}
	return n, nil
}

func (m *mappedReader) Close() error {
	if m.data == nil {
		return nil
	}
	err := unix.Munmap(m.data)
	m.data = nil
	return err
}

// node returns what the walk needs of commit c.
func (h *history) node(c plumbing.Hash) (*commitNode, error) {
	if h.graph != nil {
		if i, err := h.graph.GetIndexByHash(c); err == nil {
			d, err := h.graph.GetCommitDataByIndex(i)
			if err != nil {
				return nil, fmt.Errorf("read commit %s from the commit-graph: %w", c, err)
			}
			gen := d.Generation
			if h.graph.HasGenerationV2() {
				gen = d.GenerationV2
			}
			return &commitNode{hash: c, parents: d.ParentHashes, tree: d.TreeHash, when: d.When.Unix(), gen: gen}, nil
		}
	}
	data, err := h.objects.readTyped(c, plumbing.CommitObject)
	if err != nil {
		return nil, err
	}
	n, err := parseCommitHeader(c, data)
	if err != nil {
		return nil, err
	}
	if h.shallow[c] {
		n.parents = nil
	}
	return n, nil
}

// parseCommitHeader reads the tree, parents and committer time of a raw
// commit, stopping at the committer line.
func parseCommitHeader(c plumbing.Hash, data []byte) (*commitNode, error) {
	n := &commitNode{hash: c, gen: genInfinity}
	for len(data) > 0 {
		line, rest, _ := bytes.Cut(data, []byte{'\n'})
		data = rest
		if len(line) == 0 {
			break
		}
		key, val, _ := bytes.Cut(line, []byte{' '})
		switch string(key) {
		case "tree":
			if !plumbing.IsHash(string(val)) {
				return nil, fmt.Errorf("commit %s has a bad tree line; run git fsck", c)
			}
			n.tree = plumbing.NewHash(string(val))
		case "parent":
			if !plumbing.IsHash(string(val)) {
				return nil, fmt.Errorf("commit %s has a bad parent line; run git fsck", c)
			}
			n.parents = append(n.parents, plumbing.NewHash(string(val)))
		case "committer":
			n.when = signatureTime(val)
			return n, nil
		}
	}
	return n, nil
}

// signatureTime is the timestamp of "Name <email> 1700000000 +0100", or 0
// when it has none, as git reads it.
func signatureTime(sig []byte) int64 {
	i := bytes.LastIndexByte(sig, '>')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(sig[i+1:]))
	if len(f) == 0 {
		return 0
	}
	t, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil {
		return 0
	}
	return t
}
