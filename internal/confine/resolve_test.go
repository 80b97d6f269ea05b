package confine

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// outcome is what resolving one input gave: the real path relative to the
// project folder, or the kind of error.
type outcome struct {
	In   string
	Path string
	Err  string
}

// attacks are inputs, most of them hostile, with what Resolve must answer.
var attacks = []outcome{
	// The folder itself, and harmless spellings.
	{In: "", Path: "."},
	{In: ".", Path: "."},
	{In: "./", Path: "."},
	{In: "src/", Path: "src"},
	{In: "src//main.go", Path: "src/main.go"},
	{In: "./src/./main.go", Path: "src/main.go"},
	{In: "src/main.go/", Path: "src/main.go"},
	{In: "src/deep/../main.go", Path: "src/main.go"},
	// Climbing with "..".
	{In: "..", Err: "outside"},
	{In: "../", Err: "outside"},
	{In: "../../etc/passwd", Err: "outside"},
	{In: "a/../../x", Err: "outside"},
	{In: "./../outside/secret.txt", Err: "outside"},
	{In: "src/../../proj/README.md", Err: "outside"},
	{In: "src/deep/../../..", Err: "outside"},
	{In: strings.Repeat("../", 50) + "etc/passwd", Err: "outside"},
	// Absolute paths.
	{In: "/etc/passwd", Err: "invalid"},
	{In: "//etc/passwd", Err: "invalid"},
	{In: "/", Err: "invalid"},
	// Percent-encoded traversal that survived decoding (sent encoded twice).
	{In: "%2e%2e%2f%2e%2e%2fetc%2fpasswd", Err: "invalid"},
	{In: "%2E%2E/%2E%2E/etc/passwd", Err: "invalid"},
	{In: "..%2f..%2fetc%2fpasswd", Err: "invalid"},
	{In: ".%2e/outside", Err: "invalid"},
	{In: "%252e%252e%252fetc%252fpasswd", Err: "invalid"},
	{In: "%25252e%25252e%25252f", Err: "invalid"},
	{In: "%2fetc%2fpasswd", Err: "invalid"},
	{In: "%c0%ae%c0%ae/etc/passwd", Err: "invalid"}, // overlong UTF-8 dots
	{In: "src%00/main.go", Err: "invalid"},
	{In: "..%5c..%5cetc", Err: "invalid"},
	// The price of refusing double encoding: this real file cannot be read.
	{In: "odd/%2e%2e%2fetc", Err: "invalid"},
	// Percent signs that decode to nothing dangerous are names like others.
	{In: "odd/100%", Path: "odd/100%"},
	{In: "odd/100%25", Err: "notfound"},
	// NUL bytes, backslashes, encodings.
	{In: "src/main.go\x00.txt", Err: "invalid"},
	{In: "\x00", Err: "invalid"},
	{In: `..\..\etc\passwd`, Err: "invalid"},
	{In: `src\main.go`, Err: "invalid"},
	{In: `C:\Windows\win.ini`, Err: "invalid"},
	{In: `\\server\share`, Err: "invalid"},
	{In: "\xff\xfe", Err: "invalid"},
	{In: "src/\xc0\xae\xc0\xae", Err: "invalid"},
	// Over-long paths and names.
	{In: strings.Repeat("a/", MaxPathLen/2+1), Err: "invalid"},
	{In: strings.Repeat("x", MaxNameLen+1), Err: "invalid"},
	{In: "src/" + strings.Repeat("x", MaxNameLen), Err: "notfound"},
	// Symbolic links that lead out, directly or at depth.
	{In: "etc", Err: "outside"},
	{In: "etc/passwd", Err: "outside"},
	{In: "etc/../README.md", Path: "README.md"}, // ".." applies to the path as written
	{In: "passwd", Err: "outside"},
	{In: "nowhere", Err: "outside"},
	{In: "ex/link", Err: "outside"},
	{In: "mi/link", Err: "outside"},
	{In: "vendor", Err: "outside"},
	{In: "vendor/secret.txt", Err: "outside"},
	{In: "relout/secret.txt", Err: "outside"},
	{In: "src/deep/esc", Err: "outside"},
	{In: "chain1", Err: "outside"},
	{In: "chain1/passwd", Err: "outside"},
	{In: "src/deep/chain/passwd", Err: "outside"},
	{In: "root/etc/passwd", Err: "outside"},
	{In: "dotdot/outside/secret.txt", Err: "outside"},
	{In: "me/dotdot", Err: "outside"},
	{In: "src/up/src/up/dotdot", Err: "outside"},
	// Loops.
	{In: "loop1", Err: "invalid"},
	{In: "self/x", Err: "invalid"},
	// Symbolic links that stay inside.
	{In: "inchain1", Path: "src/main.go"},
	{In: "me/me/src/main.go", Path: "src/main.go"},
	{In: "absin/main.go", Path: "src/main.go"},
	{In: "backin/main.go", Path: "src/main.go"},
	{In: "src/up/README.md", Path: "README.md"},
	{In: "src/up", Path: "."},
	{In: "dangling", Err: "notfound"},
	// Missing things, and names that only look like traversal.
	{In: "missing.txt", Err: "notfound"},
	{In: "README.md/x", Err: "notfound"},
	{In: "\uff0e\uff0e/\uff0e\uff0e/etc/passwd", Err: "notfound"}, // fullwidth dots
	{In: "odd/\uff0e\uff0e", Path: "odd/\uff0e\uff0e"},
	{In: "..\u2215..\u2215etc\u2215passwd", Err: "notfound"}, // division slash
	{In: "\u202eetc/passwd", Err: "notfound"},                // right-to-left override
	{In: "odd/\u202eetc.txt", Path: "odd/\u202eetc.txt"},
	{In: ".\u200d./etc", Err: "notfound"}, // zero-width joiner
	{In: "~/.ssh/id_rsa", Err: "notfound"},
	{In: "odd/~", Path: "odd/~"},
	{In: "....//....//etc/passwd", Err: "notfound"},
	{In: "odd/...", Path: "odd/..."},
	{In: "odd/..dots", Path: "odd/..dots"},
	{In: "file:///etc/passwd", Err: "notfound"},
	{In: "odd/new\nline.txt", Path: "odd/new\nline.txt"},
	{In: "odd/caf\u00e9.txt", Path: "odd/caf\u00e9.txt"},
	{In: "odd/cafe\u0301.txt", Err: "notfound"}, // no Unicode normalization
}

