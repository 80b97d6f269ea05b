// Package histgen builds, deterministically and quickly, a git repository
// whose history looks like a real project's: a main line into which many
// topic branches are merged back (some as octopus merges), commits whose
// committer date is earlier than their parent's (clock skew), renames,
// additions and deletions, a few thousand files in nested folders, and
// several packs. It streams the history into `git fast-import` in chunks,
// one pack per chunk.
//
// The same Options always give the same commit ids. The gitrepo tests use a
// small history (a couple of thousand commits) and the benchmarks a large
// one (about 20,000).
package histgen

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// Options sizes the history. The zero value builds 20,000 commits over
// 3,000 files in 4 packs.
type Options struct {
	// Commits is the number of commits on the main line and topic
	// branches together (default 20,000), plus up to 8 merges that close
	// the topics still open at the end.
	Commits int
	// Files is the number of files of the first commit (default 3,000).
	Files int
	// Packs is the number of fast-import runs, each writing one pack
	// (default 4).
	Packs int
	// Seed varies the history; the same seed gives the same commit ids.
	Seed uint64
	// CommitGraph also writes .git/objects/info/commit-graph.
	CommitGraph bool
}

func (o Options) withDefaults() Options {
	if o.Commits <= 0 {
		o.Commits = 20000
	}
	if o.Files <= 0 {
		o.Files = 3000
	}
	if o.Packs <= 0 {
		o.Packs = 4
	}
	return o
}

// Layout names files that tests and benchmarks can rely on in every
// generated history.
const (
	// DeepFile is a file three folders deep that few commits change, so
	// `git log -n 100 -- DeepFile` walks the whole history.
	DeepFile = "pkg00/sub0/deep/file0000.go"
	// Folder is a top-level folder that many commits change.
	Folder = "pkg01"
	// Main is the branch the topics merge into; HEAD points at it.
	Main = "main"
)

// Generate creates a repository in dir (which must not exist or be empty)
// with a worktree checked out at main. It needs git on PATH.
func Generate(ctx context.Context, dir string, o Options) error {
	o = o.withDefaults()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("histgen: %w", err)
	}
	if err := gitCmd(ctx, dir, nil, "init", "-q", "-b", Main); err != nil {
		return err
	}
	g := newGenerator(o)
	marks := filepath.Join(dir, ".git", "histgen-marks")
	per := (o.Commits + o.Packs - 1) / o.Packs
	for chunk := 0; chunk < o.Packs && g.commits < o.Commits; chunk++ {
		args := []string{"fast-import", "--quiet", "--active-branches=20", "--export-marks=" + marks}
		if chunk > 0 {
			args = append(args, "--import-marks="+marks)
		}
		target := min(o.Commits, g.commits+per)
		err := gitStream(ctx, dir, func(w io.Writer) error {
			bw := bufio.NewWriterSize(w, 1<<16)
			g.w = bw
			for g.commits < target {
				g.step(target)
			}
			if chunk == o.Packs-1 || target == o.Commits {
				g.finish()
			}
			return bw.Flush()
		}, args...)
		if err != nil {
			return err
		}
	}
	if err := os.Remove(marks); err != nil {
		return fmt.Errorf("histgen: %w", err)
	}
	if err := gitCmd(ctx, dir, nil, "reset", "-q", "--hard", Main); err != nil {
		return err
	}
	if o.CommitGraph {
		return gitCmd(ctx, dir, nil, "commit-graph", "write", "--reachable")
	}
	return nil
}

// topic is a branch in progress: the files it changed, and its tip.
type topic struct {
	slot    int
	tip     int            // mark of its last commit
	changed map[string]int // path → version, files it added or changed
	left    int            // commits still to make before merging
}

type generator struct {
	o       Options
	rng     *rand.Rand
	w       *bufio.Writer
	mark    int
	commits int
	when    int64 // committer time of the newest main-line commit
	mainTip int
	files   map[string]int // main's tree: path → content version
	paths   []string       // main's paths, sorted, for choosing
	stale   bool           // files gained or lost paths since paths was set
	owned   map[string]bool
	topics  []*topic
	free    []int // topic slots (refs/heads/topic/N) not in use
	version int
}

func newGenerator(o Options) *generator {
	g := &generator{
		o:     o,
		rng:   rand.New(rand.NewPCG(o.Seed, 0x9e3779b97f4a7c15)),
		when:  1577836800, // 2020-01-01
		files: map[string]int{},
		owned: map[string]bool{},
		free:  []int{7, 6, 5, 4, 3, 2, 1, 0},
	}
	return g
}

// filePath places file i in nested folders: pkgNN/subN[/deep]/fileNNNN.go.
func filePath(i int) string {
	dir := fmt.Sprintf("pkg%02d/sub%d", i%20, (i/20)%5)
	if (i/100)%3 == 0 {
		dir += "/deep"
	}
	return fmt.Sprintf("%s/file%04d.go", dir, i)
}

