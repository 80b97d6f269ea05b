package httpapi_test

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"

	"github.com/opencode-portal/portal"
	"github.com/opencode-portal/portal/httpapi"
)

// Serve a Portal and call it: a list of instances, then an error answer,
// whose message ends with the route that takes the step it advises.
func ExampleNew() {
	dir, _ := os.MkdirTemp("", "httpapi-example")
	defer os.RemoveAll(dir)
	p, err := portal.New(portal.Config{RegistryPath: filepath.Join(dir, "portal.json")})
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()

	srv := httptest.NewServer(httpapi.New(p))
	defer srv.Close()
	for _, path := range []string{"/api/instances", "/api/instances/nope"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			log.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Printf("%d %s", resp.StatusCode, body)
	}
	// Output:
	// 200 {"total":0,"instances":[]}
	// 404 {"statusCode":404,"statusMessage":"Not Found","message":"No instance \"nope\"; list instances (GET /api/instances)","code":"ENOTFOUND"}
}
