// Package dockertest gives tests a Docker Engine to run against: Require
// connects to it and Image builds the portal's OpenCode image in it.
package dockertest

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/opencode-portal/portal/internal/docker"
	"github.com/opencode-portal/portal/portaltest"
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

// Image returns the tag of the portal's OpenCode image of the opencode
// the tests use ($OPENCODE_BIN, see portaltest.RequireOpenCode), built in
// the engine of Require when it does not hold it yet; an image with the
// same content is reused, so the first test of a run pays for the build,
// and the first of each test binary for the check (seconds: it reads
// every file of the image).
func Image(tb testing.TB) string {
	tb.Helper()
	c := Require(tb)
	bin := portaltest.RequireOpenCode(tb)
	key := c.Host() + " " + bin
	if tag, ok := images.Load(key); ok {
		return tag.(string)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	img, err := c.BuildImage(ctx, docker.BuildOptions{OpenCode: bin})
	if err != nil {
		tb.Fatalf("building the OpenCode image: %v", err)
	}
	images.Store(key, img.Tag)
	return img.Tag
}

// images holds the tags of the images Image built or found up to date in
// this test binary, by engine and opencode: the one state kept across
// tests, so that each binary checks its image once.
var images sync.Map
