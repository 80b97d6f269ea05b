package portaltest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log"
	"net/http"

	"github.com/opencode-portal/portal/portaltest"
)

// A FakeModel drives a real OpenCode: script the replies, start OpenCode
// pointed at it, prompt, and look at what the model was sent.
func ExampleFakeModel() {
	model := portaltest.StartFakeModel()
	defer model.Close()
	model.Enqueue(
		portaltest.ToolCallReply("bash", map[string]string{"command": "ls", "description": "List files"}),
		portaltest.TextReply("There are ", "two files."),
	)
	oc, err := portaltest.StartOpenCode(context.Background(), portaltest.OpenCodeOptions{
		ModelURL: model.URL(),
		Config:   map[string]any{"permission": map[string]any{"bash": "allow"}},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer oc.Close()

	var session struct{ ID string }
	ocPost(oc, "/session", map[string]any{}, &session)
	var answer struct {
		Parts []struct{ Type, Text string }
	}
	ocPost(oc, "/session/"+session.ID+"/message", map[string]any{
		"parts": []any{map[string]string{"type": "text", "text": "What is here?"}},
	}, &answer)

	// The second agent request carries the result of the bash call.
	second, _ := model.WaitAgentRequest(context.Background(), 2)
	for _, m := range second.Messages {
		if m.Role == "tool" {
			fmt.Printf("bash printed %q\n", m.Content)
		}
	}
	for _, p := range answer.Parts {
		if p.Type == "text" {
			fmt.Println("the agent answered:", p.Text)
		}
	}
}

func ocPost(oc *portaltest.OpenCode, path string, body, out any) {
	data, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", oc.URL+path, bytes.NewReader(data))
	req.SetBasicAuth("opencode", oc.Password)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		log.Fatal(err)
	}
}
