package xdiff

import (
	"bytes"
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzDiffLines checks that the line diff is an edit script: the lines it
// keeps are the same, in the same order, on both sides.
func FuzzDiffLines(f *testing.F) {
	f.Add([]byte("a\nb\nc\n"), []byte("a\nc\nd"))
	f.Add([]byte("}\n\n}\n\nx\n"), []byte("}\n\n}\n\n}\n\nx\n"))
	f.Add([]byte(""), []byte("only\n"))
	f.Fuzz(func(t *testing.T, a, b []byte) {
		la, lb := SplitLines(a), SplitLines(b)
		del, ins := Lines(la, lb, Options{})
		if len(del) != len(la) || len(ins) != len(lb) {
			t.Fatalf("Lines marks %d and %d lines, want %d and %d", len(del), len(ins), len(la), len(lb))
		}
		keep := func(lines [][]byte, changed []bool) []string {
			var out []string
			for i, l := range lines {
				if !changed[i] {
					out = append(out, string(l))
				}
			}
			return out
		}
		if d := cmp.Diff(keep(la, del), keep(lb, ins)); d != "" {
			t.Fatalf("kept lines differ (-a +b):\n%s", d)
		}
		// Rebuilding b from a with the script gives b back.
		var sb bytes.Buffer
		i, j := 0, 0
		for _, c := range Changes(del, ins) {
			for ; i < c.I1; i, j = i+1, j+1 {
				sb.Write(la[i])
			}
			i += c.N1
			for ; j < c.I2+c.N2; j++ {
				sb.Write(lb[j])
			}
		}
		for ; i < len(la); i++ {
			sb.Write(la[i])
		}
		if !bytes.Equal(sb.Bytes(), b) {
			t.Fatalf("applying the script to %q gives %q, want %q", a, sb.Bytes(), b)
		}
	})
}

// FuzzPosixToGo checks that any funcname expression from a configuration
// file is either translated into a Go expression that compiles, or refused
// with an error.
func FuzzPosixToGo(f *testing.F) {
	for _, s := range []string{
		"^[ \t]*(func[ \t]*.*(\\{[ \t]*)?)", "[][<>@.~_[:alnum:]]+", "[^ \t\"@',\\#}{~%]*",
		"^\\(sect+*.*\\)$", "a\\{2,3\\}b", "\\1", "[[.a.]]", "*x", "x$y", "\\<w\\>",
	} {
		f.Add(s, true, false)
		f.Add(s, false, true)
	}
	f.Fuzz(func(t *testing.T, expr string, extended, utf8 bool) {
		out, err := posixToGo(expr, extended, utf8)
		if err != nil {
			return
		}
		_, _ = regexp.Compile(out) // must not panic; Go may still refuse it
	})
}
