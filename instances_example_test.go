package portal_test

import (
	"context"
	"fmt"
	"log"

	"github.com/opencode-portal/portal"
)

// Start OpenCode for a project folder, use it, and stop it. Starting the
// same folder again, from here or from another process, returns the same
// instance.
func ExamplePortal_StartInstance() {
	p, err := portal.New(portal.Config{
		Restart:     portal.RestartOnFailure, // restart it if it crashes
		StopOnClose: true,                    // and stop it with the Portal
	})
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()

	ctx := context.Background()
	in, err := p.StartInstance(ctx, portal.StartOptions{Directory: "/home/me/src/app"})
	if err != nil {
		log.Fatal(err) // says why, with OpenCode's last lines of output
	}
	fmt.Println(in.State, in.URL) // running http://127.0.0.1:3100

	sessions, err := p.Sessions(ctx, in.Port, portal.SessionListOptions{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(sessions), "sessions")

	if err := p.StopInstance(ctx, in.ID); err != nil {
		log.Fatal(err)
	}
}
