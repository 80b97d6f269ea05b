package gitrepo

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-billy/v5"
	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/storage/filesystem"
	"github.com/go-git/go-git/v5/storage/filesystem/dotgit"
)

// A repository's files live in two git directories, as git lays them out
// (gitrepository-layout(5)): the worktree's own (r.gitDir: HEAD, index,
// ORIG_HEAD, MERGE_HEAD, logs/HEAD, refs/bisect, refs/worktree,
// config.worktree, sharedindex.*) and the common one shared by every
// worktree (objects, refs, packed-refs, config, info, hooks). They are the
// same directory except in a linked worktree (`git worktree add`), whose
// gitdir is <common>/worktrees/NAME with a "commondir" file.

// readCommonDir returns the common git directory of gitDir: the one its
// "commondir" file names, else gitDir itself.
func readCommonDir(gitDir string) (string, error) {
	data, err := os.ReadFile(filepath.Join(gitDir, "commondir"))
	if errors.Is(err, fs.ErrNotExist) {
		return gitDir, nil
	}
	if err != nil {
		return "", fmt.Errorf("open repository: %w", err)
	}
	d := strings.TrimRight(string(data), "\r\n")
	if d == "" {
		return gitDir, nil
	}
	if !filepath.IsAbs(d) {
		d = filepath.Join(gitDir, d)
	}
	return filepath.Clean(d), nil
}

// commonDir is the git directory shared by all worktrees of the repository.
func (r *Repo) commonDir() string { return r.common }

// linked reports whether the repository is a linked worktree.
func (r *Repo) linked() bool { return r.common != r.gitDir }

// repoFormat is what the repository's format version and extensions ask of
// the code that reads and writes it.
type repoFormat struct {
	// worktreeConfig layers config.worktree over the common config.
	worktreeConfig bool
	// promisor is the remote of a partial clone (extensions.partialClone,
	// or a remote with promisor = true, which git clone --filter sets),
	// whose missing objects only the git CLI fetches on demand; "" in a
	// complete repository.
	promisor string
}

// checkFormat validates core.repositoryformatversion and the extensions.*
// keys as git 2.39 does (setup.c): version 0 honours noop,
// preciousObjects, partialClone and worktreeConfig and ignores unknown
// keys; version 1 adds objectFormat and noop-v1 and refuses unknown keys.
func checkFormat(raw *config.Config, file string) (repoFormat, error) {
	var f repoFormat
	version := strings.TrimSpace(raw.Raw.Section("core").Option("repositoryformatversion"))
	switch version {
	case "", "0", "1":
	default:
		return f, fmt.Errorf("%w: core.repositoryformatversion = %s in %s: git 2.39 knows versions 0 and 1; use a newer git", ErrUnsupported, version, file)
	}
	if !raw.Raw.HasSection("extensions") {
		return f, nil
	}
	for _, o := range raw.Raw.Section("extensions").Options {
		key, value := strings.ToLower(o.Key), strings.TrimSpace(o.Value)
		switch key {
		case "noop":
		case "preciousobjects":
			// Only pruning and repacking must keep every object; no
			// operation here deletes objects.
		case "partialclone":
			f.promisor = value
		case "worktreeconfig":
			f.worktreeConfig = boolOption(value, value == "")
		case "objectformat", "noop-v1":
			if version != "1" {
				return f, fmt.Errorf("%w: extensions.%s needs core.repositoryformatversion = 1 in %s, as git says; fix the config", ErrUnsupported, o.Key, file)
			}
			if key == "objectformat" && value != "sha1" { // git compares the name exactly
				return f, fmt.Errorf("%w: extensions.objectFormat = %s in %s: only SHA-1 repositories are supported; use the git CLI", ErrUnsupported, value, file)
			}
		default:
			if version == "1" {
				return f, fmt.Errorf("%w: repository extension extensions.%s in %s is unknown to git 2.39 and not handled here; use the git CLI of a version that supports it", ErrUnsupported, o.Key, file)
			}
		}
	}
	return f, nil
}

// readConfigFile parses a git config file; a missing file is empty.
func readConfigFile(name string) ([]byte, *config.Config, error) {
	data, err := os.ReadFile(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, config.NewConfig(), nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read config: %w", err)
	}
	cfg, err := config.ReadConfig(bytes.NewReader(data))
	if err != nil {
		return nil, nil, fmt.Errorf("read config %s: %w; fix it with git config --edit", name, err)
	}
	return data, cfg, nil
}

