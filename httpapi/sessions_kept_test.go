package httpapi_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/opencode-portal/portal/httpapi"
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
	call := func(method, path, body string) []byte {
		t.Helper()
		req, err := http.NewRequest(method, url+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("%s %s: %d %s %v", method, path, resp.StatusCode, data, err)
		}
		return data
	}
	var up struct{ Instances []httpapi.Instance }
	if err := json.Unmarshal(call("GET", "/api/instances?all=1", ""), &up); err != nil || len(up.Instances) != 1 {
		t.Fatalf("instances %+v, %v; want the stand-in", up.Instances, err)
	}
	dir := up.Instances[0].Directory
	oc.EditSessions(func([]fakeopencode.Session) []fakeopencode.Session {
		return []fakeopencode.Session{
			{ID: "ses_b", Directory: dir, Title: "b", Time: fakeopencode.SessionTime{Created: 1, Updated: 2}},
			{ID: "ses_a", Directory: dir, Title: "a", Time: fakeopencode.SessionTime{Created: 1, Updated: 1}},
		}
	})
	route := "/api/opencode/" + strconv.Itoa(port)
	list := func() []string {
		t.Helper()
		var sessions []struct{ ID, Title string }
		if err := json.Unmarshal(call("GET", route+"/sessions", ""), &sessions); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, s := range sessions {
			out = append(out, s.ID+":"+s.Title)
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
