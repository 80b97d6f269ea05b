package gitrepo

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// gitEnv isolates the git CLI from the machine's configuration and makes
// commits deterministic. It turns off the automatic maintenance that commit,
// merge and fetch start in another git process: the test repositories are
// far below its thresholds, so that process only costs time.
func gitEnv(home string) []string {
	return append(os.Environ(),
		"HOME="+home,
		"XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_COUNT=1", "GIT_CONFIG_KEY_0=maintenance.auto", "GIT_CONFIG_VALUE_0=false",
		"GIT_AUTHOR_NAME=Test Author", "GIT_AUTHOR_EMAIL=author@example.com",
		"GIT_COMMITTER_NAME=Test Committer", "GIT_COMMITTER_EMAIL=committer@example.com",
		"GIT_AUTHOR_DATE=2026-01-02T03:04:05Z", "GIT_COMMITTER_DATE=2026-01-02T03:04:05Z",
	)
}

// git runs the git CLI in dir and returns its standard output.
func runGit(tb testing.TB, dir string, args ...string) string {
	tb.Helper()
	out, err := gitErr(dir, args...)
	if err != nil {
		tb.Fatalf("git %s: %v", strings.Join(args, " "), err)
	}
	return out
}

func gitErr(dir string, args ...string) (string, error) {
	return gitEnvErr(dir, nil, args...)
}

// gitEnvErr runs git with extra environment variables.
func gitEnvErr(dir string, env []string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(gitEnv(os.TempDir()), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("%w: %s", err, stderr.String())
	}
	return stdout.String(), nil
}

func requireGit(tb testing.TB) {
	tb.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		tb.Skip("the git CLI is the reference for these tests and is not on PATH")
	}
}

// initRepo makes an empty repository with branch main and a local identity.
func initRepo(tb testing.TB) string {
	tb.Helper()
	requireGit(tb)
	dir := tb.TempDir()
	runGit(tb, dir, "init", "-q", "-b", "main")
	// The settings are appended to the config git init wrote, as three
	// git config runs would write them, without three more processes.
	f, err := os.OpenFile(filepath.Join(dir, ".git", "config"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		tb.Fatal(err)
	}
	_, err = f.WriteString("[user]\n\tname = Repo User\n\temail = repo@example.com\n[core]\n\tautocrlf = false\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		tb.Fatal(err)
	}
	return dir
}

func write(tb testing.TB, dir, path, content string) {
	tb.Helper()
	full := filepath.Join(dir, filepath.FromSlash(path))
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
		tb.Fatal(err)
	}
}

func remove(tb testing.TB, dir, path string) {
	tb.Helper()
	if err := os.RemoveAll(filepath.Join(dir, filepath.FromSlash(path))); err != nil {
		tb.Fatal(err)
	}
}

func commitAll(tb testing.TB, dir, msg string) {
	tb.Helper()
	runGit(tb, dir, "add", "-A")
	runGit(tb, dir, "commit", "-q", "--allow-empty", "-m", msg)
}

// commitAt commits everything with the given author and committer date.
func commitAt(tb testing.TB, dir, msg, date string) {
	tb.Helper()
	runGit(tb, dir, "add", "-A")
	env := []string{"GIT_AUTHOR_DATE=" + date, "GIT_COMMITTER_DATE=" + date}
	if out, err := gitEnvErr(dir, env, "commit", "-q", "--allow-empty", "-m", msg); err != nil {
		tb.Fatalf("git commit: %v %s", err, out)
	}
}

// mkrepo builds a repository with the shared benchmark generator.
func mkrepo(tb testing.TB, dir string, args ...string) {
	tb.Helper()
	requireGit(tb)
	if _, err := exec.LookPath("python3"); err != nil {
		tb.Skip("python3 is needed to run the mkrepo generator")
	}
	script, err := findMkrepo()
	if err != nil {
		tb.Skip(err)
	}
	cmd := exec.Command("python3", append([]string{script, dir}, args...)...)
	cmd.Env = gitEnv(os.TempDir())
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("mkrepo: %v: %s", err, out)
	}
}

// findMkrepo locates the repository generator: env MKREPO, else the shared
// bench folder next to the module.
func findMkrepo() (string, error) {
	if p := os.Getenv("MKREPO"); p != "" {
		return p, nil
	}
	wd, _ := os.Getwd()
	for d := wd; ; d = filepath.Dir(d) {
		for _, c := range []string{filepath.Join(d, "shared", "bench", "mkrepo"), filepath.Join(d, "..", "shared", "bench", "mkrepo")} {
			if _, err := os.Stat(c); err == nil {
				return filepath.Clean(c), nil
			}
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("mkrepo generator not found; set MKREPO to its path")
		}
	}
}

