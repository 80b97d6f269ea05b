package httpapi_test

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/opencode-portal/portal"
	"github.com/opencode-portal/portal/httpapi"
)

func TestPassword(t *testing.T) {
	p, err := portal.New(portal.Config{RegistryPath: filepath.Join(t.TempDir(), "portal.json")})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	srv := httptest.NewServer(httpapi.New(p, httpapi.WithPassword("s3cret")))
	defer srv.Close()

	tests := []struct {
		name     string
		user     string
		password string
		path     string
		status   int
	}{
		{"no credentials", "", "", "/api/instances", 401},
		{"wrong password", "portal", "guess", "/api/instances", 401},
		{"prefix of the password", "portal", "s3cre", "/api/instances", 401},
		{"no credentials, unknown route", "", "", "/api/nope", 401},
		{"right password", "portal", "s3cret", "/api/instances", 200},
		{"right password, any user", "phone", "s3cret", "/api/instances", 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", srv.URL+tt.path, nil)
			if tt.user != "" || tt.password != "" {
				req.SetBasicAuth(tt.user, tt.password)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.status)
			}
			wantChallenge := ""
			if tt.status == 401 {
				wantChallenge = `Basic realm="portal", charset="UTF-8"`
			}
			if diff := cmp.Diff(wantChallenge, resp.Header.Get("WWW-Authenticate")); diff != "" {
				t.Errorf("WWW-Authenticate (-want +got):\n%s", diff)
			}
		})
	}
	status, body := getJSON(t, "GET", srv.URL+"/api/instances", nil)
	want := map[string]any{"statusCode": float64(401), "statusMessage": "Unauthorized", "code": "EUNAUTHORIZED",
		"message": "This portal needs its password: send it with HTTP Basic authentication (any user name)"}
	if diff := cmp.Diff(want, body); status != 401 || diff != "" {
		t.Errorf("status %d, envelope (-want +got):\n%s", status, diff)
	}
}
