package portal_test

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/opencode-portal/portal"
	"github.com/opencode-portal/portal/internal/supervisor"
	"github.com/opencode-portal/portal/portaltest"
)

// BenchmarkStartInstance compares, in one run, the time from StartInstance
// to a ready instance (listening line printed and health check answered)
// with OpenCode's own time to print its listening line when started
// directly, in the same folder with the same warm HOME. The two alternate.
// Metric "ratio" is ours/direct (target <= 1.05).
func BenchmarkStartInstance(b *testing.B) {
	bin := portaltest.RequireOpenCode(b)
	home := b.TempDir()
	dir := portaltest.NewGitRepo(b)
	cfg := openCodeConfig(b, home)
	p := portal.NewTestPortal(b, cfg)
	env := append(append(os.Environ(), cfg.Env...), "OPENCODE_SERVER_PASSWORD="+portaltest.RandomPassword())

	direct := func() time.Duration {
		port, err := supervisor.FreePort("127.0.0.1", 25100, nil)
		if err != nil {
			b.Fatal(err)
		}
		cmd := exec.Command(bin, "serve", "--port", itoa(port), "--hostname", "127.0.0.1")
		cmd.Dir, cmd.Env = dir, env
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		out, err := cmd.StdoutPipe()
		if err != nil {
			b.Fatal(err)
		}
		cmd.Stderr = cmd.Stdout
		start := time.Now()
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		for sc.Scan() && !strings.Contains(sc.Text(), "opencode server listening on ") {
		}
		took := time.Since(start)
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		go func() { // drain so that it can exit
			for sc.Scan() {
			}
		}()
		cmd.Wait()
		return took
	}
	ours := func() time.Duration {
		start := time.Now()
		in, err := p.StartInstance(context.Background(), portal.StartOptions{Directory: dir})
		if err != nil {
			b.Fatal(err)
		}
		took := time.Since(start)
		if err := p.StopInstance(context.Background(), in.ID); err != nil {
			b.Fatal(err)
		}
		return took
	}

	direct() // warm the HOME up
	var sumOurs, sumDirect time.Duration
	b.ResetTimer()
	for i := range b.N {
		if i%2 == 0 {
			sumDirect += direct()
			sumOurs += ours()
		} else {
			sumOurs += ours()
			sumDirect += direct()
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(sumOurs)/float64(sumDirect), "ratio")
	b.ReportMetric(float64(sumOurs.Milliseconds())/float64(b.N), "ours-ms")
	b.ReportMetric(float64(sumDirect.Milliseconds())/float64(b.N), "direct-ms")
}
