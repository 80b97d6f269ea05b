package gitrepo

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/opencode-portal/portal/internal/gitrepo/xdiff"
)

// patchStyle is the configuration that shapes the hunks of `git diff`.
type patchStyle struct {
	hunks      xdiff.HunkStyle // diff.context and diff.interHunkContext
	quoteFully bool            // core.quotePath: quote bytes above 0x7f in names
	lines      xdiff.Options   // diff.algorithm and diff.indentHeuristic
}

// defaultPatchStyle is git's style with no configuration.
func defaultPatchStyle() *patchStyle {
	return &patchStyle{hunks: xdiff.HunkStyle{Context: 3}, quoteFully: true}
}

// loadPatchStyle reads diff.context, diff.interHunkContext,
// diff.indentHeuristic, diff.algorithm and core.quotePath.
func loadPatchStyle(cfg layeredConfig) (*patchStyle, error) {
	s := defaultPatchStyle()
	for _, v := range []struct {
		key string
		dst *int
	}{{"context", &s.hunks.Context}, {"interhunkcontext", &s.hunks.InterHunk}} {
		raw := cfg.get("diff", v.key)
		if raw == "" {
			continue
		}
		n, err := strconv.Atoi(raw)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("diff.%s=%q in the git configuration is not a number of lines; set it to 0 or more, or unset it", v.key, raw)
		}
		*v.dst = n
	}
	if raw := cfg.get("core", "quotepath"); raw != "" {
		s.quoteFully = boolOption(raw, true)
	}
	if raw := cfg.get("diff", "indentheuristic"); raw != "" {
		s.lines.NoIndentHeuristic = !boolOption(raw, true)
	}
	switch a := strings.ToLower(cfg.get("diff", "algorithm")); a {
	case "", "default", "myers":
	case "patience":
		s.lines.Patience = true
	case "minimal":
		s.lines.Minimal = true
	case "histogram":
		s.lines.Histogram = true
	default:
		return nil, fmt.Errorf("diff.algorithm=%q in the git configuration is not an algorithm git knows; set it to myers, minimal, patience or histogram", a)
	}
	return s, nil
}

// setPatchConfig gives each pair its diff drivers, by its paths' diff
// attribute, and the configured patch style.
func setPatchConfig(pairs []filePair, attrs *attributes, cfg layeredConfig) error {
	style, err := loadPatchStyle(cfg)
	if err != nil {
		return err
	}
	drivers := newDiffDrivers(cfg)
	for i := range pairs {
		p := &pairs[i]
		p.style = style
		for _, s := range []*fileSide{&p.old, &p.new} {
			path := s.path
			if path == "" {
				path = p.sortPath()
			}
			a := attrs.get(path, "diff")
			drv, err := drivers.lookup(a.value, a.state == attrSet, a.state == attrUnset)
			if err != nil {
				return err
			}
			s.drv = drv
		}
	}
	return nil
}
