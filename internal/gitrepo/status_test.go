package gitrepo

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestStatusMatchesGit(t *testing.T) {
	t.Parallel()
	for _, sc := range scenarios() {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			dir := sc.build(t)
			r := openRepo(t, dir)
			// Ours runs before git's (which refreshes the index) and after.
			before := sortedRecords(porcelain(statusOf(t, r)))
			want := sortedRecords(gitPorcelain(t, dir))
			if diff := cmp.Diff(want, before); diff != "" {
				t.Errorf("status before git refreshed the index (-git +ours):\n%s", diff)
			}
			after := sortedRecords(porcelain(statusOf(t, r)))
			if diff := cmp.Diff(want, after); diff != "" {
				t.Errorf("status after git refreshed the index (-git +ours):\n%s", diff)
			}
		})
	}
}

// TestStatusRefreshesIndex checks that files rewritten with the same
// content are hashed once: status records their new stat data in the index,
// which git still reads the same.
func TestStatusRefreshesIndex(t *testing.T) {
	t.Parallel()
	dir := base(t)
	write(t, dir, "src/main.go", "package main\n\nfunc main() {\n\tprintln(\"hi\")\n}\n")
	write(t, dir, "docs/guide.txt", strings.Repeat("guide line\n", 40))
	write(t, dir, "README.md", "changed\n")
	time.Sleep(1100 * time.Millisecond) // out of the racy second
	r := openRepo(t, dir)
	st := statusOf(t, r)
	g, err := r.open()
	if err != nil {
		t.Fatal(err)
	}
	snap, err := r.takeSnapshot(context.Background(), g, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.scan.fresh) != 0 {
		t.Errorf("files hashed again after status refreshed the index: %+v", snap.scan.fresh)
	}
	if diff := cmp.Diff(sortedRecords(gitPorcelain(t, dir)), sortedRecords(porcelain(st))); diff != "" {
		t.Errorf("status (-git +ours):\n%s", diff)
	}
	runGit(t, dir, "fsck", "--no-progress")
	if got := runGit(t, dir, "diff", "--stat"); !strings.Contains(got, "README.md") || strings.Contains(got, "main.go") {
		t.Errorf("git diff --stat after refresh: %q", got)
	}
}
