package portal_test

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opencode-portal/portal"
	"github.com/opencode-portal/portal/portaltest"
)

// idleWait is how long an instance is left idle before its memory is read.
const idleWait = 3 * time.Second

// BenchmarkDockerInstance compares, in one run, a docker instance with a
// process instance of the same folder: the time from StartInstance to a
// ready instance (listening line printed and health check answered), and
// the memory of the instance once idle for idleWait. The two alternate.
// Metrics: docker-ms and process-ms, ratio (docker/process); rss-MB, the
// resident memory of the instance's processes as the host sees them (the
// container's too), and cgroup-MB, the container's memory as the Engine's
// stats API counts it (its cgroup's, less inactive page cache, as `docker
// stats` shows).
func BenchmarkDockerInstance(b *testing.B) {
	bed := newDockerBed(b)
	p := portal.NewTestPortal(b, bed.cfg)
	dir := portaltest.NewGitRepo(b)
	ctx := context.Background()

	run := func(rt portal.Runtime) (took time.Duration, rss, cgroup float64) {
		start := time.Now()
		in, err := p.StartInstance(ctx, portal.StartOptions{Directory: dir, Runtime: rt})
		if err != nil {
			b.Fatal(err)
		}
		took = time.Since(start)
		time.Sleep(idleWait)
		if in.PID != nil {
			rss = float64(treeRSS(*in.PID)) / (1 << 20)
		}
		if in.ContainerID != nil {
			used, err := bed.engine.MemoryUsage(ctx, *in.ContainerID)
			if err != nil {
				b.Fatal(err)
			}
			cgroup = float64(used) / (1 << 20)
		}
		if err := p.StopInstance(ctx, in.ID); err != nil {
			b.Fatal(err)
		}
		return took, rss, cgroup
	}

	run(portal.RuntimeProcess) // warm the page cache up
	run(portal.RuntimeDocker)
	var sumDocker, sumProcess time.Duration
	var rssDocker, rssProcess, cgroupDocker float64
	b.ResetTimer()
	for i := range b.N {
		order := []portal.Runtime{portal.RuntimeDocker, portal.RuntimeProcess}
		if i%2 == 1 {
			order[0], order[1] = order[1], order[0]
		}
		for _, rt := range order {
			took, rss, cgroup := run(rt)
			if rt == portal.RuntimeDocker {
				sumDocker, rssDocker, cgroupDocker = sumDocker+took, rssDocker+rss, cgroupDocker+cgroup
			} else {
				sumProcess, rssProcess = sumProcess+took, rssProcess+rss
			}
		}
	}
	b.StopTimer()
	n := float64(b.N)
	b.ReportMetric(float64(sumDocker)/float64(sumProcess), "ratio")
	b.ReportMetric(float64(sumDocker.Milliseconds())/n, "docker-ms")
	b.ReportMetric(float64(sumProcess.Milliseconds())/n, "process-ms")
	b.ReportMetric(rssDocker/n, "docker-rss-MB")
	b.ReportMetric(rssProcess/n, "process-rss-MB")
	b.ReportMetric(cgroupDocker/n, "docker-cgroup-MB")
}

// treeRSS returns the resident memory, in bytes, of pid and its
// descendants.
func treeRSS(pid int) int64 {
	var sum int64
	status, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	for l := range strings.Lines(string(status)) {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			sum += kb << 10
		}
	}
	tasks, _ := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/task")
	for _, t := range tasks {
		children, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/task/" + t.Name() + "/children")
		for _, c := range strings.Fields(string(children)) {
			if n, err := strconv.Atoi(c); err == nil {
				sum += treeRSS(n)
			}
		}
	}
	return sum
}
