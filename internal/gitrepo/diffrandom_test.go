package gitrepo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// randomDiffSources are real files of the Go distribution, of varied shapes:
// Go, C, assembly and text.
var randomDiffSources = []string{
	"fmt/print.go", "fmt/scan.go", "strings/strings.go", "strings/builder.go",
	"sort/sort.go", "bufio/scan.go", "bytes/buffer.go", "errors/wrap.go",
	"container/list/list.go", "encoding/json/encode.go", "net/http/cookie.go",
	"text/tabwriter/tabwriter.go", "unicode/utf8/utf8.go", "path/filepath/match.go",
	"go/ast/walk.go", "math/bits/bits.go", "regexp/syntax/parse.go", "os/exec/exec.go",
	"time/format.go", "html/template/escape.go", "flag/flag.go",
	"runtime/cgo/gcc_libinit.c", "runtime/cgo/gcc_linux_amd64.c", "runtime/cgo/gcc_util.c",
	"runtime/cgo/gcc_context.c", "runtime/cgo/libcgo.h",
	"runtime/asm_amd64.s", "math/big/arith_amd64.s", "runtime/sys_linux_amd64.s",
	"internal/bytealg/indexbyte_amd64.s",
	"database/sql/doc.txt", "regexp/testdata/README", "cmd/go/testdata/vendormod.txt",
	"go/doc/comment/testdata/list6.txt",
}

// TestDiffRandomEditsMatchGit edits real source files at random, the way
// people edit code, and compares Diff with `git diff HEAD` byte for byte,
// with git's default algorithm and with the histogram and patience ones.
// DIFFRANDOM_SEED replays a run; DIFFRANDOM_EDITS sets the number of edits.
func TestDiffRandomEditsMatchGit(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		algorithm string
		share     int // of the edits, in eighths
	}{{"", 8}, {"histogram", 1}, {"patience", 1}} {
		name := tc.algorithm
		if name == "" {
			name = "default"
		}
		t.Run(name, func(t *testing.T) { testRandomEdits(t, tc.algorithm, tc.share) })
	}
}

func testRandomEdits(t *testing.T, algorithm string, eighths int) {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("DIFFRANDOM_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("DIFFRANDOM_SEED=%q: want an unsigned integer", s)
		}
		seed = v
	}
	edits := 500
	if s := os.Getenv("DIFFRANDOM_EDITS"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 {
			t.Fatalf("DIFFRANDOM_EDITS=%q: want a positive integer", s)
		}
		edits = v
	}
	edits = max(1, edits*eighths/8)
	t.Logf("seed %d (replay with DIFFRANDOM_SEED=%d)", seed, seed)

	dir := initRepo(t)
	if algorithm != "" {
		runGit(t, dir, "config", "diff.algorithm", algorithm)
	}
	originals := copyGoSources(t, dir)
	commitAll(t, dir, "sources")
	r := openRepo(t, dir)
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))

	names := make([]string, 0, len(originals))
	for name := range originals {
		names = append(names, name)
	}
	slices.Sort(names)

	const perRound = 10
	differ, firstReport := 0, ""
	for done := 0; done < edits; {
		// Edit a few distinct files, diff them all at once, then restore them.
		n := min(perRound, edits-done)
		picked := rng.Perm(len(names))[:n]
		for _, i := range picked {
			name := names[i]
			edited := randomEdit(rng, splitKeep(originals[name]))
			write(t, dir, name, strings.Join(edited, ""))
		}
		want := splitPatchByFile(runGit(t, dir, "diff", "HEAD"))
		got, err := r.Diff(context.Background(), DiffOptions{})
		if err != nil {
			t.Fatalf("seed %d: Diff: %v", seed, err)
		}
		gotFiles := splitPatchByFile(got)
		for _, i := range picked {
			name := names[i]
			if d := cmp.Diff(want[name], gotFiles[name]); d != "" {
				differ++
				if firstReport == "" {
					firstReport = fmt.Sprintf("edit %d, file %s (-git +ours):\n%s", done, name, d)
				}
			}
		}
		for _, i := range picked {
			write(t, dir, names[i], originals[names[i]])
		}
		done += n
	}
	if differ > 0 {
		t.Errorf("seed %d: %d of %d edited files differ from git diff HEAD; first: %s\nreplay with DIFFRANDOM_SEED=%d",
			seed, differ, edits, firstReport, seed)
	}
}

