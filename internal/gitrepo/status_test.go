package gitrepo

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestStatusMatchesGit(t *testing.T) {
	for _, sc := range scenarios() {
		t.Run(sc.name, func(t *testing.T) {
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
