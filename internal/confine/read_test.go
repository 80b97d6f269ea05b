package confine

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// randomBytes returns n bytes from a seeded generator, NUL bytes included.
func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.UintN(256))
	}
	b[0] = 0
	return b
}

func TestRead(t *testing.T) {
	const limit = 1 << 20
	png := append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), randomBytes(64, 1)...)
	files := map[string][]byte{
		"text.txt":     []byte("hello\nworld\n"),
		"nonl.txt":     []byte("no trailing newline"),
		"empty.txt":    {},
		"utf8.txt":     []byte("h\u00e9llo \u2713 \u65e5\u672c\u8a9e \U0001f389\n"),
		"crlf.txt":     []byte("a\r\nb\r\n"),
		"blank.txt":    []byte("\n\n  x  \n\n"),
		"image.png":    png,
		"random.bin":   randomBytes(4096, 2),
		"blob":         {0, 1, 2, 3},
		"latin1":       []byte("caf\xe9\n"),
		"page.html":    []byte("<html><script>alert(1)</script></html>\n"),
		"script":       []byte("#!/bin/sh\necho hi\n"),
		"late-nul.txt": append(bytes.Repeat([]byte("a"), SniffLen+10), 0),
		"boundary.txt": append(bytes.Repeat([]byte("a"), SniffLen-1), "\u00e9\u00e9"...),
		"data.json":    []byte(`{"a":1}`),
		"at-limit.txt": bytes.Repeat([]byte("x"), limit),
	}
	dir := t.TempDir()
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	root, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()

	tests := []struct {
		name   string
		binary bool
		mime   string
	}{
		{"text.txt", false, "text/plain; charset=utf-8"},
		{"nonl.txt", false, "text/plain; charset=utf-8"},
		{"empty.txt", false, "text/plain; charset=utf-8"},
		{"utf8.txt", false, "text/plain; charset=utf-8"},
		{"crlf.txt", false, "text/plain; charset=utf-8"},
		{"blank.txt", false, "text/plain; charset=utf-8"},
		{"image.png", true, "image/png"},
		{"random.bin", true, "application/octet-stream"},
		{"blob", true, "application/octet-stream"},
		{"latin1", true, "text/plain"},
		{"page.html", false, "text/html; charset=utf-8"},
		{"script", false, "text/plain; charset=utf-8"},
		{"late-nul.txt", false, "text/plain; charset=utf-8"},
		{"boundary.txt", false, "text/plain; charset=utf-8"},
		{"data.json", false, "application/json"},
		{"at-limit.txt", false, "text/plain; charset=utf-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := root.Read(context.Background(), tt.name, limit)
			if err != nil {
				t.Fatal(err)
			}
			// The data is compared with bytes.Equal: cmp walks a
			// megabyte byte by byte, which takes a minute under -race.
			if !bytes.Equal(got.Data, files[tt.name]) || (got.Data == nil) != (files[tt.name] == nil) {
				t.Errorf("Read data: %d bytes (nil %v), not the file's %d bytes", len(got.Data), got.Data == nil, len(files[tt.name]))
			}
			want := &File{Path: tt.name, Size: int64(len(files[tt.name])), Binary: tt.binary, MimeType: tt.mime}
			got.Data = nil
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Read (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadRefuses(t *testing.T) {
	fx := newFixture(t)
	writeFiles(t, fx.dir, map[string]string{"big.txt": strings.Repeat("x", 1<<20+1)})
	if err := syscall.Mkfifo(filepath.Join(fx.dir, "pipe"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("pipe", filepath.Join(fx.dir, "pipelink")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		in, err, msg string
	}{
		{"big.txt", "toolarge", `path "big.txt": is 1048577 bytes, over the read limit of 1 MiB`},
		{"src", "notfile", `path "src": is a folder; list it instead of reading it`},
		{"", "notfile", `path "": is a folder; list it instead of reading it`},
		{"pipe", "notfile", `path "pipe": is not a regular file (a device, pipe or socket) and cannot be read`},
		{"pipelink", "notfile", `path "pipelink": is not a regular file (a device, pipe or socket) and cannot be read`},
		{"etc/passwd", "outside", `path "etc/passwd": the symbolic link "etc" leads outside the project folder`},
		{"missing", "notfound", `path "missing": does not exist in the project folder`},
	}
	for _, tt := range tests {
		_, err := fx.root.Read(context.Background(), tt.in, 1<<20)
		if diff := cmp.Diff([]string{tt.err, tt.msg}, []string{kind(err), errString(err)}); diff != "" {
			t.Errorf("Read(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := fx.root.Read(ctx, "README.md", 1<<20); !errors.Is(err, context.Canceled) {
		t.Errorf("Read with a cancelled context: %v, want context.Canceled", err)
	}
}

func TestFormatSize(t *testing.T) {
	tests := map[int64]string{0: "0 bytes", 512: "512 bytes", 1024: "1 KiB", 1536: "1536 bytes",
		1 << 20: "1 MiB", 3 << 20: "3 MiB", 1<<20 + 1: "1048577 bytes", 2 << 30: "2 GiB"}
	for n, want := range tests {
		if got := formatSize(n); got != want {
			t.Errorf("formatSize(%d) = %q, want %q", n, got, want)
		}
	}
}

// errString is err's message, or "" for nil.
func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
