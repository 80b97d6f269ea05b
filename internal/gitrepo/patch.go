package gitrepo

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/go-git/go-git/v5/plumbing"
)

// writePatch writes one file pair in git's unified diff format.
func writePatch(sb *strings.Builder, p *filePair, binary bool, abbrevLen int) {
	style := p.style
	if style == nil {
		style = defaultPatchStyle()
	}
	if p.unmerged {
		sb.WriteString("* Unmerged path " + quotePath(p.old.path, style.quoteFully) + "\n")
		return
	}
	if p.old.mode != 0 && p.new.mode != 0 && p.old.mode&0o170000 != p.new.mode&0o170000 {
		// A type change is written as a deletion and a creation.
		del, cre := *p, *p
		del.new, cre.old = fileSide{}, fileSide{}
		del.edits, cre.edits = nil, nil
		writePatch(sb, &del, binary, abbrevLen)
		writePatch(sb, &cre, binary, abbrevLen)
		return
	}
	oldPath, newPath := p.old.path, p.new.path
	if p.old.mode == 0 {
		oldPath = newPath
	}
	if p.new.mode == 0 {
		newPath = oldPath
	}
	a, b := quotePath("a/"+oldPath, style.quoteFully), quotePath("b/"+newPath, style.quoteFully)
	fmt.Fprintf(sb, "diff --git %s %s\n", a, b)
	switch {
	case p.old.mode == 0:
		fmt.Fprintf(sb, "new file mode %06o\n", p.new.mode)
	case p.new.mode == 0:
		fmt.Fprintf(sb, "deleted file mode %06o\n", p.old.mode)
	case p.old.mode != p.new.mode:
		fmt.Fprintf(sb, "old mode %06o\nnew mode %06o\n", p.old.mode, p.new.mode)
	}
	if p.score > 0 {
		fmt.Fprintf(sb, "similarity index %d%%\nrename from %s\nrename to %s\n",
			p.score, quotePath(oldPath, style.quoteFully), quotePath(newPath, style.quoteFully))
	}
	sameHash := p.old.hash == p.new.hash && p.old.mode != 0 && p.new.mode != 0
	if sameHash && !p.new.dirty {
		return // a pure rename or mode change
	}
	oldHash, newHash := p.old.hash, p.new.hash
	isBin := p.old.driver().isBinaryFor(p.old.data) || p.new.driver().isBinaryFor(p.new.data)
	abbrev := func(h plumbing.Hash) string {
		if binary && isBin {
			return h.String()
		}
		return h.String()[:abbrevLen]
	}
	if !sameHash { // a dirty submodule at its recorded commit has no index line
		sb.WriteString("index " + abbrev(oldHash) + ".." + abbrev(newHash))
		if p.old.mode == p.new.mode {
			fmt.Fprintf(sb, " %06o", p.old.mode)
		}
		sb.WriteByte('\n')
	}
	if len(p.old.data) == 0 && len(p.new.data) == 0 {
		return // empty file created or deleted
	}
	oldLabel, newLabel := a, b
	if p.old.mode == 0 {
		oldLabel = "/dev/null"
	}
	if p.new.mode == 0 {
		newLabel = "/dev/null"
	}
	if isBin {
		if binary {
			sb.WriteString("GIT binary patch\n")
			writeBinaryLiteral(sb, p.new.data)
			writeBinaryLiteral(sb, p.old.data)
			return
		}
		fmt.Fprintf(sb, "Binary files %s and %s differ\n", oldLabel, newLabel)
		return
	}
	fmt.Fprintf(sb, "--- %s%s\n+++ %s%s\n", oldLabel, tabIfSpace(oldLabel), newLabel, tabIfSpace(newLabel))
	writeHunks(sb, p.lineDiff(), p.funcDriver(), style)
}

// tabIfSpace is git's trailing tab after a ---/+++ label (a quoted or
// plain name, or /dev/null) that holds a space.
func tabIfSpace(label string) string {
	if strings.IndexByte(label, ' ') >= 0 {
		return "\t"
	}
	return ""
}

// change is a run of deleted lines a[i1:i1+n1] replaced by b[i2:i2+n2].
type change struct{ i1, n1, i2, n2 int }

