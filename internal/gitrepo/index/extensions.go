package index

import (
	"bytes"
	"crypto/sha1"
	"encoding/binary"
	"fmt"
	"sort"
	"strconv"

	"github.com/go-git/go-git/v5/plumbing"
)

// The optional extensions are kept as git keeps them when it rewrites the
// index (read-cache.c: do_write_index): the cache-tree (TREE) is kept up to
// date by the commands; resolve-undo (REUC) gains the stages of each
// conflict that SetEntries resolves and is dropped by a checkout of another
// branch; the untracked cache (UNTR) and the fsmonitor bitmap (FSMN) are
// written back while the entries keep their names and order, and dropped
// otherwise (git invalidates their directories and positions then; with
// core.untrackedCache or core.fsmonitor set it builds them again on its next
// status). End-of-index (EOIE), the entry offset table (IEOT) and optional
// extensions this codec does not know are dropped, as git drops what it
// does not know and writes EOIE and IEOT only when configured to.

// undoRecord is one path of the REUC extension: the mode and blob of each
// conflict stage (1 to 3) it had; mode 0 marks a stage it lacked.
type undoRecord struct {
	name   string
	modes  [3]uint32
	hashes [3]plumbing.Hash
}

// parseResolveUndo parses the REUC extension (resolve-undo.c:
// resolve_undo_read): per path, its name and three octal modes, each
// NUL-terminated, then the object ids of the stages it had.
func parseResolveUndo(b []byte) ([]undoRecord, error) {
	var out []undoRecord
	field := func() (string, bool) {
		i := bytes.IndexByte(b, 0)
		if i < 0 {
			return "", false
		}
		f := string(b[:i])
		b = b[i+1:]
		return f, true
	}
	for len(b) > 0 {
		var r undoRecord
		var ok bool
		if r.name, ok = field(); !ok {
			return nil, fmt.Errorf("%w: truncated resolve-undo extension", ErrCorrupt)
		}
		for i := range r.modes {
			m, ok := field()
			mode, err := strconv.ParseUint(m, 8, 32)
			if !ok || err != nil {
				return nil, fmt.Errorf("%w: bad mode %q in the resolve-undo extension", ErrCorrupt, m)
			}
			r.modes[i] = uint32(mode)
		}
		for i, m := range r.modes {
			if m == 0 {
				continue
			}
			if len(b) < 20 {
				return nil, fmt.Errorf("%w: truncated resolve-undo extension", ErrCorrupt)
			}
			copy(r.hashes[i][:], b[:20])
			b = b[20:]
		}
		out = append(out, r)
	}
	return out, nil
}

// recordResolveUndo records the conflict stages at the start of es (the
// entries of one path) in the resolve-undo extension, replacing what it
// held for that path, as git does when a conflict is resolved or removed.
func (idx *Index) recordResolveUndo(es []Entry) {
	r := undoRecord{name: es[0].Name}
	for _, e := range es {
		if e.Name != r.name {
			break
		}
		if s := e.Stage(); s > 0 {
			r.modes[s-1], r.hashes[s-1] = e.Mode, e.Hash
		}
	}
	i := sort.Search(len(idx.resolveUndo), func(i int) bool { return idx.resolveUndo[i].name >= r.name })
	if i < len(idx.resolveUndo) && idx.resolveUndo[i].name == r.name {
		idx.resolveUndo[i] = r
		return
	}
	idx.resolveUndo = append(idx.resolveUndo, undoRecord{})
	copy(idx.resolveUndo[i+1:], idx.resolveUndo[i:])
	idx.resolveUndo[i] = r
}

// ClearResolveUndo forgets the resolved conflicts, as git does when it
// checks out another branch.
func (idx *Index) ClearResolveUndo() { idx.resolveUndo = nil }

// noteNames records the fingerprint of the entries as read, which decides
// whether the untracked cache and fsmonitor bitmap are written back; it
// skips the work when the index has neither, and Read notes the entries of
// a split index again once merged with the shared index.
func (idx *Index) noteNames() {
	if idx.untracked != nil || idx.fsmonitor != nil {
		idx.names = idx.nameSum()
	}
}

// nameSum fingerprints the names and stages of the entries, in order.
func (idx *Index) nameSum() [sha1.Size]byte {
	h := sha1.New()
	for i := range idx.Entries {
		e := &idx.Entries[i]
		h.Write([]byte(e.Name))
		h.Write([]byte{0, byte(e.Stage())})
	}
	var sum [sha1.Size]byte
	h.Sum(sum[:0])
	return sum
}

// encodeKept appends the kept optional extensions after the cache-tree,
// in git's order.
func (idx *Index) encodeKept(buf *bytes.Buffer) {
	ext := func(sig string, body []byte) {
		buf.WriteString(sig)
		binary.Write(buf, binary.BigEndian, uint32(len(body)))
		buf.Write(body)
	}
	if len(idx.resolveUndo) > 0 {
		var b []byte
		for _, r := range idx.resolveUndo {
			b = append(b, r.name...)
			b = append(b, 0)
			for _, m := range r.modes {
				b = strconv.AppendUint(b, uint64(m), 8)
				b = append(b, 0)
			}
			for i, m := range r.modes {
				if m != 0 {
					b = append(b, r.hashes[i][:]...)
				}
			}
		}
		ext("REUC", b)
	}
	if idx.untracked == nil && idx.fsmonitor == nil || idx.nameSum() != idx.names {
		return
	}
	if idx.untracked != nil {
		ext("UNTR", idx.untracked)
	}
	if idx.fsmonitor != nil {
		ext("FSMN", idx.fsmonitor)
	}
}

// decodeVarint reads git's variable-length integer (varint.c), the
// prefix length of a version-4 entry name: big-endian groups of 7 bits,
// each continuation adding one. It returns the value and the bytes read,
// 0 when b ends first or the value overflows.
func decodeVarint(b []byte) (uint64, int) {
	var v uint64
	for i, c := range b {
		if i > 0 {
			v++
			if v == 0 || v > (1<<64-1)>>7 {
				return 0, 0
			}
			v <<= 7
		}
		v |= uint64(c & 127)
		if c&128 == 0 {
			return v, i + 1
		}
	}
	return 0, 0
}

// appendVarint appends v in git's variable-length encoding.
func appendVarint(b []byte, v uint64) []byte {
	var tmp [16]byte
	pos := len(tmp) - 1
	tmp[pos] = byte(v & 127)
	for v >>= 7; v != 0; v >>= 7 {
		v--
		pos--
		tmp[pos] = 128 | byte(v&127)
	}
	return append(b, tmp[pos:]...)
}

// commonPrefix is the length of the longest common prefix of a and b.
func commonPrefix(a, b string) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}
