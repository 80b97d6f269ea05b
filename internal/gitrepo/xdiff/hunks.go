package xdiff

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Change is a run of deleted lines a[i1:i1+n1] replaced by b[i2:i2+n2].
type Change struct{ I1, N1, I2, N2 int }

// Changes groups the marks of Lines into runs.
func Changes(del, ins []bool) []Change {
	var out []Change
	i, j := 0, 0
	for i < len(del) || j < len(ins) {
		if (i < len(del) && del[i]) || (j < len(ins) && ins[j]) {
			c := Change{I1: i, I2: j}
			for i < len(del) && del[i] {
				i++
			}
			for j < len(ins) && ins[j] {
				j++
			}
			c.N1, c.N2 = i-c.I1, j-c.I2
			out = append(out, c)
			continue
		}
		i++
		j++
	}
	return out
}

// Edits is the line diff of two texts: their lines (SplitLines) and
// which of them are deleted and inserted (Lines).
type Edits struct {
	A, B     [][]byte
	Del, Ins []bool
}

// HunkStyle is the configuration that shapes hunks.
type HunkStyle struct {
	Context   int // diff.context: unchanged lines around a change
	InterHunk int // diff.interHunkContext: extra lines that still merge hunks
}

// WriteHunks writes the hunks of e in style, as `git diff` does; funcname finds
// the function lines of their headers (a nil funcname is git's default).
func WriteHunks(sb *strings.Builder, e *Edits, funcname *Funcname, style HunkStyle) {
	a, b, del, ins := e.A, e.B, e.Del, e.Ins
	ctx := style.Context
	cs := Changes(del, ins)
	// The function line of a header is the nearest above the hunk; each
	// search stops where the previous hunk's began (xemit.c).
	var fn []byte
	searched := -1
	var hdr []byte
	for len(cs) > 0 {
		// Group changes whose gap is at most twice the context (plus the
		// inter-hunk context).
		n := 1
		for n < len(cs) && cs[n].I1-(cs[n-1].I1+cs[n-1].N1) <= 2*ctx+style.InterHunk {
			n++
		}
		group := cs[:n]
		cs = cs[n:]
		first, last := group[0], group[len(group)-1]
		s1 := max(0, first.I1-ctx)
		s2 := first.I2 - (first.I1 - s1)
		e1 := min(len(a), last.I1+last.N1+ctx)
		e2 := last.I2 + last.N2 + (e1 - (last.I1 + last.N1))
		for l := s1 - 1; l > searched; l-- {
			if f, ok := funcname.Line(a[l]); ok {
				fn = f
				break
			}
		}
		searched = s1 - 1
		hdr = append(hdr[:0], "@@ -"...)
		hdr = appendRange(hdr, s1, e1-s1)
		hdr = append(hdr, " +"...)
		hdr = appendRange(hdr, s2, e2-s2)
		hdr = append(hdr, " @@"...)
		if len(fn) > 0 {
			hdr = append(hdr, ' ')
			hdr = append(hdr, fn...)
		}
		// git cuts the header line before any invalid UTF-8.
		sb.Write(validUTF8Prefix(hdr))
		sb.WriteByte('\n')
		i, j := s1, s2
		for _, c := range group {
			for ; i < c.I1; i, j = i+1, j+1 {
				writeLine(sb, ' ', a[i])
			}
			for ; i < c.I1+c.N1; i++ {
				writeLine(sb, '-', a[i])
			}
			for ; j < c.I2+c.N2; j++ {
				writeLine(sb, '+', b[j])
			}
		}
		for ; i < e1; i, j = i+1, j+1 {
			writeLine(sb, ' ', a[i])
		}
	}
}

// appendRange appends one side of a hunk header: start,count, with the
// count left out when it is 1.
func appendRange(b []byte, start, n int) []byte {
	if n == 0 {
		b = strconv.AppendInt(b, int64(start), 10)
	} else {
		b = strconv.AppendInt(b, int64(start+1), 10)
	}
	if n != 1 {
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(n), 10)
	}
	return b
}

// validUTF8Prefix is b up to its first byte sequence that git does not take
// for UTF-8 (utf8.c: invalid, overlong, surrogates, U+FFFE and U+FFFF).
func validUTF8Prefix(b []byte) []byte {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if (r == utf8.RuneError && size == 1) || r == 0xfffe || r == 0xffff {
			return b[:i]
		}
		i += size
	}
	return b
}

func writeLine(sb *strings.Builder, prefix byte, line []byte) {
	sb.WriteByte(prefix)
	sb.Write(line)
	if len(line) == 0 || line[len(line)-1] != '\n' {
		sb.WriteString("\n\\ No newline at end of file\n")
	}
}
