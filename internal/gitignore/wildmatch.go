package gitignore

import "strings"

// wildmatch matches text against a git wildcard pattern with pathname
// semantics: "*" and "?" never match "/", "**" as a whole path component
// matches any number of components, "[...]" is a character class and "\"
// escapes the next character.
func wildmatch(pattern, text string) bool {
	return wildmatchAt(pattern, 0, text, 0)
}

func wildmatchAt(p string, pi int, t string, ti int) bool {
	for pi < len(p) {
		c := p[pi]
		switch c {
		case '*':
			if pi+1 < len(p) && p[pi+1] == '*' && (pi == 0 || p[pi-1] == '/') &&
				(pi+2 == len(p) || p[pi+2] == '/') {
				if pi+2 == len(p) {
					return true // trailing "**" matches everything left
				}
				// "**/" matches zero or more leading components.
				rest := pi + 3
				if wildmatchAt(p, rest, t, ti) {
					return true
				}
				for i := ti; i < len(t); i++ {
					if t[i] == '/' && wildmatchAt(p, rest, t, i+1) {
						return true
					}
				}
				return false
			}
			for pi < len(p) && p[pi] == '*' {
				pi++
			}
			if pi == len(p) {
				return strings.IndexByte(t[ti:], '/') < 0
			}
			for i := ti; i <= len(t); i++ {
				if wildmatchAt(p, pi, t, i) {
					return true
				}
				if i < len(t) && t[i] == '/' {
					return false
				}
			}
			return false
		case '?':
			if ti >= len(t) || t[ti] == '/' {
				return false
			}
			pi++
			ti++
		case '[':
			if ti >= len(t) || t[ti] == '/' {
				return false
			}
			ok, next, valid := matchClass(p, pi, t[ti])
			if !valid || !ok {
				return false // as in git's wildmatch, an unterminated class matches nothing
			}
			pi = next
			ti++
		case '\\':
			if pi+1 < len(p) {
				pi++
				c = p[pi]
			}
			fallthrough
		default:
			if ti >= len(t) || t[ti] != c {
				return false
			}
			pi++
			ti++
		}
	}
	return ti == len(t)
}

// matchClass matches byte c against the class starting at p[pi] == '['.
// It returns whether c matched, the index after the class, and whether the
// class was well formed.
func matchClass(p string, pi int, c byte) (matched bool, next int, valid bool) {
	i := pi + 1
	negate := false
	if i < len(p) && (p[i] == '!' || p[i] == '^') {
		negate = true
		i++
	}
	first := true
	for i < len(p) {
		ch := p[i]
		if ch == ']' && !first {
			return matched != negate, i + 1, true
		}
		first = false
		if ch == '[' && i+1 < len(p) && p[i+1] == ':' {
			if end := strings.Index(p[i+2:], ":]"); end >= 0 {
				if classMatch(p[i+2:i+2+end], c) {
					matched = true
				}
				i += end + 4
				continue
			}
		}
		if ch == '\\' && i+1 < len(p) {
			i++
			ch = p[i]
		}
		lo := ch
		i++
		if i+1 < len(p) && p[i] == '-' && p[i+1] != ']' {
			hi := p[i+1]
			i += 2
			if hi == '\\' && i < len(p) {
				hi = p[i]
				i++
			}
			if lo <= c && c <= hi {
				matched = true
			}
			continue
		}
		if c == lo {
			matched = true
		}
	}
	return false, 0, false
}

func classMatch(name string, c byte) bool {
	switch name {
	case "alnum":
		return isAlpha(c) || isDigit(c)
	case "alpha":
		return isAlpha(c)
	case "digit":
		return isDigit(c)
	case "lower":
		return c >= 'a' && c <= 'z'
	case "upper":
		return c >= 'A' && c <= 'Z'
	case "space":
		return c == ' ' || (c >= '\t' && c <= '\r')
	case "blank":
		return c == ' ' || c == '\t'
	case "punct":
		return c > ' ' && c < 0x7f && !isAlpha(c) && !isDigit(c)
	case "xdigit":
		return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
	case "print":
		return c >= ' ' && c < 0x7f
	case "graph":
		return c > ' ' && c < 0x7f
	case "cntrl":
		return c < ' ' || c == 0x7f
	}
	return false
}

func isAlpha(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }
