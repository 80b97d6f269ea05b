// Package gitignore matches paths against git's ignore rules: the patterns
// of .gitignore files, .git/info/exclude and core.excludesFile, with git's
// wildmatch semantics (the git CLI is the reference). It reads no files;
// callers parse each file they find with Parse and stack the patterns in a
// List, lowest priority first.
package gitignore

import (
	"bufio"
	"bytes"
	"strings"
)

// Pattern is one line of an ignore file, with git's semantics: "!" negates,
// a trailing "/" matches directories only, a pattern with another "/" is
// anchored to the directory of its file, otherwise it matches the base name
// at any depth.
type Pattern struct {
	base     string // directory of the file that holds the pattern, "" or "dir/"
	glob     glob
	negate   bool
	dirOnly  bool
	anchored bool
}

// Parse parses the contents of an ignore file located in directory base:
// "" for the worktree root, otherwise slash-separated with a trailing slash
// ("dir/sub/"). Blank lines and comments give no pattern.
func Parse(data []byte, base string) []Pattern {
	var out []Pattern
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		if p, ok := parseLine(sc.Text(), base); ok {
			out = append(out, p)
		}
	}
	return out
}

func parseLine(line, base string) (Pattern, bool) {
	if i := strings.IndexByte(line, 0); i >= 0 {
		line = line[:i] // git reads each line as a C string
	}
	line = strings.TrimSuffix(line, "\r")
	if line == "" || line[0] == '#' {
		return Pattern{}, false
	}
	// Trailing spaces are dropped unless escaped with a backslash.
	end := len(line)
	for end > 0 && line[end-1] == ' ' {
		if end >= 2 && line[end-2] == '\\' {
			break
		}
		end--
	}
	line = line[:end]
	p := Pattern{base: base}
	if strings.HasPrefix(line, "!") {
		p.negate = true
		line = line[1:]
	}
	if strings.HasSuffix(line, "/") {
		p.dirOnly = true
		line = strings.TrimRight(line, "/")
	}
	if line == "" {
		return Pattern{}, false
	}
	if strings.Contains(line, "/") {
		p.anchored = true
		line = strings.TrimPrefix(line, "/")
	}
	p.glob = compileGlob(line)
	return p, true
}

// match reports whether the pattern matches path (worktree-relative).
func (p *Pattern) match(path string, isDir bool) bool {
	if p.dirOnly && !isDir {
		return false
	}
	if !strings.HasPrefix(path, p.base) {
		return false
	}
	rel := path[len(p.base):]
	if !p.anchored {
		if i := strings.LastIndexByte(rel, '/'); i >= 0 {
			rel = rel[i+1:]
		}
	}
	return p.glob.match(rel)
}

// List is the ordered set of patterns in effect for a directory, lowest
// priority first (core.excludesFile, info/exclude, then .gitignore files
// from the root down). The last matching pattern decides.
type List []Pattern

// Ignored reports whether path (worktree-relative, slash-separated, without
// a trailing slash) is ignored by the patterns of l. It does not look at
// the path's parent directories: git never looks inside an ignored
// directory, so callers stop descending where a directory is ignored.
func (l List) Ignored(path string, isDir bool) bool {
	ignored, _ := l.Decide(path, isDir)
	return ignored
}

// Decide is Ignored that also reports whether any pattern matched path:
// when none did, the caller may ask again about the parent directory, as
// git does with sparse-checkout patterns.
func (l List) Decide(path string, isDir bool) (ignored, matched bool) {
	for i := len(l) - 1; i >= 0; i-- {
		if l[i].match(path, isDir) {
			return !l[i].negate, true
		}
	}
	return false, false
}

// With returns the list extended by more patterns, of higher priority,
// without touching l.
func (l List) With(more []Pattern) List {
	if len(more) == 0 {
		return l
	}
	out := make(List, 0, len(l)+len(more))
	return append(append(out, l...), more...)
}
