// Package gitrepo implements the git operations of a worktree in-process, on
// go-git's object storage and plumbing: status, diff, log, branches,
// checkout, stage, unstage, commit, discard, fetch, pull and push.
//
// Status and diff do not use go-git's Worktree: they read the index
// directly, compare stat data, hash only files whose stat data changed, walk
// the worktree in parallel and skip unchanged directories with the index's
// cache-tree, which keeps them within a small factor of the git CLI on large
// repositories.
//
// The plumbing lives below it, as go-git keeps its plumbing under its
// porcelain: package index reads and writes .git/index, and package xdiff
// holds the line diff and the writer of its hunks; neither knows the
// other or the commands here, which choose what to read, compare and
// write.
//
// A Repo serializes its writes and lets reads run concurrently. Each
// operation opens its own go-git storage, whose caches are not safe for
// concurrent use.
package gitrepo

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/bits"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
)

// Repo is a git worktree on disk.
type Repo struct {
	dir    string // absolute worktree root
	gitDir string // the worktree's git directory (index, HEAD)
	common string // the common git directory (objects, refs, config)
	depth  int    // submodule nesting level: 0 for a top-level worktree
	mu     sync.RWMutex
}

// Open opens the git worktree rooted at dir: a main worktree (dir/.git is
// a folder), a linked worktree or submodule, or a worktree whose git
// directory is elsewhere (dir/.git is a "gitdir: PATH" file). It fails
// with ErrNotRepository when dir has no .git entry, and with
// ErrUnsupported when the repository's format or configuration is one
// this package cannot serve as git would.
func Open(dir string) (*Repo, error) {
	r, _, err := openWithGit(dir)
	return r, err
}

// openWithGit is Open, also returning the go-git repository it opened to
// check the format, for a caller that reads it at once.
func openWithGit(dir string) (*Repo, *git.Repository, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("open repository %s: %w", dir, err)
	}
	gitDir, err := findGitDir(abs)
	if err != nil {
		return nil, nil, err
	}
	common, err := readCommonDir(gitDir)
	if err != nil {
		return nil, nil, err
	}
	if fi, err := os.Stat(common); err != nil || !fi.IsDir() {
		return nil, nil, fmt.Errorf("%w: %s: its common git directory %s is missing; if the main worktree was moved, run git worktree repair there", ErrNotRepository, abs, common)
	}
	r := &Repo{dir: abs, gitDir: gitDir, common: common}
	g, err := r.open()
	if err != nil {
		return nil, nil, err
	}
	return r, g, nil
}

// Dir returns the worktree root.
func (r *Repo) Dir() string { return r.dir }

func findGitDir(dir string) (string, error) {
	dot := filepath.Join(dir, ".git")
	fi, err := os.Lstat(dot)
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("%w: %s has no .git", ErrNotRepository, dir)
	}
	if err != nil {
		return "", fmt.Errorf("open repository %s: %w", dir, err)
	}
	if fi.IsDir() {
		return dot, nil
	}
	data, err := os.ReadFile(dot)
	if err != nil {
		return "", fmt.Errorf("open repository %s: %w", dir, err)
	}
	line, _, _ := strings.Cut(string(data), "\n")
	gd, ok := strings.CutPrefix(strings.TrimSpace(line), "gitdir: ")
	if !ok {
		return "", fmt.Errorf("%w: %s is not a gitdir file", ErrNotRepository, dot)
	}
	if !filepath.IsAbs(gd) {
		gd = filepath.Join(dir, gd)
	}
	return filepath.Clean(gd), nil
}

// settings are the config values status and diff depend on.
type settings struct {
	fileMode     bool
	trustCtime   bool
	checkStat    bool // false for core.checkStat=minimal
	excludesFile string
	conv         *converter // end-of-line conversion of the operation
}

func (r *Repo) settings(g *git.Repository) settings {
	s := settings{fileMode: true, trustCtime: true, checkStat: true}
	core := effectiveConfig(g).Raw.Section("core")
	s.fileMode = boolOption(core.Option("filemode"), true)
	s.trustCtime = boolOption(core.Option("trustctime"), true)
	s.checkStat = !strings.EqualFold(core.Option("checkstat"), "minimal")
	s.excludesFile = core.Option("excludesfile")
	if s.excludesFile == "" {
		if gc, err := config.LoadConfig(config.GlobalScope); err == nil {
			s.excludesFile = gc.Raw.Section("core").Option("excludesfile")
		}
	}
	if s.excludesFile == "" {
		s.excludesFile = xdgConfigFile("ignore")
	} else {
		s.excludesFile = expandHome(s.excludesFile)
	}
	return s
}

func boolOption(v string, def bool) bool {
	switch strings.ToLower(v) {
	case "true", "yes", "on", "1":
		return true
	case "false", "no", "off", "0":
		return false
	}
	return def
}

// head describes what HEAD points at.
type head struct {
	branch string        // short branch name; "" when detached
	hash   plumbing.Hash // zero when the branch is unborn
}

func (h head) unborn() bool { return h.hash.IsZero() }

func readHead(g *git.Repository) (head, error) {
	ref, err := g.Storer.Reference(plumbing.HEAD)
	if err != nil {
		return head{}, fmt.Errorf("read HEAD: %w", err)
	}
	var h head
	if ref.Type() == plumbing.SymbolicReference {
		h.branch = ref.Target().Short()
		if !ref.Target().IsBranch() {
			h.branch = ref.Target().String()
		}
		target, err := g.Storer.Reference(ref.Target())
		if errors.Is(err, plumbing.ErrReferenceNotFound) {
			return h, nil
		}
		if err != nil {
			return head{}, fmt.Errorf("read HEAD: %w", err)
		}
		ref = target
		for ref.Type() == plumbing.SymbolicReference {
			if ref, err = g.Storer.Reference(ref.Target()); err != nil {
				return head{}, fmt.Errorf("read HEAD: %w", err)
			}
		}
	}
	h.hash = ref.Hash()
	return h, nil
}

func checkCtx(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("git: %w", err)
	}
	return nil
}

// abbrevLen is the length git abbreviates object ids to by default: enough
// hex digits for the number of packed objects, at least 7.
func (r *Repo) abbrevLen() int {
	count := uint32(0)
	idxs, _ := filepath.Glob(filepath.Join(r.commonDir(), "objects", "pack", "*.idx"))
	for _, p := range idxs {
		f, err := os.Open(p)
		if err != nil {
			continue
		}
		var hdr [8 + 256*4]byte
		n, _ := io.ReadFull(f, hdr[:])
		f.Close()
		fanout := hdr[:]
		if n >= 8 && string(hdr[:4]) == "\xfftOc" {
			fanout = hdr[8:]
		}
		if len(fanout) >= 1024 && n == len(hdr) {
			count += binary.BigEndian.Uint32(fanout[255*4:])
		}
	}
	return max(7, (bits.Len32(count)+1)/2)
}
