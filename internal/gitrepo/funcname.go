package gitrepo

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/opencode-portal/portal/internal/gitrepo/xdiff"
)

// diffDriver is what a path's diff attribute selects (git's userdiff).
type diffDriver struct {
	// binary is 1 when the path always diffs as binary, 0 when always as
	// text, -1 when its content decides.
	binary int8
	// funcname finds hunk header lines; nil means git's default rule.
	funcname *xdiff.Funcname
}

// The drivers of a path whose diff attribute names no driver: git's
// defaults, always text (diff) and always binary (-diff). They are shared
// and never changed.
var (
	defaultDriver = &diffDriver{binary: -1}
	textDriver    = &diffDriver{binary: 0}
	binaryDriver  = &diffDriver{binary: 1}
)

// isBinaryFor reports whether data diffs as binary under d.
func (d *diffDriver) isBinaryFor(data []byte) bool {
	if d.binary >= 0 {
		return d.binary == 1
	}
	return isBinary(data)
}

// diffDrivers resolves diff attribute values to drivers for one operation:
// git's builtin drivers, changed or extended by diff.<name>.xfuncname,
// diff.<name>.funcname and diff.<name>.binary in the configuration.
type diffDrivers struct {
	config layeredConfig
	utf8   bool // the process's locale is UTF-8, as git's regcomp sees it
	byName map[string]*diffDriver
}

func newDiffDrivers(config layeredConfig) *diffDrivers {
	return &diffDrivers{config: config, utf8: utf8Locale(), byName: make(map[string]*diffDriver)}
}

// utf8Locale reports whether setlocale(LC_CTYPE, "") in this process's
// environment picks a UTF-8 locale, as it does for git.
func utf8Locale() bool {
	v := os.Getenv("LC_ALL")
	if v == "" {
		v = os.Getenv("LC_CTYPE")
	}
	if v == "" {
		v = os.Getenv("LANG")
	}
	v = strings.ToLower(v)
	return strings.Contains(v, "utf-8") || strings.Contains(v, "utf8")
}

// lookup returns the driver for a diff attribute: set (a text file),
// unset (-diff: a binary file), a driver name, or "" when not specified.
func (d *diffDrivers) lookup(value string, set, unset bool) (*diffDriver, error) {
	switch {
	case set:
		return textDriver, nil
	case unset:
		return binaryDriver, nil
	case value == "":
		return defaultDriver, nil
	}
	if drv, ok := d.byName[value]; ok {
		return drv, nil
	}
	drv, err := d.build(value)
	if err != nil {
		return nil, err
	}
	d.byName[value] = drv
	return drv, nil
}

func (d *diffDrivers) build(name string) (*diffDriver, error) {
	pattern, icase, known := xdiff.BuiltinFuncname(name)
	extended := true
	drv := &diffDriver{binary: -1}
	// Options apply in the order git reads them: global, then repository.
	for i := len(d.config) - 1; i >= 0; i-- {
		ss := d.config[i].Section("diff")
		if !ss.HasSubsection(name) {
			continue
		}
		for _, o := range ss.Subsection(name).Options {
			switch strings.ToLower(o.Key) {
			case "xfuncname":
				pattern, icase, extended, known = o.Value, false, true, true
			case "funcname":
				pattern, icase, extended, known = o.Value, false, false, true
			case "binary":
				known = true
				switch strings.ToLower(o.Value) {
				case "auto":
					drv.binary = -1
				default:
					drv.binary = 0
					if boolOption(o.Value, true) {
						drv.binary = 1
					}
				}
			default:
				known = true
			}
		}
	}
	if !known {
		return defaultDriver, nil // git ignores a driver it does not know
	}
	if pattern == "" {
		return drv, nil
	}
	fn, err := xdiff.CompileFuncname(pattern, extended, icase, d.utf8)
	var unsupported *xdiff.UnsupportedError
	if errors.As(err, &unsupported) {
		return nil, fmt.Errorf("diff driver %q: %w: %v", name, ErrUnsupported, err)
	}
	if err != nil {
		return nil, fmt.Errorf("diff driver %q: %w", name, err)
	}
	drv.funcname = fn
	return drv, nil
}

// driver returns the side's diff driver, git's defaults when it has none.
func (s *fileSide) driver() *diffDriver {
	if s.drv == nil {
		return defaultDriver
	}
	return s.drv
}

// funcDriver is the driver whose funcname finds the pair's hunk header
// lines: the old side's if it has a pattern, else the new side's (diff.c).
func (p *filePair) funcDriver() *diffDriver {
	if p.old.driver().funcname != nil {
		return p.old.driver()
	}
	return p.new.driver()
}

// funcnamesNotRun is a check of ReadsNeedGitCLI: it finds the configured
// diff drivers whose funcname expression the package cannot run (a
// back-reference, say) and the tracked files that use them, whose hunk
// headers git must then write.
func funcnamesNotRun(p *readProbe) string {
	cfg := loadConfig(p.g)
	drivers := newDiffDrivers(cfg)
	bad := map[string]bool{}
	for name := range cfg.subsections("diff") {
		if _, err := drivers.lookup(name, false, false); err != nil {
			bad[name] = true
		}
	}
	if len(bad) == 0 {
		return ""
	}
	attrs := p.r.newConverter(p.g, p.idx, false, nil).attrs
	byDriver := map[string][]string{}
	for i := range p.idx.Entries {
		e := &p.idx.Entries[i]
		if i > 0 && p.idx.Entries[i-1].Name == e.Name {
			continue
		}
		if a := attrs.get(e.Name, "diff"); a.state == attrValue && bad[a.value] {
			byDriver[a.value] = append(byDriver[a.value], e.Name)
		}
	}
	uses := make([]string, 0, len(byDriver))
	for name, paths := range byDriver {
		uses = append(uses, "the funcname of diff driver "+name+" ("+strings.Join(firstPaths(paths), ", ")+")")
	}
	sort.Strings(uses)
	return strings.Join(uses, "; ")
}
