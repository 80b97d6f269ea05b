package webui_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
)

// Payloads that run window.__pwned=1 (directly or through a trapped
// window function) if the page ever lets them.
const (
	xScript = `<script>window.__pwned=1</script>`
	xImg    = `<img src=x onerror=window.__pwned=1>`
	xSVG    = `<svg onload=alert(1)>`
	xJS     = `javascript:window.__pwned=1`
)

// mdHostile is agent text that tries to run a script, each with the text
// that must show as text.
var mdHostile = []struct {
	name, md string
	visible  []string
}{
	{"script tag", xScript, []string{xScript}},
	{"img onerror", "hello " + xImg, []string{xImg}},
	{"svg onload", xSVG + "\n\n" + "<svg><script>alert(1)</script></svg>", []string{xSVG, "<svg><script>alert(1)</script></svg>"}},
	{"iframe and object", `<iframe src="javascript:alert(1)"></iframe><object data="javascript:alert(1)">`, []string{`<iframe src="javascript:alert(1)"></iframe>`}},
	{"javascript link", "[x](" + xJS + ")", []string{xJS}},
	{"mixed case scheme", "[x](JaVaScRiPt:alert(1))", []string{"JaVaScRiPt:alert(1)"}},
	{"entity encoded scheme", "[x](javascript&#58;alert(1)) [y](&#106;avascript:alert(1)) [z](&#x6A;avascript:alert(1))", []string{"javascript&#58;alert(1)", "&#106;avascript:alert(1)", "&#x6A;avascript:alert(1)"}},
	{"tab in scheme", "[x](java\tscript:alert(1))", []string{"java\tscript:alert(1)"}},
	{"newline in scheme", "[x](java\nscript:alert(1))", []string{"script:alert(1)"}},
	{"leading space and control", "[x]( \x01javascript:alert(1))", []string{"javascript:alert(1)"}},
	{"angle destination", "[x](<javascript:alert(1)>)", []string{"javascript:alert(1)"}},
	{"escaped colon", `[x](javascript\:alert(1))`, []string{"javascript:alert(1)"}},
	{"vbscript and file", "[a](vbscript:msgbox(1)) [b](file:///etc/passwd)", []string{"vbscript:msgbox(1)", "file:///etc/passwd"}},
	{"data link", "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)", []string{"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="}},
	{"data image", "![x](data:image/svg+xml,<svg onload=alert(1)>)", []string{"data:image/svg+xml,<svg onload=alert(1)>"}},
	{"javascript image", "![x](" + xJS + ")", []string{xJS}},
	{"remote image", "![logo](https://evil.test/track.png)", []string{"logo"}},
	{"nested brackets", "[[x](" + xJS + ")](https://ok.test/) [a [b](https://ok.test/) c](" + xJS + ")", []string{xJS}},
	{"link in image in link", "[![a](javascript:alert(1))](javascript:alert(2))", []string{"javascript:alert(1)", "javascript:alert(2)"}},
	{"title breaks out", `[x](https://ok.test/ "\" onmouseover=\"window.__pwned=1")`, []string{"x"}},
	{"href breaks out", `[x](https://ok.test/"onmouseover="window.__pwned=1)`, []string{"x"}},
	{"unclosed fence", "```html\n" + xScript + "\n" + xImg, []string{xScript, xImg}},
	{"fence info string", "```\"><img src=x onerror=window.__pwned=1>\ncode\n```", []string{"code"}},
	{"html in code span", "`" + xImg + "` and ``" + xScript + "``", []string{xImg, xScript}},
	{"autolink javascript", "<" + xJS + "> <JAVASCRIPT:alert(1)> <data:text/html,x>", []string{"<" + xJS + ">", "<JAVASCRIPT:alert(1)>"}},
	{"reference link", "[x][r] and [r]\n\n[r]: " + xJS, []string{"[r]: " + xJS}},
	{"reference link in angles", "[x][r]\n\n[r]: <" + xJS + ">", []string{xJS}},
	{"bare javascript url", "see javascript:alert(1) and http://ok.test/" + xImg, []string{"javascript:alert(1)", xImg}},
	{"html in heading, quote, list, table", "# " + xScript + "\n\n> " + xImg + "\n\n- " + xSVG + "\n\n| " + xImg + " | b |\n|---|---|\n| " + xScript + " | [c](" + xJS + ") |", []string{xScript, xImg, xSVG, xJS}},
	{"html comment and cdata", "<!-- x --><![CDATA[<img src=x onerror=alert(1)>]]>", []string{"<!-- x -->", "<![CDATA["}},
	{"style and meta", `<style>*{background:url(javascript:alert(1))}</style><meta http-equiv="refresh" content="0;javascript:alert(1)">`, []string{"<style>", "<meta"}},
	{"deep quotes", strings.Repeat(">", 5000) + " " + xImg, []string{xImg}},
	{"deep lists", strings.Repeat("- ", 3000) + xImg, []string{xImg}},
	{"deep emphasis", strings.Repeat("*a ", 3000) + xImg + strings.Repeat(" a*", 3000), []string{xImg}},
	{"many brackets", strings.Repeat("[", 5000) + "x](" + xJS + ")" + strings.Repeat("]", 5000), []string{xJS}},
}

