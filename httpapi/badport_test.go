package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/opencode-portal/portal/httpapi"
)

// TestBadPortEveryRoute sends each route that takes a {port} a port that is
// not one: every one answers 400 EINVALID, and those that read no body
// "Invalid port".
func TestBadPortEveryRoute(t *testing.T) {
	t.Parallel()
	s := newAPIServer(t)
	for _, pattern := range httpapi.Patterns(httpapi.New(s.Portal)) {
		method, path, _ := strings.Cut(pattern, " ")
		if !strings.Contains(path, "{port}") {
			continue
		}
		path = strings.NewReplacer("{id}", "ses_1", "{requestId}", "per_1").Replace(path)
		for _, port := range []string{"0", "65536", "99999", "abc", "-1", "1e3", "123456"} {
			url := s.URL + strings.Replace(path, "{port}", port, 1)
			hasBody := method != http.MethodGet
			req, _ := http.NewRequest(method, url, nil)
			if hasBody {
				req, _ = http.NewRequest(method, url, strings.NewReader("{}"))
				req.Header.Set("Content-Type", "application/json")
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var env struct{ Code, Message string }
			json.NewDecoder(resp.Body).Decode(&env)
			resp.Body.Close()
			if resp.StatusCode != 400 || env.Code != "EINVALID" || (!hasBody && env.Message != "Invalid port") {
				t.Errorf("%s with port %q: %d %s %q, want 400 EINVALID", pattern, port, resp.StatusCode, env.Code, env.Message)
			}
		}
	}
}
