package gitrepo

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/opencode-portal/portal/internal/gitrepo/internal/histgen"
)

// generatedHistory builds the small generated history (merges, octopus
// merges, clock skew, renames, several packs) and a copy of it with a
// commit-graph.
func generatedHistory(t *testing.T) map[string]string {
	t.Helper()
	requireGit(t)
	plain := filepath.Join(t.TempDir(), "plain")
	if err := histgen.Generate(context.Background(), plain, histgen.Options{Commits: 2000, Files: 300, Packs: 3}); err != nil {
		t.Fatal(err)
	}
	graph := filepath.Join(t.TempDir(), "graph")
	if out, err := exec.Command("cp", "-a", plain, graph).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v %s", err, out)
	}
	runGit(t, graph, "commit-graph", "write", "--reachable")
	return map[string]string{"plain": plain, "commit-graph": graph}
}

// logFormat is what git prints of each commit and what logLines renders
// of ours, field for field.
const logFormat = "%H|%P|%an|%ae|%at|%cn|%ce|%ct|%s|%b%x00"

func gitLog(t *testing.T, dir string, opts LogOptions) []string {
	t.Helper()
	args := []string{"log", "--format=" + logFormat}
	if opts.Limit > 0 {
		args = append(args, fmt.Sprintf("-n%d", opts.Limit))
	}
	if opts.Ref != "" {
		args = append(args, opts.Ref)
	}
	if opts.Path != "" {
		args = append(args, "--", opts.Path)
	}
	var out []string
	for _, rec := range strings.Split(runGit(t, dir, args...), "\x00") {
		if rec = strings.TrimPrefix(rec, "\n"); rec != "" {
			out = append(out, strings.TrimRight(rec, "\n"))
		}
	}
	return out
}

func logLines(commits []Commit) []string {
	var out []string
	for _, c := range commits {
		parents := make([]string, len(c.Parents))
		for i, p := range c.Parents {
			parents[i] = p.String()
		}
		out = append(out, fmt.Sprintf("%s|%s|%s|%s|%d|%s|%s|%d|%s|%s", c.Hash, strings.Join(parents, " "),
			c.Author.Name, c.Author.Email, c.Author.When.Unix(), c.Committer.Name, c.Committer.Email,
			c.Committer.When.Unix(), c.Subject, c.Body))
	}
	return out
}

func compareLog(t *testing.T, dir string, opts LogOptions) {
	t.Helper()
	commits, err := openRepo(t, dir).Log(context.Background(), opts)
	if err != nil {
		t.Fatalf("Log(%+v): %v", opts, err)
	}
	if diff := cmp.Diff(gitLog(t, dir, opts), logLines(commits)); diff != "" {
		t.Errorf("Log(%+v) differs from git log (-git +ours):\n%s", opts, diff)
	}
}

// TestGeneratedHistory compares Log and the ahead and behind counts with
// the git CLI on one generated history, with and without a commit-graph.
func TestGeneratedHistory(t *testing.T) {
	t.Parallel()
	repos := generatedHistory(t)
	// The two only read the repositories (the tags log adds are not
	// branches), so they run side by side.
	t.Run("log", func(t *testing.T) { t.Parallel(); testLogGenerated(t, repos) })
	t.Run("ahead-behind", func(t *testing.T) { t.Parallel(); testAheadBehind(t, repos) })
}

// testLogGenerated compares Log with git log on merge-heavy history with
// clock skew and renames: order, limits, refs, and path simplification
// through merges for files and folders.
func testLogGenerated(t *testing.T, repos map[string]string) {
	dir := repos["plain"]
	renamed := strings.Fields(runGit(t, dir, "log", "--diff-filter=R", "--name-only", "--format=", "-n1"))
	if len(renamed) == 0 {
		t.Fatal("the generated history has no rename")
	}
	added := strings.Fields(runGit(t, dir, "log", "--diff-filter=A", "--name-only", "--format=", "-n1", "--", "pkg*/topic*"))
	if len(added) == 0 {
		t.Fatal("the generated history adds no file on a topic")
	}
	short := strings.TrimSpace(runGit(t, dir, "rev-parse", "--short=7", "main~5"))
	for _, d := range repos {
		runGit(t, d, "tag", "-a", "-m", "annotated", "v-annotated", "main~3")
	}
	cases := []LogOptions{
		{Limit: 5, Ref: short},
		{Limit: 5, Ref: "v-annotated"},
		{Limit: 5, Ref: "main^2~3^"},
		{},
		{Limit: 100},
		{Limit: 7, Ref: "main~37"},
		{Limit: 300, Ref: "topic/0"},
		{Limit: 50, Ref: "main^2"},
		{Path: histgen.DeepFile},
		{Limit: 100, Path: histgen.Folder},
		{Path: "pkg03/sub1/deep"},
		{Path: renamed[0]},
		{Path: filepath.Dir(renamed[0])},
		{Path: added[0]},
		{Limit: 30, Ref: "main~200", Path: "pkg02"},
	}
	for name, dir := range repos {
		for _, opts := range cases {
			t.Run(fmt.Sprintf("%s %+v", name, opts), func(t *testing.T) { compareLog(t, dir, opts) })
		}
	}
}

