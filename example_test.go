package portal_test

import (
	"context"
	"errors"
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

// Errors carry a code, checked with errors.Is against the sentinels, and a
// message in the portal's words. Hint names the step the message ends by
// advising, so a front end can say how to take it: httpapi adds the route.
func ExampleError() {
	dir, _ := os.MkdirTemp("", "portal-example")
	defer os.RemoveAll(dir)
	p, _ := portal.New(portal.Config{RegistryPath: filepath.Join(dir, "portal.json")})
	defer p.Close()

	_, err := p.CurrentProject(context.Background(), 3999)
	fmt.Println(errors.Is(err, portal.ErrNotFound), portal.ErrorCode(err))
	fmt.Println(err)
	var e *portal.Error
	if errors.As(err, &e) && e.Hint == portal.HintListInstances {
		fmt.Println("hint:", e.Hint)
	}
	// Output:
	// true ENOTFOUND
	// No registered instance on port 3999; start one for your project, or list instances
	// hint: list-instances
}
