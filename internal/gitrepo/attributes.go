package gitrepo

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/opencode-portal/portal/internal/gitignore"
)

// attrState is what a gitattributes line says of one attribute.
type attrState uint8

const (
	attrUnspecified attrState = iota // "!name", or no line names it
	attrSet                          // "name"
	attrUnset                        // "-name"
	attrValue                        // "name=value"
)

// attr is the state of one attribute for a path.
type attr struct {
	state attrState
	value string // for attrValue
}

// String is the attribute as `git check-attr` prints it.
func (a attr) String() string {
	switch a.state {
	case attrSet:
		return "set"
	case attrUnset:
		return "unset"
	case attrValue:
		return a.value
	}
	return "unspecified"
}

// attrAssign is one "name", "-name", "!name" or "name=value" of a line.
type attrAssign struct {
	name string
	val  attr
}

// attrRule is one line of an attributes file: a pattern, or the name of a
// macro for an "[attr]name" line, and the attributes it assigns.
type attrRule struct {
	macro   string // the macro defined by the line; "" for a pattern line
	base    string // directory of the file holding the line: "" or "dir/"
	glob    gitignore.Glob
	nodir   bool // the pattern has no "/": it matches the base name at any depth
	mustDir bool // the pattern ends in "/": it matches directories only
	assigns []attrAssign
}

// maxAttrLine is the longest attributes line git reads (ATTR_MAX_LINE_LENGTH).
const maxAttrLine = 2048

// attrBlank separates the fields of an attributes line, as in git.
const attrBlank = " \t\r\n"

// parseAttrs parses an attributes file located in directory base ("" or
// "dir/"). macrosOK allows "[attr]" lines, which git honours only outside
// nested .gitattributes files. Lines git rejects (invalid attribute names,
// negative patterns, over-long lines) give no rule, as in git.
func parseAttrs(data []byte, base string, macrosOK bool) []attrRule {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	var out []attrRule
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		if r, ok := parseAttrLine(string(line), base, macrosOK); ok {
			out = append(out, r)
		}
	}
	return out
}

func parseAttrLine(line, base string, macrosOK bool) (attrRule, bool) {
	if i := strings.IndexByte(line, 0); i >= 0 {
		line = line[:i] // git reads each line as a C string
	}
	if len(line) >= maxAttrLine {
		return attrRule{}, false
	}
	cp := strings.TrimLeft(line, attrBlank)
	if cp == "" || cp[0] == '#' {
		return attrRule{}, false
	}
	var name, states string
	quoted := false
	if cp[0] == '"' {
		name, states, quoted = unquoteC(cp)
	}
	if !quoted {
		n := strings.IndexAny(cp, attrBlank)
		if n < 0 {
			n = len(cp)
		}
		name, states = cp[:n], cp[n:]
	}
	rule := attrRule{base: base}
	const macroPrefix = "[attr]"
	if len(name) > len(macroPrefix) && strings.HasPrefix(name, macroPrefix) {
		if !macrosOK {
			return attrRule{}, false
		}
		rule.macro = name[len(macroPrefix):]
		if n := strings.IndexAny(rule.macro, attrBlank); n >= 0 {
			rule.macro = rule.macro[:n]
		}
		if !validAttrName(rule.macro) {
			return attrRule{}, false
		}
	}
	states = strings.TrimLeft(states, attrBlank)
	for states != "" {
		tok := states
		if n := strings.IndexAny(states, attrBlank); n >= 0 {
			tok, states = states[:n], strings.TrimLeft(states[n:], attrBlank)
		} else {
			states = ""
		}
		a, ok := parseAttrAssign(tok)
		if !ok {
			return attrRule{}, false // git drops the whole line
		}
		rule.assigns = append(rule.assigns, a)
	}
	if rule.macro != "" {
		return rule, true
	}
	pattern := name
	if strings.HasPrefix(pattern, "!") {
		return attrRule{}, false // negative patterns are ignored in attributes files
	}
	if strings.HasSuffix(pattern, "/") {
		rule.mustDir = true
		pattern = pattern[:len(pattern)-1]
	}
	rule.nodir = !strings.Contains(pattern, "/")
	pattern = strings.TrimPrefix(pattern, "/")
	rule.glob = gitignore.CompileGlob(pattern)
	return rule, true
}

// parseAttrAssign parses one attribute of a line.
func parseAttrAssign(tok string) (attrAssign, bool) {
	var a attrAssign
	name, value, hasValue := strings.Cut(tok, "=")
	switch {
	case strings.HasPrefix(tok, "-"):
		a.name, a.val = name[1:], attr{state: attrUnset}
	case strings.HasPrefix(tok, "!"):
		a.name, a.val = name[1:], attr{state: attrUnspecified}
	case hasValue:
		a.name, a.val = name, attr{state: attrValue, value: value}
	default:
		a.name, a.val = name, attr{state: attrSet}
	}
	return a, validAttrName(a.name)
}

// validAttrName reports whether git accepts name as an attribute name:
// letters, digits, "-", "." and "_", not starting with "-".
func validAttrName(name string) bool {
	if name == "" || name[0] == '-' {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c == '-' || c == '.' || c == '_' || isAlnum(c)) {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// unquoteC reads a C-quoted pattern at the start of s, as git's
// unquote_c_style; ok is false when s does not hold a valid quoted string,
// and git then reads the pattern unquoted.
func unquoteC(s string) (name, rest string, ok bool) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"':
			return b.String(), s[i+1:], true
		case '\\':
			i++
			if i >= len(s) {
				return "", "", false
			}
			switch e := s[i]; e {
			case 'a':
				b.WriteByte('\a')
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case 'v':
				b.WriteByte('\v')
			case '\\', '"':
				b.WriteByte(e)
			case '0', '1', '2', '3':
				if i+2 >= len(s) || s[i+1] < '0' || s[i+1] > '7' || s[i+2] < '0' || s[i+2] > '7' {
					return "", "", false
				}
				b.WriteByte((e-'0')<<6 | (s[i+1]-'0')<<3 | (s[i+2] - '0'))
				i += 2
			default:
				return "", "", false
			}
		default:
			b.WriteByte(c)
		}
	}
	return "", "", false
}

// matches reports whether a pattern rule applies to the file path
// (worktree-relative), as git's path_matches for a path that is not a
// directory.
func (r *attrRule) matches(path string) bool {
	if r.mustDir || !strings.HasPrefix(path, r.base) {
		return false
	}
	rel := path[len(r.base):]
	if r.nodir {
		rel = rel[strings.LastIndexByte(rel, '/')+1:]
	}
	return r.glob.Match(rel)
}

// builtinAttrs are the attributes git defines itself.
var builtinAttrs = parseAttrs([]byte("[attr]binary -diff -merge -text\n"), "", true)

// attributes answers gitattributes lookups for one operation. It is the one
// place the package reads attributes: .gitattributes files at every level
// of the worktree (a file missing from the worktree is read from the index,
// or the index is read first when checking files out, as git does),
// $GIT_DIR/info/attributes (of the common directory), core.attributesFile
// (by default $XDG_CONFIG_HOME/git/attributes) and the system file, with
// "[attr]" macros and the built-in "binary" macro. Files are read once per
// operation, on first use; make a new one for each operation.
type attributes struct {
	dir        string                   // worktree root
	indexFile  func(path string) []byte // a .gitattributes file's content in the index, nil if none
	indexFirst bool                     // read the index's .gitattributes before the worktree's
	outer      [][]attrRule             // builtin, system, global: lowest priority first
	info       []attrRule               // $GIT_DIR/info/attributes: the highest priority

	mu   sync.Mutex
	dirs map[string][]attrRule // per directory ("" or "a/b/") its .gitattributes rules
}

// attrFiles says where the attribute files outside the worktree are.
type attrFiles struct {
	system, global, info string // "" for none
}

// newAttributes makes the lookup of one operation.
func newAttributes(dir string, files attrFiles, indexFile func(string) []byte, indexFirst bool) *attributes {
	a := &attributes{dir: dir, indexFile: indexFile, indexFirst: indexFirst, dirs: make(map[string][]attrRule)}
	a.outer = append(a.outer, builtinAttrs)
	for _, f := range []string{files.system, files.global} {
		if f == "" {
			continue
		}
		if data, err := os.ReadFile(f); err == nil {
			a.outer = append(a.outer, parseAttrs(data, "", true))
		}
	}
	if files.info != "" {
		if data, err := os.ReadFile(files.info); err == nil {
			a.info = parseAttrs(data, "", true)
		}
	}
	return a
}

