package webui_test

import (
	"bytes"
	"image"
	"image/png"
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
// Chromium against a real portal and a git repository with a remote: a
// new file is staged, unstaged, staged again and committed through the
// page (git log shows the commit), a change to a tracked file shows in its
// diff and is discarded, the commit is pushed, a commit made elsewhere
// fetched and pulled, a branch only the remote has switched to; the file
// browser lists the folder, shows a file with line numbers and an image.
// The instance is the fake OpenCode: these screens call only the portal's
// git and files routes, which read the folder themselves.
func TestChangesAndFilesOnAPortal(t *testing.T) {
	t.Parallel()
	browsertest.Require(t)
	repo := portaltest.NewGitRepo(t)
	remote := filepath.Join(t.TempDir(), "remote.git")
	browser := newBrowser(t)
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(browser) }() // Chromium starts while the portal does
	up := newFakeUIPortal(t)
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
	git("init", "-q", "--bare", remote)
	git("remote", "add", "origin", remote)
	git("push", "-q", "-u", "origin", "HEAD")
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
	stage := func() {
		t.Helper()
		ph.do("staging it", chromedp.Click(`[data-testid="changes-file"][data-path="notes/todo.md"] [data-testid="stage"]`))
		ph.waitFor("the staged file", row("notes/todo.md", "staged")+" !== null")
	}
	stage()
	ph.do("unstaging it", chromedp.Click(`[data-testid="changes-file"][data-path="notes/todo.md"] [data-testid="unstage"]`))
	ph.waitFor("the file untracked again", row("notes/todo.md", "untracked")+" !== null && "+row("notes/todo.md", "staged")+" === null")
	if got := git("status", "--porcelain"); got != "?? notes/" {
		t.Errorf("git status after unstaging: %q", got)
	}
	stage()
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

	// Remotes: push the commit; fetch and pull one made elsewhere; switch
	// to a branch only the remote has.
	ph.listen()
	ph.do("pushing", chromedp.Click(`[data-testid="push"]`))
	ph.waitFor("the push done", "__said.includes('Pushed')")
	branch := git("rev-parse", "--abbrev-ref", "HEAD")
	if got := git("--git-dir", remote, "log", "-1", "--format=%s", branch); got != "Add the to-do list" {
		t.Errorf("the remote's last commit after the push: %q", got)
	}
	other := filepath.Join(t.TempDir(), "other")
	git("clone", "-q", "-b", branch, remote, other)
	git("-C", other, "-c", "user.name=Elsewhere", "-c", "user.email=elsewhere@example.com", "commit", "-q", "--allow-empty", "-m", "From elsewhere")
	git("-C", other, "push", "-q", "origin", "HEAD:refs/heads/"+branch, "HEAD:refs/heads/feature")
	ph.do("fetching", chromedp.Click(`[data-testid="fetch"]`))
	ph.waitFor("the fetch done, one commit behind", "__said.includes('Fetched') && "+q("ahead-behind")+".textContent.includes('1 behind')")
	ph.do("pulling", chromedp.Click(`[data-testid="pull"]`))
	ph.waitFor("the pull done", "__said.some((s) => s.startsWith('Pulled '))")
	if got := git("log", "-1", "--format=%s"); got != "From elsewhere" {
		t.Errorf("the last commit after the pull: %q", got)
	}
	ph.waitFor("the remote branch offered", q("branch-picker", ` option[value="feature"]`)+" !== null")
	ph.do("switching to it", chromedp.SetValue(`[data-testid="branch-picker"]`, "feature"))
	eval[bool](ph, q("branch-picker")+`.dispatchEvent(new Event("change"))`)
	ph.waitFor("the switch done", "__said.includes('Switched to feature') && "+q("branch-picker")+".value === 'feature'")
	if got := git("rev-parse", "--abbrev-ref", "HEAD"); got != "feature" {
		t.Errorf("the branch after the switch: %q", got)
	}
	ph.screenshot("changes-remote")
	// A notice, over the rows below now, lets taps through to them (the
	// file taps below go through any still shown); an error catches a tap,
	// which takes it away.
	taps := eval[[]bool](ph, `[["toast", "notice"], ["toast error", "error"]].map(([cls, text]) => {
		const n = document.createElement("div");
		n.className = cls;
		n.textContent = text;
		document.querySelector(".toasts").append(n);
		const r = n.getBoundingClientRect();
		const hit = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
		n.remove();
		return hit === n;
	})`)
	if diff := cmp.Diff([]bool{false, true}, taps); diff != "" {
		t.Errorf("whether a notice and an error catch a tap on them (-want +got):\n%s", diff)
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

	// Files: an image shows, read through the raw route.
	var img bytes.Buffer
	if err := png.Encode(&img, image.NewRGBA(image.Rect(0, 0, 3, 2))); err != nil {
		t.Fatal(err)
	}
	write("notes/pixel.png", img.String())
	ph.do("back to the folder", chromedp.Click(`[data-testid="breadcrumb"][data-path="notes"]`))
	ph.waitFor("the image", q("file-entry", `[data-path="notes/pixel.png"]`)+" !== null")
	ph.do("opening the image", chromedp.Click(`[data-testid="file-entry"][data-path="notes/pixel.png"]`))
	ph.waitFor("the image loaded", "!!"+q("file-image")+"?.complete && "+q("file-image")+".naturalWidth === 3 && "+q("file-image")+".naturalHeight === 2")
	if src := eval[string](ph, q("file-image")+".getAttribute('src')"); !strings.Contains(src, "raw=1") {
		t.Errorf("the image's src is %q, want the raw route", src)
	}
	ph.screenshot("image")
}
