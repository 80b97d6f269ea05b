package docker

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseLdConf(t *testing.T) {
	type e = ldConfEntry
	tests := []struct {
		name, conf string
		want       []ldConfEntry
	}{
		{"debian", "include /etc/ld.so.conf.d/*.conf\n", []e{{include: "/etc/ld.so.conf.d/*.conf"}}},
		{"folders", "# libc default configuration\n/usr/local/lib\n\n/lib/x86_64-linux-gnu # multiarch\n", []e{{folder: "/usr/local/lib"}, {folder: "/lib/x86_64-linux-gnu"}}},
		{"separators", "/a,/b:/c\t/d/../e\r\n", []e{{folder: "/a"}, {folder: "/b"}, {folder: "/c"}, {folder: "/e"}}},
		{"in order", "/a\ninclude b.conf\n/c\n", []e{{folder: "/a"}, {include: "/etc/b.conf"}, {folder: "/c"}}},
		{"relative include", "include conf.d/*.conf other\n", []e{{include: "/etc/conf.d/*.conf"}, {include: "/etc/other"}}},
		{"not folders", "hwcap 0 nosegneg\nrelative/lib\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseLdConf([]byte(tt.conf), "/etc")
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(ldConfEntry{})); diff != "" {
				t.Errorf("parseLdConf(%q) (-want +got):\n%s", tt.conf, diff)
			}
		})
	}
}

func FuzzParseLdConf(f *testing.F) {
	f.Add([]byte("include /etc/ld.so.conf.d/*.conf\n/usr/local/lib\n# c\nhwcap 0 x\n/a,/b:/c\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, e := range parseLdConf(data, "/etc") {
			switch {
			case (e.folder == "") == (e.include == ""):
				t.Errorf("entry %+v is not one folder or one include", e)
			case e.folder != "" && (!filepath.IsAbs(e.folder) || filepath.Clean(e.folder) != e.folder):
				t.Errorf("folder %q is not a clean absolute path", e.folder)
			case e.include != "" && !filepath.IsAbs(e.include):
				t.Errorf("include %q is not absolute", e.include)
			}
		}
	})
}

func TestLdConfFoldersFollowsIncludes(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("ld.so.conf", "/first\ninclude *.conf\n/last\n")
	write("b.conf", "/b\n")
	write("a.conf", "/a\ninclude ld.so.conf\n") // a loop: each file is read once
	want := []string{"/first", "/a", "/b", "/last"}
	if diff := cmp.Diff(want, ldConfFolders(filepath.Join(dir, "ld.so.conf"))); diff != "" {
		t.Errorf("folders (-want +got):\n%s", diff)
	}
}

// The libraries found for a program are those the host's loader loads,
// as ldd shows them.
func TestRuntimeFilesAreWhatTheLoaderLoads(t *testing.T) {
	if _, err := exec.LookPath("ldd"); err != nil {
		t.Skip("no ldd on this host to compare with")
	}
	lp := hostLibraryPath()
	for _, name := range []string{"sh", "git", "bash", "ls"} {
		bin, err := exec.LookPath(name)
		if err != nil {
			continue
		}
		t.Run(name, func(t *testing.T) {
			files, err := lp.runtimeFiles(bin)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range files {
				got = append(got, realPath(t, f))
			}
			slices.Sort(got)
			if diff := cmp.Diff(lddFiles(t, bin), slices.Compact(got)); diff != "" {
				t.Errorf("runtimeFiles(%s) against ldd (-ldd +got):\n%s", bin, diff)
			}
		})
	}
}

