package portal

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/opencode-portal/portal/internal/gitrepo"
)

// Git log limits: GitLogOptions.Limit defaults to DefaultGitLogLimit and
// may not exceed MaxGitLogLimit.
const (
	DefaultGitLogLimit = 50
	MaxGitLogLimit     = 1000
)

// GitDiffOptions selects what GitDiff compares. The zero value is
// `git diff HEAD`: staged and unstaged changes of tracked files.
type GitDiffOptions struct {
	// Staged compares the index with HEAD only (`git diff --cached HEAD`).
	Staged bool
	// Untracked adds untracked, not ignored files as new-file patches.
	Untracked bool
	// Paths limits the diff to these files or folders, relative to the worktree.
	Paths []string
	// Numstat adds the per-file summary (GitDiff.Files).
	Numstat bool
}

// GitDiff is a unified diff of a worktree against HEAD.
type GitDiff struct {
	// Diff is the patch text, in the format of `git diff`; it applies with `git apply`.
	Diff string `json:"diff"`
	// Worktree is the absolute path of the git worktree.
	Worktree string `json:"worktree"`
	// Files is the per-file summary, present when asked for.
	Files []GitFileStat `json:"files,omitempty"`
	// Via and Notice: see GitStatus.
	Via    string `json:"via,omitempty"`
	Notice string `json:"notice,omitempty"`
}

// GitFileStat is the summary of one file of a diff, as `git diff --numstat`.
type GitFileStat struct {
	Path string `json:"path"`
	// OldPath is the previous path of a renamed file.
	OldPath string `json:"oldPath,omitempty"`
	// Status is "A" (added), "D" (deleted), "M" (modified), "R" (renamed),
	// "T" (type changed, for example a file became a symbolic link) or, in a
	// staged diff, "U" for a file with unresolved conflicts.
	Status string `json:"status"`
	// Added and Deleted count lines; both are 0 for binary files.
	Added   int  `json:"added"`
	Deleted int  `json:"deleted"`
	Binary  bool `json:"binary"`
}

// GitStatus is the state of a worktree, as `git status` reports it.
type GitStatus struct {
	Worktree string `json:"worktree"`
	// Branch is the checked-out branch; empty when HEAD is detached.
	Branch   string `json:"branch"`
	Detached bool   `json:"detached"`
	// Head is the current commit; empty in a repository without commits.
	Head string `json:"head"`
	// Upstream is the branch's upstream, e.g. "origin/main", if any.
	Upstream string `json:"upstream,omitempty"`
	// UpstreamGone is set when the upstream is configured but missing.
	UpstreamGone bool `json:"upstreamGone,omitempty"`
	// Ahead and Behind count the commits only on the branch and only on
	// its upstream.
	Ahead  int `json:"ahead"`
	Behind int `json:"behind"`
	// Files lists changed, conflicted and untracked files (ignored ones are
	// left out): the tracked ones sorted by path, then the untracked ones.
	Files []GitFileStatus `json:"files"`
	// Via is "git" when the answer was read with the git CLI because the
	// repository uses a feature the portal does not run (a filter driver
	// such as Git LFS, or working-tree-encoding); empty when the portal
	// read the repository itself.
	Via string `json:"via,omitempty"`
	// Notice says why the answer was read with the git CLI.
	Notice string `json:"notice,omitempty"`
}

// GitFileStatus is the state of one file. Index and Worktree are the two
// columns of `git status --short`: "." unchanged, "M" modified, "T" type
// changed, "A" added, "D" deleted, "R" renamed, "U" unmerged, "?" untracked.
type GitFileStatus struct {
	Path string `json:"path"`
	// OldPath is the source of a staged rename.
	OldPath string `json:"oldPath,omitempty"`
	// Index is the staged change (HEAD to index).
	Index string `json:"index"`
	// Worktree is the unstaged change (index to worktree).
	Worktree string `json:"worktree"`
	// Conflicted is set for files with unresolved merge conflicts.
	Conflicted bool `json:"conflicted,omitempty"`
	// Similarity of a rename, in percent.
	Similarity int `json:"similarity,omitempty"`
	// Submodule is set for a submodule, as the <sub> field of `git status
	// --porcelain=v2`: "S", then "C" (its checked-out commit is not the
	// recorded one), "M" (it has changes), "U" (it has untracked files),
	// or "." for each, e.g. "SC.U".
	Submodule string `json:"submodule,omitempty"`
}

