package confine

import (
	"io"
	"slices"

	"github.com/opencode-portal/portal/internal/gitignore"
)

// maxIgnoreFile bounds how much of one .gitignore or exclude file is read.
const maxIgnoreFile = 1 << 20

// ignorer returns a function that tells whether git ignores a name in the
// resolved folder dir. It reads .git/info/exclude and the .gitignore files
// from the worktree down to dir, as git does; the user's global excludes
// file is outside the project and is not read. A folder under an ignored
// folder has all its entries ignored, whatever deeper files say (git never
// looks inside an ignored folder). The .git folder itself, at any depth,
// and everything in it, count as ignored: git never tracks them.
func (r *Root) ignorer(dir []string) func(name string, isDir bool) bool {
	all := func(string, bool) bool { return true }
	dir = append(slices.Clip(r.base), dir...) // from the worktree
	if len(dir) > 0 && dir[0] == ".git" {
		return all
	}
	l := gitignore.List(r.patterns(".git/info/exclude", ""))
	base := "" // dir[:i] joined, with a trailing slash
	for i := 0; i <= len(dir); i++ {
		if i > 0 {
			if dir[i-1] == ".git" || l.Ignored(base+dir[i-1], true) {
				return all
			}
			base += dir[i-1] + "/"
		}
		l = l.With(r.patterns(base+".gitignore", base))
	}
	return func(name string, isDir bool) bool {
		return name == ".git" || l.Ignored(base+name, isDir)
	}
}

// patterns reads the ignore file at file, a resolved path from the
// worktree, whose patterns apply below the folder base ("" or "dir/sub/").
// A missing or unreadable file has none.
func (r *Root) patterns(file, base string) []gitignore.Pattern {
	f, fi, err := openResolved(r.top, file)
	if err != nil {
		return nil
	}
	defer f.Close()
	if !fi.Mode().IsRegular() {
		return nil
	}
	data, err := io.ReadAll(io.LimitReader(f, maxIgnoreFile))
	if err != nil {
		return nil
	}
	return gitignore.Parse(data, base)
}
