package httpapi

import (
	"context"
	"net/http"

	"github.com/opencode-portal/portal"
)

// GET git/diff → {diff, worktree, files?}: the unified diff of the worktree
// against HEAD, like `git diff HEAD`. Query: untracked=true adds untracked
// files as new-file patches; staged=true compares the index with HEAD only;
// path=P (repeatable) limits the diff to files or folders; numstat=true adds
// "files", the per-file summary [{path, oldPath?, status, added, deleted,
// binary}].
func (h *handler) gitDiff(w http.ResponseWriter, r *http.Request) error {
	port, err := pathPort(r)
	if err != nil {
		return err
	}
	q, err := parseQuery(r, "path")
	if err != nil {
		return err
	}
	var opts portal.GitDiffOptions
	for _, b := range []struct {
		name string
		dst  *bool
	}{{"untracked", &opts.Untracked}, {"staged", &opts.Staged}, {"numstat", &opts.Numstat}} {
		if *b.dst, err = queryBool(q.Get(b.name), b.name); err != nil {
			return err
		}
	}
	opts.Paths = q["path"]
	d, err := h.p.GitDiff(r.Context(), port, opts)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, d)
}

// GET git/status → portal.GitStatus
func (h *handler) gitStatus(w http.ResponseWriter, r *http.Request) error {
	port, err := pathPort(r)
	if err != nil {
		return err
	}
	st, err := h.p.GitStatus(r.Context(), port)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, st)
}

// GET git/log?limit=&ref=&path= → [portal.GitCommit], newest first.
func (h *handler) gitLog(w http.ResponseWriter, r *http.Request) error {
	port, err := pathPort(r)
	if err != nil {
		return err
	}
	q, err := parseQuery(r)
	if err != nil {
		return err
	}
	opts := portal.GitLogOptions{Ref: q.Get("ref"), Path: q.Get("path")}
	if opts.Limit, err = queryInt(q.Get("limit"), "limit"); err != nil {
		return err
	}
	commits, err := h.p.GitLog(r.Context(), port, opts)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, commits)
}

// GET git/branches → portal.GitBranches
func (h *handler) gitBranches(w http.ResponseWriter, r *http.Request) error {
	port, err := pathPort(r)
	if err != nil {
		return err
	}
	b, err := h.p.GitBranches(r.Context(), port)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, b)
}

// respondGitStatus answers a git write with the worktree's new status.
func (h *handler) respondGitStatus(w http.ResponseWriter, r *http.Request, port int) error {
	st, err := h.p.GitStatus(r.Context(), port)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, st)
}

// POST git/checkout {branch, create?} → portal.GitStatus
func (h *handler) gitCheckout(w http.ResponseWriter, r *http.Request) error {
	port, err := pathPort(r)
	if err != nil {
		return err
	}
	var body struct {
		Branch string `json:"branch"`
		Create bool   `json:"create"`
	}
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	if err := h.p.GitCheckout(r.Context(), port, body.Branch, body.Create); err != nil {
		return err
	}
	return h.respondGitStatus(w, r, port)
}

// gitPaths reads a {paths: [...]} body.
func gitPaths(r *http.Request) ([]string, error) {
	var body struct {
		Paths []string `json:"paths"`
	}
	if err := decodeJSON(r, &body); err != nil {
		return nil, err
	}
	return body.Paths, nil
}

// POST git/stage {paths} → portal.GitStatus; "." stages everything.
func (h *handler) gitStage(w http.ResponseWriter, r *http.Request) error {
	return h.gitPathsWrite(w, r, h.p.GitStage)
}

// POST git/unstage {paths} → portal.GitStatus
func (h *handler) gitUnstage(w http.ResponseWriter, r *http.Request) error {
	return h.gitPathsWrite(w, r, h.p.GitUnstage)
}

// POST git/discard {paths} → portal.GitStatus; only the named paths change.
func (h *handler) gitDiscard(w http.ResponseWriter, r *http.Request) error {
	return h.gitPathsWrite(w, r, h.p.GitDiscard)
}

func (h *handler) gitPathsWrite(w http.ResponseWriter, r *http.Request, op func(ctx context.Context, port int, paths []string) error) error {
	port, err := pathPort(r)
	if err != nil {
		return err
	}
	paths, err := gitPaths(r)
	if err != nil {
		return err
	}
	if err := op(r.Context(), port, paths); err != nil {
		return err
	}
	return h.respondGitStatus(w, r, port)
}

// POST git/commit {message, author?: {name, email}} → 201 portal.GitCommit
func (h *handler) gitCommit(w http.ResponseWriter, r *http.Request) error {
	port, err := pathPort(r)
	if err != nil {
		return err
	}
	var body struct {
		Message string              `json:"message"`
		Author  *portal.GitIdentity `json:"author"`
	}
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	c, err := h.p.GitCommitChanges(r.Context(), port, body.Message, body.Author)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, c)
}

// POST git/fetch {remote?} → portal.GitStatus
func (h *handler) gitFetch(w http.ResponseWriter, r *http.Request) error {
	port, err := pathPort(r)
	if err != nil {
		return err
	}
	var body struct {
		Remote string `json:"remote"`
	}
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	if err := h.p.GitFetch(r.Context(), port, body.Remote); err != nil {
		return err
	}
	return h.respondGitStatus(w, r, port)
}

// POST git/pull → portal.GitPullResult; fast-forward only.
func (h *handler) gitPull(w http.ResponseWriter, r *http.Request) error {
	port, err := pathPort(r)
	if err != nil {
		return err
	}
	res, err := h.p.GitPull(r.Context(), port)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, res)
}

// POST git/push {remote?, branch?} → portal.GitStatus
func (h *handler) gitPush(w http.ResponseWriter, r *http.Request) error {
	port, err := pathPort(r)
	if err != nil {
		return err
	}
	var body struct {
		Remote string `json:"remote"`
		Branch string `json:"branch"`
	}
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	if err := h.p.GitPush(r.Context(), port, body.Remote, body.Branch); err != nil {
		return err
	}
	return h.respondGitStatus(w, r, port)
}
