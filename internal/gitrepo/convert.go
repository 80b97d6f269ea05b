package gitrepo

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"

	"github.com/opencode-portal/portal/internal/gitrepo/index"
)

// crlfAction is git's end-of-line decision for a path (convert.c's
// convert_crlf_action).
type crlfAction uint8

const (
	crlfBinary    crlfAction = iota // no conversion
	crlfUndefined                   // no attribute decides: core.autocrlf does
	crlfText                        // text: LF in the repository, core.eol in the worktree
	crlfTextInput                   // text, eol=lf
	crlfTextCRLF                    // text, eol=crlf
	crlfAuto                        // text=auto
	crlfAutoInput                   // text=auto eol=lf, or core.autocrlf=input
	crlfAutoCRLF                    // text=auto eol=crlf, or core.autocrlf=true
)

func (a crlfAction) auto() bool { return a == crlfAuto || a == crlfAutoInput || a == crlfAutoCRLF }

// autocrlf is the value of core.autocrlf.
type autocrlf uint8

const (
	autocrlfFalse autocrlf = iota
	autocrlfTrue
	autocrlfInput
)

// converter turns worktree content into blob content (git's "clean" side:
// convert_to_git) and back ("smudge": convert_to_working_tree) for one
// operation, from the path's attributes and the configuration:
// end-of-line conversion (core.autocrlf, core.eol, the text, eol and crlf
// attributes) and the ident attribute are done here; filter drivers and
// working-tree-encoding are not, and the paths using them are reported as
// unsupported.
type converter struct {
	attrs    *attributes
	autocrlf autocrlf
	eolCRLF  bool            // core.eol=crlf
	safeCRLF bool            // core.safecrlf=true: refuse to stage a conversion checkout would not undo
	drivers  map[string]bool // filter drivers configured (filter.<name>.*)
	// indexBlob returns the index's content of path (nil when absent), for
	// git's rule that auto conversion leaves a file alone when the index
	// already holds it with CRLF.
	indexBlob func(path string) []byte
}

// newConverter makes the converter of an operation on index idx. checkout
// is set when the operation writes files to the worktree: the index's
// .gitattributes files are then read first, as git does. files, when not
// nil, overrides idx for the .gitattributes files a checkout replaces.
func (r *Repo) newConverter(g *git.Repository, idx *index.Index, checkout bool, files map[string]plumbing.Hash) *converter {
	cfg := loadConfig(g)
	blobs := &blobReader{r: r}
	stored := func(path string) (plumbing.Hash, bool) {
		if h, ok := files[path]; ok {
			return h, !h.IsZero()
		}
		k := idx.Find(path)
		if k < 0 || idx.Entries[k].Mode&0o170000 != index.ModeFile&0o170000 {
			return plumbing.ZeroHash, false
		}
		return idx.Entries[k].Hash, true
	}
	content := func(path string) []byte {
		h, ok := stored(path)
		if !ok {
			return nil
		}
		data, err := blobs.read(h)
		if err != nil {
			return nil
		}
		return data
	}
	c := &converter{
		attrs:     r.attributesFor(cfg, content, checkout),
		drivers:   cfg.subsections("filter"),
		indexBlob: content,
	}
	switch v := cfg.get("core", "autocrlf"); {
	case strings.EqualFold(v, "input"):
		c.autocrlf = autocrlfInput
	case boolOption(v, false):
		c.autocrlf = autocrlfTrue
	}
	c.eolCRLF = strings.EqualFold(cfg.get("core", "eol"), "crlf")
	c.safeCRLF = boolOption(cfg.get("core", "safecrlf"), false)
	return c
}

// conversion is what git does to one path's content.
type conversion struct {
	action crlfAction
	ident  bool // $Id$ is expanded in the worktree and collapsed in the repository
	// unsupported names the features of the path the package does not run
	// ("the lfs filter", "working-tree-encoding=UTF-16"); empty when there
	// is none.
	unsupported []string
}

