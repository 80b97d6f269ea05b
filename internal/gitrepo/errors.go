package gitrepo

import (
	"errors"

	"github.com/opencode-portal/portal/internal/gitrepo/index"
)

// Sentinel errors. Callers check them with errors.Is; the returned errors wrap
// them with the detail of what failed.
var (
	// ErrNotRepository means the directory is not the root of a git worktree.
	ErrNotRepository = errors.New("not a git repository")
	// ErrNoCommits means the repository has no commit yet (HEAD is unborn).
	ErrNoCommits = errors.New("repository has no commits yet")
	// ErrNothingStaged means a commit was asked for with no staged change.
	ErrNothingStaged = errors.New("nothing staged to commit")
	// ErrNotFastForward means the local branch and its upstream have diverged,
	// or a push would lose commits on the remote.
	ErrNotFastForward = errors.New("not a fast-forward")
	// ErrBranchExists means a branch to create already exists.
	ErrBranchExists = errors.New("branch already exists")
	// ErrBranchNotFound means a branch or ref does not exist.
	ErrBranchNotFound = errors.New("branch not found")
	// ErrInvalidBranchName means a branch name is not a valid git ref name.
	ErrInvalidBranchName = errors.New("invalid branch name")
	// ErrInvalidRemoteName means a remote name is not one git accepts.
	ErrInvalidRemoteName = errors.New("invalid remote name")
	// ErrInvalidRevision means a revision is not a ref name or commit id
	// followed by ~N and ^N steps.
	ErrInvalidRevision = errors.New("invalid revision")
	// ErrPathOutside means a path is absolute, escapes the worktree or is
	// otherwise not a valid worktree-relative path.
	ErrPathOutside = errors.New("path is outside the worktree")
	// ErrPathNotFound means a path matches no tracked or untracked file.
	ErrPathNotFound = errors.New("path matches no file")
	// ErrNoUpstream means the current branch has no upstream to pull from.
	ErrNoUpstream = errors.New("branch has no upstream")
	// ErrDetachedHead means the operation needs a branch but HEAD is detached.
	ErrDetachedHead = errors.New("HEAD is detached")
	// ErrWouldOverwrite means local changes would be lost by a checkout or pull.
	ErrWouldOverwrite = errors.New("local changes would be overwritten")
	// ErrLocked means another git process holds the index lock.
	ErrLocked = index.ErrLocked
	// ErrNoIdentity means no author was given and user.name/user.email are not
	// configured.
	ErrNoIdentity = errors.New("no author identity")
	// ErrUnmerged means the index has unresolved merge conflicts.
	ErrUnmerged = errors.New("index has unmerged paths")
	// ErrUnsupported means the repository uses a git feature this package does
	// not handle (for example a split index).
	ErrUnsupported = index.ErrUnsupported
	// ErrNoPaths means a write that needs paths got none.
	ErrNoPaths = errors.New("no paths given")
	// ErrEmptyMessage means a commit message is empty.
	ErrEmptyMessage = errors.New("empty commit message")
	// ErrRemoteNotFound means the named remote is not configured.
	ErrRemoteNotFound = errors.New("remote not found")
	// ErrBranchCheckedOut means a branch to check out is checked out in
	// another worktree of the repository.
	ErrBranchCheckedOut = errors.New("branch is checked out in another worktree")
)
