package docker_test

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/opencode-portal/portal/internal/docker"
	"github.com/opencode-portal/portal/internal/dockertest"
)

func TestClientSpeaksTheEnginesAPIVersion(t *testing.T) {
	c := dockertest.Require(t)
	if err := c.Ping(context.Background()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	engine, err := c.EngineAPIVersion(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// The client's newest version (1.56) is above an engine of Docker
	// 20.10's (1.41): negotiation brings it down to the engine's.
	want := engine
	if versionLess(docker.MaxAPIVersion, engine) {
		want = docker.MaxAPIVersion
	}
	if got := c.APIVersion(); got != want {
		t.Errorf("APIVersion = %q, want %q (engine %s, client at most %s)", got, want, engine, docker.MaxAPIVersion)
	}
}

// versionLess compares API versions "1.x" by their minor number.
func versionLess(a, b string) bool {
	minor := func(v string) int { n, _ := strconv.Atoi(strings.TrimPrefix(v, "1.")); return n }
	return minor(a) < minor(b)
}

func TestNewSaysWhenNoEngineAnswers(t *testing.T) {
	// A socket nobody listens on: a closed listener's path.
	sock := filepath.Join(t.TempDir(), "docker.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	tests := []struct {
		name, host string
		kind       docker.Kind
		says       []string
	}{
		{"no listener", "unix://" + sock, docker.Unavailable, []string{"unix://" + sock, "does not answer", "start dockerd or set DOCKER_HOST"}},
		{"no such file", "unix://" + sock + ".missing", docker.Unavailable, []string{"does not answer"}},
		{"malformed", "no-scheme", docker.Invalid, []string{"no-scheme", "unix:///var/run/docker.sock"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := docker.New(context.Background(), docker.Config{Host: tt.host})
			if err == nil {
				c.Close()
				t.Fatal("New succeeded")
			}
			var de *docker.Error
			if !errors.As(err, &de) || de.Kind != tt.kind {
				t.Fatalf("New: %#v, want an *Error of kind %v", err, tt.kind)
			}
			for _, s := range tt.says {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("New: %q does not say %q", err, s)
				}
			}
		})
	}
}
