package index

import (
	"strings"
	"testing"
)

// FuzzParseIndex checks that a corrupt index file is an error, never a panic.
func FuzzParseIndex(f *testing.F) {
	f.Add([]byte("DIRC\x00\x00\x00\x02\x00\x00\x00\x00" + strings.Repeat("\x00", 20)))
	idx := &Index{Version: 2, Entries: []Entry{{Name: "a/b", Mode: ModeFile}, {Name: "c", Mode: ModeExec}},
		Tree: &Tree{Count: 2, Children: []*Tree{{Name: "a", Count: 1}}}}
	f.Add(idx.Encode())
	f.Fuzz(func(t *testing.T, data []byte) {
		idx, err := Decode(data)
		if err == nil {
			Decode(idx.Encode())
		}
	})
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
