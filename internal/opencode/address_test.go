package opencode

import "testing"

func TestBaseURL(t *testing.T) {
	tests := []struct {
		hostname string
		want     string
	}{
		{"127.0.0.1", "http://127.0.0.1:3100"},
		{"", "http://127.0.0.1:3100"},
		{"0.0.0.0", "http://127.0.0.1:3100"},
		{"::", "http://[::1]:3100"},
		{"[::]", "http://[::1]:3100"},
		{"::1", "http://[::1]:3100"},
		{"[::1]", "http://[::1]:3100"},
		{"localhost", "http://localhost:3100"},
		{"192.0.2.7", "http://192.0.2.7:3100"},
	}
	for _, tt := range tests {
		if got := BaseURL(tt.hostname, 3100); got != tt.want {
			t.Errorf("BaseURL(%q) = %q, want %q", tt.hostname, got, tt.want)
		}
	}
}