// copyGoSources copies the sources that exist in this Go distribution into
// dir, each under a flat name, and returns their contents by name.
func copyGoSources(tb testing.TB, dir string) map[string]string {
	tb.Helper()
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		tb.Fatalf("go env GOROOT: %v (the test copies sources of the Go distribution)", err)
	}
	root := filepath.Join(strings.TrimSpace(string(out)), "src")
	files := make(map[string]string)
	for _, src := range randomDiffSources {
		data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(src)))
		if err != nil {
			continue // not in this Go version
		}
		// The first 400 lines keep each file's shape and the test fast.
		lines := strings.SplitAfter(string(data), "\n")
		content := strings.Join(lines[:min(len(lines), 400)], "")
		name := strings.ReplaceAll(src, "/", "_")
		write(tb, dir, name, content)
		files[name] = content
	}
	if len(files) < 20 {
		tb.Fatalf("only %d of the %d Go sources found under %s", len(files), len(randomDiffSources), root)
	}
	return files
}

// splitKeep cuts s into lines that keep their "\n".
func splitKeep(s string) []string {
	return strings.SplitAfter(strings.TrimSuffix(s, "\n"), "\n")
}

// splitPatchByFile maps each file's name to its part of a patch.
func splitPatchByFile(patch string) map[string]string {
	out := make(map[string]string)
	var name string
	var sb strings.Builder
	flush := func() {
		if name != "" {
			out[name] = sb.String()
		}
		sb.Reset()
	}
	for _, line := range strings.SplitAfter(patch, "\n") {
		if strings.HasPrefix(line, "diff --git a/") {
			flush()
			rest := strings.TrimPrefix(line, "diff --git a/")
			name = rest[:strings.Index(rest, " b/")]
		}
		sb.WriteString(line)
	}
	flush()
	return out
}

// randomEdit applies one to three edits of the kinds people make to lines.
func randomEdit(rng *rand.Rand, lines []string) []string {
	out := append([]string(nil), lines...)
	for range 1 + rng.IntN(3) {
		out = randomEditOnce(rng, out)
	}
	if len(out) == 0 {
		out = []string{"x\n"}
	}
	return out
}

func randomEditOnce(rng *rand.Rand, lines []string) []string {
	n := len(lines)
	if n < 4 {
		return append(lines, "added\n")
	}
	pos := rng.IntN(n)
	size := 1 + rng.IntN(min(12, n-pos))
	block := func() []string { return append([]string(nil), lines[pos:pos+size]...) }
	insertAt := func(at int, add []string) []string {
		out := make([]string, 0, len(lines)+len(add))
		out = append(out, lines[:at]...)
		out = append(out, add...)
		return append(out, lines[at:]...)
	}
	without := func() []string {
		return append(append([]string(nil), lines[:pos]...), lines[pos+size:]...)
	}
	switch rng.IntN(11) {
	case 0: // insert new lines
		add := make([]string, 1+rng.IntN(6))
		for i := range add {
			add[i] = fmt.Sprintf("\tnewLine%d(%d)\n", i, rng.IntN(100))
		}
		return insertAt(rng.IntN(n+1), add)
	case 1: // delete a block
		return without()
	case 2: // replace a block with changed copies of its lines
		changed := block()
		for i := range changed {
			if rng.IntN(2) == 0 {
				changed[i] = strings.TrimSuffix(changed[i], "\n") + " // edited\n"
			}
		}
		rest := without()
		out := append([]string(nil), rest[:pos]...)
		out = append(out, changed...)
		return append(out, rest[pos:]...)
	case 3: // duplicate a function (or a block) right after itself
		start, end := funcBounds(lines, pos)
		dup := append([]string{"\n"}, lines[start:end]...)
		lines = insertAt(end, dup)
		return lines
	case 4: // move a block elsewhere
		moved := block()
		rest := without()
		at := rng.IntN(len(rest) + 1)
		out := append([]string(nil), rest[:at]...)
		out = append(out, moved...)
		return append(out, rest[at:]...)
	case 5: // indent or dedent a block
		out := append([]string(nil), lines...)
		indent := rng.IntN(2) == 0
		for i := pos; i < pos+size; i++ {
			switch {
			case indent:
				out[i] = "\t" + out[i]
			default:
				out[i] = strings.TrimPrefix(strings.TrimPrefix(out[i], "\t"), "    ")
			}
		}
		return out
	case 6: // add blank lines
		out := lines
		for range 1 + rng.IntN(3) {
			lines = out
			out = insertAt(rng.IntN(len(lines)+1), []string{"\n"})
		}
		return out
	case 7: // remove blank lines
		out := make([]string, 0, len(lines))
		dropped := 0
		for i, l := range lines {
			if l == "\n" && i >= pos && dropped < 3 {
				dropped++
				continue
			}
			out = append(out, l)
		}
		return out
	case 8: // edit the last line and drop its newline, or restore it
		out := append([]string(nil), lines...)
		last := out[n-1]
		switch {
		case strings.HasSuffix(last, "\n") && rng.IntN(2) == 0:
			out[n-1] = strings.TrimSuffix(last, "\n")
		case strings.HasSuffix(last, "\n"):
			out[n-1] = strings.TrimSuffix(last, "\n") + " end"
		default:
			out[n-1] = last + "\n"
		}
		return out
	case 9: // rewrite a long stretch: reorder its lines, as a reformat or a big refactor does
		end := min(n, pos+200+rng.IntN(400))
		out := append([]string(nil), lines...)
		region := out[pos:end]
		for i := range region {
			if rng.IntN(3) == 0 {
				j := rng.IntN(len(region))
				region[i], region[j] = region[j], region[i]
			}
		}
		return out
	default: // insert a copy of another block of the same file
		return insertAt(rng.IntN(n+1), block())
	}
}

