package portal

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/opencode-portal/portal/internal/registry"
)

// This file is the root tests' one Portal test bed, for the tests inside
// the package and (being exported) for those of package portal_test.

// StandIn is an instance recorded in a test Portal's registry whose
// OpenCode is this test process: an httptest server (ServeStandIn) or a
// port nothing or a test's own listener holds.
type StandIn struct {
	// ID is the instance id. Default: "standin" and the stand-in's number.
	ID string
	// Dir is the instance's folder. Default: a new temporary folder.
	Dir string
	// Port is where its OpenCode is said to listen.
	Port int
}

// NewTestPortal returns a Portal configured by cfg and closed, with Close
// checked, when the test ends. Without cfg.RegistryPath the Portal uses a
// new registry in a temporary folder, in which standIns are recorded.
func NewTestPortal(tb testing.TB, cfg Config, standIns ...StandIn) *Portal {
	tb.Helper()
	if cfg.RegistryPath == "" {
		cfg.RegistryPath = filepath.Join(tb.TempDir(), "portal.json")
	}
	if len(standIns) > 0 {
		pid := os.Getpid()
		err := registry.New(cfg.RegistryPath).Update(context.Background(), func(f *registry.File) error {
			for i, s := range standIns {
				if s.ID == "" {
					s.ID = fmt.Sprintf("standin%d", i+1)
				}
				if s.Dir == "" {
					s.Dir = tb.TempDir()
				}
				f.Instances = append(f.Instances, registry.Entry{ID: s.ID, Name: filepath.Base(s.Dir), Directory: s.Dir,
					OpencodePort: s.Port, Hostname: "127.0.0.1", OpencodePID: &pid,
					StartedAt: time.Now().UTC().Format(time.RFC3339Nano)})
			}
			return nil
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
	p, err := New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := p.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return p
}

// ServeStandIn serves h on a local port, the OpenCode of a StandIn, until
// the test ends, and returns the port.
func ServeStandIn(tb testing.TB, h http.Handler) int {
	tb.Helper()
	srv := httptest.NewServer(h)
	tb.Cleanup(srv.Close)
	return srv.Listener.Addr().(*net.TCPAddr).Port
}
