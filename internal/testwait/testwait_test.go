package testwait_test

import (
	"sync/atomic"
	"testing"

	"github.com/opencode-portal/portal/internal/testwait"
)

func TestUntilReturnsOnceTheConditionHolds(t *testing.T) {
	var calls atomic.Int32
	testwait.Until(t, "the third call", func() bool { return calls.Add(1) == 3 })
	if got := calls.Load(); got != 3 {
		t.Errorf("cond called %d times, want 3", got)
	}
}
