package supervisor

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLineSplitter(t *testing.T) {
	long := strings.Repeat("x", maxLineBytes+10)
	tests := []struct {
		name   string
		chunks []string
		want   []string
	}{
		{"one line", []string{"a\n"}, []string{"a"}},
		{"split across chunks", []string{"ab", "c\nd", "e\n"}, []string{"abc", "de"}},
		{"crlf", []string{"a\r\nb\r\n"}, []string{"a", "b"}},
		{"empty lines", []string{"\n\n"}, []string{"", ""}},
		{"unfinished line waits", []string{"a\nb"}, []string{"a"}},
		{"long line is cut once", []string{long[:5000], long[5000:] + "\nz\n"},
			[]string{long[:maxLineBytes] + " [line cut]", "z"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s lineSplitter
			var got []string
			for _, c := range tt.chunks {
				got = append(got, s.write([]byte(c))...)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("lines (-want +got):\n%s", diff)
			}
		})
	}
}

// FuzzLineSplitter checks that however output is cut into chunks, the lines
// are those of the whole output.
func FuzzLineSplitter(f *testing.F) {
	f.Add([]byte("a\nbc\r\n\nd"), uint8(1))
	f.Add([]byte("opencode server listening on http://127.0.0.1:4096\n"), uint8(7))
	f.Fuzz(func(t *testing.T, out []byte, step uint8) {
		var whole lineSplitter
		want := whole.write(out)
		var chunked lineSplitter
		var got []string
		n := int(step) + 1
		for i := 0; i < len(out); i += n {
			got = append(got, chunked.write(out[i:min(i+n, len(out))])...)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("chunked by %d (-whole +chunked):\n%s", n, diff)
		}
		for _, l := range got {
			if len(l) > maxLineBytes+len(" [line cut]") || strings.Contains(l, "\n") {
				t.Fatalf("bad line %q", l)
			}
		}
		if bytes.Count(out, []byte("\n")) != len(got) {
			t.Fatalf("%d newlines gave %d lines", bytes.Count(out, []byte("\n")), len(got))
		}
	})
}

func TestTailerFollowsAFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.log")
	if err := os.WriteFile(path, []byte("old 1\nold 2\nold 3\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// Starting 8 bytes before the end lands inside "old 2": that line is dropped.
	tl, err := openTailer(path, 8)
	if err != nil {
		t.Fatal(err)
	}
	defer tl.close()
	got := tl.poll()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.WriteString("new 1\nnew")
	got = append(got, tl.poll()...)
	f.WriteString(" 2\nunfinished")
	got = append(got, tl.poll()...)
	got = append(got, tl.flush()...)
	if diff := cmp.Diff([]string{"old 3", "new 1", "new 2", "unfinished"}, got); diff != "" {
		t.Errorf("lines (-want +got):\n%s", diff)
	}
}

func TestTailerFromTheEndKeepsTheNextFirstLine(t *testing.T) {
	for _, tc := range []struct {
		name, before string
		want         []string
	}{
		{"after a whole line", "earlier run\n", []string{"listening", "next"}},
		{"after an unfinished line", "earlier run, cut", []string{"next"}},
		{"an empty file", "", []string{"listening", "next"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "out.log")
			if err := os.WriteFile(path, []byte(tc.before), 0o600); err != nil {
				t.Fatal(err)
			}
			tl, err := openTailer(path, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer tl.close()
			f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			f.WriteString("listening\nnext\n")
			if diff := cmp.Diff(tc.want, tl.poll()); diff != "" {
				t.Errorf("lines (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTailFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.log")
	os.WriteFile(path, []byte("a\nb\nc\nunfinished"), 0o600)
	got, err := TailFile(path, 2)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"c", "unfinished"}, got); diff != "" {
		t.Errorf("TailFile (-want +got):\n%s", diff)
	}
	if _, err := TailFile(filepath.Join(t.TempDir(), "none"), 2); err == nil {
		t.Error("TailFile of a missing file: no error")
	}
}