// twinOf copies the repository at dir (worktree and git directory) with
// cp -a, so that git and this package can do the same write from the same
// starting point. A superproject copies whole: its submodules' git
// directories are inside its .git, and every link between them is relative.
func twinOf(tb testing.TB, dir string) string {
	tb.Helper()
	twin := filepath.Join(tb.TempDir(), "twin")
	copyRepo(tb, dir, twin)
	return twin
}

// copyRepo copies the repository at dir to to, which must not exist, with
// cp -a (see twinOf).
func copyRepo(tb testing.TB, dir, to string) {
	tb.Helper()
	if out, err := exec.Command("cp", "-a", dir, to).CombinedOutput(); err != nil {
		tb.Fatalf("cp -a %s: %v: %s", dir, err, out)
	}
}

// fsckClean fails the test unless git fsck --strict finds nothing wrong
// in the repository (only ours is checked: git's side is the reference).
func fsckClean(tb testing.TB, dir string) {
	tb.Helper()
	if out, err := gitErr(dir, "fsck", "--strict", "--no-dangling", "--no-progress"); err != nil || out != "" {
		tb.Errorf("git fsck --strict: %v\n%s", err, out)
	}
}

func openRepo(tb testing.TB, dir string) *Repo {
	tb.Helper()
	r, err := Open(dir)
	if err != nil {
		tb.Fatalf("Open(%s): %v", dir, err)
	}
	return r
}

// withoutOid drops the "# branch.oid" header of status records.
func withoutOid(recs []string) []string {
	var out []string
	for _, rec := range recs {
		if !strings.HasPrefix(rec, "# branch.oid ") {
			out = append(out, rec)
		}
	}
	return out
}

// porcelain renders a Status the way `git status --porcelain=v2 --branch
// -uall -z` does, one record per element.
func porcelain(st *Status) []string {
	var out []string
	if st.Head.IsZero() {
		out = append(out, "# branch.oid (initial)")
	} else {
		out = append(out, "# branch.oid "+st.Head.String())
	}
	if st.Branch == "" {
		out = append(out, "# branch.head (detached)")
	} else {
		out = append(out, "# branch.head "+st.Branch)
	}
	if st.Upstream != "" {
		out = append(out, "# branch.upstream "+st.Upstream)
		if !st.UpstreamGone && !st.Head.IsZero() {
			out = append(out, fmt.Sprintf("# branch.ab +%d -%d", st.Ahead, st.Behind))
		}
	}
	for _, f := range st.Files {
		sub := f.Submodule
		if sub == "" {
			sub = "N..."
		}
		switch {
		case f.Index == Untracked:
			out = append(out, "? "+f.Path)
		case f.Stages != [3]Stage{}:
			out = append(out, fmt.Sprintf("u %c%c %s %06o %06o %06o %06o %s %s %s %s",
				f.Index, f.Worktree, sub, f.Stages[0].Mode, f.Stages[1].Mode, f.Stages[2].Mode, f.WorktreeMode,
				f.Stages[0].Hash, f.Stages[1].Hash, f.Stages[2].Hash, f.Path))
		case f.Index == Renamed:
			out = append(out, fmt.Sprintf("2 %c%c %s %06o %06o %06o %s %s R%d %s", f.Index, f.Worktree, sub,
				f.HeadMode, f.IndexMode, f.WorktreeMode, f.HeadHash, f.IndexHash, f.Score, f.Path), f.OrigPath)
		default:
			out = append(out, fmt.Sprintf("1 %c%c %s %06o %06o %06o %s %s %s", f.Index, f.Worktree, sub,
				f.HeadMode, f.IndexMode, f.WorktreeMode, f.HeadHash, f.IndexHash, f.Path))
		}
	}
	return out
}

// gitPorcelain runs the reference command and splits its -z records.
func gitPorcelain(tb testing.TB, dir string) []string {
	tb.Helper()
	out := runGit(tb, dir, "status", "--porcelain=v2", "--branch", "-uall", "-z")
	recs := strings.Split(strings.TrimSuffix(out, "\x00"), "\x00")
	if len(recs) == 1 && recs[0] == "" {
		return nil
	}
	return recs
}

// sortedRecords orders status records for comparison: headers first, then
// entries (a rename keeps its source record right after it).
func sortedRecords(recs []string) []string {
	var groups [][]string
	for i := 0; i < len(recs); i++ {
		g := []string{recs[i]}
		if strings.HasPrefix(recs[i], "2 ") && i+1 < len(recs) {
			g = append(g, recs[i+1])
			i++
		}
		groups = append(groups, g)
	}
	sort.SliceStable(groups, func(i, j int) bool {
		hi, hj := strings.HasPrefix(groups[i][0], "#"), strings.HasPrefix(groups[j][0], "#")
		if hi != hj {
			return hi
		}
		if hi {
			return false
		}
		return groups[i][0] < groups[j][0]
	})
	var out []string
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

func statusOf(tb testing.TB, r *Repo) *Status {
	tb.Helper()
	st, err := r.Status(context.Background())
	if err != nil {
		tb.Fatalf("Status: %v", err)
	}
	return st
}
