package portal_test

import (
	"context"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/opencode-portal/portal"
	"github.com/opencode-portal/portal/portaltest"
)

// TestSecretsRedactedWithOpenCode gives a real OpenCode secrets in each of
// its config sources (OPENCODE_CONFIG_CONTENT, the HOME config, the
// project's opencode.json, an {env:} reference, which OpenCode replaces by
// the variable's value) and checks that the
// portal's config and providers answers are OpenCode's with exactly those
// secrets replaced.
func TestSecretsRedactedWithOpenCode(t *testing.T) {
	t.Parallel()
	// The variable of the {env:} reference is one of OpenCode's own: the
	// server password, which the test sets (unlike a variable of the test
	// process, it leaves the tests that run alongside alone).
	const envSecret = "sk-env-SECRET-4"
	home := t.TempDir()
	writeJSON(t, filepath.Join(home, ".config", "opencode", "opencode.json"), map[string]any{
		"provider": map[string]any{"vault": map[string]any{
			"npm": "@ai-sdk/openai-compatible", "name": "Vault",
			"options": map[string]any{"baseURL": "http://127.0.0.1:9/v1", "apiKey": "sk-home-SECRET-1",
				"headers": map[string]any{"Authorization": "Bearer tok-SECRET-2", "X-Team": "team-SECRET-3"}},
			"models": map[string]any{"m": map[string]any{"name": "M"}},
		}},
	})
	dir := portaltest.NewGitRepo(t)
	writeJSON(t, filepath.Join(dir, "opencode.json"), map[string]any{
		"mcp": map[string]any{"remote1": map[string]any{"type": "remote", "url": "http://127.0.0.1:9/mcp", "enabled": false,
			"headers": map[string]any{"Authorization": "Bearer mcp-SECRET-5"}}},
	})
	providers := maps.Clone(portaltest.Config("")["provider"].(map[string]any))
	providers["envy"] = map[string]any{
		"npm": "@ai-sdk/openai-compatible", "name": "Envy",
		"options": map[string]any{"baseURL": "http://127.0.0.1:9/v1", "apiKey": "{env:OPENCODE_SERVER_PASSWORD}"},
		"models":  map[string]any{"e": map[string]any{"name": "E"}},
	}
	oc := portaltest.NewOpenCode(t, portaltest.OpenCodeOptions{Dir: dir, Home: home, Password: envSecret, Config: map[string]any{
		"provider":          providers,
		"enabled_providers": []string{"fake", "vault", "envy"},
	}})
	reg := filepath.Join(t.TempDir(), "registry.json")
	if _, err := oc.Register(reg); err != nil {
		t.Fatal(err)
	}
	p := portal.NewTestPortal(t, portal.Config{RegistryPath: reg})

	for _, tc := range []struct {
		name, path string
		get        func(context.Context, int) (json.RawMessage, error)
		secrets    []string // those OpenCode's answer holds
	}{
		{"config", "/config", p.OpenCodeConfig, []string{"SECRET-1", "SECRET-2", "SECRET-3", envSecret, "SECRET-5"}},
		{"providers", "/config/providers", p.Providers, []string{"SECRET-1", "SECRET-2", "SECRET-3", envSecret}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			upstream := openCodeGet(t, oc, tc.path)
			for _, s := range tc.secrets {
				if !strings.Contains(string(upstream), s) {
					t.Errorf("OpenCode's %s lacks %s, so this test shows nothing about it:\n%s", tc.path, s, upstream)
				}
			}
			got, err := tc.get(context.Background(), oc.Port)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(got), "SECRET") {
				t.Errorf("the portal's %s holds a secret:\n%s", tc.name, got)
			}
			want := decodeAny(t, upstream)
			redactPaths(t, want, string(upstream))
			if diff := cmp.Diff(want, decodeAny(t, got)); diff != "" {
				t.Errorf("%s: the portal's answer is not OpenCode's with the secrets redacted (-want +got):\n%s", tc.name, diff)
			}
		})
	}
}

// redactPaths replaces by hand, in v, every string that holds one of the
// test's secrets (the upstream document names them all) or is a provider's
// key, and checks that each appears where the test put it.
func redactPaths(t *testing.T, v any, upstream string) {
	t.Helper()
	var walk func(v any, key string) any
	walk = func(v any, key string) any {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				v[k] = walk(x, k)
			}
		case []any:
			for i, x := range v {
				v[i] = walk(x, key)
			}
		case string:
			if strings.Contains(v, "SECRET") || (key == "key" && v != "") || (key == "apiKey" && v == "sk-fake") {
				return portal.Redacted
			}
		}
		return v
	}
	walk(v, "")
}

func writeJSON(t *testing.T, name string, v any) {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func decodeAny(t *testing.T, data []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("%v: %s", err, data)
	}
	return v
}

// openCodeGet calls the real OpenCode directly and returns its JSON answer.
func openCodeGet(t *testing.T, oc *portaltest.OpenCode, path string) []byte {
	t.Helper()
	req, _ := http.NewRequest("GET", oc.URL+path, nil)
	req.SetBasicAuth("opencode", oc.Password)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %v: %s", path, resp.StatusCode, err, data)
	}
	return data
}
