package confine

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"path/filepath"
	"strings"
	"syscall"
	"unicode/utf8"
)

// Limits on the paths a Root accepts.
const (
	MaxPathLen = 4096 // bytes in a path, like Linux's PATH_MAX
	MaxNameLen = 255  // bytes in one name, like Linux's NAME_MAX
	MaxLinks   = 40   // symbolic links followed for one path, like Linux
	maxDecodes = 3    // rounds of percent-decoding inspected by check
)

// Resolve checks name, a slash-separated path relative to the project
// folder, and returns the absolute path of what it names, with every
// symbolic link resolved. "" and "." name the folder itself; ".." is resolved
// on the path as written (so "a/../b" is "b") and may not climb above the
// folder. Only existing paths resolve.
func (r *Root) Resolve(name string) (string, error) {
	_, real, _, err := r.resolve(name)
	if err != nil {
		return "", err
	}
	return filepath.Join(r.real, filepath.FromSlash(real)), nil
}

// resolve returns name cleaned (the path as the caller sees it), real, the
// same place inside the root with every symbolic link resolved (both
// slash-separated, "." for the root itself), and what Lstat says of real.
func (r *Root) resolve(name string) (clean, real string, fi fs.FileInfo, err error) {
	if err := check(name); err != nil {
		return "", "", nil, err
	}
	clean = path.Clean(name)
	if clean == ".." || strings.HasPrefix(clean, "../") {
		return "", "", nil, &PathError{Path: name, Err: ErrOutside,
			Reason: `climbs out of the project folder with ".."`}
	}
	pending := split(clean)
	var done []string // resolved components: none is a symbolic link
	links := 0
	for len(pending) > 0 {
		part := pending[0]
		pending = pending[1:]
		cur := strings.Join(append(done, part), "/")
		fi, err = r.root.Lstat(cur)
		if err != nil {
			return "", "", nil, osError(name, err)
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			links++
			if links > MaxLinks {
				return "", "", nil, &PathError{Path: name, Err: ErrInvalidPath,
					Reason: fmt.Sprintf("goes through more than %d symbolic links (a loop?)", MaxLinks)}
			}
			target, err := r.root.Readlink(cur)
			if err != nil {
				return "", "", nil, osError(name, err)
			}
			inside, ok := r.within(target, done)
			if !ok {
				return "", "", nil, &PathError{Path: name, Err: ErrOutside,
					Reason: fmt.Sprintf("the symbolic link %q leads outside the project folder", cur)}
			}
			pending = append(split(inside), pending...)
			done = done[:0]
			continue
		}
		if len(pending) > 0 && !fi.IsDir() {
			return "", "", nil, &PathError{Path: name, Err: ErrNotFound,
				Reason: fmt.Sprintf("does not exist: %q is not a folder", cur)}
		}
		done = append(done, part)
	}
	if len(done) == 0 {
		fi, err = r.root.Lstat(".")
		if err != nil {
			return "", "", nil, osError(name, err)
		}
		return clean, ".", fi, nil
	}
	return clean, strings.Join(done, "/"), fi, nil
}

// within returns where the symbolic link target, found in the resolved
// folder dir, points inside the root, or false when it points outside. It
// works on the text of the target only: nothing outside is looked at.
func (r *Root) within(target string, dir []string) (string, bool) {
	var abs string
	if filepath.IsAbs(target) {
		abs = filepath.Clean(target)
	} else {
		abs = filepath.Join(r.real, filepath.FromSlash(strings.Join(dir, "/")), target)
	}
	for _, base := range []string{r.real, r.dir} {
		rel, err := filepath.Rel(base, abs)
		if err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return filepath.ToSlash(rel), true
		}
	}
	return "", false
}

// check refuses paths that are malformed whatever the folder holds.
func check(name string) error {
	invalid := func(reason string) error {
		return &PathError{Path: name, Err: ErrInvalidPath, Reason: reason}
	}
	switch {
	case len(name) > MaxPathLen:
		return invalid(fmt.Sprintf("is longer than %d bytes", MaxPathLen))
	case strings.IndexByte(name, 0) >= 0:
		return invalid("contains a NUL byte")
	case !utf8.ValidString(name):
		return invalid("is not valid UTF-8")
	case strings.Contains(name, `\`):
		return invalid(`contains a backslash; separate folders with "/"`)
	case strings.HasPrefix(name, "/"):
		return invalid("is absolute; give a path relative to the project folder")
	case stillEncoded(name):
		return invalid("is still percent-encoded and decodes to a path that is not allowed; encode it once")
	}
	for _, part := range strings.Split(name, "/") {
		if len(part) > MaxNameLen {
			return invalid(fmt.Sprintf("has a name longer than %d bytes", MaxNameLen))
		}
	}
	return nil
}

// stillEncoded reports whether percent-decoding name (up to maxDecodes
// times) reveals a traversal: it means the path was encoded more than once
// on its way here, which no legitimate client does.
func stillEncoded(name string) bool {
	s := name
	for range maxDecodes {
		if !strings.Contains(s, "%") {
			return false
		}
		u, err := url.PathUnescape(s)
		if err != nil || u == s {
			return false
		}
		if strings.IndexByte(u, 0) >= 0 || !utf8.ValidString(u) || strings.Contains(u, `\`) ||
			strings.HasPrefix(u, "/") || hasDotDot(u) {
			return true
		}
		s = u
	}
	return false
}

// hasDotDot reports whether a slash-separated path has a ".." component.
func hasDotDot(p string) bool {
	for _, part := range strings.Split(p, "/") {
		if part == ".." {
			return true
		}
	}
	return false
}

// split returns the components of a clean slash-separated path; none for ".".
func split(p string) []string {
	if p == "." || p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

// osError turns an operating system error met while resolving or opening
// name into a *PathError, or wraps it when it says nothing about the path.
func osError(name string, err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR):
		return &PathError{Path: name, Err: ErrNotFound, Reason: "does not exist in the project folder", Cause: err}
	case errors.Is(err, fs.ErrPermission):
		return &PathError{Path: name, Err: ErrDenied, Reason: "cannot be read: permission denied", Cause: err}
	case errors.Is(err, syscall.ENAMETOOLONG):
		return &PathError{Path: name, Err: ErrInvalidPath, Reason: "is too long", Cause: err}
	case errors.Is(err, syscall.ELOOP):
		return &PathError{Path: name, Err: ErrInvalidPath, Reason: "goes through a symbolic link loop", Cause: err}
	}
	return fmt.Errorf("confine: %q: %w", name, err)
}
