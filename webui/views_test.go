package webui_test

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

type call struct {
	Method, Path string
	Body         any
}

type scriptReport struct {
	Calls []call
	Notes []struct {
		Message, Kind string
	}
	Navigations []string
	Links       []string
	Diff        []string // the open diff's lines: "class: text"
}

// runScript mounts a screen on the stub API of the test page and runs
// steps there (see window.script in testdata/views_harness.js).
func runScript(t *testing.T, tab context.Context, screen string, answers map[string]any, query string, steps ...map[string]any) scriptReport {
	t.Helper()
	return evalPage[scriptReport](t, tab, fmt.Sprintf("window.script(%s, %s, %s, %s)",
		jsArg(t, screen), jsArg(t, answers), jsArg(t, query), jsArg(t, steps)))
}

// writes are the requests other than GET.
func writes(calls []call) []call {
	var out []call
	for _, c := range calls {
		if c.Method != "GET" {
			out = append(out, c)
		}
	}
	return out
}

// TestChangesRequests checks what each control of the Changes screen asks
// of the API, and that a refused write reaches ctx.notify.
func TestChangesRequests(t *testing.T) {
	t.Parallel()
	status := map[string]any{"worktree": "/w", "branch": "main", "head": "0123456789", "upstream": "origin/main", "ahead": 1, "behind": 0,
		"files": []any{
			map[string]any{"path": "a b.go", "index": "M", "worktree": "."},
			map[string]any{"path": "new.txt", "index": "?", "worktree": "?"},
		}}
	answers := map[string]any{
		"/git/status": status,
		"/git/branches": map[string]any{"current": "main", "head": "0123", "detached": false,
			"local":  []any{map[string]any{"name": "main", "current": true}},
			"remote": []any{map[string]any{"name": "origin/main"}, map[string]any{"name": "origin/feature/x"}}},
		"/git/log":      []any{},
		"/git/diff":     map[string]any{"diff": "", "worktree": "/w"},
		"/git/unstage":  status,
		"/git/discard":  status,
		"/git/fetch":    status,
		"/git/push":     map[string]any{"error": "Push rejected: the remote has commits; pull first", "status": 409},
		"/git/pull":     map[string]any{"from": "0123456789", "to": "9876543210", "updated": true},
		"/git/checkout": status,
		"/git/commit":   map[string]any{"hash": "abcdef0123"},
	}
	file := func(path, kind string) string {
		return fmt.Sprintf(`[data-testid="changes-file"][data-path=%q][data-kind=%q]`, path, kind)
	}
	tab := openViewsPage(t, newBrowser(t), viewsPage(t, true))
	got := runScript(t, tab, "changes", answers, "",
		map[string]any{"click": file("a b.go", "staged") + " .file-name"},
		map[string]any{"click": file("new.txt", "untracked") + " .file-name"},
		map[string]any{"click": file("a b.go", "staged") + ` [data-testid="unstage"]`},
		map[string]any{"click": file("new.txt", "untracked") + ` [data-testid="discard"]`},
		map[string]any{"click": `[data-testid="discard-cancel"]`},
		map[string]any{"click": file("new.txt", "untracked") + ` [data-testid="discard"]`},
		map[string]any{"click": `[data-testid="discard-confirm"]`},
		map[string]any{"click": `[data-testid="commit"]`}, // no message: nothing sent
		map[string]any{"type": []string{`[data-testid="commit-message"]`, "  Fix it\n"}},
		map[string]any{"click": `[data-testid="commit"]`},
		map[string]any{"click": `[data-testid="fetch"]`},
		map[string]any{"click": `[data-testid="pull"]`},
		map[string]any{"click": `[data-testid="push"]`},
		map[string]any{"choose": []string{`[data-testid="branch-picker"]`, "feature/x"}},
	)
	base := "opencode/3101/git/"
	want := []call{
		{"POST", base + "unstage", map[string]any{"paths": []any{"a b.go"}}},
		{"POST", base + "discard", map[string]any{"paths": []any{"new.txt"}}},
		{"POST", base + "commit", map[string]any{"message": "Fix it"}},
		{"POST", base + "fetch", map[string]any{}},
		{"POST", base + "pull", nil},
		{"POST", base + "push", map[string]any{}},
		{"POST", base + "checkout", map[string]any{"branch": "feature/x"}},
	}
	if diff := cmp.Diff(want, writes(got.Calls)); diff != "" {
		t.Errorf("writes (-want +got):\n%s", diff)
	}
	// The open diff is read again after every write.
	var diffs []string
	for _, c := range got.Calls {
		if u, _ := url.Parse(c.Path); u.Path == base+"diff" && !slices.Contains(diffs, u.RawQuery) {
			diffs = append(diffs, u.RawQuery)
		}
	}
	if diff := cmp.Diff([]string{"path=a+b.go&staged=true", "path=new.txt&untracked=true"}, diffs); diff != "" {
		t.Errorf("diff requests, each query once (-want +got):\n%s", diff)
	}
	var notes []string
	for _, n := range got.Notes {
		notes = append(notes, n.Kind+": "+n.Message)
	}
	wantNotes := []string{
		"error: Write a commit message first",
		"info: Committed abcdef01",
		"info: Fetched",
		"info: Pulled 01234567..98765432",
		"error: Push rejected: the remote has commits; pull first",
		"info: Switched to feature/x",
	}
	if diff := cmp.Diff(wantNotes, notes); diff != "" {
		t.Errorf("notices (-want +got):\n%s", diff)
	}
}

