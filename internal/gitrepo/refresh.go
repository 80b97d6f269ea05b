package gitrepo

import (
	"os"
	"path/filepath"

	"github.com/opencode-portal/portal/internal/gitrepo/index"
)

// refreshIndex records, as `git status` does, the new stat data of entries
// whose files were found unchanged by content, so that the next scan does
// not hash them again. It is opportunistic: when another process holds the
// index lock or changed the index since it was read, nothing is written.
func refreshIndex(gitDir string, idx *index.Index, fresh []freshStat) {
	if len(fresh) == 0 || idx.ModTime.IsZero() || idx.Link != nil {
		return // a split index is left split: git refreshes it itself
	}
	commit, release, err := index.Lock(gitDir)
	if err != nil {
		return
	}
	defer release()
	fi, err := os.Stat(filepath.Join(gitDir, "index"))
	if err != nil || !fi.ModTime().Equal(idx.ModTime) || fi.Size() != idx.Size {
		return
	}
	out := *idx
	out.Entries = append([]index.Entry(nil), idx.Entries...)
	for _, f := range fresh {
		if i := out.Find(f.name); i >= 0 {
			fillStat(&out.Entries[i], &f.st)
		}
	}
	commit(&out)
}
