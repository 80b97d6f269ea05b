package portal_test

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/opencode-portal/portal"
	"github.com/opencode-portal/portal/portaltest"
)

// The package's tests that only read a real OpenCode or create their own
// sessions in it share one (a start costs seconds of CPU): the session
// tests and the redaction test. That OpenCode holds a secret in each of
// its config sources for the redaction test: OPENCODE_CONFIG_CONTENT, the
// HOME config, the project's opencode.json, and an {env:} reference to its
// server password, envSecret (a variable of OpenCode's own, unlike one of
// the test process, which would reach the tests running alongside).
const envSecret = "sk-env-SECRET-4"

// sharedBed starts the shared OpenCode bed once, in the background, and
// hands it to the tests that wait for it.
type sharedBed struct {
	once  sync.Once
	ready chan struct{} // closed once bed or err is set
	bed   *openCodeBed
	err   error
}

// beds is the package's one shared bed.
var beds = &sharedBed{ready: make(chan struct{})}

// start starts the bed unless it is started already, and returns at once. A
// test calls it before t.Parallel, so that OpenCode starts while the tests
// that do not run in parallel run, and waits for it with wait afterwards.
func (s *sharedBed) start() {
	s.once.Do(func() {
		shared.goStart(func() {
			defer close(s.ready)
			s.bed, s.err = openBed()
		})
	})
}

// wait returns the bed, starting it if no test did. Without opencode the
// test fails under CI and is skipped elsewhere.
func (s *sharedBed) wait(t testing.TB) *openCodeBed {
	t.Helper()
	portaltest.RequireOpenCode(t)
	s.start()
	<-s.ready
	if s.err != nil {
		t.Fatalf("the shared OpenCode bed: %v", s.err)
	}
	return s.bed
}

// openBed starts the fake model, OpenCode driven by it in a git repository
// of its own, registered in a new registry, and a Portal on that registry.
func openBed() (*openCodeBed, error) {
	tmp := shared.tempDir
	home, err := tmp("portal-bed-home-*")
	if err != nil {
		return nil, err
	}
	dir, err := tmp("portal-bed-project-*")
	if err != nil {
		return nil, err
	}
	if err := portaltest.InitGitRepo(dir); err != nil {
		return nil, err
	}
	err = errors.Join(
		writeJSONFile(filepath.Join(home, ".config", "opencode", "opencode.json"), map[string]any{
			"provider": map[string]any{"vault": map[string]any{
				"npm": "@ai-sdk/openai-compatible", "name": "Vault",
				"options": map[string]any{"baseURL": "http://127.0.0.1:9/v1", "apiKey": "sk-home-SECRET-1",
					"headers": map[string]any{"Authorization": "Bearer tok-SECRET-2", "X-Team": "team-SECRET-3"}},
				"models": map[string]any{"m": map[string]any{"name": "M"}},
			}},
		}),
		writeJSONFile(filepath.Join(dir, "opencode.json"), map[string]any{
			"mcp": map[string]any{"remote1": map[string]any{"type": "remote", "url": "http://127.0.0.1:9/mcp", "enabled": false,
				"headers": map[string]any{"Authorization": "Bearer mcp-SECRET-5"}}},
		}))
	if err != nil {
		return nil, err
	}
	model := portaltest.StartFakeModel()
	shared.onClose(func() error { model.Close(); return nil })
	providers := maps.Clone(portaltest.Config(model.URL())["provider"].(map[string]any))
	providers["envy"] = map[string]any{
		"npm": "@ai-sdk/openai-compatible", "name": "Envy",
		"options": map[string]any{"baseURL": "http://127.0.0.1:9/v1", "apiKey": "{env:OPENCODE_SERVER_PASSWORD}"},
		"models":  map[string]any{"e": map[string]any{"name": "E"}},
	}
	oc, err := portaltest.StartOpenCode(context.Background(), portaltest.OpenCodeOptions{
		Dir: dir, Home: home, ModelURL: model.URL(), Password: envSecret,
		StartTimeout: 2 * time.Minute, // a loaded 2-core machine
		Config: map[string]any{
			"provider":          providers,
			"enabled_providers": []string{"fake", "vault", "envy"},
		},
	})
	if err != nil {
		return nil, err
	}
	shared.onClose(oc.Close)
	regDir, err := tmp("portal-bed-registry-*")
	if err != nil {
		return nil, err
	}
	reg := filepath.Join(regDir, "registry.json")
	if _, err := oc.Register(reg); err != nil {
		return nil, err
	}
	p, err := portal.New(portal.Config{RegistryPath: reg})
	if err != nil {
		return nil, err
	}
	shared.onClose(p.Close)
	return &openCodeBed{Model: model, OC: oc, Portal: p, Port: oc.Port}, nil
}

// writeJSONFile writes v as JSON to name, making its folder.
func writeJSONFile(name string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return err
	}
	return os.WriteFile(name, data, 0o644)
}
