package gitrepo

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// driverSamples are, per diff driver, lines that may or may not be
// function lines for it.
var driverSamples = map[string][]string{
	"ada": {"procedure Foo is", "   function Bar return Integer is", "package Baz is new Qux;",
		"with Ada.Text_IO;", "package body Pkg is", "task type T is", "PROCEDURE Upper is"},
	"bash":   {"foo() {", "function bar {", "  baz () (", "function qux() {", "not_a_func", "x=1", "  f ( ) [["},
	"bibtex": {"@article{key,", "@Book{ other,", "  title = {x},", "@misc{\\#x"},
	"cpp": {"int main(int argc, char **argv)", "label:", "  public:", "static void foo(void) {",
		"::std::string bar()", "class Foo : public Bar", "  indented(x);", "exit: // done"},
	"csharp": {"  public static void Main(string[] args)", "    if (x)", "  public int Count",
		"  public class Foo", "namespace A.B", "  return x;", "  internal async Task<int> Run()"},
	"css":      {"body {", "  color: red;", ".class:hover {", "#id {", "@media screen {", "A:Visited {"},
	"dts":      {"/ {", "  node@0 {", "  prop = <1>;", "&label {", "  status;"},
	"elixir":   {"  def foo(x) do", "  defmodule A do", "  defp bar do", "test \"x\" do", "  x = 1"},
	"fortran":  {"      PROGRAM MAIN", "C comment", "      SUBROUTINE FOO(X)", "      module procedure x", "      integer function f(x)", "      END SUBROUTINE FOO", "  ! note"},
	"fountain": {"INT. HOUSE - DAY", ".FORCED", "EXT. STREET", "int./ext. car"},
	"golang":   {"func main() {", "func (r *Repo) Diff(ctx context.Context) error {", "type Foo struct {", "type I interface {", "var x = 1", "\tfunc() {"},
	"html":     {"<h1>Title</h1>", "<H2 class=\"x\">Sub</H2>", "<p>text</p>"},
	"java": {"public class Foo extends Bar {", "  public void run() {", "    if (x) {", "    return y;",
		"  private static int count(String s) {", "  interface I {", "  List<String> names(Map<K, V> m) {"},
	"kotlin":   {"fun main() {", "  private fun foo(): Int {", "class A {", "interface B {", "  val x = 1"},
	"markdown": {"# Title", "## Section", "    # not code", "text", "###### Six"},
	"matlab":   {"function y = f(x)", "classdef A", "%% Section", "## oct", "x = 1"},
	"objc": {"- (void)foo:(int)x {", "+ (id)bar {", "int main(int argc, char **argv)", "  if (x)",
		"@implementation Foo", "@interface Bar : NSObject"},
	"pascal": {"procedure Foo;", "function Bar: Integer;", "class procedure Baz;", "  TFoo = class(TObject)",
		"constructor Create;", "implementation"},
	"perl": {"package Foo;", "sub bar {", "sub baz; # defined elsewhere", "BEGIN {", "=head1 NAME",
		"  my $x = 1;", "sub proto($$) :lvalue { # c"},
	"php": {"function foo() {", "  public static function bar() {", "class Foo {", "final class Bar",
		"interface I", "  $x = 1;"},
	"python": {"def foo():", "    def bar(self):", "class A:", "async def baz():", "    x = 1"},
	"ruby":   {"class Foo", "  def bar", "module Baz", "  x = 1"},
	"rust": {"fn main() {", "pub fn foo() -> i32 {", "pub(crate) struct S {", "impl<T> Foo for T {",
		"  let x = 1;", "macro_rules! m {", "extern \"C\" fn f() {", "pub async fn g() {"},
	"scheme": {"(define (f x)", "(define-syntax m", "(library (foo)", "(module m", "  (display x)"},
	"tex":    {"\\section{Intro}", "\\subsection*{More}", "\\chapter{One}", "text"},
	// Configured drivers (see TestDiffHunkHeadersMatchGit).
	"mine":    {"BEGIN one", "  BEGIN two", "end", "skip this"},
	"bre":     {"sect one", "sect+ two", "(sect) three", "other"},
	"negated": {"skip me", "keep me", "Keep Me"},
	"nosuch":  {"plain start", "  indented"},
	"set":     {"plain start", "  indented"},
	"none":    {"plain start", "  indented", "$dollar", "_under", "9digit"},
}

