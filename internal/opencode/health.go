package opencode

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// HealthService probes whether a server is OpenCode and ready.
type HealthService service

// Health is the answer of GET /global/health.
type Health struct {
	Healthy bool   `json:"healthy"`
	Version string `json:"version"`
}

// Get asks GET /global/health once, bounded by timeout (a server that has
// just started can hang on its first probes). OpenCode answers paths it
// does not know with a web page, so an answer that is not JSON (ErrNotJSON)
// is not OpenCode.
func (s *HealthService) Get(ctx context.Context, timeout time.Duration) (Health, error) {
	ctx, cancel := context.WithTimeoutCause(ctx, timeout, ErrTimeout)
	defer cancel()
	var h Health
	err := s.client.call(ctx, http.MethodGet, "/global/health", nil, nil, &h)
	return h, err
}

// Ready probes as Get does and returns nil only when the server answered
// that it is healthy; an answer of healthy=false wraps ErrUnhealthy.
func (s *HealthService) Ready(ctx context.Context, timeout time.Duration) error {
	h, err := s.Get(ctx, timeout)
	if err != nil {
		return err
	}
	if !h.Healthy {
		return fmt.Errorf("GET /global/health: %w", ErrUnhealthy)
	}
	return nil
}
