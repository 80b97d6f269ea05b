package gitrepo

import (
	"bytes"
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
)

// The index (.git/index) is read and written here rather than with go-git's
// format/index package: its reflection-based decoder takes ~50 ms on a
// 30,000-entry index (this one takes a few), and its encoder drops the
// cache-tree extension that keeps `git status` and our status fast.

const (
	flagAssumeValid = 0x8000
	flagExtended    = 0x4000
	flagStageMask   = 0x3000
	flagNameMask    = 0x0fff

	extSkipWorktree = 0x4000
	extIntentToAdd  = 0x2000

	modeDir     = 0o040000
	modeFile    = 0o100644
	modeExec    = 0o100755
	modeSymlink = 0o120000
	modeGitlink = 0o160000
)

// entry is one index entry.
type entry struct {
	ctimeSec, ctimeNsec uint32
	mtimeSec, mtimeNsec uint32
	dev, ino, mode      uint32
	uid, gid, size      uint32
	hash                plumbing.Hash
	flags               uint16
	ext                 uint16
	name                string
}

func (e *entry) stage() int { return int(e.flags&flagStageMask) >> 12 }

// index is a parsed index file.
type index struct {
	version uint32
	entries []entry
	tree    *cacheTree // nil when the file has no TREE extension
	mtime   time.Time  // the file's mtime, for racy-git checks
	size    int64      // the file's size
	link    *splitLink // the split-index link; entries are then merged
}

// cacheTree is one node of the TREE extension: the tree object a directory
// of the index would produce, valid when count >= 0.
type cacheTree struct {
	name     string
	count    int // index entries covered; -1 = invalid
	hash     plumbing.Hash
	children []*cacheTree // sorted by name
}

func (t *cacheTree) child(name string) *cacheTree {
	if t == nil {
		return nil
	}
	i := sort.Search(len(t.children), func(i int) bool { return t.children[i].name >= name })
	if i < len(t.children) && t.children[i].name == name {
		return t.children[i]
	}
	return nil
}

// invalidate marks the nodes along path (a file path) as invalid.
func (t *cacheTree) invalidate(path string) {
	for t != nil {
		t.count = -1
		i := strings.IndexByte(path, '/')
		if i < 0 {
			return
		}
		t, path = t.child(path[:i]), path[i+1:]
	}
}

var errBadIndex = errors.New("corrupt index file")

// readIndex reads the index file at path. A missing file is an empty index.
func readIndex(path string) (*index, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &index{version: 2}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read index: %w", err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("read index: %w", err)
	}
	idx, err := parseIndex(data)
	if err == nil && idx.link != nil && !idx.link.base.IsZero() {
		var shared *index
		if shared, err = readSharedIndex(filepath.Dir(path), idx.link.base); err == nil {
			idx.entries, err = mergeSplit(idx, idx.link, shared)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("read index %s: %w", path, err)
	}
	idx.mtime, idx.size = fi.ModTime(), fi.Size()
	return idx, nil
}

