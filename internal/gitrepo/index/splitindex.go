package index

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/go-git/go-git/v5/plumbing"
)

// A split index (`git update-index --split-index`, core.splitIndex) keeps
// most entries in a shared index file, $GIT_DIR/sharedindex.<id>, and
// writes to .git/index only the changes: its "link" extension names the
// shared file and carries two EWAH bitmaps over the shared entries, the
// ones deleted and the ones replaced; the file's own entries are the
// replacements (with empty names, in bitmap order) followed by the added
// entries. git's Documentation/technical/index-format.txt and
// split-index.c define it.
//
// The merged index is read here; writes store a full, unsplit index,
// which git reads as it is and splits again on its next write when
// core.splitIndex is true. The shared file left behind is removed by git's
// own expiry (splitIndex.sharedIndexExpire).

// SplitLink is a parsed "link" extension.
type SplitLink struct {
	Base             plumbing.Hash
	deleted, replace []byte // serialized EWAH bitmaps; nil when absent
}

// parseSplitLink parses the body of a "link" extension, checking the
// framing of its bitmaps; ewahBits decodes them.
func parseSplitLink(b []byte) (*SplitLink, error) {
	if len(b) < 20 {
		return nil, fmt.Errorf("%w: link extension too short", ErrCorrupt)
	}
	l := &SplitLink{}
	copy(l.Base[:], b[:20])
	b = b[20:]
	if len(b) == 0 {
		return l, nil
	}
	var err error
	if l.deleted, b, err = cutEWAH(b); err != nil {
		return nil, fmt.Errorf("%w: delete bitmap of the link extension: %v", ErrCorrupt, err)
	}
	if l.replace, b, err = cutEWAH(b); err != nil {
		return nil, fmt.Errorf("%w: replace bitmap of the link extension: %v", ErrCorrupt, err)
	}
	if len(b) != 0 {
		return nil, fmt.Errorf("%w: garbage after the link extension", ErrCorrupt)
	}
	return l, nil
}

// cutEWAH splits a serialized EWAH bitmap (git's ewah/ewah_io.c: bit
// count, word count, 64-bit big-endian words, position of the last
// run-length word) from the bytes after it, and returns its words.
func cutEWAH(b []byte) (words, rest []byte, err error) {
	if len(b) < 8 {
		return nil, nil, errors.New("truncated header")
	}
	n := uint64(binary.BigEndian.Uint32(b[4:]))
	b = b[8:]
	if n > uint64(len(b)/8) || len(b)-int(n*8) < 4 {
		return nil, nil, errors.New("truncated")
	}
	return b[:n*8], b[n*8+4:], nil
}

// ewahBits returns the positions of the set bits of EWAH words, in
// increasing order (ewah_each_bit). A set bit at limit or beyond is an
// error: the bitmaps of a split index only name entries of its shared
// index.
func ewahBits(words []byte, limit int) ([]int, error) {
	var bits []int
	n := uint64(len(words) / 8)
	word := func(i uint64) uint64 { return binary.BigEndian.Uint64(words[i*8:]) }
	pos, max := uint64(0), uint64(limit)
	for i := uint64(0); i < n; {
		rlw := word(i)
		i++
		run := (rlw >> 1) & 0xffffffff * 64
		literals := rlw >> 33
		if rlw&1 != 0 {
			if pos+run > max {
				return nil, fmt.Errorf("%w: bitmap names entry %d of %d", ErrCorrupt, pos+run-1, limit)
			}
			for k := uint64(0); k < run; k++ {
				bits = append(bits, int(pos+k))
			}
		}
		pos += run
		if literals > n-i {
			return nil, fmt.Errorf("%w: bitmap literal words past its end", ErrCorrupt)
		}
		for k := uint64(0); k < literals; k++ {
			w := word(i)
			i++
			for c := uint64(0); c < 64 && w != 0; c++ {
				if w&(1<<c) != 0 {
					if pos+c >= max {
						return nil, fmt.Errorf("%w: bitmap names entry %d of %d", ErrCorrupt, pos+c, limit)
					}
					bits = append(bits, int(pos+c))
				}
			}
			pos += 64
		}
	}
	return bits, nil
}

