package gitrepo

import (
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// gitAcceptsBranch asks `git check-ref-format --branch` about name, run
// outside any repository (so that @{-N} is not expanded).
func gitAcceptsBranch(tb testing.TB, dir, name string) bool {
	tb.Helper()
	cmd := exec.Command("git", "check-ref-format", "--branch", name)
	cmd.Dir = dir
	cmd.Env = append(gitEnv(dir), "GIT_CEILING_DIRECTORIES="+filepath.Dir(dir))
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		tb.Fatalf("git check-ref-format: %v", err)
	}
	if err == nil && strings.TrimSuffix(string(out), "\n") != name {
		tb.Fatalf("git check-ref-format --branch %q printed %q", name, out)
	}
	return err == nil
}

// outsideRepo returns a folder no repository is found from.
func outsideRepo(tb testing.TB) string {
	tb.Helper()
	requireGit(tb)
	return tb.TempDir()
}

// portalOnlyRefusals are the names CheckBranchName refuses though git
// accepts them (see CheckBranchName).
var portalOnlyRefusals = map[string]bool{"@": true}

// branchNameTable covers each of git's rules, and names near them that pass.
var branchNameTable = []string{
	"main", "feature/x", "a-b_c.d", "héllo", "x./y", "a.b", "a@b", "x/@", "@x", "a{b", "a}b", "{", "@}",
	"HEAD/x", "x/HEAD", "refs/heads/x", "a.lockx", "lock", ".lockx/a"[1:], "a-", "a+b", "a!b", "a#b", "a%b",
	"a'b", "a\"b", "a<b>", "a|b", "a=b", "a,b", "a;b", "a$b", "a&b", "a(b)", "\u00e9\u00e8", "\xff\xfe",
	"", "HEAD", "@", "-x", "--", "-", "a..b", "..", ".", "..a", "a..", ".a", "a/.b", "a/.", "a.", "a/b.",
	"a/", "/a", "a//b", "/", "//", "a b", " ", "a~b", "a^b", "a:b", "a?b", "a*b", "a[b", "a\\b", "a\tb",
	"a\nb", "a\x01b", "a\x1fb", "a\x7fb", "@{", "a@{b", "@{-1}", "@{u}", "x.lock", "a.lock/b", "a/b.lock",
	".lock", "a/.lock", "x.LOCK", "a@{", "a@@{b", "a.@{b", "a/@{b",
}