// layout reads the common config, checks the repository format and
// returns the configuration in effect in this worktree: the common config
// with config.worktree after it (later values win) when
// extensions.worktreeConfig is on.
func (r *Repo) layout() (repoFormat, *config.Config, error) {
	commonFile := filepath.Join(r.common, "config")
	data, common, err := readConfigFile(commonFile)
	if err != nil {
		return repoFormat{}, nil, err
	}
	f, err := checkFormat(common, commonFile)
	if err != nil {
		return f, nil, err
	}
	eff := common
	if f.worktreeConfig {
		wtFile := filepath.Join(r.gitDir, "config.worktree")
		wtData, _, err := readConfigFile(wtFile)
		if err != nil {
			return f, nil, err
		}
		if len(wtData) > 0 {
			joined := append(append(append([]byte(nil), data...), '\n'), wtData...)
			if eff, err = config.ReadConfig(bytes.NewReader(joined)); err != nil {
				return f, nil, fmt.Errorf("read config %s: %w; fix it with git config --worktree --edit", wtFile, err)
			}
		}
	}
	if err := r.checkWorktreeSetting(eff); err != nil {
		return f, nil, err
	}
	for _, rs := range eff.Raw.Section("remote").Subsections {
		if f.promisor == "" && boolOption(rs.Option("promisor"), false) {
			f.promisor = rs.Name
		}
	}
	return f, eff, nil
}

// checkWorktreeSetting refuses a configuration under which git would not
// use r.dir as the worktree: core.bare = true (no worktree at all) or
// core.worktree naming another folder, whose files git would show instead.
// Git applies both to the main worktree only (setup.c reads them when
// there is no commondir): the linked worktrees of a bare repository are
// the usual way to work on one.
func (r *Repo) checkWorktreeSetting(cfg *config.Config) error {
	if r.linked() {
		return nil
	}
	core := cfg.Raw.Section("core")
	if boolOption(core.Option("bare"), false) {
		return fmt.Errorf("%w: core.bare = true: git treats the repository of %s as having no worktree; set core.bare to false", ErrUnsupported, r.dir)
	}
	wt := core.Option("worktree")
	if wt == "" {
		return nil
	}
	if !filepath.IsAbs(wt) {
		wt = filepath.Join(r.gitDir, wt) // relative to the git directory, as git reads it
	}
	if same, err := sameFile(wt, r.dir); err != nil || !same {
		return fmt.Errorf("%w: core.worktree = %s makes git use %s as the worktree, not %s; unset core.worktree (git config --unset core.worktree) or work in that folder", ErrUnsupported, core.Option("worktree"), filepath.Clean(wt), r.dir)
	}
	return nil
}

// sameFile reports whether a and b name the same file.
func sameFile(a, b string) (bool, error) {
	fa, err := os.Stat(a)
	if err != nil {
		return false, err
	}
	fb, err := os.Stat(b)
	if err != nil {
		return false, err
	}
	return os.SameFile(fa, fb), nil
}

// effectiveConfig is the configuration in effect in the worktree g was
// opened on (see layout): the common config, then config.worktree.
func effectiveConfig(g *git.Repository) *config.Config {
	return g.Storer.(*repoStorage).effective
}

// open returns a go-git repository with its own storage and caches, on the
// worktree's gitdir and the common dir, after checking the repository
// format. go-git refuses every extension but noop, so its storage is
// given a view of the config without the extensions section, which
// checkFormat validated instead.
func (r *Repo) open() (*git.Repository, error) {
	f, cfg, err := r.layout()
	if err != nil {
		return nil, err
	}
	var fsys billy.Filesystem = osfs.New(r.gitDir)
	if r.linked() {
		fsys = &linkedFS{RepositoryFilesystem: dotgit.NewRepositoryFilesystem(fsys, osfs.New(r.common)), own: fsys}
	}
	s := &repoStorage{Storage: filesystem.NewStorage(fsys, cache.NewObjectLRUDefault()), common: r.common, format: f, effective: cfg}
	g, err := git.Open(s, osfs.New(r.dir))
	if errors.Is(err, git.ErrRepositoryNotExists) {
		return nil, fmt.Errorf("%w: %s (its git directory %s has no HEAD)", ErrNotRepository, r.dir, r.gitDir)
	}
	if err != nil {
		return nil, fmt.Errorf("open repository %s: %w", r.dir, err)
	}
	return g, nil
}

