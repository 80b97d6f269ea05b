package xdiff

import (
	"errors"
	"regexp"
	"strings"
)

// posixToGo rewrites a POSIX regular expression, extended or basic, as git
// compiles it with regcomp (glibc, with its GNU escapes), into Go syntax.
// Constructs Go cannot express (back-references, collating elements) are
// errors. With utf8 (git runs in a UTF-8 locale) "." and negated brackets
// do not match bytes that are not UTF-8, which Go reads as U+FFFD; in the
// C locale they match any byte.
func posixToGo(expr string, extended, utf8 bool) (string, error) {
	var sb strings.Builder
	// atStart: a "*" here is literal, and in a basic expression "^" anchors.
	atStart := true
	for i := 0; i < len(expr); i++ {
		c := expr[i]
		start := atStart
		atStart = false
		switch {
		case c == '.' && utf8:
			sb.WriteString(`[^\x{FFFD}]`)
		case c == '[':
			n, err := bracketToGo(&sb, expr[i:], utf8)
			if err != nil {
				return "", err
			}
			i += n - 1
		case c == '\\':
			if i+1 == len(expr) {
				return "", errors.New("trailing backslash")
			}
			i++
			e := expr[i]
			switch {
			case !extended && strings.IndexByte("(){}|+?", e) >= 0:
				// \( \) \{ \} \| \+ \? are operators in a basic expression.
				sb.WriteByte(e)
				atStart = e == '(' || e == '|'
			case '1' <= e && e <= '9':
				return "", errors.New("back-references are not supported")
			case strings.IndexByte("wWsSbB", e) >= 0:
				sb.WriteByte('\\')
				sb.WriteByte(e)
			case e == '<' || e == '>':
				sb.WriteString(`\b`)
			case e == '`':
				sb.WriteString(`\A`)
			case e == '\'':
				sb.WriteString(`\z`)
			default:
				sb.WriteString(regexp.QuoteMeta(string(e)))
			}
		case !extended && strings.IndexByte("(){}|+?", c) >= 0:
			sb.WriteString(regexp.QuoteMeta(string(c)))
		case c == '*' && start:
			sb.WriteString(`\*`)
		case !extended && c == '^' && !start:
			sb.WriteString(`\^`)
		case !extended && c == '$' && i+1 < len(expr) && !strings.HasPrefix(expr[i+1:], `\)`) && !strings.HasPrefix(expr[i+1:], `\|`):
			sb.WriteString(`\$`)
		default:
			sb.WriteByte(c)
			atStart = extended && (c == '(' || c == '|') || c == '^'
		}
	}
	return sb.String(), nil
}

// bracketToGo writes the bracket expression at the start of s and returns
// its length. Inside brackets POSIX has no escapes: a backslash is itself,
// and a "]" right after the opening (or "^") is a member.
func bracketToGo(sb *strings.Builder, s string, utf8 bool) (int, error) {
	sb.WriteByte('[')
	i := 1
	negated := i < len(s) && s[i] == '^'
	if negated {
		sb.WriteByte('^')
		i++
	}
	if i < len(s) && s[i] == ']' {
		sb.WriteString(`\]`)
		i++
	}
	for i < len(s) {
		c := s[i]
		switch {
		case c == ']':
			if negated && utf8 {
				sb.WriteString(`\x{FFFD}`)
			}
			sb.WriteByte(']')
			return i + 1, nil
		case c == '[' && i+1 < len(s) && s[i+1] == ':':
			end := strings.Index(s[i+2:], ":]")
			if end < 0 {
				return 0, errors.New("unterminated character class")
			}
			sb.WriteString(s[i : i+2+end+2])
			i += 2 + end + 2
			continue
		case c == '[' && i+1 < len(s) && (s[i+1] == '=' || s[i+1] == '.'):
			return 0, errors.New("collating elements and equivalence classes are not supported")
		case c == '\\' || c == '[':
			sb.WriteByte('\\')
			sb.WriteByte(c)
		default:
			sb.WriteByte(c)
		}
		i++
	}
	return 0, errors.New("unterminated bracket expression")
}
