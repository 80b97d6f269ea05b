package httpapi

import (
	"testing"
	"time"
)

// TestParallelGuessesShareTheBucket: credentials being checked count as
// spent, so requests in flight at once get no more checks than the bucket
// holds.
func TestParallelGuessesShareTheBucket(t *testing.T) {
	var f failures
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const burst, addr = 3, "198.51.100.7"
	admitted := 0
	for range 10 { // ten requests arrive before any check ends
		if f.admit(addr, now, time.Second, burst) == 0 {
			admitted++
		}
	}
	if admitted != burst {
		t.Fatalf("%d of 10 parallel requests admitted, want %d", admitted, burst)
	}
	for range admitted {
		f.done(addr, now, true, burst)
	}
	if wait := f.admit(addr, now, time.Second, burst); wait != time.Second {
		t.Errorf("after %d failures: wait %v, want 1s", burst, wait)
	}
	// Checks that succeed give their token back.
	var g failures
	for range 10 {
		if g.admit(addr, now, time.Second, burst) != 0 {
			t.Fatal("a request refused although every check before it succeeded")
		}
		g.done(addr, now, false, burst)
	}
	if len(g.byAddr) != 0 {
		t.Errorf("%d addresses remembered after only right credentials, want 0", len(g.byAddr))
	}
}
