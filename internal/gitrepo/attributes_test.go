package gitrepo

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/opencode-portal/portal/internal/gitrepo/index"
)

// checkAttrAll is `git check-attr -a` for paths, as "path: attr: value"
// lines sorted within each path.
func checkAttrAll(tb testing.TB, dir string, paths []string) []string {
	tb.Helper()
	out := runGit(tb, dir, append([]string{"check-attr", "-a", "-z", "--"}, paths...)...)
	f := strings.Split(strings.TrimSuffix(out, "\x00"), "\x00")
	var lines []string
	for i := 0; i+2 < len(f); i += 3 {
		lines = append(lines, f[i]+": "+f[i+1]+": "+f[i+2])
	}
	sort.Strings(lines)
	return lines
}

// ourAttrAll is checkAttrAll answered by the package's lookup.
func ourAttrAll(tb testing.TB, dir string, paths []string) []string {
	tb.Helper()
	r := openRepo(tb, dir)
	g, err := r.open()
	if err != nil {
		tb.Fatal(err)
	}
	idx, err := index.Read(filepath.Join(r.gitDir, "index"))
	if err != nil {
		tb.Fatal(err)
	}
	a := r.newConverter(g, idx, false, nil).attrs
	var lines []string
	for _, p := range paths {
		for name, v := range a.all(p) {
			if v.state != attrUnspecified {
				lines = append(lines, p+": "+name+": "+v.String())
			}
		}
	}
	sort.Strings(lines)
	return lines
}

func TestAttributesMatchCheckAttr(t *testing.T) {
	t.Parallel()
	dir := initRepo(t)
	write(t, dir, ".gitattributes", strings.Join([]string{
		"# comment",
		"*.txt text",
		"/root.md diff=markdown",
		"docs/** -diff",
		"a/*/c.c foo=bar",
		"*.bin binary",
		"[attr]mymacro text eol=crlf -diff",
		"*.m mymacro",
		"*.nm -mymacro",
		"!*.neg text",
		`"sp ace.txt" quoted`,
		`\!bang literal`,
		"dir/ dironly",
		"**/deep/*.x deepx",
		"*.[ch] cfile",
		"x?y qm",
		"*.inv good b@d",
		"  *.lead   lead=1   other  ",
		"*.o -text !eol crlf=input",
		"*.txt later",
		"sub/*.c subc",
		"*.cr\tcr\r",
		"\xef\xbb\xbf*.bom bom",
	}, "\n")+"\n")
	write(t, dir, "sub/.gitattributes", strings.Join([]string{
		"\xef\xbb\xbf*.txt -text",
		"[attr]nested foo",
		"/anch.txt anch",
		"x/y.txt deep2",
		"*.m !eol nested",
		"*.c !cfile",
	}, "\n")+"\n")
	write(t, dir, "idx/.gitattributes", "*.i fromindex\n")
	write(t, dir, "idx/keep", "")
	commitAll(t, dir, "attributes")
	remove(t, dir, "idx/.gitattributes")
	write(t, dir, ".git/info/attributes", "*.info infoattr\nsub/*.txt override=1\n[attr]mymacro -text\n")
	global := filepath.Join(t.TempDir(), "attributes")
	if err := os.WriteFile(global, []byte("*.glob globattr\n*.txt globaltxt text=auto\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	runGit(t, dir, "config", "core.attributesFile", global)

	paths := []string{
		"a.txt", "sub/a.txt", "sub/x/y.txt", "sub/deeper/x/y.txt", "root.md", "sub/root.md", "docs/a/b.go",
		"a/b/c.c", "a/b/d/c.c", "x.bin", "sub/x.bin", "f.m", "sub/f.m", "f.nm", "x.neg", "sp ace.txt",
		"!bang", "dir", "dir/file", "deep/a.x", "q/deep/a.x", "q/deep/r/a.x", "main.c", "sub/main.c", "sub/z.c",
		"xay", "x/y", "a.inv", "a.lead", "a.o", "sub/anch.txt", "sub/s/anch.txt", "anch.txt", "idx/a.i",
		"a.cr", "a.bom", "a.info", "a.glob", "sub/a.glob", "none",
	}
	if diff := cmp.Diff(checkAttrAll(t, dir, paths), ourAttrAll(t, dir, paths)); diff != "" {
		t.Errorf("attributes differ from git check-attr -a (-git +ours):\n%s", diff)
	}
}

// FuzzParseAttrs checks that any attributes file parses without panic into
// rules that name only valid attributes, one rule per line at most, and
// that matching them against paths does not panic.
func FuzzParseAttrs(f *testing.F) {
	for _, s := range []string{"*.txt text\n", "[attr]m a -b !c d=e\n*.m m\n", "\"a\\\" b\" x\n", "!neg t\n",
		"\xef\xbb\xbf/a/**/b/ x\r\n", "a b@d\n", "  # c\n\t\n", "\"\\377\" q\n", "[x-z]* y=\n", strings.Repeat("a", 3000) + " x\n"} {
		f.Add(s, "a/b.txt")
	}
	f.Fuzz(func(t *testing.T, data, path string) {
		for _, base := range []string{"", "a/"} {
			rules := parseAttrs([]byte(data), base, base == "")
			if len(rules) > strings.Count(data, "\n")+1 {
				t.Fatalf("%d rules from %d lines", len(rules), strings.Count(data, "\n")+1)
			}
			for _, r := range rules {
				if r.macro != "" && (base != "" || !validAttrName(r.macro)) {
					t.Fatalf("macro %q accepted in %q", r.macro, base)
				}
				if r.base != base {
					t.Fatalf("rule base %q, want %q", r.base, base)
				}
				for _, a := range r.assigns {
					if !validAttrName(a.name) {
						t.Fatalf("invalid attribute name %q accepted", a.name)
					}
				}
				r.matches(path)
			}
		}
	})
}
