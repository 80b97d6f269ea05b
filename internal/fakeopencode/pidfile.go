package fakeopencode

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// ReadPIDs reads the pids a fake wrote to its FAKE_PIDFILE: its own, then
// its child's (with FAKE_GRANDCHILD). A file it cannot read fails tb.
func ReadPIDs(tb testing.TB, file string) []int {
	tb.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		tb.Fatal(err)
	}
	var pids []int
	for _, f := range strings.Fields(string(b)) {
		n, err := strconv.Atoi(f)
		if err != nil {
			tb.Fatalf("the fake's pid file %s: %v", file, err)
		}
		pids = append(pids, n)
	}
	return pids
}
