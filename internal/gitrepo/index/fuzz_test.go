package index

import (
	"bytes"
	"crypto/sha1"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzParseIndex checks that a corrupt index file is an error, never a
// panic, and that an index it reads round-trips: decoded, encoded and
// decoded again it has the same entries, cache-tree and extensions, and
// encodes to the same bytes. The trailing checksum is made right first,
// so that the decoder looks past it.
func FuzzParseIndex(f *testing.F) {
	f.Add([]byte("DIRC\x00\x00\x00\x02\x00\x00\x00\x00" + strings.Repeat("\x00", 20)))
	idx := &Index{Version: 2, Entries: []Entry{{Name: "a/b", Mode: ModeFile}, {Name: "c", Mode: ModeExec}},
		Tree: &Tree{Count: 2, Children: []*Tree{{Name: "a", Count: 1}}}}
	f.Add(idx.Encode())
	idx.Version = 4
	idx.Entries = append(idx.Entries, Entry{Name: "c/" + strings.Repeat("d", 200), ExtFlags: IntentToAdd, Flags: 2 << 12})
	idx.recordResolveUndo([]Entry{{Name: "u", Mode: ModeFile, Flags: 1 << 12}, {Name: "u", Mode: ModeExec, Flags: 3 << 12}})
	f.Add(idx.Encode())
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) >= 32 {
			sum := sha1.Sum(data[:len(data)-20])
			data = append(data[:len(data)-20:len(data)-20], sum[:]...)
		}
		first, err := Decode(data)
		if err != nil {
			return
		}
		enc := first.Encode()
		second, err := Decode(enc)
		if err != nil {
			t.Fatalf("decoding what Encode wrote: %v", err)
		}
		if diff := cmp.Diff(roundTripped(first), roundTripped(second), cmp.AllowUnexported(undoRecord{})); diff != "" {
			t.Fatalf("decode, encode, decode changed the index (-first +second):\n%s", diff)
		}
		if again := second.Encode(); !bytes.Equal(again, enc) {
			t.Fatalf("encoding the index read back gives other bytes:\n%q\n%q", enc, again)
		}
	})
}

// roundTripped is what an encode and decode must keep of an index: its
// entries (their flags without the bits Encode sets), cache-tree and
// extensions.
func roundTripped(idx *Index) any {
	type view struct {
		Entries     []Entry
		Tree        *Tree
		ResolveUndo []undoRecord
		Kept        [][]byte
	}
	v := view{Tree: idx.Tree, ResolveUndo: idx.resolveUndo, Kept: [][]byte{idx.untracked, idx.fsmonitor}}
	for _, e := range idx.Entries {
		e.Flags &= FlagAssumeValid | flagStageMask
		v.Entries = append(v.Entries, e)
	}
	return v
}

// FuzzSplitLink checks that the link extension parser and the bitmap
// decoder do not panic, stay within the limit and return increasing
// positions.
func FuzzSplitLink(f *testing.F) {
	base := make([]byte, 20)
	ewah := func(bits, words uint32, body ...uint64) []byte {
		b := []byte{byte(bits >> 24), byte(bits >> 16), byte(bits >> 8), byte(bits), byte(words >> 24), byte(words >> 16), byte(words >> 8), byte(words)}
		for _, w := range body {
			for s := 56; s >= 0; s -= 8 {
				b = append(b, byte(w>>s))
			}
		}
		return append(b, 0, 0, 0, 0)
	}
	f.Add(base)
	f.Add(append(append(append([]byte(nil), base...), ewah(3, 2, 1<<33, 0b101)...), ewah(130, 1, 2<<1|1)...))
	f.Add(append(append([]byte(nil), base...), ewah(1, 1, 0xffffffffffffffff)...))
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := parseSplitLink(b)
		if err != nil {
			return
		}
		const limit = 1000
		for _, bm := range [][]byte{l.deleted, l.replace} {
			bits, err := ewahBits(bm, limit)
			if err != nil {
				continue
			}
			for i, p := range bits {
				if p >= limit || i > 0 && p <= bits[i-1] {
					t.Fatalf("positions out of order or past %d: %v", limit, bits)
				}
			}
		}
	})
}
