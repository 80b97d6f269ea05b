package webui_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// keepRowsMovesFew checks js/ui.js's keepRows, which the instances and
// sessions lists use to show a new read: a row that stays is not taken out
// of the page (a tap on it would be lost), whatever comes or goes around
// it. Each step gives the list's rows after it and the rows taken out and
// put back.
func keepRowsMovesFew(t *testing.T, ph *phone) {
	got := eval[[][2][]string](ph, `(async () => {
		const { keepRows } = await import("./js/ui.js");
		const rows = {};
		for (const id of ["a", "b", "c", "n", "b2"]) {
			rows[id] = document.createElement("p");
			rows[id].id = id;
		}
		const list = document.createElement("div");
		list.append(document.createElement("em")); // "Loading…"
		const seen = new MutationObserver(() => {});
		seen.observe(list, { childList: true });
		const out = [];
		for (const step of [["a", "b", "c"], ["a", "b", "c"], ["n", "a", "b", "c"], ["n", "a", "c"], ["n", "b2", "c"], ["c", "n", "b2"], []]) {
			keepRows(list, step.map((id) => rows[id]));
			const removed = new Set();
			for (const r of seen.takeRecords()) for (const n of r.removedNodes) if (n.id) removed.add(n.id);
			const moved = [...list.children].map((n) => n.id).filter((id) => removed.has(id));
			out.push([[...list.children].map((n) => n.id || n.tagName), moved]);
		}
		return out;
	})()`)
	want := [][2][]string{
		{{"a", "b", "c"}, {}},      // the "Loading…" goes
		{{"a", "b", "c"}, {}},      // the same read: nothing moves
		{{"n", "a", "b", "c"}, {}}, // a new row first
		{{"n", "a", "c"}, {}},      // a row gone from the middle
		{{"n", "b2", "c"}, {}},     // a row replaced by its new version
		{{"c", "n", "b2"}, {"c"}},  // reordered: only the row that went first moves
		{{}, {}},                   // none left
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("keepRows: rows after each step and rows moved (-want +got):\n%s", diff)
	}
}