// driverFile lays out samples so that each ends up above its own hunk: each
// is followed by seven filler lines, the sixth of which the edit changes.
func driverFile(samples []string, edited bool) string {
	var sb strings.Builder
	for i, s := range samples {
		sb.WriteString(s + "\n")
		for j := range 7 {
			if edited && j == 5 {
				fmt.Fprintf(&sb, "\t\tchanged(%d);\n", i)
				continue
			}
			fmt.Fprintf(&sb, "\t\tfill(%d, %d);\n", i, j)
		}
	}
	return sb.String()
}

// TestDiffHunkHeadersMatchGit checks the function line of hunk headers
// for each builtin diff driver, for drivers set in the configuration and
// for paths without one, against git diff.
func TestDiffHunkHeadersMatchGit(t *testing.T) {
	t.Parallel()
	dir := initRepo(t)
	runGit(t, dir, "config", "diff.mine.xfuncname", "^[ \t]*(BEGIN.*)$")
	runGit(t, dir, "config", "diff.bre.funcname", "^\\(sect+*.*\\)$")
	runGit(t, dir, "config", "diff.negated.xfuncname", "!^skip\n^[a-z].*")
	var attrs strings.Builder
	for name := range driverSamples {
		switch name {
		case "none":
		case "set":
			attrs.WriteString("set.txt diff\n")
		default:
			fmt.Fprintf(&attrs, "%s.txt diff=%s\n", name, name)
		}
	}
	write(t, dir, ".gitattributes", attrs.String())
	for name, samples := range driverSamples {
		write(t, dir, name+".txt", driverFile(samples, false))
	}
	commitAll(t, dir, "samples")
	for name, samples := range driverSamples {
		write(t, dir, name+".txt", driverFile(samples, true))
	}
	compareDiffByFile(t, dir)
}

// compareDiffByFile compares Diff with git diff HEAD, file by file, for
// all files or those under paths.
func compareDiffByFile(t *testing.T, dir string, paths ...string) {
	t.Helper()
	want := splitPatchByFile(runGit(t, dir, append([]string{"diff", "HEAD", "--"}, paths...)...))
	gotPatch, err := openRepo(t, dir).Diff(context.Background(), DiffOptions{Paths: paths})
	if err != nil {
		t.Fatalf("Diff: %v", err)
	}
	got := splitPatchByFile(gotPatch)
	for name := range want {
		if d := cmp.Diff(want[name], got[name]); d != "" {
			t.Errorf("%s: Diff differs from git diff HEAD (-git +ours):\n%s", name, d)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("%s: in Diff, not in git diff HEAD:\n%s", name, got[name])
		}
	}
}

// TestDiffDriverOverrideMatchesGit checks that diff.<name>.xfuncname
// replaces the pattern of a builtin driver.
func TestDiffDriverOverrideMatchesGit(t *testing.T) {
	t.Parallel()
	dir := initRepo(t)
	runGit(t, dir, "config", "diff.cpp.xfuncname", "^@@ (.*)")
	write(t, dir, ".gitattributes", "*.c diff=cpp\n")
	samples := []string{"int main(void)", "@@ marker", "void f(void)"}
	write(t, dir, "a.c", driverFile(samples, false))
	commitAll(t, dir, "samples")
	write(t, dir, "a.c", driverFile(samples, true))
	compareDiffByFile(t, dir)
}

// TestDiffBinaryAttributesMatchGit checks that -diff and binary make a
// text file binary, that diff makes a file with NUL bytes text, and that
// diff.<driver>.binary is honoured.
func TestDiffBinaryAttributesMatchGit(t *testing.T) {
	t.Parallel()
	dir := initRepo(t)
	runGit(t, dir, "config", "diff.forced.binary", "true")
	write(t, dir, ".gitattributes", "minus.txt -diff\nmacro.txt binary\nnul.dat diff\nforced.txt diff=forced\n")
	files := map[string]string{
		"minus.txt":  "one\ntwo\n",
		"macro.txt":  "one\ntwo\n",
		"nul.dat":    "one\x00\ntwo\n",
		"forced.txt": "one\ntwo\n",
		"plain.dat":  "one\x00\ntwo\n",
	}
	for name, content := range files {
		write(t, dir, name, content)
	}
	commitAll(t, dir, "files")
	for name, content := range files {
		write(t, dir, name, content+"three\n")
	}
	compareDiffByFile(t, dir)
}

