package gitignore

// parseClass parses the character class that starts at p[i] == '[', as
// git's wildmatch does (with WM_PATHNAME, so "/" is never in it). It
// returns the set of bytes it matches, the index after its "]", and false
// when the class is malformed (unterminated, or an unknown [:name:]),
// which git treats as matching nothing.
func parseClass(p string, i int) (set [4]uint64, next int, ok bool) {
	at := func(i int) byte { // the byte at i, or NUL past the end, as in C
		if i < len(p) {
			return p[i]
		}
		return 0
	}
	add := func(lo, hi byte) {
		for c := int(lo); c <= int(hi); c++ {
			set[c>>6] |= 1 << (c & 63)
		}
	}
	i++
	ch := at(i)
	if ch == '^' {
		ch = '!'
	}
	negate := ch == '!'
	if negate {
		i++
		ch = at(i)
	}
	var prev byte
	for {
		if ch == 0 {
			return set, 0, false
		}
		switch {
		case ch == '\\':
			i++
			if ch = at(i); ch == 0 {
				return set, 0, false
			}
			add(ch, ch)
		case ch == '-' && prev != 0 && at(i+1) != 0 && at(i+1) != ']':
			i++
			ch = at(i)
			if ch == '\\' {
				i++
				if ch = at(i); ch == 0 {
					return set, 0, false
				}
			}
			if prev <= ch {
				add(prev, ch)
			}
			ch = 0 // a range is no start of another
		case ch == '[' && at(i+1) == ':':
			start := i + 2
			end := start
			for at(end) != 0 && at(end) != ']' {
				end++
			}
			if at(end) == 0 {
				return set, 0, false
			}
			if end-start-1 < 0 || p[end-1] != ':' {
				// No ":]": a plain "[", then the rest as members.
				add('[', '[')
				break
			}
			members, known := namedClass(p[start : end-1])
			if !known {
				return set, 0, false
			}
			for w := range set {
				set[w] |= members[w]
			}
			i = end
			ch = 0
		default:
			add(ch, ch)
		}
		prev = ch
		i++
		if ch = at(i); ch == ']' {
			break
		}
	}
	if negate {
		for w := range set {
			set[w] = ^set[w]
		}
	}
	set[0] &^= 1 << '/'
	set[0] &^= 1 // NUL ends a C string: git never sees it in a name
	return set, i + 1, true
}

// namedClass returns the members of the [:name:] class, with git's ASCII
// definitions (its isspace has no \v or \f), and whether name is known.
func namedClass(name string) (set [4]uint64, known bool) {
	var in func(c byte) bool
	switch name {
	case "alnum":
		in = func(c byte) bool { return isAlpha(c) || isDigit(c) }
	case "alpha":
		in = isAlpha
	case "blank":
		in = func(c byte) bool { return c == ' ' || c == '\t' }
	case "cntrl":
		in = func(c byte) bool { return c < ' ' || c == 0x7f }
	case "digit":
		in = isDigit
	case "graph":
		in = func(c byte) bool { return c > ' ' && c < 0x7f }
	case "lower":
		in = func(c byte) bool { return c >= 'a' && c <= 'z' }
	case "print":
		in = func(c byte) bool { return c >= ' ' && c < 0x7f }
	case "punct":
		in = func(c byte) bool { return c > ' ' && c < 0x7f && !isAlpha(c) && !isDigit(c) }
	case "space":
		in = func(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
	case "upper":
		in = func(c byte) bool { return c >= 'A' && c <= 'Z' }
	case "xdigit":
		in = func(c byte) bool { return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') }
	default:
		return set, false
	}
	for c := range 128 {
		if in(byte(c)) {
			set[c>>6] |= 1 << (c & 63)
		}
	}
	return set, true
}

func isAlpha(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }
