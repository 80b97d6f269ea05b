package httpapi_test

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/opencode-portal/portal/internal/fakeopencode"
	"github.com/opencode-portal/portal/internal/testwait"
)

// TestSessionsRouteAfterWrites lists an instance's sessions through the
// route, renames and deletes one through the routes, and lists again: each
// listing shows the change at once, though the listing was kept and the
// stand-in OpenCode sends no event for the change.
func TestSessionsRouteAfterWrites(t *testing.T) {
	oc := &fakeopencode.Server{}
	url, port := newPromptBed(t, oc)
	call := func(method, path, body string) any {
		t.Helper()
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		status, v := getJSON(t, method, url+path, rd)
		if status != http.StatusOK {
			t.Fatalf("%s %s: %d %v", method, path, status, v)
		}
		return v
	}
	instances, _ := call("GET", "/api/instances?all=1", "").(map[string]any)["instances"].([]any)
	if len(instances) != 1 {
		t.Fatalf("instances %v; want the stand-in", instances)
	}
	dir, _ := instances[0].(map[string]any)["directory"].(string)
	oc.EditSessions(func([]fakeopencode.Session) []fakeopencode.Session {
		return []fakeopencode.Session{
			{ID: "ses_b", Directory: dir, Title: "b", Time: fakeopencode.SessionTime{Created: 1, Updated: 2}},
			{ID: "ses_a", Directory: dir, Title: "a", Time: fakeopencode.SessionTime{Created: 1, Updated: 1}},
		}
	})
	route := "/api/opencode/" + strconv.Itoa(port)
	list := func() []string {
		t.Helper()
		sessions, _ := call("GET", route+"/sessions", "").([]any)
		var out []string
		for _, s := range sessions {
			s, _ := s.(map[string]any)
			out = append(out, fmt.Sprint(s["id"], ":", s["title"]))
		}
		return out
	}
	testwait.Until(t, "the listing to be kept", func() bool { // so that a kept listing would be what is checked
		list()
		n := oc.Listings()
		list()
		return oc.Listings() == n
	})

	steps := []struct {
		name   string
		method string
		path   string
		body   string
		want   []string
	}{
		{"nothing", "", "", "", []string{"ses_b:b", "ses_a:a"}},
		{"a rename", "PATCH", "/session/ses_a", `{"title":"renamed"}`, []string{"ses_b:b", "ses_a:renamed"}},
		{"a deletion", "DELETE", "/session/ses_b", "", []string{"ses_a:renamed"}},
	}
	for _, s := range steps {
		if s.method != "" {
			call(s.method, route+s.path, s.body)
		}
		if diff := cmp.Diff(s.want, list()); diff != "" {
			t.Errorf("GET sessions after %s (-want +got):\n%s", s.name, diff)
		}
	}
}
