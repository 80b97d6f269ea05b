// Package dockertest gives tests a Docker Engine to run against: Require
// connects to it and Image builds the portal's OpenCode image in it.
package dockertest

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/opencode-portal/portal/internal/docker"
)

// Require returns a client of the Docker Engine named by DOCKER_HOST, else
// the default socket, closed when the test ends. When no engine answers
// the test fails if the CI environment variable is set and is skipped
// otherwise; scripts/ensure-docker starts one.
func Require(tb testing.TB) *docker.Client {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := docker.New(ctx, docker.Config{})
	if err != nil {
		msg := err.Error() + " (scripts/ensure-docker installs and starts one)"
		if os.Getenv("CI") != "" {
			tb.Fatal(msg)
		}
		tb.Skip("skipping: " + msg)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}