// funcBounds returns the lines of the Go or C function around pos (from its
// first line to its closing brace), or a small block when there is none.
func funcBounds(lines []string, pos int) (int, int) {
	start := -1
	for i := pos; i >= 0; i-- {
		if strings.HasPrefix(lines[i], "func ") || (strings.HasSuffix(lines[i], "{\n") && !strings.HasPrefix(lines[i], "\t") && !strings.HasPrefix(lines[i], " ")) {
			start = i
			break
		}
	}
	if start < 0 {
		return pos, min(len(lines), pos+3)
	}
	for i := start + 1; i < len(lines); i++ {
		if lines[i] == "}\n" {
			return start, i + 1
		}
	}
	return start, min(len(lines), start+3)
}

// TestDiffLargeFilesMatchGit compares Diff with git diff HEAD on files big
// and changed enough for xdiff's cost heuristics to cut the search: many
// scattered edits in a long file (a long snake ends the search early), and
// a long stretch of reordered lines (the search gives up at the maximum
// cost).
func TestDiffLargeFilesMatchGit(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	var orig []string
	for i := range 40000 {
		l := fmt.Sprintf("\tline(%d)\n", rng.IntN(5000))
		if i%7 == 0 {
			l = "}\n"
		}
		orig = append(orig, l)
	}
	var scattered []string
	for i, l := range orig {
		switch r := rng.IntN(100); {
		case r < 3:
			scattered = append(scattered, fmt.Sprintf("\tnew(%d)\n", i))
		case r < 5:
		case r < 6:
			scattered = append(scattered, l, "\n")
		default:
			scattered = append(scattered, l)
		}
	}
	reordered := append([]string(nil), orig...)
	region := reordered[10000:13000]
	rng.Shuffle(len(region), func(i, j int) { region[i], region[j] = region[j], region[i] })

	// Smaller copies serve the other algorithms: with histogram "}" is too
	// frequent to anchor a split, and ranges made only of frequent lines go
	// to the Myers diff; with patience, ranges without unique lines do.
	dir := initRepo(t)
	write(t, dir, "scattered.txt", strings.Join(orig, ""))
	write(t, dir, "reordered.txt", strings.Join(orig, ""))
	write(t, dir, "small/scattered.txt", strings.Join(orig[:4000], ""))
	write(t, dir, "small/reordered.txt", strings.Join(orig[9000:14000], ""))
	commitAll(t, dir, "large files")
	write(t, dir, "scattered.txt", strings.Join(scattered, ""))
	write(t, dir, "reordered.txt", strings.Join(reordered, ""))
	write(t, dir, "small/scattered.txt", strings.Join(scattered[:4000], ""))
	write(t, dir, "small/reordered.txt", strings.Join(reordered[9000:14000], ""))
	compareDiffByFile(t, dir)
	for _, algorithm := range []string{"histogram", "patience"} {
		runGit(t, dir, "config", "diff.algorithm", algorithm)
		compareDiffByFile(t, dir, "small")
	}
}