// viewsHostile is what the stub API answers the Changes and Files screens:
// branch names, file names, file contents, diffs and commit messages that
// try to run a script.
func viewsHostile() (answers map[string]any, fileQueries []string, visible map[string][]string) {
	status := map[string]any{
		"worktree": "/w", "branch": xImg, "detached": false, "head": "0123456789abcdef",
		"upstream": "origin/" + xScript, "ahead": 1, "behind": 2, "notice": xScript,
		"files": []map[string]any{
			{"path": xImg + ".go", "index": "M", "worktree": "M"},
			{"path": xJS, "index": "?", "worktree": "?"},
			{"path": xSVG, "index": "U", "worktree": "U", "conflicted": true},
			{"path": "new " + xScript, "oldPath": "old " + xImg, "index": "R", "worktree": "."},
		},
	}
	branch := func(name string, current bool) map[string]any {
		return map[string]any{"name": name, "ref": "refs/heads/x", "hash": "0123", "current": current}
	}
	answers = map[string]any{
		"/git/status": status,
		"/git/branches": map[string]any{
			"current": xImg, "detached": false, "head": "0123",
			"local":  []any{branch(xImg, true), branch(xJS, false)},
			"remote": []any{branch("origin/"+xSVG, false)},
		},
		"/git/log": []any{map[string]any{
			"hash": "0123456789abcdef", "parents": []string{},
			"author":    map[string]any{"name": xImg, "email": xJS, "time": "2026-01-01T00:00:00Z"},
			"committer": map[string]any{"name": xImg, "email": xJS, "time": "2026-01-01T00:00:00Z"},
			"subject":   xScript, "body": xSVG,
		}},
		"/git/diff": map[string]any{"worktree": "/w",
			"diff": "diff --git a/" + xImg + " b/" + xImg + "\n--- a/x\n+++ b/x\n@@ -1 +1 @@ " + xSVG + "\n-" + xScript + "\n+" + xImg + "\n " + xJS + "\n"},
		"/files/list?path=": []any{
			map[string]any{"name": xImg, "path": xImg, "type": "file", "size": 10, "ignored": false},
			map[string]any{"name": xScript, "path": xScript, "type": "directory", "size": 0, "ignored": false},
			map[string]any{"name": xJS, "path": xJS, "type": "symlink", "target": "file", "size": 0, "ignored": false},
			map[string]any{"name": xSVG, "path": xSVG, "type": "other", "size": 0, "ignored": true},
		},
		"/files/list": map[string]any{"error": "Path is not a folder", "status": 400},
		"/files/read?path=" + xImg: map[string]any{"type": "text", "mimeType": "text/plain", "path": xImg, "size": 100,
			"content": xScript + "\n" + xImg + "\n[x](" + xJS + ")\n"},
		"/files/read?path=" + xJS + ".svg": map[string]any{"type": "text", "mimeType": "image/svg+xml", "path": xJS + ".svg", "size": 30,
			"content": xSVG},
		"/files/read?path=" + xSVG + ".png": map[string]any{"type": "binary", "encoding": "base64", "content": "", "mimeType": "image/png", "path": xSVG + ".png", "size": 10},
		"/files/read?path=" + xScript:       map[string]any{"type": "binary", "encoding": "base64", "content": "", "mimeType": "text/html", "path": xScript, "size": 10},
	}
	q := func(p string) string { return url.Values{"path": {p}}.Encode() }
	fileQueries = []string{"", q(xImg), q(xJS + ".svg"), q(xSVG + ".png"), q(xScript)}
	visible = map[string][]string{
		"changes":                 {xImg, xScript, xJS, xSVG, "origin/" + xSVG},
		"files ":                  {xImg, xScript, xJS, xSVG},
		"files " + fileQueries[1]: {xImg, xScript, xJS},
		"files " + fileQueries[2]: {xJS + ".svg"},
		"files " + fileQueries[3]: {xSVG + ".png"},
		"files " + fileQueries[4]: {xScript},
		"changes diff":            {xImg, xScript, xJS, xSVG},
	}
	return answers, fileQueries, visible
}

