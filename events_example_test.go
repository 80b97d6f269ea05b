package portal_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"

	"github.com/opencode-portal/portal"
)

// Follow one session's reply as it is written: subscribe first, then prompt,
// and re-read the messages whenever the portal says events were missed.
func ExamplePortal_Subscribe() {
	p, err := portal.New(portal.Config{})
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	const port, session = 3100, "ses_0123456789abcdefghijklmn"
	events, err := p.Subscribe(ctx, port, portal.EventFilter{SessionID: session})
	if err != nil {
		log.Fatal(err)
	}
	// ... start a turn here, e.g. with p.PromptAsync.
	for ev := range events {
		switch ev.Type {
		case "message.part.delta":
			var d struct {
				Delta string `json:"delta"`
			}
			if json.Unmarshal(ev.Properties, &d) == nil {
				fmt.Print(d.Delta)
			}
		case portal.EventResync:
			// Events were missed: read the session's messages again.
		case "session.idle":
			return
		}
	}
}