// openWrite is open for an operation that changes the repository: refs,
// objects, the index or the worktree. Partial clones are refused: their
// missing objects would have to be fetched on demand, which only the git
// CLI does.
func (r *Repo) openWrite() (*git.Repository, error) {
	g, err := r.open()
	if err != nil {
		return nil, err
	}
	if p := g.Storer.(*repoStorage).format.promisor; p != "" {
		return nil, fmt.Errorf("%w: this is a partial clone (of remote %s), whose missing objects only the git CLI fetches; make this change with git", ErrUnsupported, p)
	}
	return g, nil
}

// repoStorage is go-git's filesystem storage with the repository's
// extensions handled here: the config go-git sees has no extensions
// section, the config it writes keeps the one on disk, and an object
// missing from a partial clone says so.
type repoStorage struct {
	*filesystem.Storage
	common string
	format repoFormat
	// effective is the configuration in effect in this worktree (see
	// layout), for the settings read here; go-git reads and writes the
	// common config only.
	effective *config.Config
}

// Config returns the common config without its extensions section.
func (s *repoStorage) Config() (*config.Config, error) {
	cfg, err := s.Storage.Config()
	if err != nil {
		return nil, fmt.Errorf("read config %s: %w", filepath.Join(s.common, "config"), err)
	}
	cfg.Raw.RemoveSection("extensions")
	cfg.Extensions.ObjectFormat = ""
	return cfg, nil
}

// SetConfig writes cfg as the common config, with the extensions section
// currently on disk, through config.lock as git does.
func (s *repoStorage) SetConfig(cfg *config.Config) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	name := filepath.Join(s.common, "config")
	lock := name + ".lock"
	f, err := os.OpenFile(lock, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%w: %s exists: another git process is changing the config; if none is running, remove it", ErrLocked, lock)
	}
	if err != nil {
		return fmt.Errorf("write config: %w", err)
	}
	defer os.Remove(lock) // after a successful rename, there is nothing to remove
	_, cur, err := readConfigFile(name)
	if err != nil {
		f.Close()
		return err
	}
	cfg.Raw.RemoveSection("extensions")
	if cur.Raw.HasSection("extensions") {
		cfg.Raw.Sections = append(cfg.Raw.Sections, cur.Raw.Section("extensions"))
	}
	data, err := cfg.Marshal()
	if err == nil {
		_, err = f.Write(data)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(lock, name)
	}
	if err != nil {
		return fmt.Errorf("write config %s: %w", name, err)
	}
	return nil
}

// EncodedObject is the storage's, with an error that names the partial
// clone when the object is one it has not downloaded.
func (s *repoStorage) EncodedObject(t plumbing.ObjectType, h plumbing.Hash) (plumbing.EncodedObject, error) {
	o, err := s.Storage.EncodedObject(t, h)
	if err != nil && s.format.promisor != "" && errors.Is(err, plumbing.ErrObjectNotFound) {
		return nil, fmt.Errorf("%w: object %s is not in this partial clone (of remote %s) and only the git CLI fetches missing objects; run the same operation with git once, or clone without --filter: %w",
			ErrUnsupported, h, s.format.promisor, err)
	}
	return o, err
}

// worktreeInfo is one worktree of the repository.
type worktreeInfo struct {
	path   string // as git worktree list prints it
	gitDir string
}

// worktrees lists the repository's worktrees as git does (worktree.c):
// the main one, unless the repository is bare, then every
// <common>/worktrees/NAME, including those whose folder is gone.
func (r *Repo) worktrees() []worktreeInfo {
	var out []worktreeInfo
	_, cfg, err := readConfigFile(filepath.Join(r.common, "config"))
	if err != nil || !boolOption(cfg.Raw.Section("core").Option("bare"), false) {
		main := r.common
		if real, err := filepath.EvalSymlinks(main); err == nil {
			main = real
		}
		out = append(out, worktreeInfo{path: strings.TrimSuffix(main, string(filepath.Separator)+".git"), gitDir: r.common})
	}
	dirs, _ := os.ReadDir(filepath.Join(r.common, "worktrees"))
	for _, d := range dirs {
		gd := filepath.Join(r.common, "worktrees", d.Name())
		path := gd
		if data, err := os.ReadFile(filepath.Join(gd, "gitdir")); err == nil {
			path = strings.TrimSuffix(strings.TrimRight(string(data), " \t\r\n"), "/.git")
		}
		out = append(out, worktreeInfo{path: path, gitDir: gd})
	}
	return out
}