// content is the text of a file at a version: 24 lines of which the
// version changes a few, so consecutive versions differ by small hunks.
func content(path string, version int) []byte {
	var sb strings.Builder
	sb.WriteString("package " + strings.ReplaceAll(filepath.Dir(path), "/", "_") + "\n\n")
	for j := 0; j < 24; j++ {
		v := 0
		if (j+version)%6 == 0 {
			v = version
		}
		fmt.Fprintf(&sb, "// %s line %d revision %d\n", filepath.Base(path), j, v)
	}
	return []byte(sb.String())
}

func (g *generator) ident(when int64) string {
	names := []string{"Ada Lovelace", "Grace Hopper", "Linus Torvalds", "Junio Hamano", "Ken Thompson"}
	n := names[g.rng.IntN(len(names))]
	email := strings.ToLower(strings.ReplaceAll(n, " ", ".")) + "@example.com"
	tz := []string{"+0000", "+0200", "-0700"}[g.rng.IntN(3)]
	return fmt.Sprintf("%s <%s> %d %s", n, email, when, tz)
}

func (g *generator) message(what string) string {
	subjects := []string{"fix %s", "add %s", "refactor %s", "  indented subject about %s", "docs: explain %s", "\tteam: %s"}
	s := fmt.Sprintf(subjects[g.rng.IntN(len(subjects))], what)
	switch g.rng.IntN(4) {
	case 0:
		return s + "\n"
	case 1:
		return s + "\ncontinued on a second line\n\nThe body explains " + what + ".\n"
	default:
		return s + "\n\n  Indented body line.\n\nSigned-off-by: A U Thor <a@example.com>\n"
	}
}

// header writes a commit's header and returns its mark. The committer time
// advances, except for about one commit in 30, dated up to three days
// before its parent.
func (g *generator) header(ref string, from int, merges []int, what string) int {
	g.mark++
	g.commits++
	g.when += int64(60 + g.rng.IntN(1800))
	when := g.when
	if g.rng.IntN(30) == 0 {
		when -= int64(3600 + g.rng.IntN(3*86400))
	}
	msg := g.message(what)
	fmt.Fprintf(g.w, "commit %s\nmark :%d\nauthor %s\ncommitter %s\ndata %d\n%s",
		ref, g.mark, g.ident(when-int64(g.rng.IntN(7200))), g.ident(when), len(msg), msg)
	if from > 0 {
		fmt.Fprintf(g.w, "from :%d\n", from)
	}
	for _, m := range merges {
		fmt.Fprintf(g.w, "merge :%d\n", m)
	}
	return g.mark
}

func (g *generator) modify(path string, version int) {
	data := content(path, version)
	fmt.Fprintf(g.w, "M 100644 inline %s\ndata %d\n%s\n", path, len(data), data)
}

func (g *generator) nextVersion() int {
	g.version++
	return g.version
}

func (g *generator) setPaths() {
	if !g.stale {
		return
	}
	g.stale = false
	g.paths = g.paths[:0]
	for p := range g.files {
		g.paths = append(g.paths, p)
	}
	slices.Sort(g.paths)
}

// pick returns a main-line file no topic owns, other than DeepFile.
func (g *generator) pick() string {
	for {
		p := g.paths[g.rng.IntN(len(g.paths))]
		if !g.owned[p] && p != DeepFile {
			return p
		}
	}
}

// step writes one commit: the first commit, a topic commit, a merge or a
// main-line commit.
func (g *generator) step(target int) {
	if g.mainTip == 0 {
		g.mainTip = g.header("refs/heads/"+Main, 0, nil, "the first version")
		for i := 0; i < g.o.Files; i++ {
			p := filePath(i)
			g.files[p] = 0
			g.modify(p, 0)
		}
		g.w.WriteString("\n")
		g.stale = true
		g.setPaths()
		return
	}
	// Merge a topic that is done (sometimes two or three at once).
	var done []*topic
	for _, t := range g.topics {
		if t.left == 0 {
			done = append(done, t)
		}
	}
	if len(done) > 0 && (len(done) >= 3 || g.rng.IntN(20) != 0) {
		if len(done) == 1 || g.rng.IntN(3) != 0 {
			done = done[:1]
		}
		g.merge(done)
		return
	}
	if len(g.free) > 0 && target-g.commits > 12 && g.rng.IntN(3) == 0 {
		g.startTopic()
		return
	}
	if len(g.topics) > 0 && g.rng.IntN(3) != 0 {
		g.topicCommit(g.topics[g.rng.IntN(len(g.topics))])
		return
	}
	g.mainCommit()
}

