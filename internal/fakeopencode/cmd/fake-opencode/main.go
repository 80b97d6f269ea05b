// Command fake-opencode is the tests' fake OpenCode as a program of its own
// (see package fakeopencode): scripts/test builds it once, without the race
// detector, and names it in FAKE_OPENCODE_BIN, so that a test starts it
// instead of its own test binary, a start that costs some 50 ms of CPU
// under the race detector, where this one costs a few.
package main

import (
	"fmt"
	"os"

	"github.com/opencode-portal/portal/internal/fakeopencode"
)

func main() {
	fakeopencode.Main()
	fmt.Fprintf(os.Stderr, "fake-opencode: set %s=1 (and give serve --port P --hostname H) to run it as OpenCode\n", fakeopencode.EnvVar)
	os.Exit(2)
}
