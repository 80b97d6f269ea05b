package gitrepo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"

	"github.com/opencode-portal/portal/internal/gitrepo/index"
)

// readProbe is what the checks of ReadsNeedGitCLI look at: the
// repository's storage and index, read once for all checks.
type readProbe struct {
	r   *Repo
	g   *git.Repository
	idx *index.Index
}

// readChecks are the features whose reads the package leaves to the git
// CLI. Each returns how the repository uses the feature ("the lfs filter
// (a.bin, b.bin)"), or "" when it does not. A feature the package cannot
// read itself, but git can, gets a check here.
func readChecks() []func(*readProbe) string {
	return []func(*readProbe) string{filtersInUse, funcnamesNotRun}
}

// ReadsNeedGitCLI reports why status and diff of the repository must be
// read with the git CLI (StatusCLI, DiffCLI, NumstatCLI) rather than by the
// package: a description of the features in use that the package does not
// run, for example "the lfs filter (big.bin)"; "" when the package reads
// the repository itself. Writes touching those files are refused with
// ErrUnsupported either way. StatusUnlessCLI and DiffUnlessCLI make the
// same check on the index their read loads, without reading it twice.
func (r *Repo) ReadsNeedGitCLI(ctx context.Context) (string, error) {
	if err := checkCtx(ctx); err != nil {
		return "", err
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	g, err := r.open()
	if err != nil {
		return "", err
	}
	idx, _, err := r.readWorktreeIndex(g)
	if err != nil {
		return "", err
	}
	return r.readsNeedGitCLI(g, idx), nil
}

// readsNeedGitCLI is ReadsNeedGitCLI on index idx, as the worktree's reads
// load it (readWorktreeIndex).
func (r *Repo) readsNeedGitCLI(g *git.Repository, idx *index.Index) string {
	p := &readProbe{r: r, g: g, idx: idx}
	var reasons []string
	for _, check := range readChecks() {
		if why := check(p); why != "" {
			reasons = append(reasons, why)
		}
	}
	return strings.Join(reasons, "; ")
}

// StatusUnlessCLI is Status, unless the repository's reads need the git
// CLI: it then returns ReadsNeedGitCLI's answer and no status, for
// StatusCLI to read. The check is made on the index the status reads.
func (r *Repo) StatusUnlessCLI(ctx context.Context) (*Status, string, error) {
	return r.readStatus(ctx, true)
}

// DiffUnlessCLI is Diff, with Numstat's summary when numstat is set (as
// DiffStat), unless the repository's reads need the git CLI: it then
// returns ReadsNeedGitCLI's answer and no diff, for DiffCLI and NumstatCLI
// to read. The check is made on the index the diff reads.
func (r *Repo) DiffUnlessCLI(ctx context.Context, opts DiffOptions, numstat bool) (string, []FileStat, string, error) {
	return r.diff(ctx, opts, true, numstat, true)
}

// filtersInUse finds the tracked files with a filter driver or
// working-tree-encoding; skip-worktree files, which git does not look at,
// are left out.
func filtersInUse(p *readProbe) string {
	conv := p.r.newConverter(p.g, p.idx, false, nil)
	if !conv.mayNeedUnsupported(p.idx) {
		return ""
	}
	byFeature := map[string][]string{}
	for i := range p.idx.Entries {
		e := &p.idx.Entries[i]
		if e.Mode&0o170000 != index.ModeFile&0o170000 || e.ExtFlags&index.SkipWorktree != 0 || i > 0 && p.idx.Entries[i-1].Name == e.Name {
			continue
		}
		for _, f := range conv.of(e.Name).unsupported {
			byFeature[f] = append(byFeature[f], e.Name)
		}
	}
	features := make([]string, 0, len(byFeature))
	for f, paths := range byFeature {
		features = append(features, f+" ("+strings.Join(firstPaths(paths), ", ")+")")
	}
	sort.Strings(features)
	return strings.Join(features, "; ")
}

// firstPaths shortens a list of paths for a message.
func firstPaths(paths []string) []string {
	const n = 3
	if len(paths) <= n+1 {
		return paths
	}
	return append(paths[:n:n], fmt.Sprintf("and %d more", len(paths)-n))
}

// mayNeedUnsupported reports whether any attributes file that applies to
// the index's files names filter or working-tree-encoding, directly
// or through a macro: when none does, no file needs checking.
func (c *converter) mayNeedUnsupported(idx *index.Index) bool {
	files := append([][]attrRule{c.attrs.info}, c.attrs.outer...)
	seen := map[string]bool{}
	for i := range idx.Entries {
		name := idx.Entries[i].Name
		for j := strings.LastIndexByte(name, '/'); ; j = strings.LastIndexByte(name[:j], '/') {
			dir := name[:j+1]
			if seen[dir] {
				break
			}
			seen[dir] = true
			files = append(files, c.attrs.dirRules(dir))
			if j < 0 {
				break
			}
		}
	}
	for _, rules := range files {
		for _, r := range rules {
			for _, a := range r.assigns {
				switch a.name {
				case "filter", "working-tree-encoding":
					return true
				}
			}
		}
	}
	return false
}

// gitCLI runs the git CLI on the repository, read-only, and returns its
// standard output. The environment cannot redirect it: every GIT_*
// variable of the process is dropped and GIT_DIR and GIT_WORK_TREE are set;
// no pager, editor, prompt, external diff, textconv or fsmonitor runs;
// pathspecs are literal; optional locks are not taken. The user's global
// configuration is kept, as filter drivers are configured there. extraEnv
// adds variables (GIT_INDEX_FILE).
func (r *Repo) gitCLI(ctx context.Context, extraEnv []string, args ...string) ([]byte, error) {
	bin, err := exec.LookPath("git")
	if err != nil {
		return nil, fmt.Errorf("%w: reading this repository needs the git CLI, which is not on PATH; install git", ErrUnsupported)
	}
	base := []string{"--no-pager", "--literal-pathspecs", "-c", "core.fsmonitor=false", "-c", "core.quotePath=true"}
	cmd := exec.CommandContext(ctx, bin, append(base, args...)...)
	cmd.Dir = r.dir
	env := make([]string, 0, len(os.Environ())+8)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GIT_") && !strings.HasPrefix(kv, "PAGER=") && !strings.HasPrefix(kv, "EDITOR=") &&
			!strings.HasPrefix(kv, "VISUAL=") && !strings.HasPrefix(kv, "LC_ALL=") {
			env = append(env, kv)
		}
	}
	env = append(env, "GIT_DIR="+r.gitDir, "GIT_WORK_TREE="+r.dir, "GIT_OPTIONAL_LOCKS=0",
		"GIT_TERMINAL_PROMPT=0", "GIT_PAGER=cat", "PAGER=cat", "GIT_EDITOR=:", "LC_ALL=C")
	cmd.Env = append(env, extraEnv...)
	// On cancellation the whole process group goes (filters run by git
	// included), and a child still holding the pipes does not hold the
	// caller.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, fmt.Errorf("git %s: %w", args[0], ctxErr)
		}
		msg := strings.TrimSpace(stderr.String())
		if len(msg) > 500 {
			msg = msg[:500] + "…"
		}
		return nil, fmt.Errorf("git %s failed (%v): %s", args[0], err, msg)
	}
	return stdout.Bytes(), nil
}

// StatusCLI is Status read with `git status --porcelain=v2 -z --branch
// -uall`, for repositories ReadsNeedGitCLI sends to the git CLI.
func (r *Repo) StatusCLI(ctx context.Context) (*Status, error) {
	out, err := r.gitCLI(ctx, nil, "status", "--porcelain=v2", "-z", "--branch", "-uall", "--ignore-submodules=none")
	if err != nil {
		return nil, fmt.Errorf("git status: %w", err)
	}
	st, err := parsePorcelainV2(out)
	if err != nil {
		return nil, fmt.Errorf("git status: %w", err)
	}
	return st, nil
}

// parsePorcelainV2 parses the output of `git status --porcelain=v2 -z
// --branch`.
func parsePorcelainV2(out []byte) (*Status, error) {
	st := &Status{}
	recs := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
	hasAB := false
	bad := func(rec string) error { return fmt.Errorf("unexpected status record %q", rec) }
	for i := 0; i < len(recs); i++ {
		rec := recs[i]
		if rec == "" {
			continue
		}
		if h, ok := strings.CutPrefix(rec, "# "); ok {
			key, val, _ := strings.Cut(h, " ")
			switch key {
			case "branch.oid":
				if val != "(initial)" {
					h, ok := parseHash(val)
					if !ok {
						return nil, bad(rec)
					}
					st.Head = h
				}
			case "branch.head":
				if val != "(detached)" {
					st.Branch = val
				}
			case "branch.upstream":
				st.Upstream = val
			case "branch.ab":
				a, b, _ := strings.Cut(val, " ")
				ahead, err1 := strconv.Atoi(strings.TrimPrefix(a, "+"))
				behind, err2 := strconv.Atoi(strings.TrimPrefix(b, "-"))
				if err1 != nil || err2 != nil {
					return nil, bad(rec)
				}
				st.Ahead, st.Behind, hasAB = ahead, behind, true
			}
			continue
		}
		if len(rec) < 2 || rec[1] != ' ' {
			return nil, bad(rec)
		}
		var f FileStatus
		switch rec[0] {
		case '?':
			st.Files = append(st.Files, FileStatus{Path: rec[2:], Index: Untracked, Worktree: Untracked})
			continue
		case '!':
			continue
		case '1':
			p := strings.SplitN(rec, " ", 9)
			if len(p) != 9 || !setXY(&f, p[1]) || !parseModes(p[3:6], &f.HeadMode, &f.IndexMode, &f.WorktreeMode) ||
				!parseHashes(p[6:8], &f.HeadHash, &f.IndexHash) {
				return nil, bad(rec)
			}
			f.Path, f.Submodule = p[8], subField(p[2])
		case '2':
			p := strings.SplitN(rec, " ", 10)
			if len(p) != 10 || i+1 >= len(recs) || !setXY(&f, p[1]) || !parseModes(p[3:6], &f.HeadMode, &f.IndexMode, &f.WorktreeMode) ||
				!parseHashes(p[6:8], &f.HeadHash, &f.IndexHash) || len(p[8]) < 2 {
				return nil, bad(rec)
			}
			score, err := strconv.Atoi(p[8][1:])
			if err != nil {
				return nil, bad(rec)
			}
			f.Score, f.Path, f.OrigPath, f.Submodule = score, p[9], recs[i+1], subField(p[2])
			i++
		case 'u':
			p := strings.SplitN(rec, " ", 11)
			var m [3]uint32
			var h [3]plumbing.Hash
			if len(p) != 11 || !setXY(&f, p[1]) || !parseModes(p[3:7], &m[0], &m[1], &m[2], &f.WorktreeMode) ||
				!parseHashes(p[7:10], &h[0], &h[1], &h[2]) {
				return nil, bad(rec)
			}
			for s := range f.Stages {
				f.Stages[s] = Stage{Mode: m[s], Hash: h[s]}
			}
			f.Path, f.Submodule = p[10], subField(p[2])
		default:
			return nil, bad(rec)
		}
		st.Files = append(st.Files, f)
	}
	st.UpstreamGone = st.Upstream != "" && !hasAB && !st.Head.IsZero()
	return st, nil
}