// GitLogOptions selects the commits of GitLog.
type GitLogOptions struct {
	// Limit is the number of commits: 1 to MaxGitLogLimit, 0 for DefaultGitLogLimit.
	Limit int
	// Ref is a branch, tag, commit or revision like "HEAD~3"; empty for HEAD.
	Ref string
	// Path keeps the commits that changed this file or folder.
	Path string
}

// GitSignature is a commit's author or committer.
type GitSignature struct {
	Name  string    `json:"name"`
	Email string    `json:"email"`
	Time  time.Time `json:"time"`
}

// GitCommit is one commit.
type GitCommit struct {
	Hash      string       `json:"hash"`
	Parents   []string     `json:"parents"`
	Author    GitSignature `json:"author"`
	Committer GitSignature `json:"committer"`
	// Subject is the first paragraph of the message on one line.
	Subject string `json:"subject"`
	// Body is the rest of the message.
	Body string `json:"body"`
}

// GitBranch is a local or remote-tracking branch.
type GitBranch struct {
	// Name is "main", or "origin/main" for a remote-tracking branch.
	Name string `json:"name"`
	// Ref is the full reference name, e.g. "refs/heads/main".
	Ref  string `json:"ref"`
	Hash string `json:"hash"`
	// Current is set for the checked-out branch.
	Current bool `json:"current"`
	// Upstream is a local branch's upstream, if configured.
	Upstream string `json:"upstream,omitempty"`
}

// GitBranches lists the branches of a repository.
type GitBranches struct {
	// Current is the checked-out branch; empty when HEAD is detached.
	Current  string `json:"current"`
	Detached bool   `json:"detached"`
	// Head is the current commit; empty in a repository without commits.
	Head   string      `json:"head"`
	Local  []GitBranch `json:"local"`
	Remote []GitBranch `json:"remote"`
}

// GitIdentity is a commit author.
type GitIdentity struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

// GitPullResult says what a pull did.
type GitPullResult struct {
	// From and To are the branch's commit before and after the pull.
	From string `json:"from"`
	To   string `json:"to"`
	// Updated is false when the branch was already up to date.
	Updated bool `json:"updated"`
}

// gitRepo returns the repository of the instance on port.
func (p *Portal) gitRepo(ctx context.Context, port int) (*gitrepo.Repo, error) {
	wt, err := p.Worktree(ctx, port)
	if err != nil {
		return nil, err
	}
	return p.git.open(port, wt)
}

// GitDiff returns the diff of the instance's worktree against HEAD, like
// `git diff HEAD`. A repository without commits is an ECONFLICT error.
func (p *Portal) GitDiff(ctx context.Context, port int, opts GitDiffOptions) (*GitDiff, error) {
	r, err := p.gitRepo(ctx, port)
	if err != nil {
		return nil, err
	}
	o := gitrepo.DiffOptions{Staged: opts.Staged, Untracked: opts.Untracked, Paths: opts.Paths}
	text, stats, why, err := r.DiffUnlessCLI(ctx, o, opts.Numstat)
	if err == nil && why != "" {
		text, err = r.DiffCLI(ctx, o)
		if err == nil && opts.Numstat {
			stats, err = r.NumstatCLI(ctx, o)
		}
		err = cliReadError(why, err)
	}
	if err != nil {
		return nil, gitError(err, EINTERNAL)
	}
	d := &GitDiff{Diff: text, Worktree: r.Dir()}
	if why != "" {
		d.Via, d.Notice = "git", cliNotice(why)
	}
	if opts.Numstat {
		d.Files = make([]GitFileStat, len(stats))
		for i, s := range stats {
			d.Files[i] = GitFileStat{Path: s.Path, OldPath: s.OrigPath, Status: string(s.Status),
				Added: s.Added, Deleted: s.Deleted, Binary: s.Binary}
		}
	}
	return d, nil
}

