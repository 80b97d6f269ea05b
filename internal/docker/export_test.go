package docker

import (
	"context"

	"github.com/moby/moby/client"
)

// EngineAPIVersion is the newest API version the engine speaks, for tests
// to compare with what the client negotiated.
func (c *Client) EngineAPIVersion(ctx context.Context) (string, error) {
	v, err := c.api.ServerVersion(ctx, client.ServerVersionOptions{})
	return v.APIVersion, err
}

// MaxAPIVersion is the newest API version the client speaks.
const MaxAPIVersion = client.MaxAPIVersion
