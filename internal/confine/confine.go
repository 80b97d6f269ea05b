// Package confine gives read access to the files of one project folder and
// to nothing outside it.
//
// A Root is opened on the project folder. Every path it is given comes from
// outside (a URL query): it is checked, cleaned and resolved component by
// component inside the folder before anything is opened. Symbolic links are
// followed only while they stay inside; a link that leads out is refused
// without looking at its target, so the answer for an outside target is the
// same whether that target exists or not. Files are then opened through
// an os.Root, which refuses escapes by itself should the tree change between
// the check and the open.
//
// Every error that concerns the path itself is a *PathError wrapping one of
// the sentinel errors below.
package confine

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Sentinel errors, checked with errors.Is.
var (
	// ErrInvalidPath: the path is malformed (absolute, NUL byte, backslash,
	// still percent-encoded, not UTF-8, too long, symbolic link loop).
	ErrInvalidPath = errors.New("invalid path")
	// ErrOutside: the path, or a symbolic link on the way, leads outside
	// the project folder.
	ErrOutside = errors.New("path leads outside the project")
	// ErrNotFound: nothing exists at the path inside the project.
	ErrNotFound = errors.New("no such file or folder")
	// ErrNotDir: a folder was expected and the path names something else.
	ErrNotDir = errors.New("not a folder")
	// ErrNotFile: a regular file was expected and the path names something
	// else (a folder, a device, a pipe, a socket).
	ErrNotFile = errors.New("not a regular file")
	// ErrTooLarge: the file is over the read limit.
	ErrTooLarge = errors.New("file too large")
	// ErrDenied: the operating system refused access.
	ErrDenied = errors.New("permission denied")
)

// PathError describes why a path was refused or could not be used.
type PathError struct {
	Path   string // the path as the caller gave it
	Reason string // what is wrong, in words a user understands
	Err    error  // one of the sentinel errors of this package
	Cause  error  // the underlying operating system error, if any
}

// maxShownPath bounds how much of a path an error message repeats.
const maxShownPath = 120

// Error returns the path (shortened when long) and the reason.
func (e *PathError) Error() string {
	return fmt.Sprintf("path %q: %s", e.ShortPath(), e.Reason)
}

// ShortPath returns Path, cut short when it is too long to repeat in a
// message.
func (e *PathError) ShortPath() string {
	if len(e.Path) > maxShownPath {
		return e.Path[:maxShownPath] + "..."
	}
	return e.Path
}

// Unwrap returns the sentinel error and the cause.
func (e *PathError) Unwrap() []error {
	if e.Cause == nil {
		return []error{e.Err}
	}
	return []error{e.Err, e.Cause}
}

// Root is an open project folder. It is safe for concurrent use.
type Root struct {
	dir  string   // the folder as given, absolute and clean
	real string   // the folder with its symbolic links resolved
	root *os.Root // opened on real
	// top is opened on the git worktree that holds the folder (the folder
	// itself when Open was used); only git's ignore files are read through
	// it. base is the folder's path inside top, split ("" for top itself).
	top  *os.Root
	base []string
}

// Open opens the project folder dir for confined access. The folder itself
// is trusted: symbolic links in dir are resolved once, here.
func Open(dir string) (*Root, error) {
	return OpenIn(dir, dir)
}

// OpenIn opens the project folder dir, which is worktree or a folder below
// it, for confined access, as Open does: paths are relative to dir and may
// not lead out of it. Only git's ignore files (.git/info/exclude and the
// .gitignore files from worktree down) are read above dir, to tell what
// git ignores as git would.
func OpenIn(dir, worktree string) (*Root, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("confine: project folder %q: %w", dir, err)
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return nil, fmt.Errorf("confine: project folder %q: %w", dir, err)
	}
	top, err := filepath.EvalSymlinks(worktree)
	if err != nil {
		return nil, fmt.Errorf("confine: worktree %q: %w", worktree, err)
	}
	rel, err := filepath.Rel(top, real)
	if err != nil || !filepath.IsLocal(rel) {
		return nil, fmt.Errorf("confine: project folder %q is not inside the worktree %q", dir, worktree)
	}
	root, err := os.OpenRoot(real)
	if err != nil {
		return nil, fmt.Errorf("confine: project folder %q: %w", dir, err)
	}
	r := &Root{dir: abs, real: real, root: root, top: root, base: split(filepath.ToSlash(rel))}
	if len(r.base) > 0 {
		if r.top, err = os.OpenRoot(top); err != nil {
			root.Close()
			return nil, fmt.Errorf("confine: worktree %q: %w", worktree, err)
		}
	}
	return r, nil
}

// Dir returns the project folder with its symbolic links resolved.
func (r *Root) Dir() string { return r.real }

// Close releases the folder.
func (r *Root) Close() error {
	if r.top != r.root {
		r.top.Close()
	}
	return r.root.Close()
}