func setXY(f *FileStatus, xy string) bool {
	if len(xy) != 2 {
		return false
	}
	f.Index, f.Worktree = xy[0], xy[1]
	return true
}

func parseModes(fields []string, modes ...*uint32) bool {
	for i, s := range fields {
		m, err := strconv.ParseUint(s, 8, 32)
		if err != nil {
			return false
		}
		*modes[i] = uint32(m)
	}
	return true
}

func parseHashes(fields []string, hashes ...*plumbing.Hash) bool {
	for i, s := range fields {
		h, ok := parseHash(s)
		if !ok {
			return false
		}
		*hashes[i] = h
	}
	return true
}

func parseHash(s string) (plumbing.Hash, bool) {
	if len(s) != 40 {
		return plumbing.ZeroHash, false
	}
	for i := 0; i < len(s); i++ {
		if !(s[i] >= '0' && s[i] <= '9' || s[i] >= 'a' && s[i] <= 'f') {
			return plumbing.ZeroHash, false
		}
	}
	return plumbing.NewHash(s), true
}

// diffArgs are the arguments of `git diff` that give what Diff gives for
// opts: patches against HEAD with a/ and b/ prefixes, submodules as their
// commits, no external diff, textconv or colour; the diff.* settings Diff
// honours (context, algorithm, heuristics) are left to git.
func diffArgs(opts DiffOptions, paths []string, extra ...string) []string {
	args := append([]string{"diff", "--no-ext-diff", "--no-textconv", "--no-color", "--src-prefix=a/", "--dst-prefix=b/",
		"--submodule=short"}, extra...)
	if opts.Binary {
		args = append(args, "--binary")
	}
	if opts.Staged {
		args = append(args, "--cached")
	}
	return append(append(args, "HEAD", "--"), paths...)
}

