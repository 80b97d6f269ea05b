package gitignore_test

import (
	"fmt"

	"github.com/opencode-portal/portal/internal/gitignore"
)

// A List stacks the ignore files of a walk from the worktree root down:
// the patterns of a deeper .gitignore come later and win.
func ExampleList() {
	l := gitignore.List(gitignore.Parse([]byte("*.log\nbuild/\n"), ""))
	l = l.With(gitignore.Parse([]byte("!keep.log\n"), "sub/"))
	for _, p := range []string{"a.log", "sub/keep.log", "keep.log", "build", "sub/build"} {
		fmt.Println(p, l.Ignored(p, p == "build" || p == "sub/build"))
	}
	// Output:
	// a.log true
	// sub/keep.log false
	// keep.log true
	// build true
	// sub/build true
}