func TestResolve(t *testing.T) {
	fx := newFixture(t)
	var got []outcome
	for _, a := range attacks {
		o := outcome{In: a.In}
		abs, err := fx.root.Resolve(a.In)
		if err != nil {
			o.Err = kind(err)
		} else {
			rel, rerr := filepath.Rel(fx.dir, abs)
			if rerr != nil || !inside(abs, fx.dir) {
				rel = "OUTSIDE: " + abs
			}
			o.Path = filepath.ToSlash(rel)
		}
		got = append(got, o)
	}
	if diff := cmp.Diff(attacks, got); diff != "" {
		t.Errorf("Resolve (-want +got):\n%s", diff)
	}
}

// TestOutsideSameError checks that a link to an outside file that exists and
// one to an outside file that does not give the same answer, so errors do
// not reveal what lies outside.
func TestOutsideSameError(t *testing.T) {
	fx := newFixture(t)
	ctx := context.Background()
	for _, call := range []struct {
		name string
		do   func(string) error
	}{
		{"Resolve", func(p string) error { _, err := fx.root.Resolve(p); return err }},
		{"List", func(p string) error { _, err := fx.root.List(ctx, p); return err }},
		{"Read", func(p string) error { _, err := fx.root.Read(ctx, p, 1<<20); return err }},
	} {
		exists, missing := call.do("ex/link"), call.do("mi/link")
		if exists == nil || missing == nil {
			t.Fatalf("%s: got %v and %v, want errors", call.name, exists, missing)
		}
		got := strings.ReplaceAll(missing.Error(), "mi/", "ex/")
		if diff := cmp.Diff(exists.Error(), got); diff != "" {
			t.Errorf("%s: errors differ (-exists +missing):\n%s", call.name, diff)
		}
		if !errors.Is(exists, ErrOutside) {
			t.Errorf("%s: %v, want ErrOutside", call.name, exists)
		}
	}
}