// GitStatus returns the branch and the changed files of the instance's
// worktree, honouring .gitignore files.
func (p *Portal) GitStatus(ctx context.Context, port int) (*GitStatus, error) {
	r, err := p.gitRepo(ctx, port)
	if err != nil {
		return nil, err
	}
	st, why, err := r.StatusUnlessCLI(ctx)
	if err == nil && why != "" {
		st, err = r.StatusCLI(ctx)
		err = cliReadError(why, err)
	}
	if err != nil {
		return nil, gitError(err, EINTERNAL)
	}
	out := &GitStatus{Worktree: r.Dir(), Branch: st.Branch, Detached: st.Branch == "", Upstream: st.Upstream,
		UpstreamGone: st.UpstreamGone, Ahead: st.Ahead, Behind: st.Behind, Files: make([]GitFileStatus, len(st.Files))}
	if why != "" {
		out.Via, out.Notice = "git", cliNotice(why)
	}
	if !st.Head.IsZero() {
		out.Head = st.Head.String()
	}
	for i, f := range st.Files {
		out.Files[i] = GitFileStatus{Path: f.Path, OldPath: f.OrigPath, Index: string(f.Index),
			Worktree: string(f.Worktree), Conflicted: f.Stages != [3]gitrepo.Stage{}, Similarity: f.Score,
			Submodule: f.Submodule}
	}
	return out, nil
}

// cliNotice is the notice of an answer read with the git CLI because the
// repository uses the features why describes.
func cliNotice(why string) string {
	return "read with the git CLI: the repository uses " + why + ", which the portal does not run"
}

// cliReadError says which features made a read need the git CLI when the
// read failed.
func cliReadError(why string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("the repository uses %s, which the portal does not run: %w", why, err)
}

// GitLog lists commits newest first, like `git log`.
func (p *Portal) GitLog(ctx context.Context, port int, opts GitLogOptions) ([]GitCommit, error) {
	if opts.Limit < 0 || opts.Limit > MaxGitLogLimit {
		return nil, Errorf(EINVALID, "Invalid limit %d: give a number from 1 to %d, or 0 for the default %d", opts.Limit, MaxGitLogLimit, DefaultGitLogLimit)
	}
	if opts.Limit == 0 {
		opts.Limit = DefaultGitLogLimit
	}
	r, err := p.gitRepo(ctx, port)
	if err != nil {
		return nil, err
	}
	commits, err := r.Log(ctx, gitrepo.LogOptions{Limit: opts.Limit, Ref: opts.Ref, Path: opts.Path})
	if err != nil {
		return nil, gitError(err, EINTERNAL)
	}
	out := make([]GitCommit, len(commits))
	for i, c := range commits {
		parents := make([]string, len(c.Parents))
		for j, h := range c.Parents {
			parents[j] = h.String()
		}
		out[i] = GitCommit{Hash: c.Hash.String(), Parents: parents, Subject: c.Subject, Body: c.Body,
			Author:    GitSignature{Name: c.Author.Name, Email: c.Author.Email, Time: c.Author.When},
			Committer: GitSignature{Name: c.Committer.Name, Email: c.Committer.Email, Time: c.Committer.When}}
	}
	return out, nil
}

// GitBranches lists the local and remote-tracking branches.
func (p *Portal) GitBranches(ctx context.Context, port int) (*GitBranches, error) {
	r, err := p.gitRepo(ctx, port)
	if err != nil {
		return nil, err
	}
	b, err := r.Branches(ctx)
	if err != nil {
		return nil, gitError(err, EINTERNAL)
	}
	out := &GitBranches{Current: b.Current, Detached: b.Detached, Local: []GitBranch{}, Remote: []GitBranch{}}
	if !b.Head.IsZero() {
		out.Head = b.Head.String()
	}
	for _, br := range b.Local {
		out.Local = append(out.Local, GitBranch{Name: br.Name, Ref: br.Ref, Hash: br.Hash.String(), Current: br.Current, Upstream: br.Upstream})
	}
	for _, br := range b.Remote {
		out.Remote = append(out.Remote, GitBranch{Name: br.Name, Ref: br.Ref, Hash: br.Hash.String()})
	}
	return out, nil
}