// TestLogShallowClone walks to the shallow boundary, where git stops.
func TestLogShallowClone(t *testing.T) {
	t.Parallel()
	src := historyRepo(t)
	for _, depth := range []string{"1", "3"} {
		dir := filepath.Join(t.TempDir(), "shallow")
		runGit(t, src, "clone", "-q", "--depth", depth, "file://"+src, dir)
		for _, opts := range []LogOptions{{}, {Path: "a.txt"}, {Path: "dir"}, {Limit: 1}, {Ref: "HEAD~" + depth}} {
			t.Run(fmt.Sprintf("depth %s %+v", depth, opts), func(t *testing.T) {
				if opts.Ref == "" {
					compareLog(t, dir, opts)
					return
				}
				// Past the boundary: git finds no such commit, nor do we.
				if _, err := gitErr(dir, "rev-parse", "--verify", "-q", opts.Ref); err == nil {
					t.Fatalf("git resolves %s past the shallow boundary", opts.Ref)
				}
				if _, err := openRepo(t, dir).Log(context.Background(), opts); !errors.Is(err, ErrBranchNotFound) {
					t.Errorf("Log(%+v): err = %v, want ErrBranchNotFound", opts, err)
				}
				// One step less is the last commit of the clone.
				compareLog(t, dir, LogOptions{Ref: map[string]string{"1": "HEAD~0", "3": "HEAD~2"}[depth]})
			})
		}
		t.Run("depth "+depth+" ahead/behind", func(t *testing.T) {
			// A local commit on a shallow clone whose upstream moved on:
			// both walks end at the shallow boundary.
			write(t, dir, "local.txt", "local")
			commitAll(t, dir, "local")
			write(t, src, "a.txt", "upstream "+depth)
			commitAll(t, src, "upstream "+depth)
			runGit(t, dir, "fetch", "-q", "--depth", depth, "origin")
			if diff := cmp.Diff(gitPorcelain(t, dir)[:4], porcelain(statusOf(t, openRepo(t, dir)))[:4]); diff != "" {
				t.Errorf("status branch headers differ from git (-git +ours):\n%s", diff)
			}
		})
	}
}

// TestLogMessages compares subjects and bodies with git's %s and %b on
// messages with leading whitespace, whitespace-only lines, a multi-line
// subject and trailing spaces.
func TestLogMessages(t *testing.T) {
	t.Parallel()
	dir := initRepo(t)
	for i, msg := range []string{
		"  indented subject\n\n  indented body\n",
		"\tsubject with a tab  \ncontinued  \n \t\nbody after a whitespace-only line\n\n\n",
		"\n\n   \nsubject after blank lines\n",
		"one line, no newline",
		"subject\n\n\n\nbody after several blank lines\n  trailing spaces  \n",
	} {
		write(t, dir, "f.txt", fmt.Sprint(i))
		runGit(t, dir, "add", "-A")
		runGit(t, dir, "commit", "-q", "--cleanup=verbatim", "-m", msg)
	}
	compareLog(t, dir, LogOptions{})
}

// testAheadBehind compares the ahead and behind counts with git rev-list
// --left-right --count on generated history and on a branch whose commits
// are dated before their parents.
func testAheadBehind(t *testing.T, generated map[string]string) {
	ctx := context.Background()
	repos := map[string]string{"plain": generated["plain"], "commit-graph": generated["commit-graph"]}
	skew := skewedBranch(t, false)
	repos["skew"] = skew
	repos["skew, newer than the commit-graph"] = skewedBranch(t, true)
	pairs := map[string][][2]string{
		"skew": {{"main", "up"}, {"up", "main"}, {"main", "side"}, {"side", "up"}},
	}
	pairs["skew, newer than the commit-graph"] = pairs["skew"]
	for _, name := range []string{"plain", "commit-graph"} {
		pairs[name] = [][2]string{{"main", "main~500"}, {"main~3", "topic/0"}, {"topic/0", "main~300"},
			{"main^2", "main~2^2"}, {"main~10", "main~10"}, {"topic/1", "topic/2"}}
	}
	for name, dir := range repos {
		r := openRepo(t, dir)
		g, err := r.open()
		if err != nil {
			t.Fatal(err)
		}
		h, err := r.openHistory(g)
		if err != nil {
			t.Fatal(err)
		}
		defer h.close()
		for _, p := range pairs[name] {
			t.Run(fmt.Sprintf("%s %s...%s", name, p[0], p[1]), func(t *testing.T) {
				want := strings.Fields(runGit(t, dir, "rev-list", "--left-right", "--count", p[0]+"..."+p[1]))
				a, err := h.resolve(g, p[0])
				if err != nil {
					t.Fatal(err)
				}
				b, err := h.resolve(g, p[1])
				if err != nil {
					t.Fatal(err)
				}
				ahead, behind, err := r.aheadBehind(ctx, g, a, b)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(want, []string{fmt.Sprint(ahead), fmt.Sprint(behind)}); diff != "" {
					t.Errorf("ahead, behind differ from git (-git +ours):\n%s", diff)
				}
			})
		}
	}
	// The same through Status, with up as the upstream of main.
	runGit(t, skew, "branch", "--set-upstream-to=up", "main")
	if diff := cmp.Diff(gitPorcelain(t, skew)[:4], porcelain(statusOf(t, openRepo(t, skew)))[:4]); diff != "" {
		t.Errorf("status branch headers differ from git (-git +ours):\n%s", diff)
	}
}

