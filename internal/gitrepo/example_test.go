package gitrepo_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/go-git/go-git/v5"
	"github.com/opencode-portal/portal/internal/gitrepo"
)

// A worktree is staged, committed, changed and inspected without the git CLI.
func Example() {
	dir, err := os.MkdirTemp("", "gitrepo-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	if _, err := git.PlainInit(dir, false); err != nil {
		panic(err)
	}
	hello := filepath.Join(dir, "hello.txt")
	os.WriteFile(hello, []byte("hello\n"), 0o644)

	ctx := context.Background()
	r, err := gitrepo.Open(dir)
	if err != nil {
		panic(err)
	}
	if err := r.Stage(ctx, []string{"hello.txt"}); err != nil {
		panic(err)
	}
	if _, err := r.Commit(ctx, "first", &gitrepo.Identity{Name: "Ann", Email: "ann@example.com"}); err != nil {
		panic(err)
	}
	os.WriteFile(hello, []byte("hello, world\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "new.txt"), []byte("new\n"), 0o644)

	st, err := r.Status(ctx)
	if err != nil {
		panic(err)
	}
	for _, f := range st.Files {
		fmt.Printf("%c%c %s\n", f.Index, f.Worktree, f.Path)
	}
	diff, err := r.Diff(ctx, gitrepo.DiffOptions{})
	if err != nil {
		panic(err)
	}
	fmt.Print(diff)
	// Output:
	// .M hello.txt
	// ?? new.txt
	// diff --git a/hello.txt b/hello.txt
	// index ce01362..4b5fa63 100644
	// --- a/hello.txt
	// +++ b/hello.txt
	// @@ -1 +1 @@
	// -hello
	// +hello, world
}
