package confine

import (
	"bytes"
	"io"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/format/gitignore"
)

// maxIgnoreFile bounds how much of one .gitignore or exclude file is read.
const maxIgnoreFile = 1 << 20

// ignorer returns a function that tells whether git ignores a name in the
// resolved folder dir. It reads .git/info/exclude and the .gitignore files
// from the root down to dir, as git does; the user's global excludes file is
// outside the project and is not read. A folder under an ignored folder has
// all its entries ignored, whatever deeper files say (git never looks
// inside an ignored folder). The .git folder itself, at any depth, and
// everything in it, count as ignored: git never tracks them.
func (r *Root) ignorer(dir []string) func(name string, isDir bool) bool {
	all := func(string, bool) bool { return true }
	if len(dir) > 0 && dir[0] == ".git" {
		return all
	}
	ps := r.patterns(".git/info/exclude", nil)
	for i := 0; i <= len(dir); i++ {
		if i > 0 {
			if dir[i-1] == ".git" || gitignore.NewMatcher(ps).Match(dir[:i], true) {
				return all
			}
		}
		file := strings.Join(append(dir[:i:i], ".gitignore"), "/")
		ps = append(ps, r.patterns(file, dir[:i])...)
	}
	m := gitignore.NewMatcher(ps)
	p := append(dir[:len(dir):len(dir)], "")
	return func(name string, isDir bool) bool {
		p[len(p)-1] = name
		return name == ".git" || m.Match(p, isDir)
	}
}

// patterns reads the ignore file at the resolved path file, whose patterns
// apply below the folder domain. A missing or unreadable file has none.
func (r *Root) patterns(file string, domain []string) []gitignore.Pattern {
	f, fi, err := r.openResolved(file)
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
	var ps []gitignore.Pattern
	for line := range bytes.Lines(data) {
		s := strings.TrimRight(string(line), "\r\n")
		if strings.HasPrefix(s, "#") || strings.TrimSpace(s) == "" {
			continue
		}
		if strings.HasSuffix(strings.TrimRight(s, " "), "/**") {
			// go-git matches "dir/**" against dir itself; git only against
			// what is inside, which "dir/*" says to go-git.
			s = strings.TrimRight(s, " ")
			s = s[:len(s)-1]
		}
		ps = append(ps, gitignore.ParsePattern(s, domain))
	}
	return ps
}
