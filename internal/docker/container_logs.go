package docker

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"strconv"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// maxLine bounds one output line read from a container; a longer one is
// cut.
const maxLine = 64 << 10

// FollowLogs calls line with each line the container prints (stdout and
// stderr, in the order the engine gives), starting with the last tail
// lines it printed (all for tail < 0), until the container stops or ctx
// ends.
func (c *Client) FollowLogs(ctx context.Context, id string, tail int, line func(string)) error {
	err := c.logs(ctx, id, tail, true, line)
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// Logs returns up to tail of the last lines the container printed (all
// for tail < 0), oldest first.
func (c *Client) Logs(ctx context.Context, id string, tail int) ([]string, error) {
	var lines []string
	err := c.logs(ctx, id, tail, false, func(l string) { lines = append(lines, l) })
	return lines, err
}

// logs reads the container's output line by line, demultiplexed from the
// engine's stream of stdout and stderr frames.
func (c *Client) logs(ctx context.Context, id string, tail int, follow bool, line func(string)) error {
	t := "all"
	if tail >= 0 {
		t = strconv.Itoa(tail)
	}
	rc, err := c.api.ContainerLogs(ctx, id, client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true, Follow: follow, Tail: t})
	if err != nil {
		return c.fail(err, "reading the output of container "+ShortID(id))
	}
	defer rc.Close()
	pr, pw := io.Pipe()
	go func() {
		_, err := stdcopy.StdCopy(pw, pw, rc)
		pw.CloseWithError(err)
	}()
	defer pr.CloseWithError(io.EOF) // ends the copy should the scan stop early
	sc := bufio.NewScanner(pr)
	sc.Buffer(make([]byte, 0, 4096), maxLine)
	for sc.Scan() {
		line(sc.Text())
	}
	if err := sc.Err(); err != nil {
		return c.fail(err, "reading the output of container "+ShortID(id))
	}
	return nil
}

// MemoryUsage returns the memory the container uses now, in bytes, as
// `docker stats` counts it: its cgroup's usage less the page cache it
// could give back (inactive files).
func (c *Client) MemoryUsage(ctx context.Context, id string) (uint64, error) {
	res, err := c.api.ContainerStats(ctx, id, client.ContainerStatsOptions{Stream: false})
	if err != nil {
		return 0, c.fail(err, "reading the statistics of container "+ShortID(id))
	}
	defer res.Body.Close()
	var st container.StatsResponse
	if err := json.NewDecoder(res.Body).Decode(&st); err != nil {
		return 0, c.fail(err, "reading the statistics of container "+ShortID(id))
	}
	m := st.MemoryStats
	cache := m.Stats["inactive_file"]                // cgroup v2
	if v, ok := m.Stats["total_inactive_file"]; ok { // cgroup v1
		cache = v
	}
	if cache > m.Usage {
		return m.Usage, nil
	}
	return m.Usage - cache, nil
}
