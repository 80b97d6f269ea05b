package gitrepo

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
)

// Remote operations use go-git's transports with the repository's own
// configuration: credentials in the remote URL, or an SSH agent for SSH
// remotes. Local (file) remotes are served by the git-upload-pack and
// git-receive-pack programs, as go-git does.

// Fetch updates the remote-tracking branches of remote (empty: the current
// branch's upstream remote, else "origin").
func (r *Repo) Fetch(ctx context.Context, remote string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	g, err := r.openWrite()
	if err != nil {
		return err
	}
	if remote, err = r.pickRemote(g, remote); err != nil {
		return fmt.Errorf("git fetch: %w", err)
	}
	if err := fetch(ctx, g, remote); err != nil {
		return fmt.Errorf("git fetch: %w", err)
	}
	return nil
}

func fetch(ctx context.Context, g *git.Repository, remote string) error {
	err := g.FetchContext(ctx, &git.FetchOptions{RemoteName: remote})
	switch {
	case err == nil, errors.Is(err, git.NoErrAlreadyUpToDate):
		return nil
	case errors.Is(err, git.ErrRemoteNotFound):
		return fmt.Errorf("%w: %s", ErrRemoteNotFound, remote)
	}
	return fmt.Errorf("fetch %s: %w", remote, err)
}

// pickRemote returns remote, or the current branch's upstream remote, or
// "origin", after checking that it is configured.
func (r *Repo) pickRemote(g *git.Repository, remote string) (string, error) {
	cfg, err := g.Config()
	if err != nil {
		return "", err
	}
	if remote != "" {
		if err := checkRemoteName(remote); err != nil {
			return "", err
		}
	} else {
		remote = "origin"
		if h, err := readHead(g); err == nil && h.branch != "" {
			if b, ok := cfg.Branches[h.branch]; ok && b.Remote != "" && b.Remote != "." {
				remote = b.Remote
			}
		}
	}
	if _, ok := cfg.Remotes[remote]; !ok {
		return "", fmt.Errorf("%w: %q", ErrRemoteNotFound, remote)
	}
	return remote, nil
}

// PullResult says what a pull did.
type PullResult struct {
	// From and To are the branch's commit before and after; equal when
	// there was nothing to pull.
	From, To plumbing.Hash
}

// Pull fetches the current branch's upstream and fast-forwards the branch,
// index and worktree to it. A branch that has diverged from its upstream
// fails with ErrNotFastForward; local changes to files the pull would
// rewrite fail with ErrWouldOverwrite. In both cases nothing changes but
// the remote-tracking branches.
func (r *Repo) Pull(ctx context.Context) (PullResult, error) {
	tx, err := r.beginWrite(ctx)
	if err != nil {
		return PullResult{}, fmt.Errorf("git pull: %w", err)
	}
	defer tx.end()
	res, err := r.pull(ctx, tx)
	if err != nil {
		return PullResult{}, fmt.Errorf("git pull: %w", err)
	}
	return res, nil
}

func (r *Repo) pull(ctx context.Context, tx *writeTx) (PullResult, error) {
	g := tx.g
	h, err := readHead(g)
	if err != nil {
		return PullResult{}, err
	}
	if h.branch == "" {
		return PullResult{}, fmt.Errorf("%w: check out a branch to pull into", ErrDetachedHead)
	}
	cfg, err := g.Config()
	if err != nil {
		return PullResult{}, err
	}
	up, ok := upstreamRef(cfg, h.branch)
	if !ok {
		return PullResult{}, fmt.Errorf("%w: %s; set one with git branch --set-upstream-to", ErrNoUpstream, h.branch)
	}
	if remote := cfg.Branches[h.branch].Remote; remote != "." {
		if err := fetch(ctx, g, remote); err != nil {
			return PullResult{}, err
		}
	}
	ref, err := g.Storer.Reference(up)
	if err != nil {
		return PullResult{}, fmt.Errorf("%w: upstream %s: %v", ErrBranchNotFound, up.Short(), err)
	}
	target := ref.Hash()
	res := PullResult{From: h.hash, To: h.hash}
	if !h.unborn() {
		ahead, behind, err := r.aheadBehind(ctx, g, h.hash, target)
		if err != nil {
			return PullResult{}, err
		}
		if behind == 0 {
			return res, nil
		}
		if ahead > 0 {
			return PullResult{}, fmt.Errorf("%w: %s and %s have diverged (%d and %d commits each); merge or rebase them with git",
				ErrNotFastForward, h.branch, up.Short(), ahead, behind)
		}
	}
	snap, err := tx.snapshot(ctx, false)
	if err != nil {
		return PullResult{}, err
	}
	plan, err := r.planSwitch(g.Storer, snap, target, tx.sparse)
	if err != nil {
		return PullResult{}, err
	}
	if err := r.applySwitch(g, tx.idx, plan); err != nil {
		return PullResult{}, err
	}
	if err := moveHead(g.Storer, h, target); err != nil {
		return PullResult{}, err
	}
	res.To = target
	return res, tx.save()
}

// Push sends branch (empty: the current branch) to remote (empty: the
// branch's upstream remote, else "origin"), to the upstream branch when one
// is configured on that remote, else to the branch of the same name. A push
// that would drop remote commits fails with ErrNotFastForward.
func (r *Repo) Push(ctx context.Context, remote, branch string) error {
	if branch != "" {
		if err := CheckBranchName(branch); err != nil {
			return fmt.Errorf("git push: %w", err)
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	g, err := r.openWrite()
	if err != nil {
		return err
	}
	if err := r.push(ctx, g, remote, branch); err != nil {
		return fmt.Errorf("git push: %w", err)
	}
	return nil
}

func (r *Repo) push(ctx context.Context, g *git.Repository, remote, branch string) error {
	if branch == "" {
		h, err := readHead(g)
		if err != nil {
			return err
		}
		if h.branch == "" {
			return fmt.Errorf("%w: name the branch to push", ErrDetachedHead)
		}
		branch = h.branch
	}
	src := plumbing.NewBranchReferenceName(branch)
	if _, err := g.Storer.Reference(src); err != nil {
		return fmt.Errorf("%w: %s", ErrBranchNotFound, branch)
	}
	remote, err := r.pickRemote(g, remote)
	if err != nil {
		return err
	}
	cfg, err := g.Config()
	if err != nil {
		return err
	}
	dst := src
	if b, ok := cfg.Branches[branch]; ok && b.Remote == remote && b.Merge != "" {
		dst = b.Merge
	}
	spec := config.RefSpec(src.String() + ":" + dst.String())
	err = g.PushContext(ctx, &git.PushOptions{RemoteName: remote, RefSpecs: []config.RefSpec{spec}})
	switch {
	case err == nil, errors.Is(err, git.NoErrAlreadyUpToDate):
		return nil
	case strings.Contains(err.Error(), "non-fast-forward"):
		return fmt.Errorf("%w: %s has commits that %s does not; pull first", ErrNotFastForward,
			remote+"/"+dst.Short(), branch)
	}
	return fmt.Errorf("push %s to %s: %w", branch, remote, err)
}
