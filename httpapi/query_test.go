package httpapi_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestQueryStringsParsedStrictly sends malformed, repeated and unknown
// query parameters to every route that reads its query string. The port
// and the instance are not registered: a query string that passes gets the
// 404 of the lookup that follows, one that is refused a 400 first.
func TestQueryStringsParsedStrictly(t *testing.T) {
	t.Parallel()
	s := newAPIServer(t)
	type answer struct {
		Status int
		Msg    string
	}
	routes := []struct {
		path       string
		param      string // a parameter it reads, with a valid value
		repeatable bool
	}{
		{"/api/opencode/4321/sessions", "directory=/tmp", false},
		{"/api/opencode/4321/sessions", "scope=all", false},
		{"/api/opencode/4321/events", "session=ses_1", false},
		{"/api/instances/nope/logs", "tail=5", false},
		{"/api/opencode/4321/git/diff", "path=a", true},
		{"/api/opencode/4321/git/diff", "staged=true", false},
		{"/api/opencode/4321/git/log", "path=a", false},
		{"/api/opencode/4321/git/log", "ref=main", false},
		{"/api/opencode/4321/git/log", "limit=5", false},
		{"/api/opencode/4321/files/list", "path=a", false},
		{"/api/opencode/4321/files/read", "path=a", false},
		{"/api/opencode/4321/files/search", "q=a", false},
	}
	malformed := answer{400, "Invalid query string"}
	for _, rt := range routes {
		name, _, _ := strings.Cut(rt.param, "=")
		passed := answer{404, "No registered instance"}
		if strings.HasPrefix(rt.path, "/api/instances/") {
			passed = answer{404, "nope"}
		}
		repeated := answer{400, `Query parameter "` + name + `" is given 2 times: give it once`}
		if rt.repeatable {
			repeated = passed
		}
		for _, tc := range []struct {
			query string
			want  answer
		}{
			{name + "=%zz", malformed},
			{name + "=a%2", malformed},
			{rt.param + "&x=%", malformed},
			{rt.param + ";x=1", malformed},
			{rt.param + "&" + rt.param, repeated},
			{rt.param + "&unknown=1", passed},
			{rt.param, passed},
		} {
			url := rt.path + "?" + tc.query
			status, v := getJSON(t, "GET", s.URL+url, nil)
			got := answer{Status: status}
			if msg, _ := v.(map[string]any)["message"].(string); strings.Contains(msg, tc.want.Msg) {
				got.Msg = tc.want.Msg
			} else {
				got.Msg = msg
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("GET %s (-want +got):\n%s", url, diff)
			}
		}
	}
}