// GitCheckout switches the worktree to branch, creating it at HEAD when
// create is set. Local changes to files that differ between the branches
// make it an ECONFLICT error and change nothing.
func (p *Portal) GitCheckout(ctx context.Context, port int, branch string, create bool) error {
	if branch == "" {
		return Errorf(EINVALID, "Branch name required: name the branch to check out")
	}
	r, err := p.gitRepo(ctx, port)
	if err != nil {
		return err
	}
	return gitError(r.Checkout(ctx, branch, create), EINTERNAL)
}

// GitStage stages the named files or folders ("." for all), like `git add -A`.
func (p *Portal) GitStage(ctx context.Context, port int, paths []string) error {
	r, err := p.gitRepo(ctx, port)
	if err != nil {
		return err
	}
	return gitError(r.Stage(ctx, paths), EINTERNAL)
}

// GitUnstage resets the index entries of the named paths to HEAD, keeping
// the worktree.
func (p *Portal) GitUnstage(ctx context.Context, port int, paths []string) error {
	r, err := p.gitRepo(ctx, port)
	if err != nil {
		return err
	}
	return gitError(r.Unstage(ctx, paths), EINTERNAL)
}

// GitDiscard throws away the unstaged changes of the named paths only:
// tracked files go back to their staged version, untracked files under
// the paths are deleted. The whole worktree cannot be named.
func (p *Portal) GitDiscard(ctx context.Context, port int, paths []string) error {
	r, err := p.gitRepo(ctx, port)
	if err != nil {
		return err
	}
	return gitError(r.Discard(ctx, paths), EINTERNAL)
}

// GitCommitChanges commits the staged changes. author may be nil: the
// repository's user.name and user.email are used then. Nothing staged is
// an ECONFLICT error.
func (p *Portal) GitCommitChanges(ctx context.Context, port int, message string, author *GitIdentity) (*GitCommit, error) {
	r, err := p.gitRepo(ctx, port)
	if err != nil {
		return nil, err
	}
	var who *gitrepo.Identity
	if author != nil {
		who = &gitrepo.Identity{Name: author.Name, Email: author.Email}
	}
	c, err := r.Commit(ctx, message, who)
	if err != nil {
		return nil, gitError(err, EINTERNAL)
	}
	parents := make([]string, len(c.Parents))
	for j, h := range c.Parents {
		parents[j] = h.String()
	}
	return &GitCommit{Hash: c.Hash.String(), Parents: parents, Subject: c.Subject, Body: c.Body,
		Author:    GitSignature{Name: c.Author.Name, Email: c.Author.Email, Time: c.Author.When},
		Committer: GitSignature{Name: c.Committer.Name, Email: c.Committer.Email, Time: c.Committer.When}}, nil
}

// GitFetch updates the remote-tracking branches from remote (empty: the
// current branch's upstream remote, else "origin"). Credentials come from
// the repository's configuration (URL or SSH agent).
func (p *Portal) GitFetch(ctx context.Context, port int, remote string) error {
	r, err := p.gitRepo(ctx, port)
	if err != nil {
		return err
	}
	return gitError(r.Fetch(ctx, remote), EUNAVAILABLE)
}

// GitPull fetches the current branch's upstream and fast-forwards to it.
// A branch that has diverged is an ECONFLICT error.
func (p *Portal) GitPull(ctx context.Context, port int) (*GitPullResult, error) {
	r, err := p.gitRepo(ctx, port)
	if err != nil {
		return nil, err
	}
	res, err := r.Pull(ctx)
	if err != nil {
		return nil, gitError(err, EUNAVAILABLE)
	}
	return &GitPullResult{From: res.From.String(), To: res.To.String(), Updated: res.From != res.To}, nil
}

// GitPush pushes branch (empty: the current one) to remote (empty: its
// upstream remote, else "origin"). A push that would lose remote commits is
// an ECONFLICT error.
func (p *Portal) GitPush(ctx context.Context, port int, remote, branch string) error {
	r, err := p.gitRepo(ctx, port)
	if err != nil {
		return err
	}
	return gitError(r.Push(ctx, remote, branch), EUNAVAILABLE)
}