func parseIndex(data []byte) (*index, error) {
	if len(data) < 12+20 || string(data[:4]) != "DIRC" {
		return nil, errBadIndex
	}
	idx := &index{version: binary.BigEndian.Uint32(data[4:])}
	if idx.version < 2 || idx.version > 4 {
		return nil, fmt.Errorf("%w: index version %d", ErrUnsupported, idx.version)
	}
	count := int(binary.BigEndian.Uint32(data[8:]))
	body := data[:len(data)-20]
	if count > len(body)/40 {
		return nil, errBadIndex
	}
	idx.entries = make([]entry, count)
	off := 12
	prev := ""
	for i := range idx.entries {
		if off+62 > len(body) {
			return nil, errBadIndex
		}
		b := body[off:]
		e := &idx.entries[i]
		e.ctimeSec = binary.BigEndian.Uint32(b[0:])
		e.ctimeNsec = binary.BigEndian.Uint32(b[4:])
		e.mtimeSec = binary.BigEndian.Uint32(b[8:])
		e.mtimeNsec = binary.BigEndian.Uint32(b[12:])
		e.dev = binary.BigEndian.Uint32(b[16:])
		e.ino = binary.BigEndian.Uint32(b[20:])
		e.mode = binary.BigEndian.Uint32(b[24:])
		e.uid = binary.BigEndian.Uint32(b[28:])
		e.gid = binary.BigEndian.Uint32(b[32:])
		e.size = binary.BigEndian.Uint32(b[36:])
		copy(e.hash[:], b[40:60])
		e.flags = binary.BigEndian.Uint16(b[60:])
		n := 62
		if e.flags&flagExtended != 0 {
			if idx.version < 3 || len(b) < 64 {
				return nil, errBadIndex
			}
			e.ext = binary.BigEndian.Uint16(b[62:])
			n = 64
		}
		if idx.version == 4 {
			strip, w := binary.Uvarint(b[n:])
			if w <= 0 || int(strip) > len(prev) {
				return nil, errBadIndex
			}
			n += w
			end := bytes.IndexByte(b[n:], 0)
			if end < 0 {
				return nil, errBadIndex
			}
			e.name = prev[:len(prev)-int(strip)] + string(b[n:n+end])
			n += end + 1
		} else {
			end := bytes.IndexByte(b[n:], 0)
			if end < 0 {
				return nil, errBadIndex
			}
			e.name = string(b[n : n+end])
			n += end + 1
			n = (n + 7) &^ 7 // entries are NUL-padded to a multiple of 8 bytes
		}
		if n > len(b) {
			return nil, errBadIndex
		}
		prev = e.name
		off += n
	}
	for off+8 <= len(body) {
		sig := string(body[off : off+4])
		size := int(binary.BigEndian.Uint32(body[off+4:]))
		off += 8
		if size > len(body)-off {
			return nil, errBadIndex
		}
		ext := body[off : off+size]
		off += size
		switch sig {
		case "TREE":
			t, _, err := parseCacheTree(ext, "")
			if err != nil {
				return nil, err
			}
			idx.tree = t
		case "link":
			l, err := parseSplitLink(ext)
			if err != nil {
				return nil, err
			}
			idx.link = l
		case "sdir":
			return nil, fmt.Errorf("%w: sparse index (index.sparse); make the index full again with git sparse-checkout set --no-sparse-index and the same directories", ErrUnsupported)
		default:
			// An extension whose name starts with an uppercase letter is
			// optional: resolve-undo, untracked cache, fsmonitor,
			// end-of-index and index-entry offsets are not needed here and
			// are dropped on write (git rebuilds them). Any other one
			// changes how the index must be read, as it does for git.
			if sig[0] < 'A' || sig[0] > 'Z' {
				return nil, fmt.Errorf("%w: index extension %q, which this git implementation does not know; use the git CLI on this repository", ErrUnsupported, sig)
			}
		}
	}
	return idx, nil
}

// parseCacheTree parses one node and its children from the TREE extension.
func parseCacheTree(b []byte, name string) (*cacheTree, []byte, error) {
	nul := bytes.IndexByte(b, 0)
	if nul < 0 {
		return nil, nil, errBadIndex
	}
	t := &cacheTree{name: string(b[:nul])}
	b = b[nul+1:]
	nl := bytes.IndexByte(b, '\n')
	if nl < 0 {
		return nil, nil, errBadIndex
	}
	fields := strings.Fields(string(b[:nl]))
	b = b[nl+1:]
	if len(fields) != 2 {
		return nil, nil, errBadIndex
	}
	count, err1 := strconv.Atoi(fields[0])
	subtrees, err2 := strconv.Atoi(fields[1])
	if err1 != nil || err2 != nil || subtrees < 0 || subtrees > len(b) {
		return nil, nil, errBadIndex
	}
	t.count = count
	if count >= 0 {
		if len(b) < 20 {
			return nil, nil, errBadIndex
		}
		copy(t.hash[:], b[:20])
		b = b[20:]
	}
	t.children = make([]*cacheTree, 0, subtrees)
	for i := 0; i < subtrees; i++ {
		var c *cacheTree
		var err error
		c, b, err = parseCacheTree(b, "")
		if err != nil {
			return nil, nil, err
		}
		t.children = append(t.children, c)
	}
	sort.Slice(t.children, func(i, j int) bool { return t.children[i].name < t.children[j].name })
	return t, b, nil
}

func encodeCacheTree(buf *bytes.Buffer, t *cacheTree) {
	buf.WriteString(t.name)
	buf.WriteByte(0)
	fmt.Fprintf(buf, "%d %d\n", t.count, len(t.children))
	if t.count >= 0 {
		buf.Write(t.hash[:])
	}
	for _, c := range t.children {
		encodeCacheTree(buf, c)
	}
}