// skewedBranch makes a main branch whose two commits on top of up are dated
// before their parents, and a branch side three commits behind up. With
// graph, the commit-graph holds up's history but not main's two commits.
func skewedBranch(t *testing.T, graph bool) string {
	dir := initRepo(t)
	write(t, dir, "a.txt", "1")
	commitAt(t, dir, "base", "2026-01-10T10:00:00Z")
	for i, date := range []string{"2026-01-11T10:00:00Z", "2026-01-12T10:00:00Z", "2026-01-13T10:00:00Z", "2026-01-14T10:00:00Z", "2026-01-15T10:00:00Z"} {
		write(t, dir, "a.txt", fmt.Sprint(i))
		commitAt(t, dir, "upstream work", date)
	}
	runGit(t, dir, "branch", "up")
	if graph {
		runGit(t, dir, "commit-graph", "write", "--reachable")
	}
	write(t, dir, "b.txt", "local")
	commitAt(t, dir, "local commit dated before its parent", "2026-01-01T10:00:00Z")
	write(t, dir, "b.txt", "local 2")
	commitAt(t, dir, "local commit dated before the base", "2026-01-02T10:00:00Z")
	runGit(t, dir, "branch", "side", "up~3")
	return dir
}

// TestDiffStatIsDiffAndNumstat checks that the one-pass DiffStat returns
// what Diff and Numstat return separately.
func TestDiffStatIsDiffAndNumstat(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := historyRepo(t)
	write(t, dir, "a.txt", "changed\n")
	write(t, dir, "new.txt", "new\n")
	remove(t, dir, "dir/c.txt")
	r := openRepo(t, dir)
	for _, opts := range []DiffOptions{{}, {Untracked: true}, {Paths: []string{"dir"}}} {
		text, stats, err := r.DiffStat(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		wantText, err := r.Diff(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		wantStats, err := r.Numstat(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		if len(wantStats) == 0 {
			t.Fatalf("%+v: no change to compare", opts)
		}
		if diff := cmp.Diff(wantText, text); diff != "" {
			t.Errorf("%+v: DiffStat's patch differs from Diff's:\n%s", opts, diff)
		}
		if diff := cmp.Diff(wantStats, stats); diff != "" {
			t.Errorf("%+v: DiffStat's stats differ from Numstat's:\n%s", opts, diff)
		}
	}
}

// TestLogRefusesReplacedHistory: with replace refs or grafts git shows a
// history other than the stored one; Log refuses rather than differ, and
// follows core.useReplaceRefs=false as git does.
func TestLogRefusesReplacedHistory(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := historyRepo(t)
	runGit(t, dir, "replace", "HEAD~1", "HEAD~2")
	if _, err := openRepo(t, dir).Log(ctx, LogOptions{}); !errors.Is(err, ErrUnsupported) {
		t.Errorf("Log with a replace ref: err = %v, want ErrUnsupported", err)
	}
	runGit(t, dir, "pack-refs", "--all")
	if _, err := openRepo(t, dir).Log(ctx, LogOptions{}); !errors.Is(err, ErrUnsupported) {
		t.Errorf("Log with a packed replace ref: err = %v, want ErrUnsupported", err)
	}
	runGit(t, dir, "config", "core.useReplaceRefs", "false")
	compareLog(t, dir, LogOptions{})
	graft := initRepo(t)
	commitAll(t, graft, "one")
	commitAll(t, graft, "two")
	write(t, graft, ".git/info/grafts", strings.TrimSpace(runGit(t, graft, "rev-parse", "HEAD"))+"\n")
	if _, err := openRepo(t, graft).Log(ctx, LogOptions{}); !errors.Is(err, ErrUnsupported) {
		t.Errorf("Log with grafts: err = %v, want ErrUnsupported", err)
	}
}
