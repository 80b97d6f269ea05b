package portal_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/opencode-portal/portal"
)

// A Portal reads the registry of instances; the zero Config uses
// ~/.portal.json, here a temporary file stands in for it.
func ExampleNew() {
	dir, _ := os.MkdirTemp("", "portal-example")
	defer os.RemoveAll(dir)

	p, err := portal.New(portal.Config{RegistryPath: filepath.Join(dir, "portal.json")})
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()

	instances, err := p.Instances(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(instances), "instances")
	// Output: 0 instances
}

// Errors carry a code, checked with errors.Is against the sentinels.
func ExampleError() {
	dir, _ := os.MkdirTemp("", "portal-example")
	defer os.RemoveAll(dir)
	p, _ := portal.New(portal.Config{RegistryPath: filepath.Join(dir, "portal.json")})
	defer p.Close()

	_, err := p.CurrentProject(context.Background(), 3999)
	fmt.Println(portal.ErrorCode(err))
	fmt.Println(err)
	// Output:
	// ENOTFOUND
	// No registered instance on port 3999; list instances with GET /api/instances, or start one for your project
}
