package portal_test

import (
	"fmt"
	"os"
	"testing"
)

// TestMain runs the tests, then ends what several of them shared: the
// fixtures (shared_test.go).
func TestMain(m *testing.M) {
	code := m.Run()
	if err := shared.close(); err != nil {
		fmt.Fprintln(os.Stderr, "ending what the tests shared:", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}
