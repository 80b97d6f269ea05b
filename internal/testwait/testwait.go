// Package testwait is the tests' one way to wait for a condition that
// another goroutine or process makes true: an instance's state, a call
// arriving at a stand-in, a turn of the fake model ending.
package testwait

import (
	"testing"
	"time"
)

// Limit is how long Until waits before failing the test. It guards
// against a hang on a loaded machine; it is not a measure of speed.
const Limit = 2 * time.Minute

// Until calls cond until it returns true, sleeping between calls from 1 ms
// doubling up to 100 ms, so that a quick condition is seen at once and a
// slow one costs few calls. It fails the test, naming what it waited for,
// when cond has not held after Limit.
func Until(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(Limit)
	for pause := time.Millisecond; !cond(); pause = min(2*pause, 100*time.Millisecond) {
		if time.Now().After(deadline) {
			tb.Fatalf("gave up waiting for %s after %s", what, Limit)
		}
		time.Sleep(pause)
	}
}
