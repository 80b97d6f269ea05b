package gitignore

// gitWildmatch is git's wildmatch (dowild in wildmatch.c, WM_PATHNAME, no
// case folding) transcribed line by line, as the reference the compiled
// glob is compared with. Its backtracking can take exponential time, so it
// gives up, reporting ok false, after maxSteps calls and loop turns.
func gitWildmatch(pattern, text string, maxSteps int) (matched, ok bool) {
	w := gitMatcher{p: pattern, t: text, left: maxSteps}
	r := w.dowild(0, 0)
	return r == wmMatch, w.left >= 0
}

const (
	wmMatch           = 0
	wmNoMatch         = 1
	wmAbortAll        = -1
	wmAbortToStarStar = -2
)

type gitMatcher struct {
	p, t string
	left int
}

// at returns s[i], or NUL past the end, as C strings do.
func at(s string, i int) byte {
	if i < len(s) {
		return s[i]
	}
	return 0
}

func isGlobSpecial(c byte) bool { return c == '*' || c == '?' || c == '[' || c == '\\' }

func (w *gitMatcher) dowild(p, text int) int {
	w.left--
	if w.left < 0 {
		return wmAbortAll
	}
	for ; at(w.p, p) != 0; text, p = text+1, p+1 {
		pCh := at(w.p, p)
		tCh := at(w.t, text)
		if tCh == 0 && pCh != '*' {
			return wmAbortAll
		}
		switch pCh {
		case '\\':
			p++
			pCh = at(w.p, p)
			if tCh != pCh {
				return wmNoMatch
			}
			continue
		case '?':
			if tCh == '/' {
				return wmNoMatch
			}
			continue
		case '*':
			var matchSlash bool
			p++
			if at(w.p, p) == '*' {
				prevP := p - 2
				for p++; at(w.p, p) == '*'; p++ {
				}
				if (prevP < 0 || w.p[prevP] == '/') &&
					(at(w.p, p) == 0 || at(w.p, p) == '/' || (at(w.p, p) == '\\' && at(w.p, p+1) == '/')) {
					if at(w.p, p) == '/' && w.dowild(p+1, text) == wmMatch {
						return wmMatch
					}
					matchSlash = true
				}
			}
			if at(w.p, p) == 0 {
				if !matchSlash {
					for i := text; i < len(w.t); i++ {
						if w.t[i] == '/' {
							return wmNoMatch
						}
					}
				}
				return wmMatch
			} else if !matchSlash && at(w.p, p) == '/' {
				slash := -1
				for i := text; i < len(w.t); i++ {
					if w.t[i] == '/' {
						slash = i
						break
					}
				}
				if slash < 0 {
					return wmNoMatch
				}
				text = slash
				continue // the for loop steps over both slashes
			}
			for {
				w.left--
				if w.left < 0 {
					return wmAbortAll
				}
				if tCh == 0 {
					break
				}
				if !isGlobSpecial(at(w.p, p)) {
					pCh = at(w.p, p)
					for {
						tCh = at(w.t, text)
						if tCh == 0 || !(matchSlash || tCh != '/') {
							break
						}
						if tCh == pCh {
							break
						}
						text++
					}
					if tCh != pCh {
						if matchSlash {
							return wmAbortAll
						}
						return wmAbortToStarStar
					}
				}
				if matched := w.dowild(p, text); matched != wmNoMatch {
					if !matchSlash || matched != wmAbortToStarStar {
						return matched
					}
				} else if !matchSlash && tCh == '/' {
					return wmAbortToStarStar
				}
				text++
				tCh = at(w.t, text)
			}
			return wmAbortAll
		case '[':
			p++
			pCh = at(w.p, p)
			if pCh == '^' {
				pCh = '!'
			}
			negated := pCh == '!'
			if negated {
				p++
				pCh = at(w.p, p)
			}
			var prevCh byte
			matched := false
			for {
				if pCh == 0 {
					return wmAbortAll
				}
				if pCh == '\\' {
					p++
					pCh = at(w.p, p)
					if pCh == 0 {
						return wmAbortAll
					}
					if tCh == pCh {
						matched = true
					}
				} else if pCh == '-' && prevCh != 0 && at(w.p, p+1) != 0 && at(w.p, p+1) != ']' {
					p++
					pCh = at(w.p, p)
					if pCh == '\\' {
						p++
						pCh = at(w.p, p)
						if pCh == 0 {
							return wmAbortAll
						}
					}
					if tCh <= pCh && tCh >= prevCh {
						matched = true
					}
					pCh = 0
				} else if pCh == '[' && at(w.p, p+1) == ':' {
					p += 2
					s := p
					for pCh = at(w.p, p); pCh != 0 && pCh != ']'; pCh = at(w.p, p) {
						p++
					}
					if pCh == 0 {
						return wmAbortAll
					}
					i := p - s - 1
					if i < 0 || w.p[p-1] != ':' {
						p = s - 2
						pCh = '['
						if tCh == pCh {
							matched = true
						}
					} else {
						in, known := gitClass(w.p[s:s+i], tCh)
						if !known {
							return wmAbortAll
						}
						if in {
							matched = true
						}
						pCh = 0
					}
				} else if tCh == pCh {
					matched = true
				}
				prevCh = pCh
				p++
				if pCh = at(w.p, p); pCh == ']' {
					break
				}
			}
			if matched == negated || tCh == '/' {
				return wmNoMatch
			}
			continue
		default:
			if tCh != pCh {
				return wmNoMatch
			}
			continue
		}
	}
	if text < len(w.t) {
		return wmNoMatch
	}
	return wmMatch
}

// gitClass is git's test of byte c against the [:name:] class, with git's
// own ASCII ctype (sane_ctype: its isspace has no \v or \f).
func gitClass(name string, c byte) (in, known bool) {
	if c >= 0x80 {
		switch name {
		case "alnum", "alpha", "blank", "cntrl", "digit", "graph", "lower", "print", "punct", "space", "upper", "xdigit":
			return false, true
		}
		return false, false
	}
	alpha := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
	digit := c >= '0' && c <= '9'
	switch name {
	case "alnum":
		return alpha || digit, true
	case "alpha":
		return alpha, true
	case "blank":
		return c == ' ' || c == '\t', true
	case "cntrl":
		return c < 0x20 || c == 0x7f, true
	case "digit":
		return digit, true
	case "graph":
		return c >= 0x21 && c <= 0x7e, true
	case "lower":
		return c >= 'a' && c <= 'z', true
	case "print":
		return c >= 0x20 && c <= 0x7e, true
	case "punct":
		return c >= 0x21 && c <= 0x7e && !alpha && !digit, true
	case "space":
		return c == ' ' || c == '\t' || c == '\n' || c == '\r', true
	case "upper":
		return c >= 'A' && c <= 'Z', true
	case "xdigit":
		return digit || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F', true
	}
	return false, false
}