func (g *generator) startTopic() {
	t := &topic{slot: g.free[len(g.free)-1], changed: map[string]int{}, left: 1 + g.rng.IntN(12)}
	g.free = g.free[:len(g.free)-1]
	g.topics = append(g.topics, t)
	t.tip = g.mainTip
	g.topicCommit(t)
}

func (g *generator) topicCommit(t *topic) {
	ref := fmt.Sprintf("refs/heads/topic/%d", t.slot)
	t.tip = g.header(ref, t.tip, nil, fmt.Sprintf("topic %d", t.slot))
	for n := 1 + g.rng.IntN(3); n > 0; n-- {
		var p string
		if g.rng.IntN(8) == 0 {
			p = fmt.Sprintf("pkg%02d/topic%d/new%05d.go", g.rng.IntN(20), t.slot, g.mark)
		} else if len(t.changed) > 0 && g.rng.IntN(2) == 0 {
			p = slices.Sorted(mapsKeys(t.changed))[g.rng.IntN(len(t.changed))]
		} else {
			p = g.pick()
		}
		g.owned[p] = true
		t.changed[p] = g.nextVersion()
		g.modify(p, t.changed[p])
	}
	g.w.WriteString("\n")
	t.left--
}

func mapsKeys(m map[string]int) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// merge merges finished topics into main, taking each topic's version of
// the files it changed.
func (g *generator) merge(ts []*topic) {
	var tips []int
	var slots []string
	for _, t := range ts {
		tips = append(tips, t.tip)
		slots = append(slots, fmt.Sprint(t.slot))
	}
	g.mainTip = g.header("refs/heads/"+Main, g.mainTip, tips, "merge topic "+strings.Join(slots, ", "))
	for _, t := range ts {
		for _, p := range slices.Sorted(mapsKeys(t.changed)) {
			if _, ok := g.files[p]; !ok {
				g.stale = true
			}
			g.files[p] = t.changed[p]
			delete(g.owned, p)
			g.modify(p, t.changed[p])
		}
		g.free = append(g.free, t.slot)
		g.topics = slices.DeleteFunc(g.topics, func(x *topic) bool { return x == t })
	}
	g.w.WriteString("\n")
	g.setPaths()
}

// mainCommit changes, renames, adds or deletes files on main.
func (g *generator) mainCommit() {
	g.mainTip = g.header("refs/heads/"+Main, g.mainTip, nil, "main")
	switch r := g.rng.IntN(40); {
	case r == 0 && len(g.paths) > 100: // rename, sometimes to another folder
		p := g.pick()
		np := fmt.Sprintf("%s/renamed%05d.go", filepath.Dir(filePath(g.rng.IntN(g.o.Files))), g.mark)
		fmt.Fprintf(g.w, "R %s %s\n", p, np)
		g.files[np] = g.files[p]
		delete(g.files, p)
		g.stale = true
	case r == 1 && len(g.paths) > 100:
		p := g.pick()
		fmt.Fprintf(g.w, "D %s\n", p)
		delete(g.files, p)
		g.stale = true
	case r == 2:
		p := fmt.Sprintf("%s/added%05d.go", filepath.Dir(filePath(g.rng.IntN(g.o.Files))), g.mark)
		g.files[p] = g.nextVersion()
		g.modify(p, g.files[p])
		g.stale = true
	default:
		for n := 1 + g.rng.IntN(3); n > 0; n-- {
			p := g.pick()
			if g.rng.IntN(300) == 0 {
				p = DeepFile // changes rarely, so a path log walks far
				if g.owned[p] {
					continue
				}
			}
			g.files[p] = g.nextVersion()
			g.modify(p, g.files[p])
		}
	}
	g.w.WriteString("\n")
	g.setPaths()
}

// finish merges the topics still open except the last one, which stays an
// unmerged branch.
func (g *generator) finish() {
	for len(g.topics) > 1 {
		g.merge(g.topics[:1])
	}
}

func gitCmd(ctx context.Context, dir string, stdin io.Reader, args ...string) error {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	cmd.Stdin = stdin
	// fast-import allocates and frees many buffers: without a larger
	// malloc top pad it spends most of its time in brk.
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null",
		"MALLOC_TOP_PAD_=67108864", "MALLOC_TRIM_THRESHOLD_=134217728")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("histgen: git %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return nil
}

// gitStream runs git with produce writing its standard input.
func gitStream(ctx context.Context, dir string, produce func(io.Writer) error, args ...string) error {
	pr, pw := io.Pipe()
	errc := make(chan error, 1)
	go func() {
		err := produce(pw)
		pw.CloseWithError(err)
		errc <- err
	}()
	err := gitCmd(ctx, dir, pr, args...)
	pr.Close()
	if perr := <-errc; err == nil && perr != nil && perr != io.ErrClosedPipe {
		err = fmt.Errorf("histgen: %w", perr)
	}
	return err
}