// of returns the conversion of path, as git's convert_attrs.
func (c *converter) of(path string) conversion {
	all := c.attrs.all(path)
	var cv conversion
	if f := all["filter"]; f.state == attrValue && c.drivers[f.value] {
		cv.unsupported = append(cv.unsupported, "the "+f.value+" filter")
	}
	cv.ident = all["ident"].state == attrSet
	if w := all["working-tree-encoding"]; w.state != attrUnspecified && !(w.state == attrValue &&
		(w.value == "" || strings.EqualFold(w.value, "utf-8") || strings.EqualFold(w.value, "utf8"))) {
		cv.unsupported = append(cv.unsupported, "working-tree-encoding="+w.String())
	}
	cv.action = crlfOf(all["text"])
	if cv.action == crlfUndefined {
		cv.action = crlfOf(all["crlf"])
	}
	if cv.action != crlfBinary {
		eol := all["eol"]
		lf, crlf := eol.state == attrValue && eol.value == "lf", eol.state == attrValue && eol.value == "crlf"
		switch {
		case cv.action == crlfAuto && lf:
			cv.action = crlfAutoInput
		case cv.action == crlfAuto && crlf:
			cv.action = crlfAutoCRLF
		case lf:
			cv.action = crlfTextInput
		case crlf:
			cv.action = crlfTextCRLF
		}
	}
	switch {
	case cv.action == crlfText && c.textEOLIsCRLF():
		cv.action = crlfTextCRLF
	case cv.action == crlfText:
		cv.action = crlfTextInput
	case cv.action == crlfUndefined && c.autocrlf == autocrlfFalse:
		cv.action = crlfBinary
	case cv.action == crlfUndefined && c.autocrlf == autocrlfTrue:
		cv.action = crlfAutoCRLF
	case cv.action == crlfUndefined:
		cv.action = crlfAutoInput
	}
	return cv
}

// crlfOf reads the text (or legacy crlf) attribute.
func crlfOf(a attr) crlfAction {
	switch {
	case a.state == attrSet:
		return crlfText
	case a.state == attrUnset:
		return crlfBinary
	case a.state == attrValue && a.value == "input":
		return crlfTextInput
	case a.state == attrValue && a.value == "auto":
		return crlfAuto
	}
	return crlfUndefined
}

// textEOLIsCRLF is git's text_eol_is_crlf: whether text files get CRLF in
// the worktree (core.eol "native" is LF on this platform).
func (c *converter) textEOLIsCRLF() bool {
	switch c.autocrlf {
	case autocrlfTrue:
		return true
	case autocrlfInput:
		return false
	}
	return c.eolCRLF
}

// outputCRLF is git's output_eol(action) == EOL_CRLF.
func (c *converter) outputCRLF(a crlfAction) bool {
	switch a {
	case crlfTextCRLF, crlfAutoCRLF:
		return true
	case crlfAuto:
		return c.textEOLIsCRLF()
	}
	return false
}

// unsupportedError is the error for paths whose conversion the package
// does not run, naming the features and the paths.
func unsupportedError(byFeature map[string][]string) error {
	features := make([]string, 0, len(byFeature))
	for f := range byFeature {
		features = append(features, f)
	}
	sort.Strings(features)
	parts := make([]string, len(features))
	for i, f := range features {
		parts[i] = f + " (" + strings.Join(byFeature[f], ", ") + ")"
	}
	return fmt.Errorf("%w: %s, which the portal does not run; use the git CLI for these files",
		ErrUnsupported, strings.Join(parts, "; "))
}

// refuse returns an ErrUnsupported error when a write would have to
// convert one of paths with a feature the package does not run.
func (c *converter) refuse(paths []string) error {
	byFeature := map[string][]string{}
	for _, p := range paths {
		for _, f := range c.of(p).unsupported {
			byFeature[f] = append(byFeature[f], p)
		}
	}
	if len(byFeature) == 0 {
		return nil
	}
	return unsupportedError(byFeature)
}

// toGit returns the content git stores for the worktree file path whose
// content is data (a regular file's; symlinks are not converted).
func (c *converter) toGit(path string, data []byte) ([]byte, error) {
	cv := c.of(path)
	if len(cv.unsupported) > 0 {
		return nil, unsupportedError(map[string][]string{strings.Join(cv.unsupported, ", "): {path}})
	}
	switch {
	case cv.action == crlfBinary || len(data) == 0 || !c.stripsCR(path, textStats(data), cv.action):
	case cv.action.auto():
		// A file guessed as text has no lone CR: every CR goes.
		data = bytes.ReplaceAll(data, []byte("\r"), nil)
	default:
		data = bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n"))
	}
	if cv.ident {
		data = identToGit(data)
	}
	return data, nil
}

// stripsCR is git's decision to turn the CRLFs of content with stats st
// into LFs when storing it (convert_crlf_into_lf): text with CRLF, unless
// auto conversion finds it binary or the index already holds it with CRLF.
func (c *converter) stripsCR(path string, st textStat, a crlfAction) bool {
	if a == crlfBinary || st.crlf == 0 {
		return false
	}
	return !a.auto() || !st.binary() && !c.indexHasCRLF(path)
}

// addsCR is git's will_convert_lf_to_crlf: checking out content with stats
// st turns its LFs into CRLFs, unless auto conversion finds CRs already or
// binary content.
func (c *converter) addsCR(st textStat, a crlfAction) bool {
	if !c.outputCRLF(a) || st.lonelf == 0 {
		return false
	}
	return !a.auto() || st.lonecr == 0 && st.crlf == 0 && !st.binary()
}

