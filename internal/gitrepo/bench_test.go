package gitrepo

import (
	"context"
	"crypto/sha1"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
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

func BenchmarkLog(b *testing.B) {
	requireGit(b)
	dir := benchRepo(b)
	ctx := context.Background()
	compareWithGit(b, dir, func() error {
		r, err := Open(dir)
		if err != nil {
			return err
		}
		_, err = r.Log(ctx, LogOptions{Limit: 100})
		return err
	}, "log", "-n", "100")
}
