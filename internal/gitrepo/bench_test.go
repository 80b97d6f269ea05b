package gitrepo

import (
	"context"
	"crypto/sha1"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opencode-portal/portal/internal/gitrepo/internal/histgen"
)

// benchArgs are the mkrepo arguments of the benchmark repository: 30,000
// tracked files, 100 modified, 10 deleted, 50 untracked.
var benchArgs = []string{"--files", "30000"}

// benchRepo builds the benchmark repository once and caches it under
// os.TempDir, keyed by the generator arguments.
func benchRepo(b *testing.B) string {
	b.Helper()
	if _, err := exec.LookPath("python3"); err != nil {
		b.Skip("python3 is needed to build the benchmark repository with mkrepo")
	}
	key := fmt.Sprintf("%x", sha1.Sum([]byte(strings.Join(benchArgs, " "))))[:12]
	dir := filepath.Join(os.TempDir(), "gitrepo-bench-"+key)
	if _, err := os.Stat(dir + ".ok"); err == nil {
		return dir
	}
	os.RemoveAll(dir)
	b.Logf("building the benchmark repository in %s (about a minute)", dir)
	mkrepo(b, dir, benchArgs...)
	if err := os.WriteFile(dir+".ok", nil, 0o644); err != nil {
		b.Fatal(err)
	}
	return dir
}

// compareWithGit times ours and the git CLI alternately in the same run and
// reports ours per op, git's per op, and the ratio.
func compareWithGit(b *testing.B, dir string, ours func() error, gitArgs ...string) {
	b.Helper()
	runGitCLI := func() error {
		cmd := exec.Command("git", gitArgs...)
		cmd.Dir = dir
		cmd.Stdout = io.Discard
		return cmd.Run()
	}
	// Warm both (page cache, index refresh).
	for i := 0; i < 2; i++ {
		if err := runGitCLI(); err != nil {
			b.Fatalf("git %v: %v", gitArgs, err)
		}
		if err := ours(); err != nil {
			b.Fatal(err)
		}
	}
	var oursTotal, gitTotal time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		if err := runGitCLI(); err != nil {
			b.Fatal(err)
		}
		gitTotal += time.Since(start)
		start = time.Now()
		if err := ours(); err != nil {
			b.Fatal(err)
		}
		oursTotal += time.Since(start)
	}
	b.StopTimer()
	b.ReportMetric(float64(oursTotal.Nanoseconds())/float64(b.N), "ours-ns/op")
	b.ReportMetric(float64(gitTotal.Nanoseconds())/float64(b.N), "git-ns/op")
	b.ReportMetric(float64(oursTotal)/float64(gitTotal), "x-vs-git")
}

func BenchmarkStatus(b *testing.B) {
	requireGit(b)
	dir := benchRepo(b)
	ctx := context.Background()
	compareWithGit(b, dir, func() error {
		r, err := Open(dir)
		if err != nil {
			return err
		}
		_, err = r.Status(ctx)
		return err
	}, "status", "--porcelain=v2", "-uall")
}

func BenchmarkDiff(b *testing.B) {
	requireGit(b)
	dir := benchRepo(b)
	ctx := context.Background()
	compareWithGit(b, dir, func() error {
		r, err := Open(dir)
		if err != nil {
			return err
		}
		_, err = r.Diff(ctx, DiffOptions{})
		return err
	}, "diff", "HEAD")
}

// BenchmarkDiffNumstat times DiffStat (patch and numstat from one pass)
// against `git diff --numstat -p HEAD`, which prints both.
func BenchmarkDiffNumstat(b *testing.B) {
	requireGit(b)
	dir := benchRepo(b)
	ctx := context.Background()
	compareWithGit(b, dir, func() error {
		r, err := Open(dir)
		if err != nil {
			return err
		}
		_, _, err = r.DiffStat(ctx, DiffOptions{})
		return err
	}, "diff", "--numstat", "-p", "HEAD")
}