// TestCheckBranchNameMatchesGit compares CheckBranchName with `git
// check-ref-format --branch` on a table that covers each rule, then on
// random names made of the characters the rules are about. The seed is
// printed; PORTAL_REFNAME_SEED repeats a run.
func TestCheckBranchNameMatchesGit(t *testing.T) {
	t.Parallel()
	dir := outsideRepo(t)
	check := func(name string) {
		t.Helper()
		want := gitAcceptsBranch(t, dir, name) && !portalOnlyRefusals[name]
		err := CheckBranchName(name)
		if got := err == nil; got != want {
			t.Errorf("CheckBranchName(%q) = %v; git accepts it: %v", name, err, want)
		}
		if err != nil && !errors.Is(err, ErrInvalidBranchName) {
			t.Errorf("CheckBranchName(%q) = %v, not ErrInvalidBranchName", name, err)
		}
	}
	for _, name := range branchNameTable {
		check(name)
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("PORTAL_REFNAME_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("PORTAL_REFNAME_SEED=%q: %v", s, err)
		}
	}
	t.Logf("random names from seed %d (PORTAL_REFNAME_SEED=%d repeats them)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, seed))
	const alphabet = "ab./-@{}~^:?*[\\ \x01\x7fHEAD.lock\xc3\xa9"
	n := 300
	if testing.Short() {
		n = 50
	}
	for range n {
		b := make([]byte, 1+rng.IntN(8))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		check(string(b))
	}
}

// TestBranchNameRules checks that a refusal names the rule broken.
func TestBranchNameRules(t *testing.T) {
	for _, tc := range []struct{ name, rule string }{
		{"", "it is empty"},
		{"HEAD", "HEAD is not a branch name"},
		{"@", "'@' alone means HEAD"},
		{"-x", "it starts with '-'"},
		{"a..b", `it holds ".."`},
		{"x.lock", `a part ends with ".lock"`},
		{"a/.b", "a part starts with '.'"},
		{"a.", "it ends with '.'"},
		{"a/", "it has an empty part (a leading or trailing '/', or '//')"},
		{"a//b", "it has an empty part (a leading or trailing '/', or '//')"},
		{"a@{b", `it holds "@{"`},
		{"a b", `it holds ' ', which git refuses in ref names`},
		{"a:b", `it holds ':', which git refuses in ref names`},
		{"a\x01", "it holds a control character"},
		{"main", ""},
	} {
		if got := branchNameRule(tc.name); got != tc.rule {
			t.Errorf("branchNameRule(%q) = %q, want %q", tc.name, got, tc.rule)
		}
	}
}

// FuzzCheckBranchName compares CheckBranchName with the git CLI on every
// input git can be given (an argument cannot hold a NUL byte; those must be
// refused).
func FuzzCheckBranchName(f *testing.F) {
	for _, name := range branchNameTable {
		f.Add(name)
	}
	dir := outsideRepo(f)
	f.Fuzz(func(t *testing.T, name string) {
		err := CheckBranchName(name)
		if strings.IndexByte(name, 0) >= 0 {
			if err == nil {
				t.Fatalf("CheckBranchName(%q) accepts a NUL byte", name)
			}
			return
		}
		if want := gitAcceptsBranch(t, dir, name) && !portalOnlyRefusals[name]; (err == nil) != want {
			t.Fatalf("CheckBranchName(%q) = %v; git accepts it: %v", name, err, want)
		}
	})
}

// TestRefNamesFromClientsChecked checks every write and read that takes a
// ref or remote name from a client: the refused ones change nothing, and a
// branch named HEAD is never made.
func TestRefNamesFromClientsChecked(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := base(t)
	write(t, dir, "README.md", "second\n")
	commitAll(t, dir, "second")
	runGit(t, dir, "remote", "add", "origin", dir)
	before := append(repoState(t, dir), runGit(t, dir, "for-each-ref"))
	r := openRepo(t, dir)
	for _, tc := range []struct {
		name string
		fn   func() error
		want error
	}{
		{"checkout HEAD", func() error { return r.Checkout(ctx, "HEAD", true) }, ErrInvalidBranchName},
		{"checkout -x", func() error { return r.Checkout(ctx, "-x", true) }, ErrInvalidBranchName},
		{"checkout x.lock", func() error { return r.Checkout(ctx, "x.lock", true) }, ErrInvalidBranchName},
		{"checkout @", func() error { return r.Checkout(ctx, "@", true) }, ErrInvalidBranchName},
		{"push HEAD", func() error { return r.Push(ctx, "origin", "HEAD") }, ErrInvalidBranchName},
		{"push remote a..b", func() error { return r.Push(ctx, "a..b", "main") }, ErrInvalidRemoteName},
		{"fetch remote -", func() error { return r.Fetch(ctx, "a b") }, ErrInvalidRemoteName},
		{"fetch remote climbing", func() error { return r.Fetch(ctx, "../origin") }, ErrInvalidRemoteName},
		{"log ref climbing", func() error { _, err := r.Log(ctx, LogOptions{Ref: "../../HEAD"}); return err }, ErrInvalidRevision},
		{"log ref option", func() error { _, err := r.Log(ctx, LogOptions{Ref: "-n"}); return err }, ErrInvalidRevision},
		{"log ref path", func() error { _, err := r.Log(ctx, LogOptions{Ref: "main:README.md"}); return err }, ErrInvalidRevision},
		{"log ref steps", func() error { _, err := r.Log(ctx, LogOptions{Ref: "main~x"}); return err }, ErrInvalidRevision},
		{"log ref empty name", func() error { _, err := r.Log(ctx, LogOptions{Ref: "~1"}); return err }, ErrInvalidRevision},
		{"log ref missing", func() error { _, err := r.Log(ctx, LogOptions{Ref: "nope"}); return err }, ErrBranchNotFound},
	} {
		if err := tc.fn(); !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
	}
	if diff := cmp.Diff(before, append(repoState(t, dir), runGit(t, dir, "for-each-ref"))); diff != "" {
		t.Errorf("refused names changed the repository:\n%s", diff)
	}
	if _, err := os.Lstat(filepath.Join(dir, ".git", "refs", "heads", "HEAD")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("refs/heads/HEAD exists (%v)", err)
	}
	for _, rev := range []string{"main", "HEAD", "HEAD~1", "main^1~0", "HEAD^"} {
		if _, err := r.Log(ctx, LogOptions{Ref: rev, Limit: 1}); err != nil {
			t.Errorf("Log(%q): %v", rev, err)
		}
	}
}