// toGitForStage is toGit for content about to be stored: with
// core.safecrlf=true a conversion that a checkout would not undo is
// refused, as git add refuses it.
func (c *converter) toGitForStage(path string, data []byte) ([]byte, error) {
	if c.safeCRLF {
		if msg := c.irreversible(path, data); msg != "" {
			return nil, fmt.Errorf("%w: core.safecrlf is true and %s in %s; fix the file's line ends or set core.safecrlf to warn", ErrUnsupported, msg, path)
		}
	}
	return c.toGit(path, data)
}

// irreversible is git's check_global_conv_flags_eol: what staging data and
// checking it out again would change ("CRLF would be replaced by LF"),
// or "" when the round trip gives data back.
func (c *converter) irreversible(path string, data []byte) string {
	cv := c.of(path)
	if cv.action == crlfBinary || len(data) == 0 {
		return ""
	}
	old := textStats(data)
	st := old
	if c.stripsCR(path, st, cv.action) {
		st.lonelf += st.crlf
		st.crlf = 0
	}
	if c.addsCR(st, cv.action) {
		st.crlf += st.lonelf
		st.lonelf = 0
	}
	switch {
	case old.crlf > 0 && st.crlf == 0:
		return "CRLF would be replaced by LF"
	case old.lonelf > 0 && st.lonelf == 0:
		return "LF would be replaced by CRLF"
	}
	return ""
}

// toWorktree returns the content git writes to the worktree for the blob
// content data of path (a regular file's).
func (c *converter) toWorktree(path string, data []byte) ([]byte, error) {
	cv := c.of(path)
	if len(cv.unsupported) > 0 {
		return nil, unsupportedError(map[string][]string{strings.Join(cv.unsupported, ", "): {path}})
	}
	switch {
	case cv.ident && (cv.action == crlfAuto || cv.action == crlfAutoCRLF):
		data = identToWorktree(data)
	case cv.ident:
		// git streams such files to the worktree, through a filter of its
		// own for ident.
		data = identStream(data)
	}
	if len(data) == 0 || !c.outputCRLF(cv.action) {
		return data, nil
	}
	st := textStats(data)
	if !c.addsCR(st, cv.action) {
		return data, nil
	}
	out := make([]byte, 0, len(data)+st.lonelf)
	for i, b := range data {
		if b == '\n' && (i == 0 || data[i-1] != '\r') {
			out = append(out, '\r')
		}
		out = append(out, b)
	}
	return out, nil
}

// indexHasCRLF is git's has_crlf_in_index: the index holds path as text
// with CRLF line ends, which auto conversion then leaves alone.
func (c *converter) indexHasCRLF(path string) bool {
	data := c.indexBlob(path)
	if bytes.IndexByte(data, '\r') < 0 {
		return false
	}
	st := textStats(data)
	return !st.binary() && st.crlf > 0
}

// textStat counts what git's gather_stats counts to tell text from binary.
type textStat struct {
	nul, lonecr, lonelf, crlf, printable, nonprintable int
}

func textStats(data []byte) textStat {
	var s textStat
	for i := 0; i < len(data); i++ {
		c := data[i]
		switch {
		case c == '\r':
			if i+1 < len(data) && data[i+1] == '\n' {
				s.crlf++
				i++
			} else {
				s.lonecr++
			}
		case c == '\n':
			s.lonelf++
		case c == 127:
			s.nonprintable++
		case c < 32:
			switch c {
			case '\b', '\t', '\033', '\014':
				s.printable++
			case 0:
				s.nul++
				s.nonprintable++
			default:
				s.nonprintable++
			}
		default:
			s.printable++
		}
	}
	if len(data) > 0 && data[len(data)-1] == '\032' {
		s.nonprintable-- // a trailing EOF byte is not counted
	}
	return s
}

// binary is git's convert_is_binary.
func (s textStat) binary() bool {
	return s.lonecr > 0 || s.nul > 0 || s.printable>>7 < s.nonprintable
}

// switchWrites lists the regular files a switch applying diffs writes to
// the worktree: the files conversions apply to.
func switchWrites(diffs []treeDiff, sparse *sparseCheckout) []string {
	var out []string
	for _, d := range diffs {
		if d.mode != 0 && d.mode != index.ModeGitlink && d.mode != index.ModeSymlink && sparse.includes(d.path) {
			out = append(out, d.path)
		}
	}
	return out
}