// gitErrorKind maps gitrepo's sentinel errors to a code and a message that
// says what to do.
func gitErrorKind(err error) (code, hint string, ok bool) {
	for _, m := range []struct {
		err        error
		code, hint string
	}{
		{gitrepo.ErrNotRepository, ENOTFOUND, "No project worktree found"},
		{gitrepo.ErrNoCommits, ECONFLICT, "The repository has no commits yet; make a first commit, then try again"},
		{gitrepo.ErrNothingStaged, ECONFLICT, "Nothing is staged to commit; stage changes first"},
		{gitrepo.ErrNotFastForward, ECONFLICT, "The branch and its upstream have diverged and only fast-forwards are done here; merge or rebase, then try again"},
		{gitrepo.ErrWouldOverwrite, ECONFLICT, "Local changes would be overwritten; commit, stash or discard them first"},
		{gitrepo.ErrUnmerged, ECONFLICT, "The repository has unresolved merge conflicts; resolve and stage them first"},
		{gitrepo.ErrLocked, ECONFLICT, "Another git process is using the repository; try again when it is done"},
		{gitrepo.ErrNoUpstream, ECONFLICT, "The branch has no upstream to pull from; set one with git branch --set-upstream-to"},
		{gitrepo.ErrDetachedHead, ECONFLICT, "HEAD is detached; check out a branch first"},
		{gitrepo.ErrBranchExists, ECONFLICT, "The branch already exists; check it out without create"},
		{gitrepo.ErrBranchCheckedOut, ECONFLICT, "The branch is checked out in another worktree of the repository, as git allows only once; switch that worktree to another branch (or remove it with git worktree remove), or create a new branch here"},
		{gitrepo.ErrUnsupported, ECONFLICT, "The repository uses a git feature the portal does not support"},
		{gitrepo.ErrBranchNotFound, ENOTFOUND, "No such branch or revision"},
		{gitrepo.ErrRemoteNotFound, ENOTFOUND, "No such remote"},
		{gitrepo.ErrInvalidBranchName, EINVALID, "Invalid branch name; git check-ref-format --branch says what git accepts"},
		{gitrepo.ErrInvalidRemoteName, EINVALID, "Invalid remote name; give the name of a configured remote"},
		{gitrepo.ErrInvalidRevision, EINVALID, "Invalid ref: give a branch, tag or commit id, optionally followed by ~N or ^N steps"},
		{gitrepo.ErrPathOutside, EINVALID, "Invalid path: give paths relative to the worktree, inside it"},
		{gitrepo.ErrPathNotFound, EINVALID, "No file matches the path"},
		{gitrepo.ErrNoPaths, EINVALID, "Paths required: name at least one file or folder"},
		{gitrepo.ErrEmptyMessage, EINVALID, "Commit message required"},
		{gitrepo.ErrNoIdentity, EINVALID, "No commit author: give an author with name and email, or set user.name and user.email in the repository"},
	} {
		if errors.Is(err, m.err) {
			return m.code, m.hint, true
		}
	}
	return "", "", false
}

// gitError turns a gitrepo error into an *Error whose message says what
// failed and what to do; errors gitrepo does not name get code fallback.
// Credentials in remote URLs never reach the message.
func gitError(err error, fallback string) error {
	if err == nil {
		return nil
	}
	detail := stripURLCredentials(err.Error())
	if code, hint, ok := gitErrorKind(err); ok {
		return &Error{Code: code, Message: hint + " (" + detail + ")", Err: err}
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return &Error{Code: ETIMEOUT, Message: "The git operation timed out (" + detail + ")", Err: err}
	case errors.Is(err, context.Canceled):
		return err
	case fallback == EUNAVAILABLE:
		return &Error{Code: EUNAVAILABLE, Message: "The remote could not be reached or refused the request; check its URL and credentials in the repository's config (" + detail + ")", Err: err}
	}
	return &Error{Code: fallback, Message: "The git operation failed (" + detail + ")", Err: err}
}

// stripURLCredentials removes the user:password@ part of URLs in s.
func stripURLCredentials(s string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, "://")
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i+3])
		s = s[i+3:]
		end := strings.IndexAny(s, "/ \t\n\"'")
		if end < 0 {
			end = len(s)
		}
		if at := strings.LastIndexByte(s[:end], '@'); at >= 0 {
			s = s[at+1:]
		}
	}
}
