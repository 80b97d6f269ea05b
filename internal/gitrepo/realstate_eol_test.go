package gitrepo

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/opencode-portal/portal/internal/gitrepo/index"
)

// eolFiles are the files of every end-of-line scenario: CRLF, LF, mixed
// and lone-CR text, a script, a batch file and binary data.
var eolFiles = map[string]string{
	"crlf.txt":     "one\r\ntwo\r\nthree\r\n",
	"lf.txt":       "one\ntwo\nthree\n",
	"mixed.txt":    "a\r\nb\nc\r\n",
	"run.sh":       "#!/bin/sh\r\necho hi\r\n",
	"win.bat":      "@echo off\necho hi\n",
	"data.dat":     "x\r\ny\r\n",
	"img.bin":      "\x00\x01\r\n\x02\n",
	"lonecr.txt":   "a\rb\r\nc\n",
	"sub/deep.txt": "deep\r\nline\r\n",
}

// eolEdits are the changes made on top of a scenario's checkout.
var eolEdits = map[string]string{
	"crlf.txt":  "four\r\n",
	"lf.txt":    "four\n",
	"win.bat":   "echo bye\r\n",
	"data.dat":  "z\r\n",
	"img.bin":   "\x03",
	"mixed.txt": "d\n",
}

type eolCase struct {
	name   string
	config []string // key value pairs for git config
	attrs  string   // .gitattributes; "" for none
	// attrsLater commits the files before .gitattributes exists, so the
	// index holds their bytes as they are (CRLF included).
	attrsLater bool
}

// eolCases cover core.autocrlf, core.eol and the text, eol, -text and
// binary attributes; several attributes share a scenario on different
// files.
var eolCases = []eolCase{
	{name: "autocrlf true with attributes", config: []string{"core.autocrlf", "true"},
		attrs: "*.dat -text\n*.bin binary\n*.bat eol=crlf\n*.sh text eol=lf\n"},
	{name: "autocrlf input", config: []string{"core.autocrlf", "input"}},
	{name: "core.eol crlf text=auto", config: []string{"core.eol", "crlf"}, attrs: "* text=auto\n"},
	{name: "text=auto eol=lf", attrs: "* text=auto eol=lf\n"},
	{name: "eol attributes alone", attrs: "*.sh text eol=lf\n*.bat eol=crlf\n*.dat -text\n*.bin binary\n"},
	{name: "crlf blob committed before text=auto", attrs: "* text=auto\n", attrsLater: true},
}

// eolRepo builds a scenario: the files committed on main, a branch other
// that changes them, and main checked out afresh by git, so the worktree
// holds what git's checkout writes.
func eolRepo(t *testing.T, c eolCase) string {
	t.Helper()
	dir := initRepo(t)
	for i := 0; i+1 < len(c.config); i += 2 {
		runGit(t, dir, "config", c.config[i], c.config[i+1])
	}
	for p, s := range eolFiles {
		write(t, dir, p, s)
	}
	if c.attrsLater {
		commitAll(t, dir, "files")
	}
	if c.attrs != "" {
		write(t, dir, ".gitattributes", c.attrs)
	}
	commitAll(t, dir, "base")
	runGit(t, dir, "checkout", "-q", "-b", "other")
	for p, s := range eolFiles {
		write(t, dir, p, "other\r\n"+s+"end\n")
	}
	commitAll(t, dir, "other")
	runGit(t, dir, "checkout", "-q", "main")
	for p := range eolFiles {
		remove(t, dir, p)
	}
	runGit(t, dir, "checkout", "-q", "--", ".")
	return dir
}

