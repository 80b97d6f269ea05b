// Package ringlog keeps the last lines of a program's output, safe for use
// by several goroutines.
package ringlog

import "sync"

// Lines keeps the last lines added, up to its capacity.
type Lines struct {
	mu    sync.Mutex
	lines []string // circular, len(lines) == capacity once full
	next  int      // index of the slot the next line goes to once full
}

// New returns a Lines that keeps up to capacity lines.
func New(capacity int) *Lines {
	return &Lines{lines: make([]string, 0, capacity)}
}

// Add keeps lines, dropping the oldest beyond the capacity.
func (r *Lines) Add(lines ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, l := range lines {
		if len(r.lines) < cap(r.lines) {
			r.lines = append(r.lines, l)
			continue
		}
		if len(r.lines) == 0 {
			return // capacity 0 keeps nothing
		}
		r.lines[r.next] = l
		r.next = (r.next + 1) % len(r.lines)
	}
}

// Tail returns up to n of the newest lines, oldest first; all that are
// kept for n <= 0.
func (r *Lines) Tail(n int) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	total := len(r.lines)
	if n <= 0 || n > total {
		n = total
	}
	out := make([]string, 0, n)
	for i := total - n; i < total; i++ {
		out = append(out, r.lines[(r.next+i)%total])
	}
	return out
}
