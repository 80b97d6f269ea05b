package portal_test

import (
	"testing"

	"github.com/opencode-portal/portal"
)

func TestParseMemory(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"1073741824", 1 << 30, true},
		{"512m", 512 << 20, true},
		{"512M", 512 << 20, true},
		{"2g", 2 << 30, true},
		{"64k", 64 << 10, true},
		{"100b", 100, true},
		{" 1g ", 1 << 30, true},
		{"", 0, false},
		{"g", 0, false},
		{"1.5g", 0, false},
		{"-1m", 0, false},
		{"1t", 0, false},
		{"9999999999999g", 0, false}, // overflows
	}
	for _, tt := range tests {
		got, err := portal.ParseMemory(tt.in)
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("ParseMemory(%q) = %d, %v; want %d, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
		if err != nil && portal.ErrorCode(err) != portal.EINVALID {
			t.Errorf("ParseMemory(%q): %v, want EINVALID", tt.in, err)
		}
	}
}

func TestConfigRefusesBadDockerDefaults(t *testing.T) {
	tests := []struct {
		name string
		cfg  portal.Config
	}{
		{"runtime", portal.Config{DefaultRuntime: "lxc"}},
		{"cpus", portal.Config{Docker: portal.DockerConfig{CPUs: -1}}},
		{"memory", portal.Config{Docker: portal.DockerConfig{Memory: 1024}}},
		{"image", portal.Config{Docker: portal.DockerConfig{Image: "Portal OpenCode"}}},
	}
	for _, tt := range tests {
		tt.cfg.RegistryPath = t.TempDir() + "/portal.json"
		if p, err := portal.New(tt.cfg); err == nil || portal.ErrorCode(err) != portal.EINVALID {
			if p != nil {
				p.Close()
			}
			t.Errorf("%s: New: %v, want EINVALID", tt.name, err)
		}
	}
}