// benchHistory builds the benchmark history once (histgen, 20,000 commits,
// 4 packs) and caches it under os.TempDir; with commitGraph, a copy with a
// commit-graph. Branch main has origin/main, 500 first-parent commits
// behind it, as its upstream.
func benchHistory(b *testing.B, commitGraph bool) string {
	b.Helper()
	requireGit(b)
	plain := filepath.Join(os.TempDir(), "gitrepo-bench-history-v1")
	if _, err := os.Stat(plain + ".ok"); err != nil {
		os.RemoveAll(plain)
		b.Logf("building the benchmark history in %s (about half a minute)", plain)
		if err := histgen.Generate(context.Background(), plain, histgen.Options{}); err != nil {
			b.Fatal(err)
		}
		runGit(b, plain, "update-ref", "refs/remotes/origin/main", "main~500")
		runGit(b, plain, "config", "remote.origin.url", "https://example.com/history.git")
		runGit(b, plain, "config", "remote.origin.fetch", "+refs/heads/*:refs/remotes/origin/*")
		runGit(b, plain, "config", "branch.main.remote", "origin")
		runGit(b, plain, "config", "branch.main.merge", "refs/heads/main")
		if err := os.WriteFile(plain+".ok", nil, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	if !commitGraph {
		return plain
	}
	graph := plain + "-commit-graph"
	if _, err := os.Stat(graph + ".ok"); err != nil {
		os.RemoveAll(graph)
		if out, err := exec.Command("cp", "-a", plain, graph).CombinedOutput(); err != nil {
			b.Fatalf("cp: %v %s", err, out)
		}
		runGit(b, graph, "commit-graph", "write", "--reachable")
		if err := os.WriteFile(graph+".ok", nil, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	return graph
}

// benchHistoryCompare times ours against the git command on the benchmark
// history, without and with a commit-graph.
func benchHistoryCompare(b *testing.B, ours func(ctx context.Context, r *Repo) error, gitArgs ...string) {
	for _, graph := range []bool{false, true} {
		name := "plain"
		if graph {
			name = "commit-graph"
		}
		b.Run(name, func(b *testing.B) {
			dir := benchHistory(b, graph)
			compareWithGit(b, dir, func() error {
				r, err := Open(dir)
				if err != nil {
					return err
				}
				return ours(context.Background(), r)
			}, gitArgs...)
		})
	}
}

// benchLog compares Log with git log on the benchmark history.
func benchLog(b *testing.B, opts LogOptions, gitArgs ...string) {
	benchHistoryCompare(b, func(ctx context.Context, r *Repo) error {
		_, err := r.Log(ctx, opts)
		return err
	}, gitArgs...)
}

func BenchmarkLog(b *testing.B) {
	benchLog(b, LogOptions{Limit: 100}, "log", "-n", "100")
}

// BenchmarkLogDeepFile limits the log to a file that few commits change:
// both walk the whole history.
func BenchmarkLogDeepFile(b *testing.B) {
	benchLog(b, LogOptions{Limit: 100, Path: histgen.DeepFile}, "log", "-n", "100", "--", histgen.DeepFile)
}

func BenchmarkLogFolder(b *testing.B) {
	benchLog(b, LogOptions{Limit: 100, Path: histgen.Folder}, "log", "-n", "100", "--", histgen.Folder)
}

// BenchmarkAheadBehind times Status on a branch whose upstream is 500
// first-parent commits behind, against git status, which counts the same.
func BenchmarkAheadBehind(b *testing.B) {
	benchHistoryCompare(b, func(ctx context.Context, r *Repo) error {
		st, err := r.Status(ctx)
		if err == nil && st.Behind+st.Ahead == 0 {
			err = fmt.Errorf("no commits ahead or behind: the upstream is not set")
		}
		return err
	}, "status", "--porcelain=v2", "--branch", "-uall")
}

// BenchmarkRevListCount times the ahead/behind count alone against
// `git rev-list --left-right --count main...origin/main`.
func BenchmarkRevListCount(b *testing.B) {
	benchHistoryCompare(b, func(ctx context.Context, r *Repo) error {
		g, err := r.open()
		if err != nil {
			return err
		}
		h, err := r.openHistory(g)
		if err != nil {
			return err
		}
		defer h.close()
		main, err := h.resolve(g, "main")
		if err != nil {
			return err
		}
		up, err := h.resolve(g, "origin/main")
		if err != nil {
			return err
		}
		_, _, err = h.aheadBehind(ctx, main, up)
		return err
	}, "rev-list", "--left-right", "--count", "main...origin/main")
}

// rssChildEnv makes the test binary, started again by BenchmarkLogMemory,
// run one Log of the repository it names, limited to the path in
// rssChildPathEnv, and exit, so that its peak RSS is the log's.
const (
	rssChildEnv     = "GITREPO_LOG_RSS_DIR"
	rssChildPathEnv = "GITREPO_LOG_RSS_PATH"
)

// TestMain runs one Log for BenchmarkLogMemory when started as its child,
// else the tests, with the folder of the repositories they share, their
// temporary folders on a tmpfs when there is one (useTmpfs).
func TestMain(m *testing.M) {
	if dir := os.Getenv(rssChildEnv); dir != "" {
		path := os.Getenv(rssChildPathEnv)
		r, err := Open(dir)
		if err == nil {
			_, err = r.Log(context.Background(), LogOptions{Limit: 100, Path: path})
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	flag.Parse()
	removeTmpfs := useTmpfs()
	root, err := os.MkdirTemp("", "gitrepo-fixtures-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		removeTmpfs()
		os.Exit(1)
	}
	fixtureRoot = root
	code := m.Run()
	os.RemoveAll(root)
	removeTmpfs()
	os.Exit(code)
}

// BenchmarkLogMemory reports the peak RSS of a process running Log with a
// path (the test binary started again) against git log's, and the peak
// of the same binary that exits before opening the repository. Each runs
// under GNU time, which reports its child's peak: a child started from
// this process directly would inherit the benchmark's own peak, as Go
// starts processes with vfork and Linux keeps the peak across exec.
func BenchmarkLogMemory(b *testing.B) {
	timeBin := "/usr/bin/time"
	if _, err := os.Stat(timeBin); err != nil {
		b.Skip("GNU time (/usr/bin/time) measures the peak RSS of each process and is not installed")
	}
	dir := benchHistory(b, false)
	self, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	maxRSS := func(env []string, args ...string) float64 {
		cmd := exec.Command(timeBin, append([]string{"-f", "%M"}, args...)...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), env...)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			b.Fatalf("%v: %v %s", cmd.Args, err, stderr.String())
		}
		lines := strings.Fields(stderr.String())
		var kib float64
		if _, err := fmt.Sscan(lines[len(lines)-1], &kib); err != nil {
			b.Fatalf("%v: no peak RSS in %q", cmd.Args, stderr.String())
		}
		return kib / 1024
	}
	for _, path := range []string{histgen.DeepFile, histgen.Folder} {
		b.Run(path, func(b *testing.B) {
			var ours, git, idle float64
			for i := 0; i < b.N; i++ {
				ours = max(ours, maxRSS([]string{rssChildEnv + "=" + dir, rssChildPathEnv + "=" + path}, self, "-test.run=^$"))
				git = max(git, maxRSS(nil, "git", "log", "-n", "100", "--", path))
				idle = max(idle, maxRSS(nil, self, "-test.run=^$"))
			}
			b.ReportMetric(ours, "ours-MiB")
			b.ReportMetric(git, "git-MiB")
			b.ReportMetric(idle, "idle-MiB")
			b.ReportMetric(ours/git, "x-rss-vs-git")
		})
	}
}
