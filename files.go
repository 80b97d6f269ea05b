package portal

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/opencode-portal/portal/internal/confine"
	"github.com/opencode-portal/portal/internal/gitrepo"
)

// DefaultMaxReadSize is the largest file ReadFile returns unless
// Config.MaxReadSize says otherwise: 1 MiB.
const DefaultMaxReadSize = 1 << 20

// Search limits: FileSearch.Limit defaults to DefaultSearchLimit and may not
// exceed MaxSearchLimit.
const (
	DefaultSearchLimit = 10
	MaxSearchLimit     = 200
)

// Kinds of FileEntry.Type and FileEntry.Target.
const (
	FileTypeFile      = confine.TypeFile
	FileTypeDirectory = confine.TypeDirectory
	FileTypeSymlink   = confine.TypeSymlink
	FileTypeOther     = confine.TypeOther // device, named pipe or socket
)

// FileSearch is a search for file and folder names in a project.
type FileSearch struct {
	// Query is matched fuzzily by OpenCode's file finder. An empty query
	// finds nothing.
	Query string
	// Limit is the most results wanted: 1 to MaxSearchLimit, 0 for
	// DefaultSearchLimit.
	Limit int
	// Type restricts results to FileTypeFile or FileTypeDirectory; empty
	// allows both.
	Type string
}

// FileEntry is one item of a project folder.
type FileEntry struct {
	Name string `json:"name"`
	// Path is slash-separated and relative to the instance's folder,
	// through the folder as it was asked for. It can be given back to
	// ListFiles or ReadFile.
	Path string `json:"path"`
	// Type is what the entry itself is: FileTypeFile, FileTypeDirectory,
	// FileTypeSymlink or FileTypeOther. Symbolic links are not followed.
	Type string `json:"type"`
	// Target is, for a symbolic link to a file or folder inside the
	// project, FileTypeFile or FileTypeDirectory; empty otherwise.
	Target string `json:"target,omitempty"`
	// Size is in bytes, for files; 0 for the others.
	Size int64 `json:"size"`
	// Ignored tells whether git ignores the entry, by the project's
	// .gitignore files and .git/info/exclude (tracked or not). The .git
	// folder and all it holds count as ignored.
	Ignored bool `json:"ignored"`
}

// FileContent is a file read from a project.
type FileContent struct {
	Path string // as asked for, cleaned: relative to the instance's folder
	Size int64
	// Binary is true when Data has a NUL byte in its first 8 KiB or is not
	// valid UTF-8. Text is UTF-8.
	Binary bool
	// MimeType comes from the name's extension, else from the content.
	MimeType string
	Data     []byte // the exact bytes of the file
}

// ChangedFile is a file of the worktree that differs from HEAD, untracked
// files included. The JSON names of Path, Status, Additions and Deletions
// are those of OpenCode's /vcs/status.
type ChangedFile struct {
	// Path is slash-separated and relative to the worktree, as git's and
	// OpenCode's /vcs/status paths are (not to the instance's folder).
	Path string `json:"file"`
	// OldPath is the previous path of a renamed file.
	OldPath string `json:"oldFile,omitempty"`
	// Status is "added", "deleted", "modified" (content or type) or "renamed".
	Status string `json:"status"`
	// Additions and Deletions count lines, as `git diff --numstat HEAD`;
	// both are 0 for binary files.
	Additions int  `json:"additions"`
	Deletions int  `json:"deletions"`
	Binary    bool `json:"binary,omitempty"`
}

// changeStatus names a status letter of package gitrepo.
func changeStatus(letter byte) string {
	switch letter {
	case gitrepo.Added:
		return "added"
	case gitrepo.Deleted:
		return "deleted"
	case gitrepo.Renamed:
		return "renamed"
	}
	return "modified"
}

// SearchFiles finds files and folders in the folder of the instance on
// port whose names match s.Query, best match first: OpenCode's /find/file
// answer as it is. Paths are relative to the instance's folder; folders end
// in "/", and "/" is the folder itself. An empty query returns an empty
// list without asking OpenCode.
func (p *Portal) SearchFiles(ctx context.Context, port int, s FileSearch) ([]string, error) {
	e, err := p.entryByPort(port)
	if err != nil {
		return nil, err
	}
	limit := s.Limit
	switch {
	case limit == 0:
		limit = DefaultSearchLimit
	case limit < 0 || limit > MaxSearchLimit:
		return nil, Errorf(EINVALID, "Invalid limit %d: give a number from 1 to %d, or 0 for the default %d", s.Limit, MaxSearchLimit, DefaultSearchLimit)
	}
	if s.Type != "" && s.Type != FileTypeFile && s.Type != FileTypeDirectory {
		return nil, Errorf(EINVALID, "Invalid type %q: give %q, %q, or nothing for both", s.Type, FileTypeFile, FileTypeDirectory)
	}
	if s.Query == "" {
		return []string{}, nil
	}
	c, err := p.clientFor(e)
	if err != nil {
		return nil, err
	}
	found, err := c.Find.Files(ctx, s.Query, s.Type, limit)
	if err != nil {
		return nil, upstreamError(port, err)
	}
	if found == nil {
		found = []string{}
	}
	return found, nil
}

