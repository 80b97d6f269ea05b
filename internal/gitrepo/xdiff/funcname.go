package xdiff

import (
	"fmt"
	"regexp"
	"strings"
)

// Funcname finds the function lines that hunk headers show (git's
// userdiff funcname and xfuncname); CompileFuncname makes one.
type Funcname struct {
	rules []funcRule
}

// UnsupportedError is a funcname expression that git can run and Go's
// regexp cannot (a back-reference, say).
type UnsupportedError struct {
	Expr string // the expression, one line of the pattern
	Err  error  // why it cannot run
}

func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("funcname expression %q: %v; write it without that construct", e.Expr, e.Err)
}

// funcLineMax is how much of a function line a hunk header shows (xemit.c's
// func_line buffer).
const funcLineMax = 80

// funcRule is one line of a funcname pattern: a line that matches a
// negated rule is no function line.
type funcRule struct {
	re     *regexp.Regexp
	negate bool
}

// Line returns the hunk header text of line if it is a function line;
// a nil f finds them with git's default rule.
func (f *Funcname) Line(line []byte) ([]byte, bool) {
	if f == nil {
		// git's default: a line that starts with a letter, "_" or "$".
		if len(line) == 0 || !(isASCIILetter(line[0]) || line[0] == '_' || line[0] == '$') {
			return nil, false
		}
		return trimGitSpace(line[:min(len(line), funcLineMax)]), true
	}
	if n := len(line); n > 0 && line[n-1] == '\n' {
		line = line[:n-1]
		if n > 1 && line[n-2] == '\r' {
			line = line[:n-2]
		}
	}
	for _, r := range f.rules {
		m := r.re.FindSubmatchIndex(line)
		if m == nil {
			continue
		}
		if r.negate {
			return nil, false
		}
		s, e := m[0], m[1]
		if len(m) > 2 && m[2] >= 0 {
			s, e = m[2], m[3]
		}
		return trimGitSpace(line[s:min(e, s+funcLineMax)]), true
	}
	return nil, false
}

func isASCIILetter(c byte) bool { return 'a' <= c|0x20 && c|0x20 <= 'z' }

// trimGitSpace drops trailing white space as git's isspace sees it (space,
// TAB, CR and LF).
func trimGitSpace(b []byte) []byte {
	for len(b) > 0 {
		switch b[len(b)-1] {
		case ' ', '\t', '\r', '\n':
			b = b[:len(b)-1]
			continue
		}
		break
	}
	return b
}

// CompileFuncname compiles a funcname pattern: one regular expression per
// line, POSIX extended (or basic) syntax, a leading "!" negating a line;
// with utf8 (git runs in a UTF-8 locale) "." and negated brackets do not
// match bytes that are not UTF-8. An expression Go's regexp cannot run is
// an *UnsupportedError.
func CompileFuncname(pattern string, extended, icase, utf8 bool) (*Funcname, error) {
	lines := strings.Split(pattern, "\n")
	rules := make([]funcRule, 0, len(lines))
	for i, l := range lines {
		r := funcRule{}
		if l, r.negate = strings.CutPrefix(l, "!"); r.negate && i == len(lines)-1 {
			return nil, fmt.Errorf("its last funcname expression is negated (%q), which git refuses too; remove the \"!\" of the last line", l)
		}
		expr, err := posixToGo(l, extended, utf8)
		if err != nil {
			return nil, &UnsupportedError{Expr: l, Err: err}
		}
		if icase {
			expr = "(?i)" + expr
		}
		re, err := regexp.Compile("(?s)" + expr)
		if err != nil {
			return nil, &UnsupportedError{Expr: l, Err: err}
		}
		re.Longest() // POSIX: the leftmost longest match
		r.re = re
		rules = append(rules, r)
	}
	return &Funcname{rules: rules}, nil
}
