package gitrepo

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestUserExcludesFile checks that status finds the user's excludes file
// where git does: $XDG_CONFIG_HOME/git/ignore by default, and the global
// core.excludesFile, "~/" expanded, when set.
func TestUserExcludesFile(t *testing.T) {
	requireGit(t)
	ctx := context.Background()
	for name, tc := range map[string]struct{ gitconfig, file string }{
		"xdg default":      {"", ".config/git/ignore"},
		"global ~/ option": {"[core]\n\texcludesFile = ~/my-ignore\n", "my-ignore"},
	} {
		t.Run(name, func(t *testing.T) {
			home := t.TempDir()
			t.Setenv("HOME", home)
			t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
			if tc.gitconfig != "" {
				write(t, home, ".gitconfig", tc.gitconfig)
			}
			write(t, home, tc.file, "*.one\n")
			dir := initRepo(t)
			write(t, dir, "a.one", "a\n")
			write(t, dir, "b.two", "b\n")
			st, err := openRepo(t, dir).Status(ctx)
			if err != nil {
				t.Fatal(err)
			}
			out, err := gitEnvErr(dir, []string{"HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, ".config")},
				"status", "--porcelain=v2", "-uall", "-z")
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, rec := range strings.Split(strings.TrimSuffix(out, "\x00"), "\x00") {
				if strings.HasPrefix(rec, "? ") {
					want = append(want, rec)
				}
			}
			var got []string
			for _, rec := range porcelain(st) {
				if strings.HasPrefix(rec, "? ") {
					got = append(got, rec)
				}
			}
			if diff := cmp.Diff(want, got); diff != "" || len(got) != 1 || got[0] != "? b.two" {
				t.Errorf("untracked files (-git +ours):\n%s(got %q, want only b.two)", diff, got)
			}
		})
	}
}