// TestFilesLinks checks the Files screen's requests and links: folders
// and files lead to their hash routes (names encoded), a text file is read
// after its path turns out not to be a folder, images load from the raw
// route, other binary files are offered for download.
func TestFilesLinks(t *testing.T) {
	t.Parallel()
	answers := map[string]any{
		"/files/list?path=": []any{
			map[string]any{"name": "src dir", "path": "src dir", "type": "directory"},
			map[string]any{"name": "a&b=c.md", "path": "a&b=c.md", "type": "file", "size": 3},
			map[string]any{"name": "sock", "path": "sock", "type": "other"},
		},
		"/files/list":                  map[string]any{"error": "not a folder", "status": 400},
		"/files/read?path=img/a b.png": map[string]any{"type": "binary", "mimeType": "image/png", "path": "img/a b.png", "size": 5},
		"/files/read?path=x.bin":       map[string]any{"type": "binary", "mimeType": "application/octet-stream", "path": "x.bin", "size": 2048},
	}
	tab := openViewsPage(t, newBrowser(t), viewsPage(t, true))
	for _, tc := range []struct {
		name, query string
		steps       []map[string]any
		links, nav  []string
	}{
		{
			name:  "folder",
			steps: []map[string]any{{"click": `[data-testid="file-entry"][data-path="a&b=c.md"]`}},
			links: []string{"#/i/3101/files", "#/i/3101/files?path=src+dir", "#/i/3101/files?path=a%26b%3Dc.md"},
			nav:   []string{"#/i/3101/files?path=a%26b%3Dc.md"},
		},
		{
			name:  "image",
			query: "path=img%2Fa+b.png",
			steps: []map[string]any{{"click": `[data-testid="breadcrumb"][data-path="img"]`}},
			links: []string{"#/i/3101/files", "#/i/3101/files?path=img", "#/i/3101/files?path=img%2Fa+b.png",
				"api/opencode/3101/files/read?path=img%2Fa+b.png&raw=1", "api/opencode/3101/files/read?path=img%2Fa+b.png&raw=1"},
			nav: []string{"#/i/3101/files?path=img"},
		},
		{
			name:  "binary",
			query: "path=x.bin",
			links: []string{"#/i/3101/files", "#/i/3101/files?path=x.bin", "api/opencode/3101/files/read?path=x.bin&raw=1"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := runScript(t, tab, "files", answers, tc.query, tc.steps...)
			if diff := cmp.Diff(tc.links, got.Links); diff != "" {
				t.Errorf("links (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.nav, got.Navigations, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("navigations (-want +got):\n%s", diff)
			}
			for _, n := range got.Notes {
				t.Errorf("notice: %s: %s", n.Kind, n.Message)
			}
		})
	}
}

// TestChangesDiffView checks how a diff is drawn: one element per line,
// classed by kind, and a note when a file's unstaged diff (against HEAD,
// the only comparison the API makes with the worktree) holds staged
// changes too.
func TestChangesDiffView(t *testing.T) {
	t.Parallel()
	status := map[string]any{"worktree": "/w", "branch": "main", "head": "0123456789",
		"files": []any{map[string]any{"path": "both.go", "index": "M", "worktree": "M"}}}
	answers := map[string]any{
		"/git/status":   status,
		"/git/branches": map[string]any{"current": "main", "local": []any{map[string]any{"name": "main", "current": true}}},
		"/git/log":      []any{},
		"/git/diff": map[string]any{"worktree": "/w", "diff": "diff --git a/both.go b/both.go\nindex 1..2 100644\n--- a/both.go\n+++ b/both.go\n" +
			"@@ -1,2 +1,2 @@ package x\n-old\n+new\n same\n\\ No newline at end of file\n"},
	}
	tab := openViewsPage(t, newBrowser(t), viewsPage(t, true))
	got := runScript(t, tab, "changes", answers, "",
		map[string]any{"click": `[data-testid="changes-file"][data-path="both.go"][data-kind="unstaged"] .file-name`})
	want := []string{
		"diff-line diff-note muted: Against HEAD: the staged changes are included",
		"diff-line diff-meta: diff --git a/both.go b/both.go",
		"diff-line diff-meta: index 1..2 100644",
		"diff-line diff-meta: --- a/both.go",
		"diff-line diff-meta: +++ b/both.go",
		"diff-line diff-hunk: @@ -1,2 +1,2 @@ package x",
		"diff-line diff-del: -old",
		"diff-line diff-add: +new",
		"diff-line diff-ctx:  same",
		"diff-line diff-meta: \\ No newline at end of file",
	}
	if diff := cmp.Diff(want, got.Diff); diff != "" {
		t.Errorf("the diff view (-want +got):\n%s", diff)
	}
}
