package gitrepo

import (
	"context"
	"crypto/sha1"
	"errors"
	"io/fs"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/go-git/go-git/v5/plumbing"
	"golang.org/x/sync/errgroup"
	"golang.org/x/sys/unix"

	"github.com/opencode-portal/portal/internal/gitignore"

	"github.com/opencode-portal/portal/internal/gitrepo/index"
)

// Worktree states of an index entry, as in the Y column of git status.
const (
	wtClean       byte = 0
	wtModified    byte = 'M'
	wtDeleted     byte = 'D'
	wtTypeChanged byte = 'T'
)

// wtInfo is the worktree side of one index entry.
type wtInfo struct {
	state byte
	mode  uint32 // worktree mode as git records it; 0 when missing
}

// scanner compares worktree files with index entries: stat data first, and
// the content hash only when stat data cannot decide, as git does.
type scanner struct {
	dir  string
	idx  *index.Index
	set  settings
	wt   []wtInfo // parallel to idx.entries
	racy struct{ sec, nsec uint32 }

	mu    sync.Mutex
	fresh []freshStat // entries found unchanged by content whose stat data changed
}

// freshStat is the new stat data of an entry whose content is unchanged.
type freshStat struct {
	name string
	st   unix.Stat_t
}

func newScanner(dir string, idx *index.Index, set settings) *scanner {
	s := &scanner{dir: dir, idx: idx, set: set, wt: make([]wtInfo, len(idx.Entries))}
	if !idx.ModTime.IsZero() {
		s.racy.sec = uint32(idx.ModTime.Unix())
		s.racy.nsec = uint32(idx.ModTime.Nanosecond())
	}
	return s
}

// workers is the parallelism of worktree scans. Stat calls block in the
// kernel, so a few more goroutines than CPUs keep the CPUs busy.
func workers() int { return runtime.GOMAXPROCS(0) * 2 }

// checkEntries lstats every entry of the index in parallel, without
// listing directories: what diff needs. Entries are statted relative to
// their open directory.
func (s *scanner) checkEntries(ctx context.Context) error {
	n := len(s.idx.Entries)
	const chunk = 512
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(workers())
	for lo := 0; lo < n; lo += chunk {
		hi := min(lo+chunk, n)
		g.Go(func() error {
			if err := ctx.Err(); err != nil {
				return err
			}
			var st unix.Stat_t
			for i := lo; i < hi; {
				// The run of entries in the same directory.
				name := s.idx.Entries[i].Name
				dir := name[:strings.LastIndexByte(name, '/')+1]
				j := i + 1
				for j < hi && strings.HasPrefix(s.idx.Entries[j].Name, dir) &&
					strings.IndexByte(s.idx.Entries[j].Name[len(dir):], '/') < 0 {
					j++
				}
				full := s.dir + "/" + dir
				fd, err := openDir(full)
				if err != nil {
					for k := i; k < j; k++ {
						s.wt[k] = wtInfo{state: wtDeleted}
					}
					i = j
					continue
				}
				for k := i; k < j; k++ {
					e := &s.idx.Entries[k]
					base := e.Name[len(dir):]
					if err := lstatAt(fd, full, base, &st); err != nil {
						s.wt[k] = wtInfo{state: wtDeleted}
						continue
					}
					s.wt[k] = s.check(e, full+base, &st)
				}
				if fd >= 0 {
					unix.Close(fd)
				}
				i = j
			}
			return nil
		})
	}
	return g.Wait()
}

// check compares one index entry with the lstat result of its file.
func (s *scanner) check(e *index.Entry, full string, st *unix.Stat_t) wtInfo {
	ftype := st.Mode & unix.S_IFMT
	if e.Mode == index.ModeGitlink {
		if ftype == unix.S_IFDIR {
			return wtInfo{mode: index.ModeGitlink}
		}
		return wtInfo{state: wtTypeChanged, mode: s.wtMode(e, st)}
	}
	if ftype == unix.S_IFDIR {
		if isGitlinkDir(full) {
			return wtInfo{state: wtTypeChanged, mode: index.ModeGitlink}
		}
		return wtInfo{state: wtDeleted}
	}
	info := wtInfo{mode: s.wtMode(e, st)}
	if info.mode&unix.S_IFMT != e.Mode&unix.S_IFMT {
		info.state = wtTypeChanged
		return info
	}
	if e.Stage() != 0 {
		return info
	}
	if info.mode != e.Mode {
		info.state = wtModified
		return info
	}
	size := uint32(st.Size)
	if e.Size != 0 && size != e.Size {
		info.state = wtModified
		return info
	}
	if s.statMatches(e, st) && (e.Size != 0 || e.Hash == emptyBlob) && !s.isRacy(e) {
		return info
	}
	h, err := s.hashWorktree(e.Name, full, ftype == unix.S_IFLNK)
	if err != nil || h != e.Hash {
		info.state = wtModified
		return info
	}
	s.mu.Lock()
	s.fresh = append(s.fresh, freshStat{name: e.Name, st: *st})
	s.mu.Unlock()
	return info
}