type pageReport struct {
	Name       string
	Violations []string
	Text       string
	Notes      []string
}

// TestXSS renders hostile agent text, file names and contents, branch
// names, diffs and commit messages in real Chromium: nothing may run, and
// each payload must show as text. It runs with the UI's CSP and without
// any, so that the rendering itself is shown safe, not only the policy;
// a payload put in the unsafe way (innerHTML) shows the trap works.
func TestXSS(t *testing.T) {
	t.Parallel()
	browser := newBrowser(t)
	for _, tc := range []struct {
		name string
		csp  bool
	}{{"with CSP", true}, {"without CSP", false}} {
		t.Run(tc.name, func(t *testing.T) {
			tab := openViewsPage(t, browser, viewsPage(t, tc.csp))

			control := evalPage[*int](t, tab, "window.control()")
			if tc.csp && control != nil {
				t.Fatalf("innerHTML's payload ran (window.__pwned=%d): the page is not under the CSP", *control)
			}
			if !tc.csp && (control == nil || *control != 1) {
				t.Fatalf("innerHTML's payload did not set window.__pwned (%v): the trap would miss a payload", control)
			}

			inputs := make([]string, len(mdHostile))
			for i, c := range mdHostile {
				inputs[i] = c.md
			}
			md := evalPage[struct {
				Results []pageReport
				Pwned   *int
			}](t, tab, "window.mdHostile("+jsArg(t, inputs)+")")
			if md.Pwned != nil {
				t.Errorf("markdown: a payload ran (window.__pwned=%d)", *md.Pwned)
			}
			for i, c := range mdHostile {
				checkReport(t, "markdown "+c.name, md.Results[i], c.visible)
			}

			answers, fileQueries, visible := viewsHostile()
			views := evalPage[struct {
				Reports []pageReport
				Pwned   *int
			}](t, tab, fmt.Sprintf("window.viewsHostile(%s, %s)", jsArg(t, answers), jsArg(t, fileQueries)))
			if views.Pwned != nil {
				t.Errorf("views: a payload ran (window.__pwned=%d)", *views.Pwned)
			}
			seen := map[string]bool{}
			for _, r := range views.Reports {
				want, ok := visible[r.Name]
				if !ok {
					t.Errorf("unexpected report %q", r.Name)
				}
				seen[r.Name] = true
				checkReport(t, r.Name, r, want)
			}
			for name := range visible {
				if !seen[name] {
					t.Errorf("no report for %q", name)
				}
			}
		})
	}
}

func checkReport(t *testing.T, name string, r pageReport, visible []string) {
	t.Helper()
	for _, v := range r.Violations {
		t.Errorf("%s: %s", name, v)
	}
	for _, n := range r.Notes {
		t.Errorf("%s: the screen reported an error: %s", name, n)
	}
	for _, v := range visible {
		if !strings.Contains(r.Text, v) {
			t.Errorf("%s: %q is not shown as text in %.300q", name, v, r.Text)
		}
	}
}
