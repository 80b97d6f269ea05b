package ringlog

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestTail(t *testing.T) {
	tests := []struct {
		name     string
		capacity int
		add      []string
		n        int
		want     []string
	}{
		{"empty", 3, nil, 0, []string{}},
		{"not full, all", 3, []string{"a", "b"}, 0, []string{"a", "b"}},
		{"not full, tail", 3, []string{"a", "b"}, 1, []string{"b"}},
		{"wrapped, all", 3, []string{"a", "b", "c", "d", "e"}, 0, []string{"c", "d", "e"}},
		{"wrapped, tail", 3, []string{"a", "b", "c", "d", "e"}, 2, []string{"d", "e"}},
		{"more than kept", 3, []string{"a", "b", "c", "d"}, 10, []string{"b", "c", "d"}},
		{"capacity 0 keeps nothing", 0, []string{"a"}, 0, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := New(tt.capacity)
			for _, l := range tt.add {
				r.Add(l)
			}
			if diff := cmp.Diff(tt.want, r.Tail(tt.n)); diff != "" {
				t.Errorf("Tail(%d) (-want +got):\n%s", tt.n, diff)
			}
		})
	}
}