// Libraries found through DT_RPATH and DT_RUNPATH, with $ORIGIN, are
// those the loader loads: a library with a DT_RUNPATH does not search its
// loaders' DT_RPATH for its own needs, but the libraries it loads do.
func TestRuntimeFilesFollowRpathAndRunpath(t *testing.T) {
	for _, tool := range []string{"cc", "ldd"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("no %s on this host", tool)
		}
	}
	dir := t.TempDir()
	cc := func(args ...string) {
		out, err := exec.Command("cc", args...).CombinedOutput()
		if err != nil {
			t.Fatalf("cc %v: %v\n%s", args, err, out)
		}
	}
	src := func(name, code string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(code), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	for _, d := range []string{"a", "b", "c", "bin"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// prog (DT_RPATH: b, a) → libb (DT_RUNPATH: c) → libc2 (none) → liba,
	// which only prog's DT_RPATH finds.
	cc("-shared", "-fPIC", "-o", filepath.Join(dir, "a", "liba.so"), src("a.c", "int a(void) { return 1; }\n"))
	cc("-shared", "-fPIC", "-o", filepath.Join(dir, "c", "libc2.so"), src("c.c", "int a(void); int c(void) { return a(); }\n"),
		"-L"+filepath.Join(dir, "a"), "-la")
	cc("-shared", "-fPIC", "-o", filepath.Join(dir, "b", "libb.so"), src("b.c", "int c(void); int b(void) { return c(); }\n"),
		"-L"+filepath.Join(dir, "c"), "-lc2", "-Wl,--enable-new-dtags,-rpath,$ORIGIN/../c")
	prog := filepath.Join(dir, "bin", "prog")
	cc("-o", prog, src("main.c", "int b(void); int main(void) { return b() - 1; }\n"),
		"-L"+filepath.Join(dir, "b"), "-lb", "-Wl,--disable-new-dtags,-rpath,$ORIGIN/../b:$ORIGIN/../a", "-Wl,-rpath-link,"+filepath.Join(dir, "a")+":"+filepath.Join(dir, "c"))
	if out, err := exec.Command(prog).CombinedOutput(); err != nil {
		t.Fatalf("%s does not run: %v\n%s", prog, err, out)
	}
	files, err := hostLibraryPath().runtimeFiles(prog)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range files {
		got = append(got, realPath(t, f))
	}
	want := lddFiles(t, prog)
	slices.Sort(got)
	if diff := cmp.Diff(want, slices.Compact(got)); diff != "" {
		t.Errorf("runtimeFiles against ldd (-ldd +got):\n%s", diff)
	}
	for _, lib := range []string{"a/liba.so", "b/libb.so", "c/libc2.so"} {
		if !slices.Contains(got, realPath(t, filepath.Join(dir, lib))) {
			t.Errorf("%s not found: %v", lib, got)
		}
	}
}

// lddFiles returns the files ldd says the program loads, symbolic links
// resolved, sorted, each once.
func lddFiles(t *testing.T, bin string) []string {
	out, err := exec.Command("ldd", bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, line := range strings.Split(string(out), "\n") {
		// "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x…)" or "/lib64/ld-linux-x86-64.so.2 (0x…)"
		fields := strings.Fields(line)
		if len(fields) >= 3 && fields[1] == "=>" {
			files = append(files, realPath(t, fields[2]))
		} else if len(fields) == 2 && filepath.IsAbs(fields[0]) {
			files = append(files, realPath(t, fields[0]))
		}
	}
	slices.Sort(files)
	return slices.Compact(files)
}

func realPath(t *testing.T, path string) string {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		t.Fatal(err)
	}
	return real
}

// npm's .bin/opencode leads to the platform package's binary, by a link
// (when the package's postinstall ran) or by a launcher script.
func TestOpenCodeBinaryFollowsNpmsLayout(t *testing.T) {
	elfBin, err := exec.LookPath("sh")
	if err != nil {
		t.Fatal(err)
	}
	elfData, err := os.ReadFile(elfBin)
	if err != nil {
		t.Fatal(err)
	}
	modules := filepath.Join(t.TempDir(), "node_modules")
	mk := func(path string, data []byte) string {
		path = filepath.Join(modules, path)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o755); err != nil {
			t.Fatal(err)
		}
		return path
	}
	platform := mk("opencode-linux-"+map[string]string{"amd64": "x64", "arm64": "arm64"}[runtime.GOARCH]+"/bin/opencode", elfData)
	launcher := mk("opencode-ai/bin/opencode", []byte("#!/usr/bin/env node\n"))
	linked := mk("other/bin/opencode.exe", elfData)
	if err := os.MkdirAll(filepath.Join(modules, ".bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	toLauncher := filepath.Join(modules, ".bin", "opencode")
	toLinked := filepath.Join(modules, ".bin", "opencode-linked")
	for link, target := range map[string]string{toLauncher: launcher, toLinked: linked} {
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct{ path, want string }{
		{toLauncher, platform},
		{launcher, platform},
		{toLinked, linked},
		{platform, platform},
	}
	for _, tt := range tests {
		got, err := openCodeBinary(tt.path)
		if err != nil || got != tt.want {
			t.Errorf("openCodeBinary(%s) = %q, %v; want %q", tt.path, got, err, tt.want)
		}
	}
	if err := os.Remove(platform); err != nil {
		t.Fatal(err)
	}
	if _, err := openCodeBinary(toLauncher); err == nil || !strings.Contains(err.Error(), "opencode-linux-") {
		t.Errorf("openCodeBinary without the platform package: %v, want an error naming it", err)
	}
}

func TestBuildResult(t *testing.T) {
	tests := []struct {
		name, output, id, err string
	}{
		{"built", `{"stream":"Step 1/4 : FROM scratch\n"}` + "\n" + `{"aux":{"ID":"sha256:abc"}}` + "\n" + `{"stream":"Successfully built abc\n"}`, "sha256:abc", ""},
		{"failed", `{"stream":"Step 2/4 : COPY rootfs/ /\n"}{"errorDetail":{"message":"no space left on device"},"error":"no space left on device"}`, "", "the build failed: no space left on device"},
		{"no image", `{"stream":"Step 1/4 : FROM scratch\n"}`, "", `the build named no image (its last output: "Step 1/4 : FROM scratch")`},
		{"cut", `{"stream":"Step 1`, "", "reading the build's output: unexpected EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := buildResult(strings.NewReader(tt.output))
			errText := ""
			if err != nil {
				errText = err.Error()
			}
			if id != tt.id || errText != tt.err {
				t.Errorf("buildResult = %q, %q; want %q, %q", id, errText, tt.id, tt.err)
			}
		})
	}
}

// The build context holds the Dockerfile and the image's files, the same
// bytes each time, with the modes the image needs.
func TestBuildContext(t *testing.T) {
	fs := newRootfs()
	if err := fs.addProgram(imageOpenCode, "/bin/sh"); err != nil {
		t.Fatal(err)
	}
	if err := fs.addBase("1.2.3"); err != nil {
		t.Fatal(err)
	}
	fs.add(imageFile{name: "/bin/sh", link: "/usr/local/bin/opencode"})
	dockerfile := imageDockerfile(fs.libraryFolders())
	var first, second bytes.Buffer
	if err := fs.buildContext(&first, dockerfile); err != nil {
		t.Fatal(err)
	}
	if err := fs.buildContext(&second, dockerfile); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first.Bytes(), second.Bytes()) {
		t.Error("two build contexts of the same files differ")
	}
	got := map[string]string{}
	tr := tar.NewReader(&first)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got[h.Name] = fmt.Sprintf("%c %o", h.Typeflag, h.Mode)
		if h.Name == "rootfs/home/opencode/.config/opencode/package-lock.json" {
			data, _ := io.ReadAll(tr)
			got[h.Name] += " " + strings.TrimSpace(string(data))
		}
	}
	want := map[string]string{
		"Dockerfile":                    "0 644",
		"rootfs/tmp/":                   "5 1777",
		"rootfs/home/opencode/":         "5 1777",
		"rootfs/usr/local/bin/opencode": "0 755",
		"rootfs/bin/sh":                 "2 777",
		"rootfs/etc/passwd":             "0 644",
		"rootfs/home/opencode/.config/opencode/package-lock.json": `0 666 {"packages":{"":{"dependencies":{"@opencode-ai/plugin":"1.2.3"}}}}`,
	}
	for name, w := range want {
		if got[name] != w {
			t.Errorf("%s: %q, want %q", name, got[name], w)
		}
	}
	if !strings.HasPrefix(dockerfile, "FROM scratch\n") || !strings.Contains(dockerfile, `ENTRYPOINT ["/usr/local/bin/opencode"]`) {
		t.Errorf("Dockerfile:\n%s", dockerfile)
	}
}