// encode serializes the index as version 2 (3 when an entry needs extended
// flags), with the TREE extension when present.
func (idx *index) encode() []byte {
	version := uint32(2)
	for i := range idx.entries {
		if idx.entries[i].ext != 0 {
			version = 3
			break
		}
	}
	var buf bytes.Buffer
	buf.Grow(len(idx.entries) * 96)
	var hdr [12]byte
	copy(hdr[:], "DIRC")
	binary.BigEndian.PutUint32(hdr[4:], version)
	binary.BigEndian.PutUint32(hdr[8:], uint32(len(idx.entries)))
	buf.Write(hdr[:])
	var b [64]byte
	for i := range idx.entries {
		e := &idx.entries[i]
		binary.BigEndian.PutUint32(b[0:], e.ctimeSec)
		binary.BigEndian.PutUint32(b[4:], e.ctimeNsec)
		binary.BigEndian.PutUint32(b[8:], e.mtimeSec)
		binary.BigEndian.PutUint32(b[12:], e.mtimeNsec)
		binary.BigEndian.PutUint32(b[16:], e.dev)
		binary.BigEndian.PutUint32(b[20:], e.ino)
		binary.BigEndian.PutUint32(b[24:], e.mode)
		binary.BigEndian.PutUint32(b[28:], e.uid)
		binary.BigEndian.PutUint32(b[32:], e.gid)
		binary.BigEndian.PutUint32(b[36:], e.size)
		copy(b[40:60], e.hash[:])
		flags := e.flags &^ (flagNameMask | flagExtended)
		if len(e.name) < flagNameMask {
			flags |= uint16(len(e.name))
		} else {
			flags |= flagNameMask
		}
		n := 62
		if e.ext != 0 {
			flags |= flagExtended
			binary.BigEndian.PutUint16(b[62:], e.ext)
			n = 64
		}
		binary.BigEndian.PutUint16(b[60:], flags)
		buf.Write(b[:n])
		buf.WriteString(e.name)
		pad := 8 - (n+len(e.name))%8
		buf.Write(make([]byte, pad))
	}
	if idx.tree != nil {
		var ext bytes.Buffer
		encodeCacheTree(&ext, idx.tree)
		buf.WriteString("TREE")
		binary.Write(&buf, binary.BigEndian, uint32(ext.Len()))
		buf.Write(ext.Bytes())
	}
	sum := sha1.Sum(buf.Bytes())
	buf.Write(sum[:])
	return buf.Bytes()
}

// sortEntries sorts entries the way git orders the index: by name, then stage.
func sortEntries(es []entry) {
	sort.Slice(es, func(i, j int) bool {
		if es[i].name != es[j].name {
			return es[i].name < es[j].name
		}
		return es[i].stage() < es[j].stage()
	})
}

// find returns the position of the stage-0 entry named name, or -1.
func (idx *index) find(name string) int {
	i := sort.Search(len(idx.entries), func(i int) bool { return idx.entries[i].name >= name })
	for ; i < len(idx.entries) && idx.entries[i].name == name; i++ {
		if idx.entries[i].stage() == 0 {
			return i
		}
	}
	return -1
}

// lockIndex takes git's index lock (index.lock, created exclusively). The
// returned commit writes idx through the lock and renames it into place;
// release removes the lock if commit was not called.
func lockIndex(gitDir string) (commit func(*index) error, release func(), err error) {
	path := filepath.Join(gitDir, "index")
	lock := path + ".lock"
	f, err := os.OpenFile(lock, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return nil, nil, fmt.Errorf("%w: %s exists; if no git process is running, remove it", ErrLocked, lock)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("lock index: %w", err)
	}
	done := false
	release = func() {
		if !done {
			done = true
			f.Close()
			os.Remove(lock)
		}
	}
	commit = func(idx *index) error {
		smudgeRacy(idx, time.Now())
		if _, err := f.Write(idx.encode()); err != nil {
			release()
			return fmt.Errorf("write index: %w", err)
		}
		if err := f.Close(); err != nil {
			done = true
			os.Remove(lock)
			return fmt.Errorf("write index: %w", err)
		}
		done = true
		if err := os.Rename(lock, path); err != nil {
			os.Remove(lock)
			return fmt.Errorf("write index: %w", err)
		}
		return nil
	}
	return commit, release, nil
}

// smudgeRacy zeroes the recorded size of entries modified in the same second
// the index is written, so that a later change within that second is caught
// by a content check instead of being hidden by matching stat data.
func smudgeRacy(idx *index, now time.Time) {
	limit := uint32(now.Unix())
	for i := range idx.entries {
		if e := &idx.entries[i]; e.mtimeSec >= limit && e.stage() == 0 {
			e.size = 0
		}
	}
}

// refreshIndex records, as `git status` does, the new stat data of entries
// whose files were found unchanged by content, so that the next scan does
// not hash them again. It is opportunistic: when another process holds the
// index lock or changed the index since it was read, nothing is written.
func refreshIndex(gitDir string, idx *index, fresh []freshStat) {
	if len(fresh) == 0 || idx.mtime.IsZero() || idx.link != nil {
		return // a split index is left split: git refreshes it itself
	}
	commit, release, err := lockIndex(gitDir)
	if err != nil {
		return
	}
	defer release()
	fi, err := os.Stat(filepath.Join(gitDir, "index"))
	if err != nil || !fi.ModTime().Equal(idx.mtime) || fi.Size() != idx.size {
		return
	}
	out := *idx
	out.entries = append([]entry(nil), idx.entries...)
	for _, f := range fresh {
		if i := out.find(f.name); i >= 0 {
			fillStat(&out.entries[i], &f.st)
		}
	}
	commit(&out)
}
