package portal_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/opencode-portal/portal"
	"github.com/opencode-portal/portal/portaltest"
)

// registeredFolder makes a git repository in a temporary folder and
// registers it as the instance on port 3999 in a temporary registry, as a
// Portal's start would, but without OpenCode: the git and file methods read
// the folder on disk. It returns a Portal on that registry, the port, the
// folder and a function that removes it all.
func registeredFolder() (*portal.Portal, int, string, func()) {
	tmp, err := os.MkdirTemp("", "portal-example")
	if err != nil {
		log.Fatal(err)
	}
	dir := filepath.Join(tmp, "app")
	if err := exec.Command("git", "init", "-q", dir).Run(); err != nil {
		log.Fatal(err)
	}
	reg := filepath.Join(tmp, "portal.json")
	const port = 3999
	if _, err := (&portaltest.OpenCode{Port: port, Dir: dir}).Register(reg); err != nil {
		log.Fatal(err)
	}
	p, err := portal.New(portal.Config{RegistryPath: reg})
	if err != nil {
		log.Fatal(err)
	}
	return p, port, dir, func() { p.Close(); os.RemoveAll(tmp) }
}

// Stage a new file, commit it, and read the status and the log: the Portal
// works in the git worktree of the instance's folder, as git would.
func ExamplePortal_GitCommitChanges() {
	p, port, dir, cleanup := registeredFolder()
	defer cleanup()
	ctx := context.Background()
	os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n"), 0o644)

	st, err := p.GitStatus(ctx, port)
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range st.Files {
		fmt.Println(f.Index+f.Worktree, f.Path)
	}

	if err := p.GitStage(ctx, port, []string{"main.go"}); err != nil {
		log.Fatal(err)
	}
	me := &portal.GitIdentity{Name: "Ada", Email: "ada@example.com"}
	c, err := p.GitCommitChanges(ctx, port, "Add main\n\nThe program starts here.", me)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(c.Subject, "by", c.Author.Name)

	commits, _ := p.GitLog(ctx, port, portal.GitLogOptions{Limit: 10})
	fmt.Println(len(commits), "commit:", commits[0].Subject+";", commits[0].Body)
	st, _ = p.GitStatus(ctx, port)
	fmt.Println(len(st.Files), "changed files")
	// Output:
	// ?? main.go
	// Add main by Ada
	// 1 commit: Add main; The program starts here.
	// 0 changed files
}

// Diff the worktree against HEAD, with the per-file summary. A repository
// without commits has no HEAD to compare with: an ECONFLICT error says to
// make a first commit.
func ExamplePortal_GitDiff() {
	p, port, dir, cleanup := registeredFolder()
	defer cleanup()
	ctx := context.Background()

	_, err := p.GitDiff(ctx, port, portal.GitDiffOptions{})
	fmt.Println(portal.ErrorCode(err))

	os.WriteFile(filepath.Join(dir, "README"), []byte("one\n"), 0o644)
	p.GitStage(ctx, port, []string{"."})
	p.GitCommitChanges(ctx, port, "Start", &portal.GitIdentity{Name: "Ada", Email: "ada@example.com"})
	os.WriteFile(filepath.Join(dir, "README"), []byte("one\ntwo\n"), 0o644)

	d, err := p.GitDiff(ctx, port, portal.GitDiffOptions{Numstat: true})
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range d.Files {
		fmt.Println(f.Status, f.Path, "+", f.Added, "-", f.Deleted)
	}
	// Output:
	// ECONFLICT
	// M README + 1 - 0
}
