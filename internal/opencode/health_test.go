package opencode

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"
)

func TestHealthReady(t *testing.T) {
	tests := []struct {
		name    string
		ctype   string
		body    string
		wantErr error // nil: ready
	}{
		{"healthy", "application/json", `{"healthy":true,"version":"1.18.33"}`, nil},
		{"not healthy", "application/json", `{"healthy":false}`, ErrUnhealthy},
		{"a web page", "text/html", `<!doctype html>`, ErrNotJSON},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/global/health" {
					http.NotFound(w, r)
					return
				}
				w.Header().Set("Content-Type", tt.ctype)
				w.Write([]byte(tt.body))
			}, time.Minute)
			err := c.Health.Ready(context.Background(), time.Minute)
			if tt.wantErr == nil && err != nil || !errors.Is(err, tt.wantErr) {
				t.Errorf("Ready = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestHealthGetIsBoundedByItsTimeout(t *testing.T) {
	release := make(chan struct{})
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}, time.Hour)
	defer close(release)
	_, err := c.Health.Get(context.Background(), 50*time.Millisecond)
	if !errors.Is(err, ErrTimeout) {
		t.Errorf("Get = %v, want ErrTimeout", err)
	}
}

func TestHealthGetDecodesTheVersion(t *testing.T) {
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"healthy":true,"version":"1.18.33"}`))
	}, time.Minute)
	h, err := c.Health.Get(context.Background(), time.Minute)
	if err != nil || h != (Health{Healthy: true, Version: "1.18.33"}) {
		t.Errorf("Get = %+v, %v", h, err)
	}
}
