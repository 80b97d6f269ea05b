package httpapi_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/opencode-portal/portal"
	"github.com/opencode-portal/portal/httpapi"
	"github.com/opencode-portal/portal/portaltest"
)

// TestHintRoutes checks that each step an error can advise is named by a
// route the handler serves.
func TestHintRoutes(t *testing.T) {
	s := newAPIServer(t)
	patterns := httpapi.Patterns(httpapi.New(s.Portal))
	tests := []struct {
		hint    portal.Hint
		id      string
		want    string
		pattern string
	}{
		{portal.HintListInstances, "", "GET /api/instances", "GET /api/instances"},
		{portal.HintInstanceLog, "ab12", "GET /api/instances/ab12/logs", "GET /api/instances/{id}/logs"},
		{portal.HintInstanceLog, "", "GET /api/instances/{id}/logs", "GET /api/instances/{id}/logs"},
		{portal.HintRestartInstance, "ab12", "POST /api/instances/ab12/restart", "POST /api/instances/{id}/restart"},
		{portal.HintStopInstance, "ab12", "DELETE /api/instances/ab12", "DELETE /api/instances/{id}"},
		{portal.HintStopInstance, "a/b", "DELETE /api/instances/a%2Fb", "DELETE /api/instances/{id}"},
		{"", "ab12", "", ""},
	}
	for _, tt := range tests {
		got := httpapi.HintRoute(tt.hint, tt.id)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("HintRoute(%q, %q) (-want +got):\n%s", tt.hint, tt.id, diff)
		}
		if tt.pattern != "" && !slices.Contains(patterns, tt.pattern) {
			t.Errorf("HintRoute(%q, %q) names %s, which the handler does not serve", tt.hint, tt.id, tt.pattern)
		}
	}
}

// TestErrorAnswersNameTheRoute checks that an answer whose error advises a
// step ends with the route that takes it, the instance's ID filled in.
func TestErrorAnswersNameTheRoute(t *testing.T) {
	s := newAPIServer(t)
	down, _ := portaltest.FreePort()
	id, err := (&portaltest.OpenCode{Port: down, Dir: t.TempDir()}).Register(s.Registry)
	if err != nil {
		t.Fatal(err)
	}
	unregistered, _ := portaltest.FreePort()
	tests := []struct {
		name, method, path, suffix string
	}{
		{"unknown instance", "GET", "/api/instances/nope1234", "; list instances (GET /api/instances)"},
		{"unregistered port", "GET", fmt.Sprintf("/api/opencode/%d/config", unregistered), "; start one for your project, or list instances (GET /api/instances)"},
		{"instance down", "GET", fmt.Sprintf("/api/opencode/%d/config", down), "; restart it (POST /api/instances/" + id + "/restart)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, got := getJSON(t, tt.method, s.URL+tt.path, nil)
			msg, _ := got.(map[string]any)["message"].(string)
			if !strings.HasSuffix(msg, tt.suffix) {
				t.Errorf("message %q does not end with %q", msg, tt.suffix)
			}
		})
	}
}
