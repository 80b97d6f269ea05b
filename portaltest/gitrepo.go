package portaltest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// InitGitRepo makes dir a git repository with one commit holding README.md.
func InitGitRepo(dir string) error {
	if err := os.WriteFile(filepath.Join(dir, "README.md"), []byte("# test project\n"), 0o644); err != nil {
		return err
	}
	for _, args := range [][]string{
		{"init", "-q", "-b", "main"},
		{"add", "-A"},
		{"commit", "-q", "-m", "initial commit"},
	} {
		if err := Git(dir, args...); err != nil {
			return err
		}
	}
	return nil
}

// Git runs the git CLI in dir with a fixed identity and no user config.
func Git(dir string, args ...string) error {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"GIT_AUTHOR_NAME=Portal Test", "GIT_AUTHOR_EMAIL=test@example.com",
		"GIT_COMMITTER_NAME=Portal Test", "GIT_COMMITTER_EMAIL=test@example.com",
		"GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("git %v: %v\n%s", args, err, out)
	}
	return nil
}

// NewGitRepo returns a new temporary git repository with one commit,
// removed when the test ends.
func NewGitRepo(tb testing.TB) string {
	tb.Helper()
	dir := tb.TempDir()
	if err := InitGitRepo(dir); err != nil {
		tb.Fatal(err)
	}
	return dir
}