// cliDiff runs git diff with args for opts on a scratch copy of the
// index, which git diff refreshes: the repository's own index is left
// alone. Untracked files (opts.Untracked) are announced in the copy with
// `git add -N`, so they show as new files.
func (r *Repo) cliDiff(ctx context.Context, opts DiffOptions, extra ...string) ([]byte, error) {
	filter, err := newPathFilter(opts.Paths)
	if err != nil {
		return nil, err
	}
	paths := []string(filter)
	scratch, err := os.MkdirTemp("", "portal-index-")
	if err != nil {
		return nil, fmt.Errorf("scratch index: %w", err)
	}
	defer os.RemoveAll(scratch)
	idxFile := filepath.Join(scratch, "index")
	if err := copyIndex(idxFile, filepath.Join(r.gitDir, "index")); err != nil {
		return nil, fmt.Errorf("scratch index: %w", err)
	}
	env := []string{"GIT_INDEX_FILE=" + idxFile}
	if opts.Untracked && !opts.Staged {
		list, err := r.gitCLI(ctx, env, append([]string{"ls-files", "-z", "--others", "--exclude-standard", "--"}, paths...)...)
		if err != nil {
			return nil, err
		}
		if len(list) > 0 {
			untracked := strings.Split(strings.TrimSuffix(string(list), "\x00"), "\x00")
			if _, err := r.gitCLI(ctx, env, append([]string{"add", "-N", "--"}, untracked...)...); err != nil {
				return nil, err
			}
		}
	}
	return r.gitCLI(ctx, env, diffArgs(opts, paths, extra...)...)
}

// copyIndex copies the index file orig, when there is one, to path with
// orig's modification time. Git takes an entry whose file changed in the
// second the index was written for possibly changed ("racily clean") by
// that time; a copy with a later one would hide such a change. The time is
// read first: should the index be replaced meanwhile, the copy gets an
// older time, which only makes git compare more files' contents.
func copyIndex(path, orig string) error {
	fi, err := os.Stat(orig)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	data, err := os.ReadFile(orig)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return err
	}
	return os.Chtimes(path, fi.ModTime(), fi.ModTime())
}

// DiffCLI is Diff read with `git diff`, for repositories ReadsNeedGitCLI
// sends to the git CLI.
func (r *Repo) DiffCLI(ctx context.Context, opts DiffOptions) (string, error) {
	out, err := r.cliDiff(ctx, opts)
	if err != nil {
		return "", fmt.Errorf("git diff: %w", err)
	}
	return string(out), nil
}

// NumstatCLI is Numstat read with `git diff --raw --numstat -z`, for
// repositories ReadsNeedGitCLI sends to the git CLI.
func (r *Repo) NumstatCLI(ctx context.Context, opts DiffOptions) ([]FileStat, error) {
	out, err := r.cliDiff(ctx, opts, "--raw", "--numstat", "-z")
	if err != nil {
		return nil, fmt.Errorf("git diff: %w", err)
	}
	stats, err := parseRawNumstat(out)
	if err != nil {
		return nil, fmt.Errorf("git diff: %w", err)
	}
	return stats, nil
}

// parseRawNumstat parses `git diff --raw --numstat -z`: the raw records
// (status and paths) then as many numstat records (line counts).
func parseRawNumstat(out []byte) ([]FileStat, error) {
	f := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
	var stats []FileStat
	i := 0
	for ; i < len(f) && strings.HasPrefix(f[i], ":"); i++ {
		meta := strings.Fields(f[i])
		if len(meta) != 5 || meta[4] == "" || i+1 >= len(f) {
			return nil, fmt.Errorf("unexpected raw diff record %q", f[i])
		}
		s := FileStat{Status: meta[4][0], Path: f[i+1]}
		i++
		if s.Status == Renamed || s.Status == 'C' {
			if i+1 >= len(f) {
				return nil, fmt.Errorf("unexpected raw diff record %q", f[i-1])
			}
			s.OrigPath, s.Path = s.Path, f[i+1]
			i++
		}
		stats = append(stats, s)
	}
	for k := range stats {
		if i >= len(f) {
			return nil, fmt.Errorf("numstat of %s missing", stats[k].Path)
		}
		rec := f[i]
		parts := strings.SplitN(rec, "\t", 3)
		if len(parts) != 3 {
			return nil, fmt.Errorf("unexpected numstat record %q", rec)
		}
		i++
		if parts[2] == "" {
			i += 2 // a rename's paths, already read
		}
		if parts[0] == "-" && parts[1] == "-" {
			stats[k].Binary = true
			continue
		}
		a, err1 := strconv.ParseUint(parts[0], 10, 31)
		d, err2 := strconv.ParseUint(parts[1], 10, 31)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("unexpected numstat record %q", rec)
		}
		stats[k].Added, stats[k].Deleted = int(a), int(d)
	}
	return stats, nil
}
