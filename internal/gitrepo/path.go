package gitrepo

import (
	"fmt"
	"strings"
)

// maxPathLen bounds the length of a path accepted from a caller.
const maxPathLen = 4096

// CleanPath validates a worktree-relative path given by a caller and returns
// it in git's form ("a/b", "" for the worktree root). It rejects absolute
// paths, ".." components, NUL bytes, paths inside .git and over-long paths
// with ErrPathOutside.
func CleanPath(p string) (string, error) {
	if len(p) > maxPathLen {
		return "", fmt.Errorf("%w: path longer than %d bytes", ErrPathOutside, maxPathLen)
	}
	if strings.IndexByte(p, 0) >= 0 {
		return "", fmt.Errorf("%w: path %q contains a NUL byte", ErrPathOutside, p)
	}
	if strings.HasPrefix(p, "/") {
		return "", fmt.Errorf("%w: %q is absolute; give a path relative to the worktree", ErrPathOutside, p)
	}
	parts := strings.Split(p, "/")
	out := parts[:0]
	for _, part := range parts {
		switch part {
		case "", ".":
			continue
		case "..":
			return "", fmt.Errorf("%w: %q leaves the worktree", ErrPathOutside, p)
		}
		if strings.EqualFold(part, ".git") {
			return "", fmt.Errorf("%w: %q is inside .git", ErrPathOutside, p)
		}
		out = append(out, part)
	}
	return strings.Join(out, "/"), nil
}
