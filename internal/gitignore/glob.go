package gitignore

// Glob is a compiled git wildcard pattern, matched as git's wildmatch with
// WM_PATHNAME, for rule files that share ignore files' wildcards but not
// their other rules (gitattributes).
type Glob struct{ g glob }

// CompileGlob compiles a git wildcard pattern.
func CompileGlob(pattern string) Glob { return Glob{compileGlob(pattern)} }

// Match reports whether the glob matches all of text.
func (g Glob) Match(text string) bool { return g.g.match(text) }
