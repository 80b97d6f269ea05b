package portal

import (
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/opencode-portal/portal/internal/lifecycle"
)

// DefaultMaxInstances is how many instances may run at once when
// Config.MaxInstances is zero. Each OpenCode takes some 340 MB.
const DefaultMaxInstances = 16

// systemFolders are refused, with everything below them, unless
// Config.AllowedRoots allows them: an agent working there could read or
// change the system's configuration, programs and secrets.
func systemFolders() []string {
	return []string{
		"/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/libx32",
		"/proc", "/root", "/run", "/sbin", "/sys", "/usr", "/var",
	}
}

// sharedFolders are refused themselves (their subfolders are allowed)
// unless Config.AllowedRoots allows them: they hold much more than one
// project.
func sharedFolders() []string { return []string{"/", "/home", "/tmp", "/Users"} }

// within reports whether dir is root or below it.
func within(dir, root string) bool {
	rel, err := filepath.Rel(root, dir)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, "../")
}

// resolveRoots checks that each allowed root is an existing folder given by
// an absolute path, and returns them resolved.
func resolveRoots(roots []string) ([]string, error) {
	var out []string
	for _, root := range roots {
		if !filepath.IsAbs(root) {
			return nil, Errorf(EINVALID, "Allowed root %q is not an absolute path; give the absolute path of a folder", root)
		}
		r, err := filepath.EvalSymlinks(root)
		if err != nil {
			return nil, Errorf(EINVALID, "Allowed root %s can not be used: %v; give an existing folder", root, err)
		}
		if fi, err := os.Stat(r); err != nil || !fi.IsDir() {
			return nil, Errorf(EINVALID, "Allowed root %s is not a folder; give an existing folder", root)
		}
		out = append(out, r)
	}
	return out, nil
}

// checkFolder says whether an instance may work in dir, a resolved
// absolute path. With Config.AllowedRoots, only those folders and those
// below them are allowed. Without, any folder is but the system folders and
// what is below them, and the filesystem root, /home, /tmp and the user's
// home folder themselves. The folders that hold the registry file are
// always refused: it holds every instance's OpenCode password.
func (p *Portal) checkFolder(dir string) error {
	const how = "allow it with Config.AllowedRoots (portal serve --root DIR)"
	if len(p.cfg.AllowedRoots) > 0 {
		if !slices.ContainsFunc(p.cfg.AllowedRoots, func(root string) bool { return within(dir, root) }) {
			return Errorf(EFORBIDDEN, "Folder %s is outside the folders instances may use (%s); use a folder below them, or %s", dir, strings.Join(p.cfg.AllowedRoots, ", "), how)
		}
	} else if slices.ContainsFunc(systemFolders(), func(sys string) bool { return within(dir, sys) }) {
		return Errorf(EFORBIDDEN, "Folder %s is a system folder, where an agent could change the system; use a project folder, or %s", dir, how)
	} else if home, err := os.UserHomeDir(); err == nil && lifecycle.ResolveDir(home) == dir || slices.Contains(sharedFolders(), dir) {
		return Errorf(EFORBIDDEN, "Folder %s holds much more than one project; use a project folder below it, or %s", dir, how)
	}
	for reg := lifecycle.ResolveDir(filepath.Dir(p.cfg.RegistryPath)); ; reg = filepath.Dir(reg) {
		if reg == dir {
			return Errorf(EFORBIDDEN, "Folder %s may not hold an instance: it holds the instance registry %s, with every instance's password; use a project folder that does not contain it", dir, p.cfg.RegistryPath)
		}
		if reg == filepath.Dir(reg) {
			break
		}
	}
	return nil
}
