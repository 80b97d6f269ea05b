package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestServeBodyLimitFlags checks that --max-prompt-mib and --max-body-mib
// set the limits of the prompt routes and of the others.
func TestServeBodyLimitFlags(t *testing.T) {
	s := startServe(t, "--max-prompt-mib", "1", "--max-body-mib", "2")
	body := `{"text":"` + strings.Repeat("x", 3<<19) + `"}` // 1.5 MiB
	tests := []struct {
		path    string
		status  int
		message string
	}{
		{"/api/opencode/4096/session/ses_1/prompt", 413,
			"Request body is larger than 1 MiB, the limit for prompts; send less, or raise the limit with --max-prompt-mib (httpapi.WithMaxPromptBytes)"},
		{"/api/opencode/4096/session/ses_1/prompt_async", 413,
			"Request body is larger than 1 MiB, the limit for prompts; send less, or raise the limit with --max-prompt-mib (httpapi.WithMaxPromptBytes)"},
		// Read whole, then refused as the port has no instance.
		{"/api/opencode/4096/session/create", 404,
			"No registered instance on port 4096; start one for your project, or list instances (GET /api/instances)"},
	}
	for _, tt := range tests {
		resp, err := http.Post("http://"+s.addr+tt.path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		var envelope struct{ Message string }
		json.NewDecoder(resp.Body).Decode(&envelope)
		resp.Body.Close()
		if resp.StatusCode != tt.status || envelope.Message != tt.message {
			t.Errorf("%s, 1.5 MiB: %d %q, want %d %q", tt.path, resp.StatusCode, envelope.Message, tt.status, tt.message)
		}
	}
}
