package fakeopencode

import (
	"os"
	"strconv"
	"strings"
)

// ReadPIDs reads the pids a fake wrote to its FAKE_PIDFILE: its own, then
// its child's (with FAKE_GRANDCHILD).
func ReadPIDs(file string) ([]int, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, f := range strings.Fields(string(b)) {
		n, err := strconv.Atoi(f)
		if err != nil {
			return nil, err
		}
		pids = append(pids, n)
	}
	return pids, nil
}
