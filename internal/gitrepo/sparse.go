package gitrepo

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5"
	"golang.org/x/sys/unix"

	"github.com/opencode-portal/portal/internal/gitignore"

	"github.com/opencode-portal/portal/internal/gitrepo/index"
)

// sparseCheckout is a sparse-checkout definition (core.sparseCheckout and
// the patterns of info/sparse-checkout): which paths belong in the
// worktree. Index entries outside it carry the skip-worktree bit and have
// no file.
type sparseCheckout struct {
	// expectOutside is sparse.expectFilesOutsideOfPatterns: files present
	// outside the definition keep their skip-worktree bit.
	expectOutside bool
	// Cone mode: every file at the root, the files directly in a parents
	// directory, and everything under a recursive one ("a/b").
	cone      bool
	fullCone  bool
	recursive map[string]bool
	parents   map[string]bool
	// Non-cone mode: gitignore-style patterns; a path matched is included.
	patterns gitignore.List
}

// readSparse returns the sparse-checkout definition of the worktree, or nil
// when core.sparseCheckout is off.
func (r *Repo) readSparse(g *git.Repository) (*sparseCheckout, error) {
	cfg := loadConfig(g)
	if !boolOption(cfg.get("core", "sparsecheckout"), false) {
		return nil, nil
	}
	data, err := os.ReadFile(filepath.Join(r.gitDir, "info", "sparse-checkout"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read sparse-checkout patterns: %w", err)
	}
	sc := parseSparse(data, boolOption(cfg.get("core", "sparsecheckoutcone"), false))
	sc.expectOutside = boolOption(cfg.get("sparse", "expectfilesoutsideofpatterns"), false)
	return sc, nil
}

// parseSparse reads the patterns of info/sparse-checkout: as cone
// patterns when cone is set and they all are, else as gitignore-style
// ones.
func parseSparse(data []byte, cone bool) *sparseCheckout {
	sc := &sparseCheckout{}
	if cone {
		sc.cone = sc.parseCone(data)
	}
	if !sc.cone {
		sc.patterns = gitignore.Parse(data, "")
	}
	return sc
}

// parseCone reads cone-mode patterns as git's add_pattern_to_hashsets does
// and reports whether they are all cone patterns; git falls back to
// non-cone matching when one is not.
func (sc *sparseCheckout) parseCone(data []byte) bool {
	sc.recursive, sc.parents = map[string]bool{}, map[string]bool{}
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimRight(line, " \r")
		if line == "" || line[0] == '#' {
			continue
		}
		negative := strings.HasPrefix(line, "!")
		line = strings.TrimPrefix(line, "!")
		dirOnly := strings.HasSuffix(line, "/")
		line = strings.TrimSuffix(line, "/")
		switch {
		case negative && dirOnly && line == "/*":
			sc.fullCone = false
			continue
		case !negative && !dirOnly && line == "/*":
			sc.fullCone = true
			continue
		case len(line) < 2 || line[0] != '/' || !dirOnly || strings.Contains(line, "**"):
			return false
		}
		dir, parent := line[1:], false
		if d, ok := strings.CutSuffix(dir, "/*"); ok {
			dir, parent = d, true
		}
		if strings.ContainsAny(dir, "*?[\\") {
			return false // escaped or glob characters: left to non-cone matching
		}
		switch {
		case parent && negative && sc.recursive[dir]:
			delete(sc.recursive, dir)
			sc.parents[dir] = true
		case parent || negative || sc.parents[dir]:
			return false
		default:
			sc.recursive[dir] = true
		}
	}
	return true
}

// includes reports whether a file belongs in the worktree, as git's
// path_in_sparse_checkout decides.
func (sc *sparseCheckout) includes(path string) bool {
	if sc == nil {
		return true
	}
	if !sc.cone {
		// The file's own decision, else its nearest directory's.
		for p, isDir := path, false; p != ""; p, isDir = p[:max(strings.LastIndexByte(p, '/'), 0)], true {
			if in, decided := sc.patterns.Decide(p, isDir); decided {
				return in
			}
		}
		return false
	}
	slash := strings.LastIndexByte(path, '/')
	if sc.fullCone || slash < 0 || sc.parents[path[:slash]] {
		return true
	}
	for i := 0; i < len(path); i++ {
		if path[i] == '/' && sc.recursive[path[:i]] {
			return true
		}
	}
	return false
}

