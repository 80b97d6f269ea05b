package gitrepo

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
)

// pending is the operation a commit concludes, as `git commit` finds it in
// the git directory: a merge (MERGE_HEAD), a cherry-pick (CHERRY_PICK_HEAD)
// or a revert (REVERT_HEAD) stopped to let the conflicts be resolved.
type pending struct {
	// mergeHeads are the other parents of a merge, in MERGE_HEAD's order.
	mergeHeads []plumbing.Hash
	// cherryPick is the commit being cherry-picked; zero when none.
	cherryPick plumbing.Hash
}

// stateFiles are the files `git commit` removes from the git directory once
// the commit is made: the state of a merge, a single cherry-pick or revert,
// and a squash merge.
func stateFiles() []string {
	return []string{"CHERRY_PICK_HEAD", "REVERT_HEAD", "AUTO_MERGE", "MERGE_HEAD", "MERGE_MSG", "MERGE_MODE", "SQUASH_MSG"}
}

// readPending reads the state of the operation in progress in gitDir. A
// cherry-pick or revert of several commits, or one stopped by a rebase, is
// refused with ErrUnsupported: concluding it means going on with the rest.
func readPending(gitDir string) (pending, error) {
	var p pending
	heads, err := readStateIDs(gitDir, "MERGE_HEAD")
	if err != nil {
		return p, err
	}
	if len(heads) > 0 {
		p.mergeHeads = heads
		return p, nil
	}
	for _, name := range []string{"CHERRY_PICK_HEAD", "REVERT_HEAD"} {
		ids, err := readStateIDs(gitDir, name)
		if err != nil {
			return p, err
		}
		if len(ids) == 0 {
			continue
		}
		for _, dir := range []string{"sequencer", "rebase-merge", "rebase-apply"} {
			if _, err := os.Stat(filepath.Join(gitDir, dir)); err == nil {
				op, cont := "a cherry-pick or revert of several commits", "git cherry-pick --continue (or git revert --continue)"
				if dir != "sequencer" {
					op, cont = "a rebase", "git rebase --continue"
				}
				return p, fmt.Errorf("%w: %s is in progress (%s); finish it with %s", ErrUnsupported, op, name, cont)
			}
		}
		if name == "CHERRY_PICK_HEAD" {
			p.cherryPick = ids[0]
		}
		return p, nil
	}
	return p, nil
}

// readStateIDs reads a file of object ids, one a line, from gitDir; a
// missing file has none.
func readStateIDs(gitDir, name string) ([]plumbing.Hash, error) {
	data, err := os.ReadFile(filepath.Join(gitDir, name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	var ids []plumbing.Hash
	for _, line := range strings.Split(strings.TrimRight(string(data), "\n"), "\n") {
		line = strings.TrimSpace(line)
		if !plumbing.IsHash(line) {
			return nil, fmt.Errorf("%s in %s is corrupt (%q is not a commit id); abort the operation in progress with the git CLI (for example git merge --abort)", name, gitDir, line)
		}
		ids = append(ids, plumbing.NewHash(line))
	}
	return ids, nil
}

// clearPending removes the state files of the concluded operation, as
// `git commit` does after committing.
func clearPending(gitDir string) error {
	for _, name := range stateFiles() {
		if err := os.Remove(filepath.Join(gitDir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove %s: %w", name, err)
		}
	}
	return nil
}
