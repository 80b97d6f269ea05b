package portal_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/opencode-portal/portal"
	"github.com/opencode-portal/portal/portaltest"
)

// TestSecretsRedactedWithOpenCode gives a real OpenCode secrets in each of
// its config sources (OPENCODE_CONFIG_CONTENT, the HOME config, the
// project's opencode.json, an {env:} reference, which OpenCode replaces by
// the variable's value): those of the shared bed (sharedbed_test.go). It
// checks that the portal's config and providers answers are OpenCode's
// with exactly those secrets replaced.
func TestSecretsRedactedWithOpenCode(t *testing.T) {
	beds.start()
	t.Parallel()
	b := beds.wait(t)
	oc, p := b.OC, b.Portal

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