// clearPresent clears the skip-worktree bit of entries whose file is
// present in the worktree, as git 2.39 does whenever it reads the index of
// a sparse checkout (unless sparse.expectFilesOutsideOfPatterns is set), so
// that such files are compared, staged and restored like others.
func (sc *sparseCheckout) clearPresent(dir string, idx *index.Index) {
	if sc == nil || sc.expectOutside {
		return
	}
	var st unix.Stat_t
	missingDir := "\x00"
	for i := range idx.Entries {
		e := &idx.Entries[i]
		if e.ExtFlags&index.SkipWorktree == 0 {
			continue
		}
		parent := e.Name[:strings.LastIndexByte(e.Name, '/')+1]
		if parent == missingDir {
			continue
		}
		if parent != "" && unix.Lstat(dir+"/"+parent, &st) != nil {
			missingDir = parent
			continue
		}
		if unix.Lstat(dir+"/"+e.Name, &st) == nil {
			e.ExtFlags &^= index.SkipWorktree // the trees the index makes are unchanged
		}
	}
}

// readWorktreeIndex reads the index as git sees it in this worktree: with
// the skip-worktree bit cleared from files present despite it.
func (r *Repo) readWorktreeIndex(g *git.Repository) (*index.Index, *sparseCheckout, error) {
	idx, err := index.Read(filepath.Join(r.gitDir, "index"))
	if err != nil {
		return nil, nil, err
	}
	sc, err := r.readSparse(g)
	if err != nil {
		return nil, nil, err
	}
	sc.clearPresent(r.dir, idx)
	return idx, sc, nil
}

// skipWorktreeClean marks the worktree side of skip-worktree entries as
// unchanged: git does not look at their files, which are not there.
func skipWorktreeClean(idx *index.Index, wt []wtInfo) {
	for i := range idx.Entries {
		if e := &idx.Entries[i]; e.ExtFlags&index.SkipWorktree != 0 {
			wt[i] = wtInfo{mode: e.Mode}
		}
	}
}

// checkApplied refuses a write that would need git's sparse-checkout
// machinery: index entries whose skip-worktree bit disagrees with the
// patterns (files present outside the definition, or patterns changed
// without git sparse-checkout reapply).
func (sc *sparseCheckout) checkApplied(idx *index.Index, what string) error {
	if sc == nil {
		return nil
	}
	var outside, inside []string
	for i := range idx.Entries {
		e := &idx.Entries[i]
		in := sc.includes(e.Name)
		switch skip := e.ExtFlags&index.SkipWorktree != 0; {
		case in && skip:
			inside = append(inside, e.Name)
		case !in && !skip:
			outside = append(outside, e.Name)
		}
	}
	switch {
	case len(outside) > 0:
		return fmt.Errorf("%w: sparse checkout: %s outside the sparse-checkout definition %s present in the worktree; %s needs them gone: commit or discard their changes, then run git sparse-checkout reapply (or use the git CLI)",
			ErrUnsupported, strings.Join(firstFew(outside), ", "), isAre(len(outside)), what)
	case len(inside) > 0:
		return fmt.Errorf("%w: sparse checkout: %s inside the sparse-checkout definition %s not checked out; run git sparse-checkout reapply before %s",
			ErrUnsupported, strings.Join(firstFew(inside), ", "), isAre(len(inside)), what)
	}
	return nil
}

// firstFew shortens a list of paths for an error message.
func firstFew(paths []string) []string {
	if len(paths) > 5 {
		return append(paths[:5:5], fmt.Sprintf("and %d more", len(paths)-5))
	}
	return paths
}

func isAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}