func (s *scanner) statMatches(e *index.Entry, st *unix.Stat_t) bool {
	mtime, ctime := statTimes(st)
	if e.MtimeSec != uint32(mtime.Sec) || (e.MtimeNsec != 0 && e.MtimeNsec != uint32(mtime.Nsec)) {
		return false
	}
	if s.set.checkStat {
		if s.set.trustCtime && (e.CtimeSec != uint32(ctime.Sec) ||
			(e.CtimeNsec != 0 && e.CtimeNsec != uint32(ctime.Nsec))) {
			return false
		}
		if e.Ino != uint32(st.Ino) || e.UID != st.Uid || e.GID != st.Gid {
			return false
		}
	}
	return true
}

// isRacy reports whether the entry's file may have changed in the same
// instant the index was written, so matching stat data proves nothing.
func (s *scanner) isRacy(e *index.Entry) bool {
	if s.racy.sec == 0 {
		return false
	}
	return e.MtimeSec > s.racy.sec || (e.MtimeSec == s.racy.sec && e.MtimeNsec >= s.racy.nsec)
}

// wtMode is the mode git would record for the file.
func (s *scanner) wtMode(e *index.Entry, st *unix.Stat_t) uint32 {
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFLNK:
		return index.ModeSymlink
	case unix.S_IFDIR:
		return index.ModeGitlink
	}
	if !s.set.fileMode && e != nil && e.Mode&unix.S_IFMT == unix.S_IFREG {
		return e.Mode
	}
	if st.Mode&0o100 != 0 {
		return index.ModeExec
	}
	return index.ModeFile
}

// hashWorktree returns the blob id git would store for a worktree file:
// its content after end-of-line conversion (a symlink's target as is).
func (s *scanner) hashWorktree(path, full string, symlink bool) (plumbing.Hash, error) {
	data, err := readWorktreeFile(full, symlink)
	if err != nil || symlink {
		return blobHash(data), err
	}
	if data, err = s.set.conv.toGit(path, data); err != nil {
		return plumbing.ZeroHash, err
	}
	return blobHash(data), nil
}

func readWorktreeFile(full string, symlink bool) ([]byte, error) {
	if symlink {
		target, err := os.Readlink(full)
		return []byte(target), err
	}
	return os.ReadFile(full)
}

func blobHash(data []byte) plumbing.Hash {
	h := sha1.New()
	h.Write([]byte("blob " + strconv.Itoa(len(data)) + "\x00"))
	h.Write(data)
	var out plumbing.Hash
	h.Sum(out[:0])
	return out
}

// walker lists the worktree for status: in one pass over the directories it
// checks tracked files (in their directory's listing) and collects untracked
// ones, honouring ignore rules, with directories handled in parallel.
type walker struct {
	*scanner
	ctx       context.Context
	g         *errgroup.Group
	mu        sync.Mutex
	untracked []string
}

// walk scans the whole worktree. base holds the ignore patterns that apply
// before any .gitignore (core.excludesFile, info/exclude).
func (s *scanner) walk(ctx context.Context, base gitignore.List) ([]string, error) {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(workers())
	w := &walker{scanner: s, ctx: ctx, g: g}
	g.Go(func() error { return w.walkDir("", 0, len(s.idx.Entries), base, false, false) })
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return w.untracked, nil
}

// spawn runs fn on another goroutine when one is free, inline otherwise.
func (w *walker) spawn(fn func() error) error {
	if w.g.TryGo(fn) {
		return nil
	}
	return fn()
}

type child struct {
	lo, hi int // index entries of a file (its stages) or of a directory
	dir    bool
	seen   bool
}

