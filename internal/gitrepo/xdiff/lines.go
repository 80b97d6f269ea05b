// Package xdiff is git's line diff (xdiff, git 2.39) and the writer of
// its hunks: the Myers, minimal, patience and histogram algorithms with
// xdiff's line preparation, the sliding of changes with the indent
// heuristic, hunk headers with their function lines (funcname expressions
// in POSIX syntax and git's builtin drivers), and binary patch literals.
// Its answers equal `git diff`'s line for line; it knows nothing of
// repositories, which the commands in package gitrepo read.
package xdiff

import "bytes"

// SplitLines cuts data into lines, each keeping its "\n" (the last may lack it).
func SplitLines(data []byte) [][]byte {
	if len(data) == 0 {
		return nil
	}
	lines := make([][]byte, 0, bytes.Count(data, []byte{'\n'})+1)
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			lines = append(lines, data)
			break
		}
		lines = append(lines, data[:i+1])
		data = data[i+1:]
	}
	return lines
}

// Options are the settings that change where git puts changes; the zero
// value is git's default.
type Options struct {
	Minimal           bool // diff.algorithm=minimal: no cost heuristics
	Histogram         bool // diff.algorithm=histogram
	Patience          bool // diff.algorithm=patience
	NoIndentHeuristic bool // diff.indentHeuristic=false
}

// Lines returns, for each line of a and b, whether it is deleted or
// inserted, as `git diff` marks them with the settings o (the zero value is
// git's default: Myers with the indent heuristic).
func Lines(a, b [][]byte, o Options) (del, ins []bool) {
	var x1, x2 *xdFile
	switch {
	case o.Histogram:
		x1, x2, _, _ = classifyLines(a, b)
		x1.histogram(x2, 1, len(a), 1, len(b))
	case o.Patience:
		x1, x2, _, _ = classifyLines(a, b)
		x1.patience(x2, 1, len(a), 1, len(b))
	default:
		x1, x2 = prepareLines(a, b)
		x1.myers(x2, o.Minimal)
	}
	compactChanges(x1, x2, !o.NoIndentHeuristic)
	compactChanges(x2, x1, !o.NoIndentHeuristic)
	return x1.chg[1 : len(a)+1], x2.chg[1 : len(b)+1]
}
