package gitrepo

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"golang.org/x/sys/unix"

	"github.com/opencode-portal/portal/internal/gitrepo/index"
)

// writeTx is a write to the worktree: the repository lock, the index lock
// and the index read under it.
type writeTx struct {
	r       *Repo
	g       *git.Repository
	idx     *index.Index
	sparse  *sparseCheckout // nil unless core.sparseCheckout is set
	commit  func(*index.Index) error
	release func()
}

// beginWrite takes the repository's write lock and git's index lock, then
// reads the index. The caller must call end.
func (r *Repo) beginWrite(ctx context.Context) (*writeTx, error) {
	if err := checkCtx(ctx); err != nil {
		return nil, err
	}
	r.mu.Lock()
	g, err := r.openWrite()
	if err != nil {
		r.mu.Unlock()
		return nil, err
	}
	commit, release, err := index.Lock(r.gitDir)
	if err != nil {
		r.mu.Unlock()
		return nil, err
	}
	idx, sparse, err := r.readWorktreeIndex(g)
	if err != nil {
		release()
		r.mu.Unlock()
		return nil, err
	}
	return &writeTx{r: r, g: g, idx: idx, sparse: sparse, commit: commit, release: release}, nil
}

// end releases the locks; the index is written only if save was called.
func (tx *writeTx) end() {
	tx.release()
	tx.r.mu.Unlock()
}

// save writes the index.
func (tx *writeTx) save() error { return tx.commit(tx.idx) }

// snapshot compares the locked index with HEAD and the worktree.
func (tx *writeTx) snapshot(ctx context.Context, walk bool) (*snapshot, error) {
	return tx.r.snapshotOf(ctx, tx.g, tx.idx, walk)
}

// full is the absolute path of a worktree path.
func (r *Repo) full(path string) string { return filepath.Join(r.dir, filepath.FromSlash(path)) }

// entryFromFile makes an index entry for a worktree file, storing its
// content after end-of-line conversion as a blob.
func (r *Repo) entryFromFile(s storer.EncodedObjectStorer, path string, set settings, old *index.Entry) (index.Entry, error) {
	full := r.full(path)
	var st unix.Stat_t
	if err := unix.Lstat(full, &st); err != nil {
		return index.Entry{}, fmt.Errorf("stage %s: %w", path, err)
	}
	var mode uint32
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG, unix.S_IFLNK:
		sc := scanner{set: set}
		mode = sc.wtMode(old, &st)
	default:
		return index.Entry{}, fmt.Errorf("stage %s: %w: not a regular file or symlink", path, ErrPathNotFound)
	}
	data, err := readWorktreeFile(full, mode == index.ModeSymlink)
	if err == nil && mode != index.ModeSymlink {
		data, err = set.conv.toGitForStage(path, data)
	}
	if err != nil {
		return index.Entry{}, fmt.Errorf("stage %s: %w", path, err)
	}
	h, err := writeBlob(s, data)
	if err != nil {
		return index.Entry{}, fmt.Errorf("stage %s: %w", path, err)
	}
	e := index.Entry{Name: path, Mode: mode, Hash: h}
	fillStat(&e, &st)
	return e, nil
}

// fillStat records a file's stat data in an index entry.
func fillStat(e *index.Entry, st *unix.Stat_t) {
	mtime, ctime := statTimes(st)
	e.CtimeSec, e.CtimeNsec = uint32(ctime.Sec), uint32(ctime.Nsec)
	e.MtimeSec, e.MtimeNsec = uint32(mtime.Sec), uint32(mtime.Nsec)
	e.Dev, e.Ino = uint32(st.Dev), uint32(st.Ino)
	e.UID, e.GID, e.Size = st.Uid, st.Gid, uint32(st.Size)
}

// writeBlob stores data as a blob unless it is already stored.
func writeBlob(s storer.EncodedObjectStorer, data []byte) (plumbing.Hash, error) {
	h := blobHash(data)
	if s.HasEncodedObject(h) == nil {
		return h, nil
	}
	obj := s.NewEncodedObject()
	obj.SetType(plumbing.BlobObject)
	obj.SetSize(int64(len(data)))
	w, err := obj.Writer()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if _, err := w.Write(data); err != nil {
		w.Close()
		return plumbing.ZeroHash, err
	}
	if err := w.Close(); err != nil {
		return plumbing.ZeroHash, err
	}
	return s.SetEncodedObject(obj)
}

// checkoutEntry writes a blob to the worktree with the entry's mode,
// converted by conv (for a submodule, its folder: restoreGitlink), and
// returns the entry with fresh stat data.
func (r *Repo) checkoutEntry(s storer.EncodedObjectStorer, conv *converter, e index.Entry) (index.Entry, error) {
	if e.Mode == index.ModeGitlink {
		return r.restoreGitlink(e)
	}
	full := r.full(e.Name)
	data, err := readBlob(s, e.Hash)
	if err == nil && e.Mode != index.ModeSymlink {
		data, err = conv.toWorktree(e.Name, data)
	}
	if err != nil {
		return index.Entry{}, err
	}
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		return index.Entry{}, fmt.Errorf("write %s: %w", e.Name, err)
	}
	// An empty directory in the way is removed; a non-empty one is an error.
	if err := os.Remove(full); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return index.Entry{}, fmt.Errorf("write %s: %w", e.Name, err)
	}
	switch e.Mode {
	case index.ModeSymlink:
		err = os.Symlink(string(data), full)
	case index.ModeExec:
		err = os.WriteFile(full, data, 0o755)
	default:
		err = os.WriteFile(full, data, 0o644)
	}
	if err != nil {
		return index.Entry{}, fmt.Errorf("write %s: %w", e.Name, err)
	}
	var st unix.Stat_t
	if err := unix.Lstat(full, &st); err != nil {
		return index.Entry{}, fmt.Errorf("write %s: %w", e.Name, err)
	}
	fillStat(&e, &st)
	return e, nil
}

// removeFile deletes a worktree file and the directories it leaves empty.
func (r *Repo) removeFile(path string) error {
	full := r.full(path)
	if err := os.Remove(full); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove %s: %w", path, err)
	}
	for dir := filepath.Dir(full); dir != r.dir && strings.HasPrefix(dir, r.dir); dir = filepath.Dir(dir) {
		if os.Remove(dir) != nil {
			break // not empty
		}
	}
	return nil
}