// walkDir scans directory rel ("" or "a/b/") whose index entries are
// entries[lo:hi]. ignored is set when the directory itself is ignored, so
// that no untracked file under it is reported; untrackedDir when no entry of
// the index is under it.
func (w *walker) walkDir(rel string, lo, hi int, ign gitignore.List, ignored, untrackedDir bool) error {
	if err := w.ctx.Err(); err != nil {
		return err
	}
	full := w.dir + "/" + rel
	f, err := os.Open(full)
	var list []os.DirEntry
	if err == nil {
		defer f.Close()
		list, err = f.ReadDir(-1)
	}
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, unix.ENOTDIR) || errors.Is(err, fs.ErrPermission) {
			w.markDeleted(lo, hi)
			return nil
		}
		return err
	}

	// A directory holding a .git entry is another repository: git reports it
	// as one untracked "dir/" and does not look inside.
	if untrackedDir && rel != "" {
		for _, d := range list {
			if d.Name() == ".git" {
				w.addUntracked(rel)
				return nil
			}
		}
	}

	children := make(map[string]*child, hi-lo)
	for i := lo; i < hi; {
		name := w.idx.Entries[i].Name[len(rel):]
		if slash := strings.IndexByte(name, '/'); slash >= 0 {
			prefix := w.idx.Entries[i].Name[:len(rel)+slash+1]
			j := i + 1
			for j < hi && strings.HasPrefix(w.idx.Entries[j].Name, prefix) {
				j++
			}
			children[name[:slash]] = &child{lo: i, hi: j, dir: true}
			i = j
			continue
		}
		j := i + 1
		for j < hi && w.idx.Entries[j].Name == w.idx.Entries[i].Name {
			j++
		}
		children[name] = &child{lo: i, hi: j}
		i = j
	}

	wantUntracked := !ignored
	if wantUntracked {
		for _, d := range list {
			if d.Name() == ".gitignore" && d.Type().IsRegular() {
				if data, err := os.ReadFile(full + ".gitignore"); err == nil {
					ign = ign.With(gitignore.Parse(data, rel))
				}
				break
			}
		}
	}

	dirFd := int(f.Fd())
	var st unix.Stat_t
	for _, d := range list {
		name := d.Name()
		if name == ".git" {
			continue
		}
		path := rel + name
		isDir := d.IsDir()
		c := children[name]
		if c != nil {
			c.seen = true
		}
		switch {
		case c != nil && !c.dir:
			if err := lstatAt(dirFd, full, name, &st); err != nil {
				w.markDeleted(c.lo, c.hi)
				continue
			}
			for i := c.lo; i < c.hi; i++ {
				w.wt[i] = w.check(&w.idx.Entries[i], full+name, &st)
			}
			if st.Mode&unix.S_IFMT == unix.S_IFDIR && w.wt[c.lo].mode != index.ModeGitlink &&
				wantUntracked && !ign.Ignored(path, true) {
				if err := w.spawnDir(path+"/", 0, 0, ign, false, true); err != nil {
					return err
				}
			}
		case c != nil && c.dir:
			if !isDir {
				w.markDeleted(c.lo, c.hi)
				if wantUntracked && !ign.Ignored(path, false) {
					w.addUntracked(path)
				}
				continue
			}
			dirIgnored := ignored || (!ignored && ign.Ignored(path, true))
			if err := w.spawnDir(path+"/", c.lo, c.hi, ign, dirIgnored, false); err != nil {
				return err
			}
		case wantUntracked:
			if ign.Ignored(path, isDir) {
				continue
			}
			if isDir {
				if err := w.spawnDir(path+"/", 0, 0, ign, false, true); err != nil {
					return err
				}
				continue
			}
			w.addUntracked(path)
		}
	}
	for _, c := range children {
		if !c.seen {
			w.markDeleted(c.lo, c.hi)
		}
	}
	return nil
}

func (w *walker) spawnDir(rel string, lo, hi int, ign gitignore.List, ignored, untrackedDir bool) error {
	return w.spawn(func() error { return w.walkDir(rel, lo, hi, ign, ignored, untrackedDir) })
}

func (w *walker) markDeleted(lo, hi int) {
	for i := lo; i < hi; i++ {
		w.wt[i] = wtInfo{state: wtDeleted}
	}
}

func (w *walker) addUntracked(path string) {
	w.mu.Lock()
	w.untracked = append(w.untracked, path)
	w.mu.Unlock()
}
