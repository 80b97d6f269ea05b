package gitignore

import (
	"math/bits"
	"strings"
)

// A glob is a git wildcard pattern compiled for matching with pathname
// semantics, as git's wildmatch with WM_PATHNAME: "*" and "?" never match
// "/", "**" as a whole path component matches any number of components,
// "[...]" is a character class and "\" escapes the next character.
//
// It is matched as a nondeterministic automaton whose states are the
// positions between its tokens, all followed at once, so a match costs at
// most (tokens+1) × (len(text)+1) steps whatever the pattern: no
// backtracking, whose cost grows exponentially with the number of stars.
// Its literal prefix and suffix are compared directly, as git does, so the
// common patterns ("name", "*.log", "dir/*") cost a string comparison.
type glob struct {
	prefix, suffix string  // the literal bytes before and after tokens
	tokens         []token // the rest, from the first wildcard to the last
}

// token is one element of a glob.
type token struct {
	kind tokenKind
	b    byte      // tokByte: the byte
	set  [4]uint64 // tokClass: the bytes it matches, a bit each ("/" never)
}

type tokenKind uint8

const (
	tokByte  tokenKind = iota // one given byte
	tokAny                    // "?": one byte but "/"
	tokClass                  // "[...]": one byte of set
	tokStar                   // "*": any run of bytes but "/"
	tokRun                    // any run of bytes, "/" included: a trailing "**", one before "\/", the components of "**/"
	tokDirs                   // "**/" as a component, before tokRun and tokSlash: skips both (no component) or enters them
	tokSlash                  // the "/" ending the components of "**/"
	tokNever                  // a malformed class or a trailing "\": matches nothing, as in git
)

// compileGlob compiles pattern.
func compileGlob(pattern string) glob {
	tokens := tokenize(pattern)
	lo := 0
	for lo < len(tokens) && tokens[lo].kind == tokByte {
		lo++
	}
	hi := len(tokens)
	for hi > lo && tokens[hi-1].kind == tokByte {
		hi--
	}
	literal := func(tokens []token) string {
		b := make([]byte, len(tokens))
		for i, t := range tokens {
			b[i] = t.b
		}
		return string(b)
	}
	return glob{prefix: literal(tokens[:lo]), suffix: literal(tokens[hi:]), tokens: tokens[lo:hi]}
}

// tokenize splits a pattern into tokens, as git's wildmatch reads it.
func tokenize(p string) []token {
	var g []token
	for i := 0; i < len(p); i++ {
		switch c := p[i]; c {
		case '?':
			g = append(g, token{kind: tokAny})
		case '[':
			set, next, ok := parseClass(p, i)
			if !ok {
				return append(g, token{kind: tokNever})
			}
			g = append(g, token{kind: tokClass, set: set})
			i = next - 1
		case '\\':
			if i+1 == len(p) {
				return append(g, token{kind: tokNever})
			}
			i++
			g = append(g, token{kind: tokByte, b: p[i]})
		case '*':
			start := i
			for i+1 < len(p) && p[i+1] == '*' {
				i++
			}
			atComponent := i > start && (start == 0 || p[start-1] == '/')
			switch {
			case atComponent && i+1 == len(p):
				g = append(g, token{kind: tokRun}) // trailing "**": everything
			case atComponent && p[i+1] == '/':
				g = append(g, token{kind: tokDirs}, token{kind: tokRun}, token{kind: tokSlash})
				i++
			case atComponent && i+2 < len(p) && p[i+1] == '\\' && p[i+2] == '/':
				g = append(g, token{kind: tokRun}) // "**\/": any run, then the escaped "/"
			default:
				g = append(g, token{kind: tokStar})
			}
		default:
			g = append(g, token{kind: tokByte, b: c})
		}
	}
	return g
}

// match reports whether the glob matches all of text.
func (g glob) match(text string) bool {
	ok, _ := g.run(text)
	return ok
}

// run matches text and also returns the number of steps it took, which
// tests bound.
func (g glob) run(text string) (matched bool, steps int) {
	if len(text) < len(g.prefix)+len(g.suffix) || !strings.HasPrefix(text, g.prefix) || !strings.HasSuffix(text, g.suffix) {
		return false, 1
	}
	text = text[len(g.prefix) : len(text)-len(g.suffix)]
	switch {
	case len(g.tokens) == 0:
		return text == "", 1
	case len(g.tokens) == 1 && g.tokens[0].kind == tokStar:
		return strings.IndexByte(text, '/') < 0, len(text) + 1
	case len(g.tokens) == 1 && g.tokens[0].kind == tokRun:
		return true, 1
	}
	return simulate(g.tokens, text)
}

// simulate runs the automaton of tokens g on text.
func simulate(g []token, text string) (matched bool, steps int) {
	words := (len(g) + 1 + 63) / 64
	var buf [8]uint64
	var cur, next []uint64
	if 2*words <= len(buf) {
		cur, next = buf[:words], buf[words:2*words]
	} else {
		cur, next = make([]uint64, words), make([]uint64, words)
	}
	cur[0] = 1
	closure(g, cur)
	for i := 0; i < len(text); i++ {
		c := text[i]
		clear(next)
		live := false
		for w, word := range cur {
			for word != 0 {
				s := w*64 + bits.TrailingZeros64(word)
				word &= word - 1
				steps++
				if s == len(g) {
					continue // all tokens matched: text is left over
				}
				t := &g[s]
				to := -1
				switch t.kind {
				case tokByte:
					if c == t.b {
						to = s + 1
					}
				case tokAny:
					if c != '/' {
						to = s + 1
					}
				case tokSlash:
					if c == '/' {
						to = s + 1
					}
				case tokClass:
					if t.set[c>>6]&(1<<(c&63)) != 0 {
						to = s + 1
					}
				case tokStar:
					if c != '/' {
						to = s
					}
				case tokRun:
					to = s
				}
				if to >= 0 {
					next[to/64] |= 1 << (to % 64)
					live = true
				}
			}
		}
		if !live {
			return false, steps
		}
		closure(g, next)
		cur, next = next, cur
	}
	return cur[len(g)/64]&(1<<(len(g)%64)) != 0, steps
}

// closure adds to set the states of g reachable without reading a byte:
// past a star or run (which may match nothing), and from "**/" into its
// run or past its run and "/".
func closure(g []token, set []uint64) {
	for s, t := range g {
		if set[s/64]&(1<<(s%64)) == 0 {
			continue
		}
		switch t.kind {
		case tokStar, tokRun:
			set[(s+1)/64] |= 1 << ((s + 1) % 64)
		case tokDirs:
			set[(s+1)/64] |= 1 << ((s + 1) % 64)
			set[(s+3)/64] |= 1 << ((s + 3) % 64)
		}
	}
}