// checkNotCheckedOut fails with ErrBranchCheckedOut when another worktree
// of the repository has branch checked out, or is rebasing or bisecting it
// on a detached HEAD, as git switch refuses (find_shared_symref).
func (r *Repo) checkNotCheckedOut(branch string) error {
	ref := plumbing.NewBranchReferenceName(branch).String()
	for _, wt := range r.worktrees() {
		if same, err := sameFile(wt.gitDir, r.gitDir); err == nil && same {
			continue
		}
		if worktreeHasBranch(wt.gitDir, ref) {
			return fmt.Errorf("%w: '%s' is already checked out at '%s'", ErrBranchCheckedOut, branch, wt.path)
		}
	}
	return nil
}

// worktreeHasBranch reports whether the worktree whose git directory is
// gitDir has ref checked out, or is rebasing or bisecting it.
func worktreeHasBranch(gitDir, ref string) bool {
	read := func(name string) string {
		data, err := os.ReadFile(filepath.Join(gitDir, name))
		if err != nil {
			return ""
		}
		return strings.TrimSpace(string(data))
	}
	head := read("HEAD")
	if target, ok := strings.CutPrefix(head, "ref:"); ok {
		return strings.TrimSpace(target) == ref
	}
	if head == "" {
		return false
	}
	// Detached: a rebase in progress records the branch in head-name, a
	// bisect its short name in BISECT_START.
	for _, f := range []string{"rebase-merge/head-name", "rebase-apply/head-name"} {
		if read(f) == ref {
			if f == "rebase-apply/head-name" {
				if _, err := os.Stat(filepath.Join(gitDir, "rebase-apply", "applying")); err == nil {
					continue // git am, not a rebase
				}
			}
			return true
		}
	}
	return "refs/heads/"+read("BISECT_START") == ref
}

// linkedFS is go-git's view of a linked worktree's two git directories,
// which sends HEAD, the index and logs/HEAD to the worktree's own and the
// rest to the common one, with the refs git keeps per worktree
// (refs/bisect/*, refs/worktree/*, refs/rewritten/* and their reflogs)
// sent to the worktree's own too: go-git does so only for the folders
// themselves.
type linkedFS struct {
	*dotgit.RepositoryFilesystem
	own billy.Filesystem
}

// pick returns the worktree's own directory for a per-worktree ref path,
// else the mapping of go-git.
func (f *linkedFS) pick(path string) billy.Filesystem {
	p := strings.TrimPrefix(filepath.ToSlash(filepath.Clean(path)), "logs/") + "/"
	for _, dir := range []string{"refs/bisect/", "refs/worktree/", "refs/rewritten/"} {
		if strings.HasPrefix(p, dir) {
			return f.own
		}
	}
	return f.RepositoryFilesystem
}

// The billy.Filesystem methods that take a path route it with pick.

func (f *linkedFS) Create(name string) (billy.File, error) { return f.pick(name).Create(name) }
func (f *linkedFS) Open(name string) (billy.File, error)   { return f.pick(name).Open(name) }
func (f *linkedFS) OpenFile(name string, flag int, perm os.FileMode) (billy.File, error) {
	return f.pick(name).OpenFile(name, flag, perm)
}
func (f *linkedFS) Stat(name string) (os.FileInfo, error)  { return f.pick(name).Stat(name) }
func (f *linkedFS) Lstat(name string) (os.FileInfo, error) { return f.pick(name).Lstat(name) }
func (f *linkedFS) Rename(from, to string) error           { return f.pick(from).Rename(from, to) }
func (f *linkedFS) Remove(name string) error               { return f.pick(name).Remove(name) }
func (f *linkedFS) TempFile(dir, prefix string) (billy.File, error) {
	return f.pick(dir).TempFile(dir, prefix)
}
func (f *linkedFS) ReadDir(name string) ([]os.FileInfo, error) { return f.pick(name).ReadDir(name) }
func (f *linkedFS) MkdirAll(name string, perm os.FileMode) error {
	return f.pick(name).MkdirAll(name, perm)
}
func (f *linkedFS) Readlink(name string) (string, error)         { return f.pick(name).Readlink(name) }
func (f *linkedFS) Symlink(target, link string) error            { return f.pick(link).Symlink(target, link) }
func (f *linkedFS) Chroot(path string) (billy.Filesystem, error) { return f.pick(path).Chroot(path) }
