package portal

import "time"

// RetryDownStreamsEvery sets how often p tries again the event stream of an
// instance that is down (every 30 s by default): so that a test of what
// such a try meets need not wait half a minute. Call it before p opens a
// stream.
func RetryDownStreamsEvery(p *Portal, d time.Duration) {
	p.events.mu.Lock()
	defer p.events.mu.Unlock()
	p.events.downRetry = d
}