// ListFiles returns the entries of the folder at name, a slash-separated
// path relative to the folder of the instance on port ("" or "." for that
// folder): folders first, then by name without regard to case.
func (p *Portal) ListFiles(ctx context.Context, port int, name string) ([]FileEntry, error) {
	root, err := p.openProject(ctx, port)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	entries, err := root.List(ctx, name)
	if err != nil {
		return nil, fileError("Listing", err)
	}
	out := make([]FileEntry, len(entries))
	for i, e := range entries {
		out[i] = FileEntry(e)
	}
	return out, nil
}

// ReadFile returns the exact content of the file at name, a slash-separated
// path relative to the folder of the instance on port. Files larger than
// Config.MaxReadSize are refused with ETOOLARGE.
func (p *Portal) ReadFile(ctx context.Context, port int, name string) (*FileContent, error) {
	root, err := p.openProject(ctx, port)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	f, err := root.Read(ctx, name, p.cfg.MaxReadSize)
	if err != nil {
		return nil, fileError("Reading", err)
	}
	return &FileContent{Path: f.Path, Size: f.Size, Binary: f.Binary, MimeType: f.MimeType, Data: f.Data}, nil
}

// ChangedFiles returns the files in the folder of the instance on port that
// differ from HEAD, staged or not, untracked ones included and ignored ones
// left out, with the lines added and deleted: `git diff --numstat HEAD --
// .` run in that folder, plus the untracked files, as OpenCode's
// /vcs/status. Paths are relative to the worktree, as git's are. A project
// outside git is an ENOTFOUND error, a repository without commits
// ECONFLICT.
func (p *Portal) ChangedFiles(ctx context.Context, port int) ([]ChangedFile, error) {
	r, err := p.gitRepo(ctx, port)
	if err != nil {
		return nil, err
	}
	pr, err := p.project(ctx, port)
	if err != nil {
		return nil, err
	}
	opts := gitrepo.DiffOptions{Untracked: true}
	if sub, err := filepath.Rel(pr.worktree, pr.dir); err == nil && sub != "." {
		opts.Paths = []string{filepath.ToSlash(sub)}
	}
	stats, err := r.Numstat(ctx, opts)
	if err != nil {
		return nil, gitError(err, EINTERNAL)
	}
	changed := make([]ChangedFile, len(stats))
	for i, s := range stats {
		changed[i] = ChangedFile{Path: s.Path, OldPath: s.OrigPath, Status: changeStatus(s.Status),
			Additions: s.Added, Deletions: s.Deleted, Binary: s.Binary}
	}
	return changed, nil
}

// openProject opens the folder of the instance on port for confined
// access, with git's ignore files read from its worktree. It reads only the
// local disk: the files are listed and read when the instance's OpenCode is
// stopped or hung.
func (p *Portal) openProject(ctx context.Context, port int) (*confine.Root, error) {
	pr, err := p.project(ctx, port)
	if err != nil {
		return nil, err
	}
	dir := pr.dir
	root, err := confine.OpenIn(dir, pr.root())
	if err != nil {
		return nil, &Error{Code: ENOTFOUND, Err: err, Message: fmt.Sprintf(
			"The project folder %s of the instance on port %d cannot be opened; was it moved or deleted? Restart the instance in an existing folder", dir, port)}
	}
	return root, nil
}

// fileError turns an error of package confine into an *Error whose message
// says what is wrong with the path and what to do. doing names the
// operation ("Reading").
func fileError(doing string, err error) error {
	var pe *confine.PathError
	if !errors.As(err, &pe) {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return &Error{Code: ETIMEOUT, Err: err, Message: doing + " the project was cancelled or took too long"}
		}
		return &Error{Code: EINTERNAL, Err: err, Message: doing + " the project failed: " + err.Error()}
	}
	code, hint := EINTERNAL, ""
	switch {
	case errors.Is(err, confine.ErrInvalidPath):
		code = EINVALID
	case errors.Is(err, confine.ErrOutside):
		code, hint = EFORBIDDEN, "; only files in the instance's folder (where it was started) can be listed or read"
	case errors.Is(err, confine.ErrNotFound):
		code, hint = ENOTFOUND, "; list its folder to see what is there"
	case errors.Is(err, confine.ErrNotDir), errors.Is(err, confine.ErrNotFile):
		code = EINVALID
	case errors.Is(err, confine.ErrTooLarge):
		code, hint = ETOOLARGE, "; the limit is the portal's MaxReadSize setting"
	case errors.Is(err, confine.ErrDenied):
		code, hint = EFORBIDDEN, "; check the file's permissions"
	}
	return &Error{Code: code, Err: err, Message: fmt.Sprintf("Path %q: %s%s", pe.ShortPath(), pe.Reason, hint)}
}
