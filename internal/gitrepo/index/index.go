// Package index reads and writes git's index file (.git/index), as git
// 2.39 does: versions 2, 3 and 4, the cache-tree (TREE), a split index
// (link, read and merged with its shared file), git's index lock and the
// racy-git smudging of entries written in the same second.
//
// It is used instead of go-git's format/index package: that reflection-
// based decoder takes ~50 ms on a 30,000-entry index (this one takes a
// few), and its encoder drops the cache-tree extension that keeps
// `git status` and gitrepo's status fast.
package index

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

// Bits of Entry.Flags: FlagAssumeValid is `git update-index
// --assume-unchanged`; the others frame the entry and are set by Encode.
const (
	FlagAssumeValid = 0x8000
	flagExtended    = 0x4000
	flagStageMask   = 0x3000
	flagNameMask    = 0x0fff
)

// Bits of Entry.ExtFlags (index version 3 and later).
const (
	SkipWorktree = 0x4000 // outside the sparse checkout (--skip-worktree)
	IntentToAdd  = 0x2000 // added with `git add -N`: no content staged yet
)

// Modes of entries and of tree entries, as git writes them.
const (
	ModeDir     = 0o040000
	ModeFile    = 0o100644
	ModeExec    = 0o100755
	ModeSymlink = 0o120000
	ModeGitlink = 0o160000
)

// Entry is one index entry: a path at a stage, its blob and the stat data
// of its worktree file when it was last found unchanged.
type Entry struct {
	CtimeSec, CtimeNsec uint32
	MtimeSec, MtimeNsec uint32
	Dev, Ino, Mode      uint32
	UID, GID, Size      uint32
	Hash                plumbing.Hash
	Flags               uint16
	ExtFlags            uint16
	Name                string
}

// Stage is the entry's merge stage: 0 when merged, 1 to 3 for the base,
// ours and theirs of a conflict.
func (e *Entry) Stage() int { return int(e.Flags&flagStageMask) >> 12 }

// Index is a parsed index file.
type Index struct {
	Version uint32
	Entries []Entry
	Tree    *Tree      // nil when the file has no TREE extension
	ModTime time.Time  // the file's mtime, for racy-git checks
	Size    int64      // the file's size
	Link    *SplitLink // the split-index link; entries are then merged

	// resolveUndo is the REUC extension: the conflict stages of paths
	// resolved since, sorted by path; SetEntries adds to it as git does.
	resolveUndo []undoRecord
	// untracked and fsmonitor are the UNTR and FSMN extensions as read;
	// they are written back while the entries keep their names and order.
	untracked, fsmonitor []byte
	// names fingerprints the entries' names and stages as read.
	names [sha1.Size]byte
}

// Tree is one node of the TREE extension: the tree object a directory
// of the index would produce, valid when Count >= 0.
type Tree struct {
	Name     string
	Count    int // index entries covered; -1 = invalid
	Hash     plumbing.Hash
	Children []*Tree // sorted by name
}

// Child returns the child node of t for directory name, or nil.
func (t *Tree) Child(name string) *Tree {
	if t == nil {
		return nil
	}
	i := sort.Search(len(t.Children), func(i int) bool { return t.Children[i].Name >= name })
	if i < len(t.Children) && t.Children[i].Name == name {
		return t.Children[i]
	}
	return nil
}

// Invalidate marks the nodes along path (a file path) as invalid.
func (t *Tree) Invalidate(path string) {
	for t != nil {
		t.Count = -1
		i := strings.IndexByte(path, '/')
		if i < 0 {
			return
		}
		t, path = t.Child(path[:i]), path[i+1:]
	}
}

