package webui_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// keyedRowsMovesFew checks js/ui.js's keyedRows, which the instances and
// sessions lists show each read with: a row that did not change keeps its
// node, and a row that stays is not taken out of the page (a tap on it
// would be lost), whatever comes or goes around it. Each step gives the
// list's rows after it, the rows taken out and put back, and the rows
// built anew.
func keyedRowsMovesFew(t *testing.T, ph *phone) {
	got := eval[[][3][]string](ph, `(async () => {
		const { keyedRows } = await import("./js/ui.js");
		const list = document.createElement("div");
		list.append(document.createElement("em")); // "Loading…"
		let built = [];
		const node = (id) => Object.assign(document.createElement("p"), { id });
		const show = keyedRows(list, {
			id: (item) => item[0],
			key: (item) => item,
			build: (item) => (built.push(item), node(item)),
			empty: () => node("empty"),
		});
		const seen = new MutationObserver(() => {});
		seen.observe(list, { childList: true });
		const out = [];
		for (const step of [["a", "b", "c"], ["a", "b", "c"], ["n", "a", "b", "c"], ["n", "a", "c"], ["n", "b2", "c"], ["c", "n", "b2"], []]) {
			built = [];
			show(step);
			const removed = new Set();
			for (const r of seen.takeRecords()) for (const n of r.removedNodes) if (n.id) removed.add(n.id);
			const ids = [...list.children].map((n) => n.id);
			out.push([ids, ids.filter((id) => removed.has(id)), built]);
		}
		return out;
	})()`)
	want := [][3][]string{
		{{"a", "b", "c"}, {}, {"a", "b", "c"}}, // the "Loading…" goes
		{{"a", "b", "c"}, {}, {}},              // the same read: nothing moves or is built
		{{"n", "a", "b", "c"}, {}, {"n"}},      // a new row first
		{{"n", "a", "c"}, {}, {}},              // a row gone from the middle
		{{"n", "b2", "c"}, {}, {"b2"}},         // a row whose content changed is built anew
		{{"c", "n", "b2"}, {"c"}, {}},          // reordered: only the row that went first moves
		{{"empty"}, {}, {}},                    // none left: what shows then
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("keyedRows: rows after each step, rows moved and rows built (-want +got):\n%s", diff)
	}
}