// dirRules returns the rules of directory dir's .gitattributes ("" or
// "a/b/"), reading the file on first use.
func (a *attributes) dirRules(dir string) []attrRule {
	a.mu.Lock()
	defer a.mu.Unlock()
	if rules, ok := a.dirs[dir]; ok {
		return rules
	}
	name := dir + ".gitattributes"
	data := a.read(name)
	rules := parseAttrs(data, dir, dir == "")
	a.dirs[dir] = rules
	return rules
}

// read returns the content of the .gitattributes file name, from the
// worktree or the index in the operation's order.
func (a *attributes) read(name string) []byte {
	fromWorktree := func() []byte {
		full := filepath.Join(a.dir, filepath.FromSlash(name))
		fi, err := os.Lstat(full)
		if err != nil || !fi.Mode().IsRegular() {
			return nil // git does not follow a symlinked .gitattributes
		}
		data, err := os.ReadFile(full)
		if err != nil {
			return nil
		}
		if data == nil {
			data = []byte{}
		}
		return data
	}
	if a.indexFirst {
		if data := a.indexFile(name); data != nil {
			return data
		}
		return fromWorktree()
	}
	if data := fromWorktree(); data != nil {
		return data
	}
	return a.indexFile(name)
}

// stack returns the rule files in effect for path, highest priority first.
func (a *attributes) stack(path string) [][]attrRule {
	out := [][]attrRule{a.info}
	var dirs []string
	for i := strings.LastIndexByte(path, '/'); i >= 0; i = strings.LastIndexByte(path[:i], '/') {
		dirs = append(dirs, path[:i+1])
	}
	for _, d := range dirs {
		out = append(out, a.dirRules(d))
	}
	out = append(out, a.dirRules(""))
	for i := len(a.outer) - 1; i >= 0; i-- {
		out = append(out, a.outer[i])
	}
	return out
}

// all returns every attribute decided for the file path, as `git
// check-attr -a` lists them plus those explicitly unspecified with "!".
func (a *attributes) all(path string) map[string]attr {
	stack := a.stack(path)
	macros := map[string]*attrRule{}
	for _, rules := range stack {
		for i := len(rules) - 1; i >= 0; i-- {
			if m := rules[i].macro; m != "" && macros[m] == nil {
				macros[m] = &rules[i]
			}
		}
	}
	out := map[string]attr{}
	var fill func(r *attrRule)
	fill = func(r *attrRule) {
		for i := len(r.assigns) - 1; i >= 0; i-- {
			as := r.assigns[i]
			if _, done := out[as.name]; done {
				continue
			}
			out[as.name] = as.val
			if m := macros[as.name]; m != nil && as.val.state == attrSet {
				fill(m)
			}
		}
	}
	for _, rules := range stack {
		for i := len(rules) - 1; i >= 0; i-- {
			if rules[i].macro == "" && rules[i].matches(path) {
				fill(&rules[i])
			}
		}
	}
	return out
}

// get returns one attribute of the file path.
func (a *attributes) get(path, name string) attr { return a.all(path)[name] }

// attributesFor makes the attribute lookup of one operation. indexFile
// returns a file's content in the index (nil when absent); indexFirst is
// set for writes to the worktree (checkout, discard).
func (r *Repo) attributesFor(cfg layeredConfig, indexFile func(path string) []byte, indexFirst bool) *attributes {
	files := attrFiles{info: filepath.Join(r.commonDir(), "info", "attributes")}
	if os.Getenv("GIT_ATTR_NOSYSTEM") == "" {
		files.system = "/etc/gitattributes"
	}
	if f := cfg.get("core", "attributesfile"); f != "" {
		files.global = expandHome(f)
	} else {
		files.global = xdgConfigFile("attributes")
	}
	return newAttributes(r.dir, files, indexFile, indexFirst)
}
