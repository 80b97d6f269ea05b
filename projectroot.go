package portal

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// An instance's project root is found on the local disk, from its
// registered folder, the way git finds a worktree: the files and git APIs
// answer when its OpenCode is stopped, hung or busy, and never ask it.

// instanceProject is where an instance works.
type instanceProject struct {
	// dir is the instance's registered folder, symbolic links resolved.
	dir string
	// worktree is the top of the git worktree that holds dir; empty
	// outside git.
	worktree string
}

// root is the instance's worktree, or its folder outside git: where the git
// routes work and git's ignore files are read from. The files routes are
// confined to dir.
func (pr instanceProject) root() string {
	if pr.worktree != "" {
		return pr.worktree
	}
	return pr.dir
}

// project finds the project of the registered instance on port.
func (p *Portal) project(ctx context.Context, port int) (instanceProject, error) {
	e, err := p.entryByPort(port)
	if err != nil {
		return instanceProject{}, err
	}
	if err := ctx.Err(); err != nil {
		return instanceProject{}, err
	}
	dir, err := filepath.EvalSymlinks(e.Directory)
	if err == nil && !filepath.IsAbs(dir) {
		err = errors.New("the registered folder is not an absolute path")
	}
	if err != nil {
		return instanceProject{}, &Error{Code: ENOTFOUND, Err: err, Message: fmt.Sprintf(
			"The project folder %s of the instance on port %d cannot be opened; was it moved or deleted? Restart the instance in an existing folder", e.Directory, port)}
	}
	return instanceProject{dir: dir, worktree: findWorktree(dir)}, nil
}

// findWorktree returns the top of the git worktree that holds dir (an
// absolute path without symbolic links), or "" when dir is not in one. Like
// git, it walks up from dir to the first folder with a .git entry that is a
// repository: a folder (a main worktree) or a "gitdir:" file (a linked
// worktree or a submodule). A .git folder that is not a repository is
// passed over, as git does; a .git file that does not lead to one ends the
// search, as git stops there with an error.
func findWorktree(dir string) string {
	for {
		dot := filepath.Join(dir, ".git")
		if fi, err := os.Stat(dot); err == nil {
			if fi.IsDir() {
				if isGitDir(dot) {
					return dir
				}
			} else {
				if gd, ok := readGitFile(dot); ok && isGitDir(gd) {
					return dir
				}
				return ""
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// readGitFile reads the "gitdir: PATH" line of a .git file; a relative PATH
// is relative to the file's folder.
func readGitFile(name string) (string, bool) {
	data, err := os.ReadFile(name)
	if err != nil {
		return "", false
	}
	line, _, _ := strings.Cut(string(data), "\n")
	gd, ok := strings.CutPrefix(strings.TrimRight(line, "\r"), "gitdir: ")
	if !ok || gd == "" {
		return "", false
	}
	if !filepath.IsAbs(gd) {
		gd = filepath.Join(filepath.Dir(name), gd)
	}
	return gd, true
}

// isGitDir tells whether dir looks like a git directory as git checks it
// (is_git_directory): a HEAD file, and objects and refs folders, in dir or
// in the common directory its "commondir" file names (a linked worktree's).
func isGitDir(dir string) bool {
	if fi, err := os.Stat(filepath.Join(dir, "HEAD")); err != nil || fi.IsDir() {
		return false
	}
	common := dir
	if data, err := os.ReadFile(filepath.Join(dir, "commondir")); err == nil {
		c := strings.TrimRight(string(data), "\r\n")
		if !filepath.IsAbs(c) {
			c = filepath.Join(dir, c)
		}
		common = c
	} else if !errors.Is(err, fs.ErrNotExist) {
		return false
	}
	for _, sub := range []string{"objects", "refs"} {
		if fi, err := os.Stat(filepath.Join(common, sub)); err != nil || !fi.IsDir() {
			return false
		}
	}
	return true
}

// Worktree returns the absolute path of the git worktree the instance on
// port works in, found on disk from its registered folder (OpenCode is not
// asked). It is an ENOTFOUND error when the folder is not in a git
// worktree.
func (p *Portal) Worktree(ctx context.Context, port int) (string, error) {
	pr, err := p.project(ctx, port)
	if err != nil {
		return "", err
	}
	if pr.worktree == "" {
		return "", Errorf(ENOTFOUND, "No project worktree found: the folder %s of the instance on port %d is not in a git repository", pr.dir, port)
	}
	return pr.worktree, nil
}
