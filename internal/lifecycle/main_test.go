package lifecycle

import (
	"os"
	"testing"

	"github.com/opencode-portal/portal/internal/fakeopencode"
)

// TestMain lets the test binary play `opencode serve` (see fakeopencode)
// when re-executed with fakeopencode.EnvVar set.
func TestMain(m *testing.M) {
	fakeopencode.Main()
	os.Exit(m.Run())
}