func changes(del, ins []bool) []change {
	var out []change
	i, j := 0, 0
	for i < len(del) || j < len(ins) {
		if (i < len(del) && del[i]) || (j < len(ins) && ins[j]) {
			c := change{i1: i, i2: j}
			for i < len(del) && del[i] {
				i++
			}
			for j < len(ins) && ins[j] {
				j++
			}
			c.n1, c.n2 = i-c.i1, j-c.i2
			out = append(out, c)
			continue
		}
		i++
		j++
	}
	return out
}

// writeHunks writes the hunks of the diff of a and b in style; drv finds
// the function lines of their headers.
func writeHunks(sb *strings.Builder, e *lineEdits, drv *diffDriver, style *patchStyle) {
	a, b, del, ins := e.a, e.b, e.del, e.ins
	ctx := style.context
	cs := changes(del, ins)
	// The function line of a header is the nearest above the hunk; each
	// search stops where the previous hunk's began (xemit.c).
	var fn []byte
	searched := -1
	var hdr []byte
	for len(cs) > 0 {
		// Group changes whose gap is at most twice the context (plus the
		// inter-hunk context).
		n := 1
		for n < len(cs) && cs[n].i1-(cs[n-1].i1+cs[n-1].n1) <= 2*ctx+style.interHunk {
			n++
		}
		group := cs[:n]
		cs = cs[n:]
		first, last := group[0], group[len(group)-1]
		s1 := max(0, first.i1-ctx)
		s2 := first.i2 - (first.i1 - s1)
		e1 := min(len(a), last.i1+last.n1+ctx)
		e2 := last.i2 + last.n2 + (e1 - (last.i1 + last.n1))
		for l := s1 - 1; l > searched; l-- {
			if f, ok := drv.funcName(a[l]); ok {
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
			for ; i < c.i1; i, j = i+1, j+1 {
				writeLine(sb, ' ', a[i])
			}
			for ; i < c.i1+c.n1; i++ {
				writeLine(sb, '-', a[i])
			}
			for ; j < c.i2+c.n2; j++ {
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

// quotePath quotes a path as git does: in double quotes with C escapes
// when it holds control characters, quotes, backslashes or, when fully
// (core.quotePath, true by default), bytes above 0x7f.
func quotePath(p string, fully bool) string {
	quoted := func(c byte) bool { return c < 0x20 || c == '"' || c == '\\' || c == 0x7f || (fully && c > 0x7f) }
	need := false
	for i := 0; i < len(p); i++ {
		if quoted(p[i]) {
			need = true
			break
		}
	}
	if !need {
		return p
	}
	var sb strings.Builder
	sb.WriteByte('"')
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch c {
		case '\a':
			sb.WriteString(`\a`)
		case '\b':
			sb.WriteString(`\b`)
		case '\t':
			sb.WriteString(`\t`)
		case '\n':
			sb.WriteString(`\n`)
		case '\v':
			sb.WriteString(`\v`)
		case '\f':
			sb.WriteString(`\f`)
		case '\r':
			sb.WriteString(`\r`)
		case '"':
			sb.WriteString(`\"`)
		case '\\':
			sb.WriteString(`\\`)
		default:
			if quoted(c) {
				fmt.Fprintf(&sb, `\%03o`, c)
			} else {
				sb.WriteByte(c)
			}
		}
	}
	sb.WriteByte('"')
	return sb.String()
}

// writeBinaryLiteral writes data as a "literal" hunk of a git binary patch:
// zlib-deflated, base85-encoded, 52 bytes per line.
func writeBinaryLiteral(sb *strings.Builder, data []byte) {
	var z bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&z, zlib.BestCompression)
	zw.Write(data)
	zw.Close()
	fmt.Fprintf(sb, "literal %d\n", len(data))
	buf := z.Bytes()
	for len(buf) > 0 {
		n := min(len(buf), 52)
		if n <= 26 {
			sb.WriteByte(byte('A' + n - 1))
		} else {
			sb.WriteByte(byte('a' + n - 27))
		}
		encode85(sb, buf[:n])
		sb.WriteByte('\n')
		buf = buf[n:]
	}
	sb.WriteByte('\n')
}

const base85 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%&()*+-;<=>?@^_`{|}~"

func encode85(sb *strings.Builder, data []byte) {
	for len(data) > 0 {
		var acc uint32
		for i := 0; i < 4; i++ {
			acc <<= 8
			if i < len(data) {
				acc |= uint32(data[i])
			}
		}
		var out [5]byte
		for i := 4; i >= 0; i-- {
			out[i] = base85[acc%85]
			acc /= 85
		}
		sb.Write(out[:])
		data = data[min(4, len(data)):]
	}
}
