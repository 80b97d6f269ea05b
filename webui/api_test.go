package webui_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestAPIErrorMessages checks the messages js/api.js gives for answers
// that are not 2xx and for a network that fails: the portal's own message
// as it is; otherwise one that says what failed and what to do.
func TestAPIErrorMessages(t *testing.T) {
	t.Parallel()
	type answer struct {
		Body   string `json:"body"`
		Status int    `json:"status"`
		JSON   bool   `json:"json"`
	}
	tests := []struct {
		name   string
		answer *answer // nil: the network fails
		want   string
	}{
		{"the portal's message", &answer{`{"code":"ENOTFOUND","message":"No session x: list the sessions"}`, 404, true}, "No session x: list the sessions"},
		{"a gateway's page", &answer{"<html>Bad Gateway</html>", 502, false}, "The portal answered with status 502 and no message: try again, and if it keeps failing, read the portal's log."},
		{"JSON without a message", &answer{`{"error":"x"}`, 500, true}, "The portal answered with status 500 and no message: try again, and if it keeps failing, read the portal's log."},
		{"no network", nil, "The portal cannot be reached (Failed to fetch): check the connection and that the portal runs, then try again."},
	}
	answers := make([]*answer, len(tests))
	for i, tt := range tests {
		answers[i] = tt.answer
	}
	tab := openViewsPage(t, newBrowser(t), viewsPage(t, true))
	got := evalPage[[]string](t, tab, "window.apiErrors("+jsArg(t, answers)+")")
	if len(got) != len(tests) {
		t.Fatalf("got %d messages for %d answers: %q", len(got), len(tests), got)
	}
	for i, tt := range tests {
		if diff := cmp.Diff(tt.want, got[i]); diff != "" {
			t.Errorf("%s: message (-want +got):\n%s", tt.name, diff)
		}
	}
}
