package portal_test

import (
	"context"
	"fmt"
	"log"

	"github.com/opencode-portal/portal"
)

// Prompt waits for the agent's whole turn. Meanwhile, permission requests
// and questions wait for a reply; here a helper approves the session's bash
// calls once each.
func ExamplePortal_Prompt() {
	p, err := portal.New(portal.Config{}) // ~/.portal.json lists the instances
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	ctx := context.Background()
	const port = 3100 // the OpenCode port of a registered instance

	s, err := p.CreateSession(ctx, port, portal.SessionCreateOptions{Title: "Tidy up"})
	if err != nil {
		log.Fatal(err)
	}
	events, err := p.Subscribe(ctx, port, portal.EventFilter{SessionID: s.ID})
	if err != nil {
		log.Fatal(err)
	}
	go func() {
		for e := range events {
			if e.Type != "permission.asked" {
				continue
			}
			reqs, _ := p.Permissions(ctx, port)
			for _, r := range reqs {
				if r.SessionID == s.ID && r.Permission == "bash" {
					p.ReplyPermission(ctx, port, r.ID, portal.PermissionReply{Reply: portal.ReplyOnce})
				}
			}
		}
	}()
	msg, err := p.Prompt(ctx, port, s.ID, portal.PromptInput{Text: "Run the tests and fix what fails"})
	if err != nil {
		log.Fatal(err)
	}
	if msg.Info.Error != nil {
		fmt.Println("the turn failed:", msg.Info.Error.Name, msg.Info.Error.Data.Message)
		return
	}
	fmt.Println(msg.Text())
}
