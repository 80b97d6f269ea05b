package portaltest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/opencode-portal/portal/portaltest"
)

// TestOpenCodeKnowsTheConfiguredProvidersOnly checks that an OpenCode of
// the test bed has the empty catalogue of models PrepareHome writes (Env
// points it there), not the models.dev one built into it: a provider of
// that catalogue, enabled, is unknown to it, and the fake one is there.
func TestOpenCodeKnowsTheConfiguredProvidersOnly(t *testing.T) {
	t.Parallel()
	oc := portaltest.NewOpenCode(t, portaltest.OpenCodeOptions{
		Config: map[string]any{"enabled_providers": []string{"fake", "anthropic"}},
	})
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, oc.URL+"/provider", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth("opencode", oc.Password)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /provider: %d %s, %v", resp.StatusCode, body, err)
	}
	var providers struct {
		All []struct{ ID string }
	}
	if err := json.Unmarshal(body, &providers); err != nil {
		t.Fatalf("GET /provider: %v: %.300s", err, body)
	}
	var ids []string
	for _, p := range providers.All {
		ids = append(ids, p.ID)
	}
	if diff := cmp.Diff([]string{"fake"}, ids); diff != "" {
		t.Errorf("the providers OpenCode knows (-want +got):\n%s", diff)
	}
}
