package gitrepo

import (
	"fmt"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/opencode-portal/portal/internal/gitrepo/xdiff"
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
			xdiff.WriteBinaryLiteral(sb, p.new.data)
			xdiff.WriteBinaryLiteral(sb, p.old.data)
			return
		}
		fmt.Fprintf(sb, "Binary files %s and %s differ\n", oldLabel, newLabel)
		return
	}
	fmt.Fprintf(sb, "--- %s%s\n+++ %s%s\n", oldLabel, tabIfSpace(oldLabel), newLabel, tabIfSpace(newLabel))
	xdiff.WriteHunks(sb, p.lineDiff(), p.funcDriver().funcname, style.hunks)
}

// tabIfSpace is git's trailing tab after a ---/+++ label (a quoted or
// plain name, or /dev/null) that holds a space.
func tabIfSpace(label string) string {
	if strings.IndexByte(label, ' ') >= 0 {
		return "\t"
	}
	return ""
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
