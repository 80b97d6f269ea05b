package httpapi_test

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/go-cmp/cmp"

	"github.com/opencode-portal/portal"
	"github.com/opencode-portal/portal/httpapi"
)

// registeredRoutes is every "METHOD /path" pattern the handler registers,
// sorted.
func registeredRoutes(t *testing.T) []string {
	t.Helper()
	p, err := portal.New(portal.Config{RegistryPath: t.TempDir() + "/portal.json"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	routes := slices.Clone(httpapi.Patterns(httpapi.New(p)))
	slices.Sort(routes)
	return routes
}

// documentedRoutes is every "METHOD /path" the OpenAPI document has an
// operation for that keep keeps, sorted.
func documentedRoutes(t *testing.T, keep func(*openapi3.Operation) bool) []string {
	t.Helper()
	var routes []string
	for path, item := range loadContract(t).doc.Paths.Map() {
		for method, op := range item.Operations() {
			if keep(op) {
				routes = append(routes, method+" "+path)
			}
		}
	}
	slices.Sort(routes)
	return routes
}

// TestOpenAPIDocument loads the document with kin-openapi's loader and
// validates it (structure, references, examples and defaults against their
// schemas); loadContract fails the test otherwise.
func TestOpenAPIDocument(t *testing.T) {
	c := loadContract(t)
	if got := c.doc.OpenAPI; got != "3.1.0" {
		t.Errorf("openapi = %q, want 3.1.0", got)
	}
	if !strings.Contains(c.doc.Info.Description, "x-portal-original") {
		t.Error("the description does not say what x-portal-original means")
	}
}

// TestOpenAPIRoutes fails when the document lacks a registered route, or
// documents a path or method the handler does not register.
func TestOpenAPIRoutes(t *testing.T) {
	documented := documentedRoutes(t, func(*openapi3.Operation) bool { return true })
	if diff := cmp.Diff(registeredRoutes(t), documented); diff != "" {
		t.Errorf("routes registered (-) and documented in openapi.json (+) differ:\n%s", diff)
	}
}

// TestOpenAPIOriginalRoutes checks the routes marked as the original
// Portal's: each is documented as such, and only those.
func TestOpenAPIOriginalRoutes(t *testing.T) {
	marked := documentedRoutes(t, func(op *openapi3.Operation) bool { return op.Extensions["x-portal-original"] == true })
	// The original Portal's routes (reference/portal-api.md, section 3),
	// less its starter leftover /api/hello.
	want := []string{
		"DELETE /api/opencode/{port}/session/{id}",
		"GET /api/instances",
		"GET /api/opencode/{port}/agents",
		"GET /api/opencode/{port}/config",
		"GET /api/opencode/{port}/files/search",
		"GET /api/opencode/{port}/git/diff",
		"GET /api/opencode/{port}/health",
		"GET /api/opencode/{port}/permissions",
		"GET /api/opencode/{port}/project/current",
		"GET /api/opencode/{port}/providers",
		"GET /api/opencode/{port}/questions",
		"GET /api/opencode/{port}/session/{id}",
		"GET /api/opencode/{port}/session/{id}/messages",
		"GET /api/opencode/{port}/sessions",
		"GET /api/system/hostname",
		"POST /api/opencode/{port}/permission/{requestId}/reply",
		"POST /api/opencode/{port}/question/{requestId}/reject",
		"POST /api/opencode/{port}/question/{requestId}/reply",
		"POST /api/opencode/{port}/session/create",
		"POST /api/opencode/{port}/session/{id}/abort",
		"POST /api/opencode/{port}/session/{id}/prompt",
	}
	if diff := cmp.Diff(want, marked); diff != "" {
		t.Errorf("routes marked x-portal-original (-want +got):\n%s", diff)
	}
}

// TestREADMERoutes fails when the README's route table and the registered
// routes differ. A row names its methods ("GET / DELETE") and, in
// backquotes, a path and the routes beside it that share its start
// (`/api/opencode/{port}/git/stage`, `unstage`: the last segment replaced;
// `git/push`: the last two); backquoted bodies (`{paths}`) and query strings
// are skipped.
func TestREADMERoutes(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(readme), "| Method | Path | What |")
	if !ok {
		t.Fatal("README.md has no route table (| Method | Path | What |)")
	}
	table, _, _ = strings.Cut(table, "\n\n")
	quoted := regexp.MustCompile("`([^`]+)`")
	var listed []string
	for _, row := range strings.Split(table, "\n")[2:] {
		cells := strings.Split(row, " | ")
		if len(cells) < 3 {
			t.Errorf("README route row %q has no method and path cells", row)
			continue
		}
		var paths []string
		for _, m := range quoted.FindAllStringSubmatch(cells[1], -1) {
			tok := m[1]
			switch {
			case strings.HasPrefix(tok, "{"):
			case strings.HasPrefix(tok, "/"):
				tok, _, _ = strings.Cut(tok, "?")
				tok, _, _ = strings.Cut(tok, "[")
				paths = append(paths, tok)
			case len(paths) > 0:
				segs := strings.Split(paths[0], "/")
				n := strings.Count(tok, "/") + 1
				paths = append(paths, strings.Join(segs[:len(segs)-n], "/")+"/"+tok)
			}
		}
		for _, method := range strings.Split(strings.TrimPrefix(cells[0], "| "), " / ") {
			for _, path := range paths {
				listed = append(listed, method+" "+path)
			}
		}
	}
	slices.Sort(listed)
	if diff := cmp.Diff(registeredRoutes(t), listed); diff != "" {
		t.Errorf("routes registered (-) and listed in README.md's table (+) differ:\n%s", diff)
	}
}

// TestOpenAPIServed checks that GET /api/openapi.json serves the document.
func TestOpenAPIServed(t *testing.T) {
	s := newAPIServer(t)
	resp, err := http.Get(s.URL + "/api/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET /api/openapi.json: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if !bytes.Equal(bytes.TrimSpace(body), bytes.TrimSpace(httpapi.OpenAPIDocument)) {
		t.Errorf("GET /api/openapi.json served %d bytes, not the %d of openapi.json", len(body), len(httpapi.OpenAPIDocument))
	}
}
