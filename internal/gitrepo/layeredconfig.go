package gitrepo

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	format "github.com/go-git/go-git/v5/plumbing/format/config"
)

// layeredConfig is the configuration git sees in a repository: the
// repository's own file over the user's global one (system files are not
// read).
type layeredConfig []*format.Config // highest priority first

// loadConfig reads the repository's configuration in effect in the
// worktree (config.worktree over the common config) and the user's; a
// global file that cannot be read is left out.
func loadConfig(g *git.Repository) layeredConfig {
	l := layeredConfig{effectiveConfig(g).Raw}
	if cfg, err := config.LoadConfig(config.GlobalScope); err == nil {
		l = append(l, cfg.Raw)
	}
	return l
}

// get returns the value of section.key ("" when unset), from the highest
// priority file that sets it.
func (l layeredConfig) get(section, key string) string {
	for _, c := range l {
		if s := c.Section(section); s.HasOption(key) {
			return s.Option(key)
		}
	}
	return ""
}

// subsections returns the names of the subsections of section set in any
// file.
func (l layeredConfig) subsections(section string) map[string]bool {
	out := map[string]bool{}
	for _, c := range l {
		for _, ss := range c.Section(section).Subsections {
			if len(ss.Options) > 0 {
				out[ss.Name] = true
			}
		}
	}
	return out
}

// expandHome resolves a leading "~/" in a path taken from the config.
func expandHome(p string) string {
	if rest, ok := strings.CutPrefix(p, "~/"); ok {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, rest)
		}
	}
	return p
}

// xdgConfigFile is the path of a file of git's under $XDG_CONFIG_HOME/git
// (by default ~/.config/git); "" when neither is known.
func xdgConfigFile(name string) string {
	xdg := os.Getenv("XDG_CONFIG_HOME")
	if xdg == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return ""
		}
		xdg = filepath.Join(home, ".config")
	}
	return filepath.Join(xdg, "git", name)
}
