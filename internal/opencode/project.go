package opencode

import (
	"context"
	"encoding/json"
	"net/http"
)

// ProjectService reads the server's project and configuration.
type ProjectService service

// Current decodes the project the server works in into out.
func (s *ProjectService) Current(ctx context.Context, out any) error {
	return s.client.Call(ctx, http.MethodGet, "/project/current", nil, nil, out)
}

// Config returns the merged configuration as OpenCode sent it, secrets
// included.
func (s *ProjectService) Config(ctx context.Context) (json.RawMessage, error) {
	return s.client.get(ctx, "/config", nil)
}

// Providers returns the connected providers and default models as OpenCode
// sent them, secrets included.
func (s *ProjectService) Providers(ctx context.Context) (json.RawMessage, error) {
	return s.client.get(ctx, "/config/providers", nil)
}

// Agents returns the agents as OpenCode sent them.
func (s *ProjectService) Agents(ctx context.Context) (json.RawMessage, error) {
	return s.client.get(ctx, "/agent", nil)
}
