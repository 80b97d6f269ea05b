package gitrepo

import (
	"fmt"
	"strings"
)

// CheckBranchName checks a branch name as `git check-ref-format --branch`
// does outside a repository, so that the portal never makes a ref git then
// refuses or warns about. It returns nil, or an error wrapping
// ErrInvalidBranchName that names the rule the name breaks.
//
// One rule is the portal's own: git accepts "@" as a branch name
// (refs/heads/@), but "@" alone means HEAD in every git revision, so such
// a branch could never be named unambiguously.
func CheckBranchName(name string) error {
	if rule := branchNameRule(name); rule != "" {
		return fmt.Errorf("%w %q: %s", ErrInvalidBranchName, name, rule)
	}
	return nil
}

// branchNameRule returns the rule name breaks, or "" for a valid branch name.
func branchNameRule(name string) string {
	switch {
	case name == "":
		return "it is empty"
	case name[0] == '-':
		return "it starts with '-'"
	case name == "HEAD":
		return "HEAD is not a branch name"
	case name == "@":
		return "'@' alone means HEAD"
	}
	return refFormatRule("refs/heads/" + name)
}

// checkRemoteName checks a remote's name as git does (valid_remote_name):
// refs/remotes/<name>/<branch> must be a valid ref name.
func checkRemoteName(name string) error {
	if rule := refFormatRule("refs/remotes/" + name + "/x"); rule != "" {
		return fmt.Errorf("%w %q: %s", ErrInvalidRemoteName, name, rule)
	}
	return nil
}

// checkRevision checks a revision given to Log: a ref name or commit id
// (one level allowed, as "main", "HEAD" or "v1.0") followed by any number of
// ~N and ^N steps. Anything else, for example "-x", "a..b", "main:path" or
// a name that climbs with "..", is refused before the repository's refs are
// looked up.
func checkRevision(rev string) error {
	name := rev
	if i := strings.IndexAny(rev, "~^"); i >= 0 {
		name = rev[:i]
		if rule := revisionStepsRule(rev[i:]); rule != "" {
			return fmt.Errorf("%w %q: %s", ErrInvalidRevision, rev, rule)
		}
	}
	rule := ""
	switch {
	case name == "":
		rule = "it names no ref or commit before ~ or ^"
	case name[0] == '-':
		rule = "it starts with '-'"
	default:
		rule = refFormatRule(name)
	}
	if rule != "" {
		return fmt.Errorf("%w %q: %s", ErrInvalidRevision, rev, rule)
	}
	return nil
}

// revisionStepsRule returns what is wrong with s, a run of ~N and ^N steps
// (N optional), or "".
func revisionStepsRule(s string) string {
	for s != "" {
		if s[0] != '~' && s[0] != '^' {
			return fmt.Sprintf("%q after ~ or ^ is not a number", s)
		}
		s = strings.TrimLeft(s[1:], "0123456789")
	}
	return ""
}

// refFormatRule returns the rule of git's check_refname_format (with no
// flags but one-level names allowed) that ref breaks, or "" when it is a
// valid ref name.
func refFormatRule(ref string) string {
	if ref == "@" {
		return "'@' alone is not a ref name"
	}
	for comp := range strings.SplitSeq(ref, "/") {
		if rule := componentRule(comp); rule != "" {
			return rule
		}
	}
	if strings.HasSuffix(ref, ".") {
		return "it ends with '.'"
	}
	return ""
}

// componentRule checks one slash-separated component of a ref name.
func componentRule(comp string) string {
	var last byte
	for i := 0; i < len(comp); i++ {
		c := comp[i]
		switch {
		case c < 0x20 || c == 0x7f:
			return "it holds a control character"
		case strings.IndexByte(" ~^:?*[\\", c) >= 0:
			return fmt.Sprintf("it holds %q, which git refuses in ref names", c)
		case c == '.' && last == '.':
			return `it holds ".."`
		case c == '{' && last == '@':
			return `it holds "@{"`
		}
		last = c
	}
	switch {
	case comp == "":
		return "it has an empty part (a leading or trailing '/', or '//')"
	case comp[0] == '.':
		return "a part starts with '.'"
	case strings.HasSuffix(comp, ".lock"):
		return `a part ends with ".lock"`
	}
	return ""
}