// readSharedIndex reads sharedindex.<id> from gitDir and checks its
// trailing checksum against id, as git does.
func readSharedIndex(gitDir string, id plumbing.Hash) (*Index, error) {
	path := filepath.Join(gitDir, "sharedindex."+id.String())
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: the split index needs %s, which is missing; run git update-index --no-split-index if git can still read the index, else git reset", ErrCorrupt, path)
	}
	if err != nil {
		return nil, fmt.Errorf("read shared index: %w", err)
	}
	shared, err := Decode(data)
	if err != nil {
		return nil, fmt.Errorf("read shared index %s: %w", path, err)
	}
	if shared.Link != nil {
		return nil, fmt.Errorf("%w: shared index %s is itself split", ErrCorrupt, path)
	}
	if len(data) < 20 || plumbing.Hash(data[len(data)-20:]) != id {
		return nil, fmt.Errorf("%w: shared index %s does not have the checksum its name says", ErrCorrupt, path)
	}
	return shared, nil
}

// mergeSplit returns the entries of a split index: the shared entries
// with the replacements and deletions applied, then the added entries
// inserted in order (split-index.c: merge_base_index).
func mergeSplit(split *Index, link *SplitLink, shared *Index) ([]Entry, error) {
	base := append([]Entry(nil), shared.Entries...)
	deleted, err := ewahBits(link.deleted, len(base))
	if err != nil {
		return nil, err
	}
	replace, err := ewahBits(link.replace, len(base))
	if err != nil {
		return nil, err
	}
	if len(replace) > len(split.Entries) {
		return nil, fmt.Errorf("%w: the link extension replaces more entries than the index holds", ErrCorrupt)
	}
	removed := make([]bool, len(base))
	for _, p := range deleted {
		removed[p] = true
	}
	for i, p := range replace {
		src := &split.Entries[i]
		if removed[p] {
			return nil, fmt.Errorf("%w: the link extension replaces entry %d of %d", ErrCorrupt, p, len(base))
		}
		if src.Name != "" {
			return nil, fmt.Errorf("%w: replacement entry %d has a name", ErrCorrupt, i)
		}
		name := base[p].Name
		base[p] = *src
		base[p].Name = name
	}
	out := base[:0]
	for i := range base {
		if !removed[i] {
			out = append(out, base[i])
		}
	}
	added := append([]Entry(nil), split.Entries[len(replace):]...)
	for i := range added {
		if added[i].Name == "" {
			return nil, fmt.Errorf("%w: added entry of a split index without a name", ErrCorrupt)
		}
	}
	SortEntries(added)
	// Merge the two sorted lists. An added entry replaces the shared entry
	// of the same name and stage, and a stage-0 one every stage of its
	// name, as git's add_index_entry does.
	merged := make([]Entry, 0, len(out)+len(added))
	k := 0
	for _, e := range added {
		for k < len(out) && (out[k].Name < e.Name || out[k].Name == e.Name && e.Stage() != 0 && out[k].Stage() < e.Stage()) {
			merged = append(merged, out[k])
			k++
		}
		for k < len(out) && out[k].Name == e.Name && (e.Stage() == 0 || out[k].Stage() == e.Stage()) {
			k++
		}
		merged = append(merged, e)
	}
	return append(merged, out[k:]...), nil
}

// Counts returns how many entries of the shared index the split index
// deletes and how many it replaces.
func (l *SplitLink) Counts() (deleted, replaced int, err error) {
	d, err := ewahBits(l.deleted, 1<<31)
	if err != nil {
		return 0, 0, err
	}
	r, err := ewahBits(l.replace, 1<<31)
	return len(d), len(r), err
}
