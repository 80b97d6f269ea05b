package gitignore

import (
	"strings"
	"testing"
)

// worstPattern backtracks exponentially in a naive matcher: every way of
// placing its stars is tried before the missing "b" is noticed. With a
// trailing "*" its literal suffix no longer rules a name out at once, so
// the automaton runs on every byte.
const (
	worstPattern     = "*a*a*a*a*a*a*a*a*a*b"
	worstPatternStar = worstPattern + "*"
)

// TestGlobMatchesGitWildmatch compares the compiled glob with git's
// wildmatch on every pair of tricky patterns and names.
func TestGlobMatchesGitWildmatch(t *testing.T) {
	patterns := []string{
		"*", "**", "***", "a*", "a**", "**a", "a/**", "**/b", "a/**/b", "a/***/b", "**\\/b", "a**/b",
		"*/b", "a/*", "a/*/c", "?", "a?c", "a\\", "\\*", "a\\*c", "[abc]", "[!a]", "[^a]", "[]a]", "[!]a]",
		"[a-]", "[-a]", "[a-c-e]", "[\\]]", "[\\", "[a", "[", "[[:alpha:]]", "[[:space:]]", "[[:bogus:]]",
		"[[:alpha:]", "[[:]", "[[:a]", "[z-a]", "[a-\\z]", "[/]", "[!b]/c", "*[a-c]", "**/*.log",
		worstPattern, worstPatternStar, "*a*a*b", "a*b*c", "**/**/x", "x/**/**/y",
	}
	names := []string{
		"", "a", "b", "ab", "abc", "a/b", "a/c", "a/b/c", "a/x/b", "a/x/y/b", "b/a", "x", "y/x", "x/y",
		"x/z/y", ".log", "d/e.log", "a\\", "*", "a*c", "]", "-", "[", ":", " ", "\t", "\v", "/", "a/", "c",
		"z", "\\", "aab", "aaab", "ab/c", strings.Repeat("a", 30), strings.Repeat("a", 30) + "b",
	}
	for _, p := range patterns {
		g := compileGlob(p)
		for _, n := range names {
			want, ok := gitWildmatch(p, n, 1_000_000)
			if !ok {
				t.Fatalf("git's wildmatch gave up on %q against %q", p, n)
			}
			if got := g.match(n); got != want {
				t.Errorf("pattern %q against %q: got %v, git's wildmatch %v", p, n, got, want)
			}
		}
	}
}

// TestGlobStepsAreBounded matches the worst patterns against a 54-byte
// name (minutes with backtracking) and checks the steps stay within the
// automaton's bound.
func TestGlobStepsAreBounded(t *testing.T) {
	name := strings.Repeat("a", 54)
	for _, pattern := range []string{worstPattern, worstPatternStar} {
		matched, steps := compileGlob(pattern).run(name)
		if matched {
			t.Errorf("%q matched %q", pattern, name)
		}
		if bound := (len(pattern) + 1) * (len(name) + 1); steps > bound {
			t.Errorf("%q: %d steps, more than (pattern+1)×(name+1) = %d", pattern, steps, bound)
		}
	}
}

// FuzzWildmatch checks the compiled glob against git's wildmatch, and that
// no input takes more than (pattern+1)×(name+1) steps.
func FuzzWildmatch(f *testing.F) {
	for _, s := range [][2]string{{worstPattern, strings.Repeat("a", 54)}, {worstPatternStar, strings.Repeat("a", 54)}, {"a/**/b", "a/x/y/b"}, {"**/**/x", "a/b/x"},
		{"[!a-c]?[[:digit:]]", "d1/"}, {"**\\/b", "a/b"}, {"*/b", "a/b"}, {"[[:]x", ":x"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, name string) {
		if len(pattern) > 256 || len(name) > 256 || strings.IndexByte(pattern, 0) >= 0 || strings.IndexByte(name, 0) >= 0 {
			return // git's patterns and names are C strings
		}
		got, steps := compileGlob(pattern).run(name)
		if bound := (len(pattern) + 1) * (len(name) + 1); steps > bound {
			t.Fatalf("pattern %q against %q: %d steps, more than %d", pattern, name, steps, bound)
		}
		if want, ok := gitWildmatch(pattern, name, 100_000); ok && got != want {
			t.Fatalf("pattern %q against %q: got %v, git's wildmatch %v", pattern, name, got, want)
		}
	})
}

// BenchmarkWildmatchWorstCase matches the worst patterns against a 54-byte
// name, and a common pattern against a common name for comparison.
func BenchmarkWildmatchWorstCase(b *testing.B) {
	for _, bb := range []struct{ name, pattern, text string }{
		{"worst", worstPattern, strings.Repeat("a", 54)},
		{"worst-automaton", worstPatternStar, strings.Repeat("a", 54)},
		{"common", "*.log", "server-2026-11-30.log"},
	} {
		g := compileGlob(bb.pattern)
		b.Run(bb.name, func(b *testing.B) {
			for b.Loop() {
				g.match(bb.text)
			}
		})
	}
}