// TestDiffHunkHeaderTruncationMatchesGit checks how long and non-UTF-8
// function lines are cut.
func TestDiffHunkHeaderTruncationMatchesGit(t *testing.T) {
	t.Parallel()
	dir := initRepo(t)
	write(t, dir, ".gitattributes", "go.txt diff=golang\n")
	samples := []string{
		"long " + strings.Repeat("x", 100),
		"spaces at the cut" + strings.Repeat(" ", 70) + "tail",
		"utf8 " + strings.Repeat("é", 50),
		"latin1 caf\xe9 here",
		"fffe \xef\xbf\xbe here",
		"trailing tab\t\r",
	}
	goSamples := []string{"func long" + strings.Repeat("y", 100) + "() {", "func crlf() {\r"}
	write(t, dir, "plain.txt", driverFile(samples, false))
	write(t, dir, "go.txt", driverFile(goSamples, false))
	commitAll(t, dir, "samples")
	write(t, dir, "plain.txt", driverFile(samples, true))
	write(t, dir, "go.txt", driverFile(goSamples, true))
	compareDiffByFile(t, dir)
}

// TestDiffQuotedNamesMatchGit checks the header lines of patches for names
// git quotes and names with spaces, for new, deleted, changed and renamed
// files, with core.quotePath true and false.
func TestDiffQuotedNamesMatchGit(t *testing.T) {
	t.Parallel()
	names := []string{"with space.txt", "tab\there.txt", "quote\"d.txt", "back\\slash.txt",
		"caf\xc3\xa9.txt", "new line\n.txt", "del\x7f.txt", "plain.txt", "dir with space/f.txt"}
	dir := initRepo(t)
	for i, name := range names {
		write(t, dir, name, "one\ntwo\n")
		write(t, dir, "gone "+name, fmt.Sprintf("gone %d\n", i))
		write(t, dir, "old "+name, strings.Repeat(fmt.Sprintf("same line %d\n", i), 20))
	}
	commitAll(t, dir, "files")
	for i, name := range names {
		write(t, dir, name, "one\n2\n")
		write(t, dir, "new "+name, "new\n")
		remove(t, dir, "gone "+name)
		remove(t, dir, "old "+name)
		write(t, dir, "moved "+name, strings.Repeat(fmt.Sprintf("same line %d\n", i), 20)+"more\n")
	}
	runGit(t, dir, "add", "-A")
	for _, quotePath := range []string{"true", "false"} {
		runGit(t, dir, "config", "core.quotePath", quotePath)
		want := runGit(t, dir, "diff", "HEAD")
		got, err := openRepo(t, dir).Diff(context.Background(), DiffOptions{})
		if err != nil {
			t.Fatalf("Diff: %v", err)
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("core.quotePath=%s: Diff differs from git diff HEAD (-git +ours):\n%s", quotePath, d)
		}
	}
}

// TestDiffConfigMatchesGit checks diff.context, diff.interHunkContext,
// diff.indentHeuristic and each diff.algorithm against git diff.
func TestDiffConfigMatchesGit(t *testing.T) {
	t.Parallel()
	orig := splitKeep(driverFile([]string{"func a() {", "func b() {", "func c() {"}, false))
	edited := append([]string(nil), orig...)
	edited[3] = "\t\tchanged(0);\n"
	edited[12] = "\t\tchanged(1);\n"
	// Insertions the indent heuristic places higher than the lowest
	// position (git's t4061), and a reordering costly enough for the
	// heuristics that minimal turns off.
	var big []string
	for i := range 3000 {
		big = append(big, fmt.Sprintf("line %d\n", i%700))
	}
	shuffled := append([]string(nil), big...)
	region := shuffled[500:1500]
	rng := rand.New(rand.NewPCG(1, 2))
	rng.Shuffle(len(region), func(i, j int) { region[i], region[j] = region[j], region[i] })
	files := map[string][2]string{
		"f.txt":       {strings.Join(orig, ""), strings.Join(edited, "")},
		"spaces.txt":  {"1\n2\na\n\nb\n3\n4\n", "1\n2\na\n\nb\na\n\nb\n3\n4\n"},
		"functions.c": {"1\n2\n/* function */\nfoo() {\n    foo\n}\n\n3\n4\n", "1\n2\n/* function */\nbar() {\n    foo\n}\n\n/* function */\nfoo() {\n    foo\n}\n\n3\n4\n"},
		"big.txt":     {strings.Join(big, ""), strings.Join(shuffled, "")},
	}
	dir := initRepo(t)
	for name, c := range files {
		write(t, dir, name, c[0])
	}
	commitAll(t, dir, "files")
	for name, c := range files {
		write(t, dir, name, c[1])
	}
	for _, tc := range []struct{ name, key, value string }{
		{"context1", "diff.context", "1"},
		{"context0", "diff.context", "0"},
		{"context6", "diff.context", "6"},
		{"interhunk", "diff.interHunkContext", "4"},
		{"noindent", "diff.indentHeuristic", "false"},
		{"minimal", "diff.algorithm", "minimal"},
		{"histogram", "diff.algorithm", "histogram"},
		{"patience", "diff.algorithm", "patience"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			runGit(t, dir, "config", tc.key, tc.value)
			defer runGit(t, dir, "config", "--unset", tc.key)
			compareDiffByFile(t, dir)
			// The numstat counts the same line diff as the patch.
			_, stats, err := openRepo(t, dir).DiffStat(context.Background(), DiffOptions{})
			if err != nil {
				t.Fatal(err)
			}
			want := parseNumstat(runGit(t, dir, "diff", "HEAD", "--numstat", "-z"))
			if d := cmp.Diff(want, formatNumstat(stats)); d != "" {
				t.Errorf("numstat differs from git diff --numstat (-git +ours):\n%s", d)
			}
		})
	}
}

