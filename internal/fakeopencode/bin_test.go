package fakeopencode

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBin checks which program Bin gives: the one FAKE_OPENCODE_BIN names,
// an error naming the variable when that program is missing, and the test
// binary itself without the variable.
func TestBin(t *testing.T) {
	built := filepath.Join(t.TempDir(), "fake-opencode")
	if err := os.WriteFile(built, nil, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv(BinVar, built)
	if got, err := Bin(); err != nil || got != built {
		t.Errorf("Bin() with %s=%s = %q, %v", BinVar, built, got, err)
	}
	t.Setenv(BinVar, built+"-gone")
	if got, err := Bin(); err == nil || !strings.Contains(err.Error(), BinVar) {
		t.Errorf("Bin() with a missing program = %q, %v; want an error naming %s", got, err, BinVar)
	}
	os.Unsetenv(BinVar) // t.Setenv restores it
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if got, err := Bin(); err != nil || got != self {
		t.Errorf("Bin() without %s = %q, %v; want the test binary %q", BinVar, got, err, self)
	}
}
