package lifecycle

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestStartErrorSaysWhatFailed(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want *Error
	}{
		{
			"the last health check's answer",
			&StartError{Err: fmt.Errorf("%w: last health check: GET /global/health: 500; check the port", ErrStartTimeout), Output: []string{"listening"}},
			&Error{Kind: Timeout, Message: "OpenCode for /p did not become ready in time: last health check: GET /global/health: 500; check the port; its last output:\nlistening"},
		},
		{
			"no output",
			&StartError{Err: fmt.Errorf("%w: no listening line printed", ErrStartTimeout)},
			&Error{Kind: Timeout, Hint: HintStartTimeout, Message: "OpenCode for /p did not become ready in time: no listening line printed; start it again, or give starts longer"},
		},
		{
			"cancelled",
			&StartError{Err: context.Canceled},
			&Error{Kind: Timeout, Message: "Starting OpenCode for /p was cancelled before it was ready (its caller left, or the portal closed); start it again"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := startError("/p", tc.err).(*Error)
			if diff := cmp.Diff(tc.want, got, cmp.FilterPath(func(p cmp.Path) bool { return p.String() == "Err" }, cmp.Ignore())); diff != "" {
				t.Errorf("startError (-want +got):\n%s", diff)
			}
		})
	}
}