// Read reads the index file at path. A missing file is an empty index.
func Read(path string) (*Index, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &Index{Version: 2}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read index: %w", err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("read index: %w", err)
	}
	idx, err := Decode(data)
	if err == nil && idx.Link != nil && !idx.Link.Base.IsZero() {
		var shared *Index
		if shared, err = readSharedIndex(filepath.Dir(path), idx.Link.Base); err == nil {
			idx.Entries, err = mergeSplit(idx, idx.Link, shared)
			idx.noteNames()
		}
	}
	if err != nil {
		return nil, fmt.Errorf("read index %s: %w", path, err)
	}
	idx.ModTime, idx.Size = fi.ModTime(), fi.Size()
	return idx, nil
}

// Decode parses the bytes of an index file; a split index comes back
// with its own entries and Link, for Read to merge with the shared file.
func Decode(data []byte) (*Index, error) {
	if len(data) < 12+20 || string(data[:4]) != "DIRC" {
		return nil, ErrCorrupt
	}
	// git fsck checks the checksum as this does (git status skips it for
	// speed); an all-zero one is what git 2.40 and later write with
	// index.skipHash.
	trailer := plumbing.Hash(data[len(data)-20:])
	if sum := sha1.Sum(data[:len(data)-20]); sum != trailer && !trailer.IsZero() {
		return nil, fmt.Errorf("%w: its checksum does not match its content (git fsck says: bad index file sha1 signature); remove it and run git reset to rebuild it from HEAD (staged changes are lost, worktree files are kept)", ErrCorrupt)
	}
	idx := &Index{Version: binary.BigEndian.Uint32(data[4:])}
	if idx.Version < 2 || idx.Version > 4 {
		return nil, fmt.Errorf("%w: index version %d", ErrUnsupported, idx.Version)
	}
	count := int(binary.BigEndian.Uint32(data[8:]))
	body := data[:len(data)-20]
	if count > len(body)/40 {
		return nil, ErrCorrupt
	}
	idx.Entries = make([]Entry, count)
	off := 12
	prev := ""
	for i := range idx.Entries {
		if off+62 > len(body) {
			return nil, ErrCorrupt
		}
		b := body[off:]
		e := &idx.Entries[i]
		e.CtimeSec = binary.BigEndian.Uint32(b[0:])
		e.CtimeNsec = binary.BigEndian.Uint32(b[4:])
		e.MtimeSec = binary.BigEndian.Uint32(b[8:])
		e.MtimeNsec = binary.BigEndian.Uint32(b[12:])
		e.Dev = binary.BigEndian.Uint32(b[16:])
		e.Ino = binary.BigEndian.Uint32(b[20:])
		e.Mode = binary.BigEndian.Uint32(b[24:])
		e.UID = binary.BigEndian.Uint32(b[28:])
		e.GID = binary.BigEndian.Uint32(b[32:])
		e.Size = binary.BigEndian.Uint32(b[36:])
		copy(e.Hash[:], b[40:60])
		e.Flags = binary.BigEndian.Uint16(b[60:])
		n := 62
		if e.Flags&flagExtended != 0 {
			if idx.Version < 3 || len(b) < 64 {
				return nil, ErrCorrupt
			}
			e.ExtFlags = binary.BigEndian.Uint16(b[62:])
			n = 64
		}
		if idx.Version == 4 {
			strip, w := decodeVarint(b[n:])
			if w <= 0 || strip > uint64(len(prev)) {
				return nil, ErrCorrupt
			}
			n += w
			end := bytes.IndexByte(b[n:], 0)
			if end < 0 {
				return nil, ErrCorrupt
			}
			e.Name = prev[:len(prev)-int(strip)] + string(b[n:n+end])
			n += end + 1
		} else {
			end := bytes.IndexByte(b[n:], 0)
			if end < 0 {
				return nil, ErrCorrupt
			}
			e.Name = string(b[n : n+end])
			n += end + 1
			n = (n + 7) &^ 7 // entries are NUL-padded to a multiple of 8 bytes
		}
		if n > len(b) {
			return nil, ErrCorrupt
		}
		prev = e.Name
		off += n
	}
	for off+8 <= len(body) {
		sig := string(body[off : off+4])
		size := int(binary.BigEndian.Uint32(body[off+4:]))
		off += 8
		if size > len(body)-off {
			return nil, ErrCorrupt
		}
		ext := body[off : off+size]
		off += size
		switch sig {
		case "TREE":
			t, _, err := parseCacheTree(ext, "")
			if err != nil {
				return nil, err
			}
			idx.Tree = t
		case "REUC":
			reuc, err := parseResolveUndo(ext)
			if err != nil {
				return nil, err
			}
			idx.resolveUndo = reuc
		case "UNTR":
			idx.untracked = ext
		case "FSMN":
			idx.fsmonitor = ext
		case "link":
			l, err := parseSplitLink(ext)
			if err != nil {
				return nil, err
			}
			idx.Link = l
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
	idx.noteNames()
	return idx, nil
}

// parseCacheTree parses one node and its children from the TREE extension.
func parseCacheTree(b []byte, name string) (*Tree, []byte, error) {
	nul := bytes.IndexByte(b, 0)
	if nul < 0 {
		return nil, nil, ErrCorrupt
	}
	t := &Tree{Name: string(b[:nul])}
	b = b[nul+1:]
	nl := bytes.IndexByte(b, '\n')
	if nl < 0 {
		return nil, nil, ErrCorrupt
	}
	fields := strings.Fields(string(b[:nl]))
	b = b[nl+1:]
	if len(fields) != 2 {
		return nil, nil, ErrCorrupt
	}
	count, err1 := strconv.Atoi(fields[0])
	subtrees, err2 := strconv.Atoi(fields[1])
	if err1 != nil || err2 != nil || subtrees < 0 || subtrees > len(b) {
		return nil, nil, ErrCorrupt
	}
	t.Count = count
	if count >= 0 {
		if len(b) < 20 {
			return nil, nil, ErrCorrupt
		}
		copy(t.Hash[:], b[:20])
		b = b[20:]
	}
	t.Children = make([]*Tree, 0, subtrees)
	for i := 0; i < subtrees; i++ {
		var c *Tree
		var err error
		c, b, err = parseCacheTree(b, "")
		if err != nil {
			return nil, nil, err
		}
		t.Children = append(t.Children, c)
	}
	sort.Slice(t.Children, func(i, j int) bool { return t.Children[i].Name < t.Children[j].Name })
	return t, b, nil
}

func encodeCacheTree(buf *bytes.Buffer, t *Tree) {
	buf.WriteString(t.Name)
	buf.WriteByte(0)
	fmt.Fprintf(buf, "%d %d\n", t.Count, len(t.Children))
	if t.Count >= 0 {
		buf.Write(t.Hash[:])
	}
	for _, c := range t.Children {
		encodeCacheTree(buf, c)
	}
}

// Encode serializes the index as version 2 (3 when an entry needs extended
// flags; 4, prefix-compressed, when it was read as version 4), with the TREE
// extension when present and the optional extensions git keeps.
func (idx *Index) Encode() []byte {
	// Like git, keep version 4 and write 3 only when an entry needs
	// extended flags.
	version := uint32(2)
	for i := range idx.Entries {
		if idx.Entries[i].ExtFlags != 0 {
			version = 3
			break
		}
	}
	if idx.Version == 4 {
		version = 4
	}
	prev := ""
	var buf bytes.Buffer
	buf.Grow(len(idx.Entries) * 96)
	var hdr [12]byte
	copy(hdr[:], "DIRC")
	binary.BigEndian.PutUint32(hdr[4:], version)
	binary.BigEndian.PutUint32(hdr[8:], uint32(len(idx.Entries)))
	buf.Write(hdr[:])
	var b [64]byte
	for i := range idx.Entries {
		e := &idx.Entries[i]
		binary.BigEndian.PutUint32(b[0:], e.CtimeSec)
		binary.BigEndian.PutUint32(b[4:], e.CtimeNsec)
		binary.BigEndian.PutUint32(b[8:], e.MtimeSec)
		binary.BigEndian.PutUint32(b[12:], e.MtimeNsec)
		binary.BigEndian.PutUint32(b[16:], e.Dev)
		binary.BigEndian.PutUint32(b[20:], e.Ino)
		binary.BigEndian.PutUint32(b[24:], e.Mode)
		binary.BigEndian.PutUint32(b[28:], e.UID)
		binary.BigEndian.PutUint32(b[32:], e.GID)
		binary.BigEndian.PutUint32(b[36:], e.Size)
		copy(b[40:60], e.Hash[:])
		flags := e.Flags &^ (flagNameMask | flagExtended)
		if len(e.Name) < flagNameMask {
			flags |= uint16(len(e.Name))
		} else {
			flags |= flagNameMask
		}
		n := 62
		if e.ExtFlags != 0 {
			flags |= flagExtended
			binary.BigEndian.PutUint16(b[62:], e.ExtFlags)
			n = 64
		}
		binary.BigEndian.PutUint16(b[60:], flags)
		buf.Write(b[:n])
		if version == 4 {
			common := commonPrefix(prev, e.Name)
			buf.Write(appendVarint(nil, uint64(len(prev)-common)))
			buf.WriteString(e.Name[common:])
			buf.WriteByte(0)
			prev = e.Name
			continue
		}
		buf.WriteString(e.Name)
		pad := 8 - (n+len(e.Name))%8
		buf.Write(make([]byte, pad))
	}
	if idx.Tree != nil {
		var ext bytes.Buffer
		encodeCacheTree(&ext, idx.Tree)
		buf.WriteString("TREE")
		binary.Write(&buf, binary.BigEndian, uint32(ext.Len()))
		buf.Write(ext.Bytes())
	}
	idx.encodeKept(&buf)
	sum := sha1.Sum(buf.Bytes())
	buf.Write(sum[:])
	return buf.Bytes()
}

// SortEntries sorts entries the way git orders the index: by name, then stage.
func SortEntries(es []Entry) {
	sort.Slice(es, func(i, j int) bool {
		if es[i].Name != es[j].Name {
			return es[i].Name < es[j].Name
		}
		return es[i].Stage() < es[j].Stage()
	})
}

// SetEntries replaces the stage-0 and conflict entries of each path in
// paths by the given entries (none removes the path), keeping the index
// sorted and invalidating the cache-tree along the way.
func (idx *Index) SetEntries(paths map[string]bool, entries []Entry) {
	out := idx.Entries[:0:0]
	for i, e := range idx.Entries {
		if !paths[e.Name] {
			out = append(out, e)
		} else if e.Stage() != 0 && (i == 0 || idx.Entries[i-1].Name != e.Name) {
			idx.recordResolveUndo(idx.Entries[i:])
		}
	}
	out = append(out, entries...)
	SortEntries(out)
	idx.Entries = out
	for p := range paths {
		idx.Tree.Invalidate(p)
	}
}

// Find returns the position of the stage-0 entry named name, or -1.
func (idx *Index) Find(name string) int {
	i := sort.Search(len(idx.Entries), func(i int) bool { return idx.Entries[i].Name >= name })
	for ; i < len(idx.Entries) && idx.Entries[i].Name == name; i++ {
		if idx.Entries[i].Stage() == 0 {
			return i
		}
	}
	return -1
}

// Lock takes git's index lock (index.lock, created exclusively). The
// returned commit writes idx through the lock and renames it into place;
// release removes the lock if commit was not called.
func Lock(gitDir string) (commit func(*Index) error, release func(), err error) {
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
	commit = func(idx *Index) error {
		smudgeRacy(idx, time.Now())
		if _, err := f.Write(idx.Encode()); err != nil {
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
func smudgeRacy(idx *Index, now time.Time) {
	limit := uint32(now.Unix())
	for i := range idx.Entries {
		if e := &idx.Entries[i]; e.MtimeSec >= limit && e.Stage() == 0 {
			e.Size = 0
		}
	}
}