// A tag Docker refuses is refused before any file is read.
func TestBuildImageChecksTheTag(t *testing.T) {
	tests := []struct {
		tag  string
		fail bool
	}{
		{"", false},
		{"portal-opencode:dev", false},
		{"registry.example:5000/team/portal-opencode:1.18.33", false},
		{"Bad Tag", true},
		{"portal-opencode:", true},
		{"portal-opencode@sha256:" + strings.Repeat("a", 64), true},
	}
	for _, tt := range tests {
		err := checkTag(tt.tag)
		var de *Error
		if tt.fail != (err != nil) || (err != nil && (!errors.As(err, &de) || de.Kind != Invalid || !strings.Contains(err.Error(), "portal-opencode:dev"))) {
			t.Errorf("checkTag(%q) = %v, want failure %v (an *Error of kind Invalid saying what to give)", tt.tag, err, tt.fail)
		}
	}
	if _, err := (&Client{}).BuildImage(context.Background(), BuildOptions{Tag: "Bad Tag", OpenCode: "/nonexistent"}); err == nil || !strings.Contains(err.Error(), `"Bad Tag"`) {
		t.Errorf("BuildImage with a bad tag: %v, want the tag refused first", err)
	}
}

// TestOpenCodeVersion reads the version of OpenCode binaries laid out as npm
// installs them, and as others: the manifest of OpenCode's own package is
// believed without running the binary; any other binary is asked.
func TestOpenCodeVersion(t *testing.T) {
	root := t.TempDir()
	mk := func(path, data string, mode os.FileMode) string {
		path = filepath.Join(root, path)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(data), mode); err != nil {
			t.Fatal(err)
		}
		return path
	}
	const fails = "#!/bin/sh\necho 'run, not read' >&2\nexit 1\n"
	const answers = "#!/bin/sh\n[ \"$1\" = --version ] && echo 4.5.6\n"
	tests := []struct {
		name, manifest, binary, want, err string
	}{
		{"npm's opencode-ai", `{"name":"opencode-ai","version":"1.18.33"}`, fails, "1.18.33", ""},
		{"a platform package", `{"name":"opencode-linux-x64-baseline","version":"1.18.34"}`, fails, "1.18.34", ""},
		{"another package's manifest", `{"name":"left-pad","version":"7.7.7"}`, answers, "4.5.6", ""},
		{"a manifest with no usable version", `{"name":"opencode-ai","version":"1.0 beta"}`, answers, "4.5.6", ""},
		{"a broken manifest", `{"name":"opencode-ai",`, answers, "4.5.6", ""},
		{"no manifest", "", answers, "4.5.6", ""},
		{"no manifest, a binary that fails", "", fails, "", "did not tell its version"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pkg := fmt.Sprintf("node_modules/pkg%d", i)
			if tt.manifest != "" {
				mk(pkg+"/package.json", tt.manifest, 0o644)
			}
			bin := mk(pkg+"/bin/opencode", tt.binary, 0o755)
			got, err := openCodeVersion(context.Background(), bin)
			if got != tt.want || (err == nil) != (tt.err == "") || err != nil && !strings.Contains(err.Error(), tt.err) {
				t.Errorf("openCodeVersion = %q, %v; want %q, an error saying %q", got, err, tt.want, tt.err)
			}
		})
	}
}
