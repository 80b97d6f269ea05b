package portaltest_test

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/opencode-portal/portal/internal/opencode"
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
	client, err := opencode.New(opencode.Options{BaseURL: oc.URL, Password: oc.Password})
	if err != nil {
		t.Fatal(err)
	}
	var providers struct {
		All []struct{ ID string }
	}
	if err := client.Call(t.Context(), http.MethodGet, "/provider", nil, nil, &providers); err != nil {
		t.Fatalf("GET /provider: %v", err)
	}
	var ids []string
	for _, p := range providers.All {
		ids = append(ids, p.ID)
	}
	if diff := cmp.Diff([]string{"fake"}, ids); diff != "" {
		t.Errorf("the providers OpenCode knows (-want +got):\n%s", diff)
	}
}