// worktreeBytes maps every worktree file (outside .git) to its content.
func worktreeBytes(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Name() == ".git" {
			return filepath.SkipDir
		}
		if d.IsDir() {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = string(data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// indexState is what git reports of a repository's index and status.
func indexState(t *testing.T, dir string) []string {
	t.Helper()
	return []string{
		runGit(t, dir, "ls-files", "-s"),
		strings.Join(sortedRecords(gitPorcelain(t, dir)), "\n"),
	}
}

// compareReads compares our status, diff and numstat of ours with git's of
// theirs, a copy in the same state.
func compareEOLReads(t *testing.T, ours, theirs string) {
	t.Helper()
	ctx := context.Background()
	r := openRepo(t, ours)
	if diff := cmp.Diff(sortedRecords(gitPorcelain(t, theirs)), sortedRecords(porcelain(statusOf(t, r)))); diff != "" {
		t.Errorf("status (-git +ours):\n%s", diff)
	}
	text, err := r.Diff(ctx, DiffOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(runGit(t, theirs, "diff", "HEAD"), text); diff != "" {
		t.Errorf("diff (-git +ours):\n%s", diff)
	}
	stats, err := r.Numstat(ctx, DiffOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(parseNumstat(runGit(t, theirs, "diff", "HEAD", "--numstat", "-z")), formatNumstat(stats)); diff != "" {
		t.Errorf("numstat (-git +ours):\n%s", diff)
	}
}

// TestEOLMatchesGit runs each end-of-line scenario through reads, stage,
// discard and checkout, each time on two copies of one repository: the
// package on one, the git CLI on the other.
func TestEOLMatchesGit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, c := range eolCases {
		t.Run(c.name, func(t *testing.T) {
			base := eolRepo(t, c)
			// The copies' files have new inodes and ctimes: git and the package
			// must both hash them.
			ours, theirs := twinOf(t, base), twinOf(t, base)
			t.Run("untouched", func(t *testing.T) { compareEOLReads(t, ours, theirs) })

			for _, d := range []string{ours, theirs} {
				for p, s := range eolEdits {
					data, err := os.ReadFile(filepath.Join(d, p))
					if err != nil {
						t.Fatal(err)
					}
					write(t, d, p, string(data)+s)
				}
				write(t, d, "run.sh", "#!/bin/sh\r\necho bye\r\n")
				write(t, d, "new.txt", "n1\r\nn2\n")
			}
			t.Run("modified", func(t *testing.T) { compareEOLReads(t, ours, theirs) })
			oursDiscard, theirsDiscard := twinOf(t, ours), twinOf(t, theirs)

			t.Run("stage", func(t *testing.T) {
				if err := openRepo(t, ours).Stage(ctx, []string{"."}); err != nil {
					t.Fatal(err)
				}
				runGit(t, theirs, "add", "-A")
				if diff := cmp.Diff(indexState(t, theirs), indexState(t, ours)); diff != "" {
					t.Errorf("index after stage (-git +ours):\n%s", diff)
				}
				runGit(t, ours, "fsck", "--no-dangling")
			})

			t.Run("discard and checkout", func(t *testing.T) {
				var paths []string
				for p := range eolEdits {
					paths = append(paths, p)
				}
				paths = append(paths, "run.sh")
				if err := openRepo(t, oursDiscard).Discard(ctx, paths); err != nil {
					t.Fatal(err)
				}
				runGit(t, theirsDiscard, append([]string{"checkout", "-q", "--"}, paths...)...)
				remove(t, theirsDiscard, "new.txt")
				remove(t, oursDiscard, "new.txt")
				if diff := cmp.Diff(worktreeBytes(t, theirsDiscard), worktreeBytes(t, oursDiscard)); diff != "" {
					t.Errorf("worktree after discard (-git +ours):\n%s", diff)
				}
				if err := openRepo(t, oursDiscard).Checkout(ctx, "other", false); err != nil {
					t.Fatal(err)
				}
				runGit(t, theirsDiscard, "checkout", "-q", "other")
				if diff := cmp.Diff(worktreeBytes(t, theirsDiscard), worktreeBytes(t, oursDiscard)); diff != "" {
					t.Errorf("worktree after checkout (-git +ours):\n%s", diff)
				}
				if diff := cmp.Diff(indexState(t, theirsDiscard), indexState(t, oursDiscard)); diff != "" {
					t.Errorf("index after checkout (-git +ours):\n%s", diff)
				}
				runGit(t, oursDiscard, "fsck", "--no-dangling")
			})
		})
	}
}

// TestConvertMatchesGit compares the conversion of many contents, under
// every text, eol, crlf and ident attribute and core.autocrlf and core.eol
// setting, with git's: the cleaned blobs with `git hash-object
// --stdin-paths`, the status once the raw contents are in the index (for
// text=auto's rule on CRLF in the index) and the smudged files with `git
// checkout-index`.
func TestConvertMatchesGit(t *testing.T) {
	t.Parallel()
	contents := []string{"", "a\n", "a\r\n", "a\r\nb\n", "a\rb\n", "a\r\n\x00", "\x01\x02\x03 text\r\n", "x\r\n\x1a",
		strings.Repeat("p", 300) + "\x01\x02\x03\r\n", "a\r\r\n", "\r\n", "\r", "a\nb\nc", "\x1a",
		"$Id$\n", "a $Id: old $\r\nb\n", "x $Id: a b c $\n", "$Id:$\n$Id", "$Id: \n$ $Id$", "$$Id$$", "$Id: 1 $Id$"}
	exts := map[string]string{"t": "text", "a": "text=auto", "l": "text eol=lf", "c": "text eol=crlf", "al": "text=auto eol=lf",
		"ac": "text=auto eol=crlf", "n": "-text", "b": "binary", "cr": "crlf", "ci": "crlf=input", "cn": "-crlf", "e": "eol=crlf",
		"el": "eol=lf", "u": "!text", "id": "ident", "idc": "ident text eol=crlf"}
	dir := initRepo(t)
	var attrs strings.Builder
	var paths []string
	for ext, a := range exts {
		attrs.WriteString("*." + ext + " " + a + "\n")
		for i, c := range contents {
			p := fmt.Sprintf("c%d.%s", i, ext)
			write(t, dir, p, c)
			paths = append(paths, p)
		}
	}
	write(t, dir, ".gitattributes", attrs.String())
	sort.Strings(paths)
	gitIndex := filepath.Join(dir, ".git", "index")
	stdin := strings.Join(paths, "\n") + "\n"
	hashes := func() []string {
		out := strings.Fields(gitWithIndex(t, dir, gitIndex, stdin, "-c", "core.safecrlf=false", "hash-object", "--stdin-paths"))
		for i := range out {
			out[i] = paths[i] + " " + out[i]
		}
		return out
	}
	ours := func(checkout bool, convert func(c *converter, p string, data []byte) (string, error)) []string {
		r := openRepo(t, dir)
		g, err := r.open()
		if err != nil {
			t.Fatal(err)
		}
		idx, err := index.Read(gitIndex)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
		if idx == nil {
			idx = &index.Index{Version: 2}
		}
		c := r.newConverter(g, idx, checkout, nil)
		out := make([]string, len(paths))
		for i, p := range paths {
			data, err := os.ReadFile(filepath.Join(dir, p))
			if err != nil {
				t.Fatal(err)
			}
			if out[i], err = convert(c, p, data); err != nil {
				t.Fatal(err)
			}
		}
		return out
	}
	clean := func(c *converter, p string, data []byte) (string, error) {
		data, err := c.toGit(p, data)
		return p + " " + blobHash(data).String(), err
	}
	// core.eol matters only without core.autocrlf.
	configs := [][]string{{"false", "lf"}, {"false", "crlf"}, {"true", "lf"}, {"input", "crlf"}}
	for _, cfg := range configs {
		runGit(t, dir, "config", "core.autocrlf", cfg[0])
		runGit(t, dir, "config", "core.eol", cfg[1])
		if diff := cmp.Diff(hashes(), ours(false, clean)); diff != "" {
			t.Errorf("autocrlf=%s eol=%s: cleaned blobs, empty index (-git +ours):\n%s", cfg[0], cfg[1], diff)
		}
	}

	// The raw contents in the index, then cleaned again and checked out.
	raw := strings.Fields(gitWithIndex(t, dir, gitIndex, stdin, "hash-object", "-w", "--no-filters", "--stdin-paths"))
	var info strings.Builder
	for i, p := range paths {
		fmt.Fprintf(&info, "100644 %s\t%s\n", raw[i], p)
	}
	gitWithIndex(t, dir, gitIndex, info.String(), "update-index", "--index-info")
	runGit(t, dir, "add", ".gitattributes")
	for _, cfg := range configs {
		runGit(t, dir, "config", "core.autocrlf", cfg[0])
		runGit(t, dir, "config", "core.eol", cfg[1])
		// git hash-object does not read the index: status shows which files
		// clean to the raw contents, with text=auto's rule applied.
		copied := twinOf(t, dir)
		st, err := gitEnvErr(dir, []string{"GIT_OPTIONAL_LOCKS=0"}, "status", "--porcelain=v2", "-z")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(strings.Split(strings.TrimSuffix(st, "\x00"), "\x00"),
			porcelain(statusOf(t, openRepo(t, copied)))[2:]); diff != "" {
			t.Errorf("autocrlf=%s eol=%s: status with the raw contents in the index (-git +ours):\n%s", cfg[0], cfg[1], diff)
		}
		out := filepath.Join(t.TempDir(), "out") + "/"
		runGit(t, dir, "checkout-index", "-a", "-f", "--prefix="+out)
		want := make([]string, len(paths))
		for i, p := range paths {
			data, err := os.ReadFile(out + p)
			if err != nil {
				t.Fatal(err)
			}
			want[i] = p + ": " + strconv.Quote(string(data))
		}
		got := ours(true, func(c *converter, p string, data []byte) (string, error) {
			data, err := c.toWorktree(p, data)
			return p + ": " + strconv.Quote(string(data)), err
		})
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("autocrlf=%s eol=%s: checked-out files (-git +ours):\n%s", cfg[0], cfg[1], diff)
		}
	}
}

// TestSafeCRLFMatchesGit checks that with core.safecrlf=true a file is
// staged exactly when git add stages it, and refused when git add refuses
// a conversion that checkout would not undo.
func TestSafeCRLFMatchesGit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := initRepo(t)
	write(t, dir, ".gitattributes", "*.l text eol=lf\n*.a text=auto\n*.n -text\n")
	commitAll(t, dir, "attributes")
	runGit(t, dir, "config", "core.autocrlf", "true")
	runGit(t, dir, "config", "core.safecrlf", "true")
	files := map[string]string{"mixed.txt": "a\r\nb\n", "crlf.txt": "a\r\n", "lf.txt": "a\n", "x.l": "a\r\n", "y.l": "a\n",
		"x.a": "a\r\nb\n", "bin.txt": "a\x00\n", "x.n": "a\r\nb\n"}
	for p, s := range files {
		write(t, dir, p, s)
	}
	ours, theirs := twinOf(t, dir), twinOf(t, dir)
	r := openRepo(t, ours)
	for p := range files {
		_, gitErr := gitErr(theirs, "add", "--", p)
		err := r.Stage(ctx, []string{p})
		if (err != nil) != (gitErr != nil) || err != nil && !errors.Is(err, ErrUnsupported) {
			t.Errorf("stage %s: %v; git add: %v", p, err, gitErr)
		}
	}
	if diff := cmp.Diff(indexState(t, theirs), indexState(t, ours)); diff != "" {
		t.Errorf("index (-git +ours):\n%s", diff)
	}
}