// TestPathErrorMessage checks that messages name the path, shortened when
// long, and say what is wrong.
func TestPathErrorMessage(t *testing.T) {
	fx := newFixture(t)
	long := strings.Repeat("y", MaxNameLen+1)
	tests := []struct{ in, want string }{
		{"../x", `path "../x": climbs out of the project folder with ".."`},
		{"/etc", `path "/etc": is absolute; give a path relative to the project folder`},
		{"etc/passwd", `path "etc/passwd": the symbolic link "etc" leads outside the project folder`},
		{"a\x00", `path "a\x00": contains a NUL byte`},
		{"nope", `path "nope": does not exist in the project folder`},
		{long, `path "` + long[:maxShownPath] + `...": has a name longer than 255 bytes`},
	}
	for _, tt := range tests {
		_, err := fx.root.Resolve(tt.in)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Resolve(%q) error (-want +got):\n%s", tt.in, diff)
		}
	}
}

// FuzzResolve checks that whatever the input, Resolve either refuses it
// with a typed error or returns a real path inside the project, and that
// List and Read never reach the file outside.
func FuzzResolve(f *testing.F) {
	for _, a := range attacks {
		f.Add(a.In)
	}
	fx := newFixture(f)
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, in string) {
		abs, err := fx.root.Resolve(in)
		if err != nil {
			if k := kind(err); strings.Contains(k, ":") {
				t.Fatalf("Resolve(%q): %s", in, k)
			}
		} else {
			real, err := filepath.EvalSymlinks(abs)
			if err != nil {
				t.Fatalf("Resolve(%q) = %q, which does not resolve: %v", in, abs, err)
			}
			if real != abs || !inside(real, fx.dir) {
				t.Fatalf("Resolve(%q) = %q, really %q: outside %q or not resolved", in, abs, real, fx.dir)
			}
		}
		if file, err := fx.root.Read(ctx, in, 1<<20); err == nil && string(file.Data) == secret {
			t.Fatalf("Read(%q) read the secret outside the project", in)
		}
		if entries, err := fx.root.List(ctx, in); err == nil {
			for _, e := range entries {
				if e.Name == "secret.txt" {
					t.Fatalf("List(%q) listed the folder outside the project", in)
				}
			}
		}
	})
}

// TestOpenThroughLink checks a project folder opened through a symbolic
// link: absolute links that name the project by either path stay inside.
func TestOpenThroughLink(t *testing.T) {
	fx := newFixture(t)
	via := filepath.Join(filepath.Dir(fx.dir), "via")
	if err := os.Symlink(fx.dir, via); err != nil {
		t.Fatal(err)
	}
	for name, target := range map[string]string{"byreal": filepath.Join(fx.dir, "src"), "bylink": filepath.Join(via, "src")} {
		if err := os.Symlink(target, filepath.Join(fx.dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	root, err := Open(via)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	var got []outcome
	for _, in := range []string{"byreal/main.go", "bylink/main.go", "etc/passwd", "../via/src"} {
		o := outcome{In: in}
		abs, err := root.Resolve(in)
		if err != nil {
			o.Err = kind(err)
		} else {
			rel, _ := filepath.Rel(fx.dir, abs)
			o.Path = filepath.ToSlash(rel)
		}
		got = append(got, o)
	}
	want := []outcome{
		{In: "byreal/main.go", Path: "src/main.go"},
		{In: "bylink/main.go", Path: "src/main.go"},
		{In: "etc/passwd", Err: "outside"},
		{In: "../via/src", Err: "outside"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Resolve through a linked project folder (-want +got):\n%s", diff)
	}
	if root.Dir() != fx.dir {
		t.Errorf("Dir() = %q, want the real folder %q", root.Dir(), fx.dir)
	}
}
