package httpapi_test

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/opencode-portal/portal"
)

// testPassThroughMatchesOpenCode checks each pass-through route against a
// direct call to the same real OpenCode: field for field, once the
// secrets of OpenCode's config and providers are redacted (its test
// provider has an API key, which the portal must not relay).
func testPassThroughMatchesOpenCode(t *testing.T) {
	oc := sharedOpenCode(t)
	s := newAPIServer(t)
	s.register(t, oc)
	tests := []struct {
		route    string
		upstream string
		redacted bool
	}{
		{"project/current", "/project/current", false},
		{"config", "/config", true},
		{"providers", "/config/providers", true},
		{"agents", "/agent", false},
	}
	for _, tt := range tests {
		t.Run(tt.route, func(t *testing.T) {
			want := openCodeJSON(t, oc, tt.upstream)
			if tt.redacted {
				want = redacted(t, want)
			}
			status, got := getJSON(t, "GET", portURL(s, oc.Port, tt.route), nil)
			if status != 200 {
				t.Fatalf("status %d: %v", status, got)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("portal differs from OpenCode (-opencode +portal):\n%s", diff)
			}
		})
	}
	t.Run("health", func(t *testing.T) {
		h := openCodeJSON(t, oc, "/global/health").(map[string]any)
		want := map[string]any{"healthy": true, "port": float64(oc.Port), "version": h["version"]}
		status, got := getJSON(t, "GET", portURL(s, oc.Port, "health"), nil)
		if status != 200 {
			t.Fatalf("status %d: %v", status, got)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("health (-want +got):\n%s", diff)
		}
	})
}

// redacted returns v with its secrets redacted as the portal does; it
// fails the test when v holds none, which would make the comparison
// say nothing about redaction.
func redacted(t *testing.T, v any) any {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	red, err := portal.RedactSecrets(raw)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(red, &out); err != nil {
		t.Fatal(err)
	}
	if cmp.Equal(v, out) {
		t.Fatalf("OpenCode's answer holds no secret to redact: %s", raw)
	}
	return out
}

func testInstancesListsTheRegisteredInstance(t *testing.T) {
	oc := sharedOpenCode(t)
	s := newAPIServer(t)
	s.register(t, oc)
	status, got := getJSON(t, "GET", s.URL+"/api/instances", nil)
	if status != 200 {
		t.Fatalf("status %d: %v", status, got)
	}
	body := got.(map[string]any)
	if body["total"] != float64(1) {
		t.Fatalf("total = %v, want 1: %v", body["total"], body)
	}
	in := body["instances"].([]any)[0].(map[string]any)
	for k, want := range map[string]any{
		"port": float64(oc.Port), "directory": oc.Dir, "opencodePid": float64(oc.PID),
		"hostname": "127.0.0.1", "state": "running", "instanceType": "process",
	} {
		if diff := cmp.Diff(want, in[k]); diff != "" {
			t.Errorf("%s (-want +got):\n%s", k, diff)
		}
	}
	for k := range in {
		if k == "opencodePassword" || k == "password" {
			t.Errorf("the instance's password appears in the API response as %q", k)
		}
	}
}