// countIdent is git's count_ident: the number of "$Id$" and "$Id: ...$"
// keywords in data.
func countIdent(data []byte) int {
	n := 0
	for i := 0; i < len(data); {
		ch := data[i]
		i++
		if ch != '$' {
			continue
		}
		if len(data)-i < 3 {
			break
		}
		if data[i] != 'I' || data[i+1] != 'd' {
			continue
		}
		ch = data[i+2]
		i += 3
		if ch == '$' {
			n++
		}
		if ch != ':' {
			continue
		}
		for i < len(data) {
			ch = data[i]
			i++
			if ch == '$' {
				n++
				break
			}
			if ch == '\n' {
				break
			}
		}
	}
	return n
}

// identToGit is git's ident_to_git: "$Id: ... $" becomes "$Id$".
func identToGit(data []byte) []byte {
	if countIdent(data) == 0 {
		return data
	}
	out := make([]byte, 0, len(data))
	src := data
	for {
		d := bytes.IndexByte(src, '$')
		if d < 0 {
			break
		}
		out, src = append(out, src[:d+1]...), src[d+1:]
		if len(src) > 3 && string(src[:3]) == "Id:" {
			end := bytes.IndexByte(src[3:], '$')
			if end < 0 {
				break
			}
			if bytes.IndexByte(src[3:3+end], '\n') >= 0 {
				continue // a line break before the next dollar
			}
			out, src = append(out, "Id$"...), src[3+end+1:]
		}
	}
	return append(out, src...)
}

// identToWorktree is git's ident_to_worktree: "$Id$" (and a git-style
// "$Id: ... $") becomes "$Id: <blob id> $", the blob being data.
func identToWorktree(data []byte) []byte {
	n := countIdent(data)
	if n == 0 {
		return data
	}
	id := blobHash(data).String()
	out := make([]byte, 0, len(data)+n*(len(id)+3))
	src := data
scan:
	for {
		d := bytes.IndexByte(src, '$')
		if d < 0 {
			break
		}
		out, src = append(out, src[:d+1]...), src[d+1:]
		if len(src) < 3 || src[0] != 'I' || src[1] != 'd' {
			continue
		}
		switch src[2] {
		case '$':
			src = src[3:]
		case ':':
			end := bytes.IndexByte(src[3:], '$')
			if end < 0 {
				break scan // an unfinished keyword
			}
			dollar := 3 + end
			if bytes.IndexByte(src[3:dollar], '\n') >= 0 {
				continue // a line break before the next dollar
			}
			if dollar > 4 {
				// Spaces inside: another system's id, kept.
				if sp := bytes.IndexByte(src[4:dollar], ' '); sp >= 0 && 4+sp < dollar-1 {
					continue
				}
			}
			src = src[dollar+1:]
		default:
			continue
		}
		out = append(out, "Id: "+id+" $"...)
	}
	return append(out, src...)
}

// identStream is git's streaming ident filter (ident_filter_fn), which git
// uses instead of identToWorktree when a file needs no guessing of its
// line ends: it differs on keywords after a "$" ("$$Id$$").
func identStream(data []byte) []byte {
	if countIdent(data) == 0 {
		return data
	}
	const head = "$Id\x00"
	const draining, skipping = -1, -2
	id := ": " + blobHash(data).String() + " $"
	out := make([]byte, 0, len(data)+len(id))
	var left []byte
	state := 0
	for _, ch := range data {
		if state == draining {
			out, left, state = append(out, left...), left[:0], 0
		}
		switch {
		case state == skipping:
			left = append(left, ch)
			if ch != '\n' && ch != '$' {
				continue
			}
			if ch == '$' && !isForeignIdent(left) {
				left = append(left[:len(head)-1], id...)
			}
			state = draining
		case state < len(head) && head[state] == ch:
			state++
		case state == len(head)-1:
			left = append(left, head[:state]...)
			switch ch {
			case ':':
				left, state = append(left, ch), skipping
			case '$':
				left, state = append(left, id...), draining
			default:
				left, state = append(left, ch), 0
			}
		default:
			left = append(append(left, head[:state]...), ch)
			state = draining
		}
	}
	if state > 0 {
		left = append(left, head[:state]...)
	}
	return append(out, left...)
}

// isForeignIdent is git's is_foreign_ident: "$Id: ...$" holding a space
// not followed by "$", an id of another version control system.
func isForeignIdent(kw []byte) bool {
	if i := bytes.IndexByte(kw, 0); i >= 0 {
		kw = kw[:i] // git reads it as a C string
	}
	rest, ok := bytes.CutPrefix(kw, []byte("$Id: "))
	if !ok {
		return false
	}
	for i, c := range rest {
		if (c == ' ' || c >= '\t' && c <= '\r') && (i+1 >= len(rest) || rest[i+1] != '$') {
			return true
		}
	}
	return false
}
