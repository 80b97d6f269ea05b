package webui_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/google/go-cmp/cmp"

	"github.com/opencode-portal/portal/internal/browsertest"
	"github.com/opencode-portal/portal/portaltest"
)

// TestChangesAndFilesOnAPortal drives the Changes and Files screens in
// Chromium against a real portal, a real OpenCode and a git repository:
// a new file is staged and committed through the page (git log shows the
// commit), a change to a tracked file shows in its diff and is discarded,
// and the file browser lists the folder and shows a file with line numbers.
func TestChangesAndFilesOnAPortal(t *testing.T) {
	browsertest.Require(t)
	portaltest.RequireOpenCode(t)
	repo := portaltest.NewGitRepo(t)
	model := portaltest.NewFakeModel(t)
	browser := newBrowser(t)
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(browser) }() // Chromium starts while the portal does
	up := newUIPortal(t, model)
	api := apiClient{t: t, base: up.URL + "/api/"}
	var inst struct{ Port int }
	api.call("POST", "instances", `{"directory":`+jsArg(t, repo)+`}`, &inst)
	if err := <-started; err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	ph := newPhone(t, browser)
	write := func(name, content string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(repo, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(repo, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	git := func(args ...string) string {
		t.Helper()
		out, err := exec.Command("git", append([]string{"-C", repo}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("git %s: %v: %s", strings.Join(args, " "), err, out)
		}
		return strings.TrimSpace(string(out))
	}
	row := func(path, kind string) string {
		return q("changes-file", `[data-path="`+path+`"][data-kind="`+kind+`"]`)
	}
	base := up.URL + "/#/i/" + jsArg(t, inst.Port)

	// Changes: stage and commit a new file.
	write("notes/todo.md", "# To do\n\n- ship\n")
	ph.do("opening Changes", chromedp.Navigate(base+"/changes"))
	ph.waitFor("the untracked file", row("notes/todo.md", "untracked")+" !== null")
	ph.do("opening its diff", chromedp.Click(`[data-testid="changes-file"][data-path="notes/todo.md"] .file-name`))
	ph.waitFor("the diff", row("notes/todo.md", "untracked")+"?.querySelector('[data-testid=diff-view] .diff-add') !== null")
	added := eval[[]string](ph, `[...`+row("notes/todo.md", "untracked")+`.querySelectorAll(".diff-add")].map((e) => e.textContent)`)
	if diff := cmp.Diff([]string{"+# To do", "+", "+- ship"}, added); diff != "" {
		t.Errorf("the added lines of the diff (-want +got):\n%s", diff)
	}
	ph.do("staging it", chromedp.Click(`[data-testid="changes-file"][data-path="notes/todo.md"] [data-testid="stage"]`))
	ph.waitFor("the staged file", row("notes/todo.md", "staged")+" !== null")
	ph.screenshot("changes-staged")
	ph.do("committing",
		chromedp.SendKeys(`[data-testid="commit-message"]`, "Add the to-do list"),
		chromedp.Click(`[data-testid="commit"]`))
	ph.waitFor("a clean worktree", q("changes-clean")+" !== null")
	if got := git("log", "-1", "--format=%s", "--name-only"); got != "Add the to-do list\n\nnotes/todo.md" {
		t.Errorf("git log after the commit: %q", got)
	}
	ph.waitFor("the commit in the list", q("commit-entry")+"?.textContent.includes('Add the to-do list')")

	// Changes: a change to a tracked file is shown, then discarded.
	write("notes/todo.md", "# To do\n\n- ship\n- celebrate\n")
	ph.do("reading the status again", chromedp.Reload())
	ph.waitFor("the changed file", row("notes/todo.md", "unstaged")+" !== null")
	ph.do("asking to discard", chromedp.Click(`[data-testid="changes-file"][data-path="notes/todo.md"] [data-testid="discard"]`))
	ph.do("confirming", chromedp.Click(`[data-testid="discard-confirm"]`))
	ph.waitFor("a clean worktree", q("changes-clean")+" !== null")
	if data, err := os.ReadFile(filepath.Join(repo, "notes/todo.md")); err != nil || string(data) != "# To do\n\n- ship\n" {
		t.Errorf("after discard, the file holds %q (%v)", data, err)
	}

	// Files: browse into the folder and open the file.
	ph.do("opening Files", chromedp.Navigate(base+"/files"))
	ph.waitFor("the folder", q("file-entry", `[data-path="notes"][data-type="directory"]`)+" !== null")
	ph.do("opening the folder", chromedp.Click(`[data-testid="file-entry"][data-path="notes"]`))
	ph.waitFor("the file", q("file-entry", `[data-path="notes/todo.md"]`)+" !== null")
	ph.do("opening the file", chromedp.Click(`[data-testid="file-entry"][data-path="notes/todo.md"]`))
	ph.waitFor("the file's lines", q("file-line")+" !== null")
	lines := eval[[]string](ph, `[...document.querySelectorAll("[data-testid=file-line]")].map((e) => e.textContent)`)
	if diff := cmp.Diff([]string{"1# To do", "2", "3- ship"}, lines); diff != "" {
		t.Errorf("the file's lines, each number then text (-want +got):\n%s", diff)
	}
	crumbs := eval[[]string](ph, `[...document.querySelectorAll("[data-testid=breadcrumb]")].map((e) => e.textContent)`)
	if diff := cmp.Diff([]string{"Files", "notes", "todo.md"}, crumbs); diff != "" {
		t.Errorf("the breadcrumbs (-want +got):\n%s", diff)
	}
	ph.screenshot("file")
}
