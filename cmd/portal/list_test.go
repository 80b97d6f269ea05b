package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencode-portal/portal/internal/registry"
)

// TestListAll: an entry whose process is gone is left out of portal list
// and shown by portal list --all.
func TestListAll(t *testing.T) {
	reg := filepath.Join(t.TempDir(), "portal.json")
	gone := 1 << 30 // above any pid the kernel hands out
	err := registry.New(reg).Update(context.Background(), func(f *registry.File) error {
		f.Instances = append(f.Instances, registry.Entry{ID: "gone1234", Name: "old", Directory: t.TempDir(), OpencodePort: 3100, OpencodePID: &gone})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"list", "--registry", reg}, "No instances."},
		{[]string{"list", "--all", "--registry", reg}, "gone1234  old"},
	}
	for _, tt := range tests {
		code, out, errOut := portalCmd(t, tt.args...)
		if code != 0 || !strings.Contains(out, tt.want) {
			t.Errorf("portal %q: %d %q %s; want %q", tt.args, code, out, errOut, tt.want)
		}
	}
}
