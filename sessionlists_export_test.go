package portal

import "time"

// KeepSessionListsFor sets how long p keeps an instance's session listing
// at most, and returns what it was (2 s by default): so that a test
// counting OpenCode's listings on a loaded machine does not see one kept
// listing age out, and one that checks the events' part sees no change
// brought by the bound instead. Call it while p lists no sessions.
func KeepSessionListsFor(p *Portal, d time.Duration) (was time.Duration) {
	was, p.lists.maxAge = p.lists.maxAge, d
	return was
}

// ReleaseSessionListsAfter sets how long p keeps the subscription of a kept
// listing with no listing asked (a minute by default). Call it before p
// lists sessions.
func ReleaseSessionListsAfter(p *Portal, d time.Duration) { p.lists.idle = d }
