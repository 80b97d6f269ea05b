package opencode

import (
	"context"
	"net/http"
	"time"
)

// Health is the answer of GET /global/health.
type Health struct {
	Healthy bool   `json:"healthy"`
	Version string `json:"version"`
}

// Health probes the server with GET /global/health, bounded by timeout (a
// server that has just started can hang on its first probes).
func (c *Client) Health(ctx context.Context, timeout time.Duration) (Health, error) {
	ctx, cancel := context.WithTimeoutCause(ctx, timeout, ErrTimeout)
	defer cancel()
	var h Health
	err := c.call(ctx, http.MethodGet, "/global/health", nil, nil, &h)
	return h, err
}