// TestDiffHunkHeaderLocaleMatchesGit checks function lines that are not
// UTF-8: in a UTF-8 locale git's regular expressions do not match them, in
// the C locale they do (and the header is cut before the first such byte).
func TestDiffHunkHeaderLocaleMatchesGit(t *testing.T) {
	for _, locale := range []string{"C", "C.UTF-8"} {
		t.Run(locale, func(t *testing.T) {
			t.Setenv("LC_ALL", locale)
			dir := initRepo(t)
			write(t, dir, ".gitattributes", "*.c diff=cpp\n*.go diff=golang\n")
			samples := []string{"int caf\xe9(void)", "int ok(void)", "int na\xefve(char c)"}
			goSamples := []string{"func caf\xe9() {", "func ok() {", "type t\xe9 struct {"}
			write(t, dir, "a.c", driverFile(samples, false))
			write(t, dir, "a.go", driverFile(goSamples, false))
			commitAll(t, dir, "samples")
			write(t, dir, "a.c", driverFile(samples, true))
			write(t, dir, "a.go", driverFile(goSamples, true))
			compareDiffByFile(t, dir)
		})
	}
}

// TestDiffFuncnameNotRunGoesToGit checks that a funcname expression the
// package cannot run (a back-reference) makes Diff refuse with
// ErrUnsupported and ReadsNeedGitCLI name the driver and its files, and
// that the git CLI then writes git's diff.
func TestDiffFuncnameNotRunGoesToGit(t *testing.T) {
	t.Parallel()
	dir := initRepo(t)
	runGit(t, dir, "config", "diff.twice.xfuncname", "^(a)\\1.*")
	write(t, dir, ".gitattributes", "*.txt diff=twice\n")
	samples := []string{"aa twice", "ab once"}
	write(t, dir, "f.txt", driverFile(samples, false))
	write(t, dir, "other.md", "one\n")
	commitAll(t, dir, "samples")
	write(t, dir, "f.txt", driverFile(samples, true))
	r := openRepo(t, dir)
	ctx := context.Background()
	if _, err := r.Diff(ctx, DiffOptions{}); !errors.Is(err, ErrUnsupported) {
		t.Errorf("Diff: got error %v, want ErrUnsupported", err)
	}
	why, err := r.ReadsNeedGitCLI(ctx)
	if err != nil {
		t.Fatalf("ReadsNeedGitCLI: %v", err)
	}
	if want := "the funcname of diff driver twice (f.txt)"; why != want {
		t.Errorf("ReadsNeedGitCLI = %q, want %q", why, want)
	}
	got, err := r.DiffCLI(ctx, DiffOptions{})
	if err != nil {
		t.Fatalf("DiffCLI: %v", err)
	}
	if d := cmp.Diff(runGit(t, dir, "diff", "HEAD"), got); d != "" {
		t.Errorf("DiffCLI differs from git diff HEAD (-git +ours):\n%s", d)
	}
}
