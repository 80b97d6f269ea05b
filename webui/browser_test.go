package webui_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/google/go-cmp/cmp"

	"github.com/opencode-portal/portal"
	"github.com/opencode-portal/portal/httpapi"
	"github.com/opencode-portal/portal/internal/browsertest"
	"github.com/opencode-portal/portal/internal/testwait"
	"github.com/opencode-portal/portal/portaltest"
	"github.com/opencode-portal/portal/webui"
)

// The streamed reply: its chunks come one by one, with a pause between.
var streamChunks = []string{"Streaming ", "one ", "piece ", "at ", "a ", "time."}

// uiModel answers the prompts the test types: each word picks a reply;
// a turn that goes on after a tool ran gets the default text.
func uiModel(repo string) func(r *portaltest.ModelRequest) (portaltest.Reply, bool) {
	return func(r *portaltest.ModelRequest) (portaltest.Reply, bool) {
		for i := len(r.Messages) - 1; i >= 0 && r.Messages[i].Role != "user"; i-- {
			if r.Messages[i].Role == "tool" {
				return portaltest.Reply{}, false
			}
		}
		switch r.LastUser() {
		case "stream":
			return portaltest.Reply{Chunks: streamChunks, Delay: 400 * time.Millisecond}, true
		case "write":
			return portaltest.ToolCallReply("write", map[string]string{"filePath": filepath.Join(repo, "hello.txt"), "content": "hello from the agent\n"}), true
		case "run":
			return portaltest.ToolCallReply("bash", map[string]string{"command": "echo allowed", "description": "Echo"}), true
		case "run again":
			return portaltest.ToolCallReply("bash", map[string]string{"command": "touch rejected.txt", "description": "Touch"}), true
		case "ask":
			return portaltest.ToolCallReply("question", map[string]any{"questions": []any{map[string]any{
				"question": "Which colour?", "header": "Colour",
				"options": []any{map[string]string{"label": "Red", "description": "warm"}, map[string]string{"label": "Blue", "description": "cool"}},
			}}}), true
		case "ask elsewhere":
			return portaltest.ToolCallReply("question", map[string]any{"questions": []any{map[string]any{
				"question": "Go on?", "header": "Confirm", "options": []any{map[string]string{"label": "Yes", "description": "go on"}},
			}}}), true
		case "stall":
			return portaltest.StallReply(nil), true
		case "fail":
			return portaltest.ErrorReply(http.StatusBadRequest, "the model refused the request"), true
		case "while away":
			return portaltest.TextReply("Written while the page was away."), true
		case "while asleep":
			return portaltest.TextReply("Written while the phone slept."), true
		case "after the restart":
			return portaltest.TextReply("Written after the restart."), true
		}
		return portaltest.Reply{}, false
	}
}

// q is a JavaScript expression for the first element with data-testid id
// (and more of a CSS selector after it).
func q(testid string, more ...string) string {
	return fmt.Sprintf("document.querySelector(%q)", fmt.Sprintf("[data-testid=%q]", testid)+strings.Join(more, ""))
}

// TestWebUI drives the UI in one real Chromium the size of a phone.
//
// It runs beside the package's other tests, which are parallel too:
// driving an agent spends most of its time waiting for OpenCode and the
// page's timers, time they fill.
func TestWebUI(t *testing.T) {
	t.Parallel()
	browsertest.Require(t)
	browser := newBrowser(t)
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(browser) }() // Chromium starts while the first portal does
	ready := func(t *testing.T) {
		t.Helper()
		if err := <-started; err != nil {
			t.Fatalf("starting Chromium: %v", err)
		}
		started <- nil
	}
	t.Run("page modules", func(t *testing.T) { eventStreamParser(t, browser, ready) })
	t.Run("sign in under a prefix", func(t *testing.T) { signInUnderAPrefix(t, browser, ready) })
	t.Run("drive an agent", func(t *testing.T) { driveAnAgent(t, browser, ready) })
}

// signInUnderAPrefix serves a portal with a password under /portal/: the
// page asks for the password, says when it is wrong, keeps it nowhere the
// page can read, and goes back to the sign-in when the portal no longer
// takes its cookie.
func signInUnderAPrefix(t *testing.T, browser context.Context, ready func(*testing.T)) {
	const password = "correct horse battery"
	p, err := portal.New(portal.Config{RegistryPath: filepath.Join(t.TempDir(), "portal.json")})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/portal/", http.StripPrefix("/portal", httpapi.New(p, httpapi.WithPassword(password), httpapi.WithUI(webui.FS()))))
	srv := httptest.NewServer(mux)
	t.Cleanup(func() { srv.Close(); p.Close() })
	ready(t)
	ph := newPhone(t, browser)

	ph.do("opening the UI", chromedp.Navigate(srv.URL+"/portal/"))
	ph.waitFor("the sign-in", "location.hash === '#/login' && "+q("login-password")+" !== null")
	ph.screenshot("sign-in")
	ph.do("a wrong password",
		chromedp.SendKeys(`[data-testid="login-password"]`, "not the password"),
		chromedp.Click(`[data-testid="login-submit"]`))
	ph.waitFor("the refusal", "!"+q("login-error")+".hidden && "+q("login-error")+".textContent === 'Wrong password.'")
	if v := eval[string](ph, q("login-password")+".value"); v != "" {
		t.Errorf("the password field still holds %q after the attempt", v)
	}
	ph.do("the password",
		chromedp.SendKeys(`[data-testid="login-password"]`, password),
		chromedp.Click(`[data-testid="login-submit"]`))
	ph.waitFor("the instances", "location.hash === '#/' && "+q("instance-start-dir")+" !== null && "+q("empty")+" !== null")
	ph.screenshot("signed-in")
	kept := eval[string](ph, `document.cookie + "|" + JSON.stringify(localStorage) + "|" + JSON.stringify(sessionStorage) + "|" + location.href`)
	if strings.Contains(kept, "horse") || kept != "|{}|{}|"+srv.URL+"/portal/#/" {
		t.Errorf("the page keeps %q (cookie|localStorage|sessionStorage|URL), want nothing but the URL", kept)
	}

	// The sign-in ends behind the page's back: its next call gets 401.
	eval[bool](ph, `fetch("api/auth/logout", {method: "POST", headers: {"X-Portal-Client": "web"}}).then(r => r.ok)`)
	ph.waitFor("the sign-in again", "location.hash === '#/login' && "+q("login-password")+" !== null")
}

// driveAnAgent starts an instance for a folder from the UI, against a real
// portal and a real OpenCode answered by the fake model, creates a session,
// sees a reply stream in, a write tool call, allows and rejects a
// permission, answers a question in the session and dismisses one from the
// sheet, aborts a stalled turn, and loses its event stream: the page says
// it is reconnecting, then shows what happened meanwhile, once. The same
// holds when the phone sleeps, and when OpenCode is killed under the open
// session and started again from the instances screen.
func driveAnAgent(t *testing.T, browser context.Context, ready func(*testing.T)) {
	portaltest.RequireOpenCode(t)
	repo := portaltest.NewGitRepo(t)
	model := portaltest.NewFakeModel(t)
	model.SetHandler(uiModel(repo))
	up := newUIPortal(t, model)
	ready(t)
	ph := newPhone(t, browser)

	// Instances: start one for the repository.
	ph.do("opening the UI", chromedp.Navigate(up.URL+"/"), chromedp.WaitVisible(`[data-testid="instance-start-dir"]`))
	ph.waitFor("the empty list", q("empty")+" !== null")
	ph.screenshot("instances-empty")
	ph.do("starting an instance",
		chromedp.SendKeys(`[data-testid="instance-start-dir"]`, repo),
		chromedp.Click(`[data-testid="instance-start"]`))
	ph.waitFor("the running instance", q("instance-row", `[data-state="running"]`)+" !== null")
	port := eval[string](ph, q("instance-row")+".dataset.port")
	api := apiClient{t: t, base: up.URL + "/api/opencode/" + port + "/"}
	ph.do("reading its log", chromedp.Click(`[data-testid="instance-logs"]`))
	ph.waitFor("the log", q("instance-log")+".textContent.includes('listening')")
	ph.screenshot("instance-running")
	// A poll that finds the instances as they were leaves the list's rows
	// where they are, so a tap lands on the row it aimed at.
	polls := `performance.getEntriesByType("resource").filter((e) => e.name.endsWith("instances?all=1")).length`
	eval[bool](ph, `(window.__rowMoves = 0, window.__polls = `+polls+`, new MutationObserver((m) => { window.__rowMoves += m.length }).observe(`+q("instance-row")+`.parentNode, {childList: true}), true)`)
	ph.waitFor("the next poll of the instances", polls+" > window.__polls")
	if moves := eval[int](ph, `new Promise((done) => setTimeout(() => done(window.__rowMoves), 100))`); moves != 0 {
		t.Errorf("a poll that found the same instances changed the list's rows %d times", moves)
	}

	// Sessions: open the instance, make a session.
	ph.do("opening the instance", chromedp.Click(`[data-testid="instance-row"] a.button`))
	ph.waitFor("the sessions screen", q("session-new")+" !== null && "+q("nav-changes")+" !== null && "+q("connection-state")+".dataset.state === 'live'")
	ph.do("making a session", chromedp.Click(`[data-testid="session-new"]`))
	ph.waitFor("the session screen", q("composer")+" !== null")
	session := strings.TrimPrefix(eval[string](ph, "location.hash"), "#/i/"+port+"/s/")
	if !strings.HasPrefix(session, "ses") {
		t.Fatalf("the new session's route is %q", eval[string](ph, "location.hash"))
	}
	ph.screenshot("session-new")

	send := func(text string) {
		t.Helper()
		ph.do("sending "+text,
			chromedp.SendKeys(`[data-testid="composer"]`, text),
			chromedp.Click(`[data-testid="send"]`))
		ph.waitFor("the composer to empty", q("composer")+".value === ''")
	}
	lastText := `([...document.querySelectorAll('[data-testid="message"][data-role="assistant"] [data-testid="part-text"]')].map(n => n.textContent).at(-1) || "")`
	idle := q("abort") + ".hidden"

	// A reply streams in: two or more partial texts before the whole.
	send("stream")
	final := strings.Join(streamChunks, "")
	var seen []string
	deadline := time.Now().Add(testwait.Limit)
	for {
		text := eval[string](ph, lastText)
		if len(seen) == 0 || seen[len(seen)-1] != text {
			seen = append(seen, text)
			if len(seen) == 3 {
				ph.screenshot("streaming")
			}
		}
		if text == final {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the reply did not come whole: the page showed %q", seen)
		}
		time.Sleep(20 * time.Millisecond)
	}
	var partial []string
	for _, s := range seen {
		if s != "" && s != final {
			if !strings.HasPrefix(final, s) {
				t.Errorf("the page showed %q, which does not begin the reply %q", s, final)
			}
			partial = append(partial, s)
		}
	}
	if len(partial) < 2 {
		t.Errorf("the page showed %q on the way: want two partial texts or more before %q", seen, final)
	}
	ph.waitFor("the turn's end", idle)
	ph.screenshot("streamed")

	// A write tool call.
	send("write")
	ph.waitFor("the write call", q("part-tool", `[data-tool="write"][data-status="completed"]`)+" !== null")
	if data, err := os.ReadFile(filepath.Join(repo, "hello.txt")); err != nil || string(data) != "hello from the agent\n" {
		t.Errorf("the write call left hello.txt as %q, %v", data, err)
	}
	ph.waitFor("the turn's end", idle)
	// OpenCode's snapshot of the turn tells which files it changed.
	ph.waitFor("the turn's changed files", q("part-patch")+" !== null && "+q("part-patch")+".textContent === 'Changed 1 file'")
	ph.do("opening the call", chromedp.Click(`[data-testid="part-tool"][data-tool="write"] summary`))
	ph.waitFor("the call's input", q("part-tool", `[data-tool="write"] [data-testid="tool-input"]`)+".textContent.includes('hello.txt')")
	ph.screenshot("write-tool")

	// A permission allowed once, inline, with the badge up.
	send("run")
	ph.waitFor("the permission card", q("permission-card")+" !== null && !"+q("pending-badge")+".hidden")
	if eval[bool](ph, q("pending-sheet")+".hidden === false") {
		t.Error("the permission of the open session opened the sheet: want it inline only")
	}
	ph.screenshot("permission")
	ph.do("allowing once", chromedp.Click(`[data-testid="permission-once"]`))
	ph.waitFor("the allowed call", q("part-tool", `[data-tool="bash"][data-status="completed"]`)+" !== null && "+q("permission-card")+" === null && "+q("pending-badge")+".hidden")
	ph.waitFor("the turn's end", idle)

	// A permission rejected: the call fails, nothing runs.
	send("run again")
	ph.waitFor("the permission card", q("permission-card")+" !== null")
	ph.do("rejecting", chromedp.Click(`[data-testid="permission-reject"]`))
	ph.waitFor("the rejected call", q("part-tool", `[data-tool="bash"][data-status="error"]`)+" !== null && "+q("permission-card")+" === null")
	ph.waitFor("the turn's end", idle)
	if _, err := os.Stat(filepath.Join(repo, "rejected.txt")); err == nil {
		t.Error("the rejected command ran")
	}
	ph.screenshot("permission-rejected")

	// A question answered in one tap.
	send("ask")
	ph.waitFor("the question card", q("question-card")+" !== null")
	ph.screenshot("question")
	ph.do("answering", chromedp.Click(`[data-testid="question-option"]:nth-of-type(2)`))
	ph.waitFor("the answered question", q("part-tool", `[data-tool="question"][data-status="completed"]`)+" !== null && "+q("question-card")+" === null")
	ph.waitFor("the turn's end", idle)
	if answer := toolResult(t, model, "question"); !strings.Contains(answer, "Blue") {
		t.Errorf("the model got %q as the question's answer, want Blue in it", answer)
	}

	// A stalled turn aborted.
	send("stall")
	ph.waitFor("the abort button", "!"+q("abort")+".hidden")
	ph.screenshot("stalled")
	ph.do("aborting", chromedp.Click(`[data-testid="abort"]`))
	ph.waitFor("the aborted turn", q("turn-error")+" !== null && "+q("turn-error")+".textContent.includes('aborted') && "+idle)
	ph.screenshot("aborted")

	// A failed turn says why.
	send("fail")
	ph.waitFor("the failed turn", `[...document.querySelectorAll('[data-testid="turn-error"]')].some(n => n.textContent.includes('the model refused the request')) && `+idle)
	ph.screenshot("failed")

	// A question of a session not on screen shows in the sheet.
	var other struct{ ID string }
	row := func(id string) string { return q("session-row", fmt.Sprintf(`[data-id=%q]`, id)) }
	api.call("POST", "session/create", `{"title":"elsewhere"}`, &other)
	ph.do("going to the sessions", chromedp.Click(`[data-testid="back"]`))
	ph.waitFor("the sessions", q("session-row", fmt.Sprintf(`[data-id=%q]`, other.ID))+" !== null")
	api.call("POST", "session/"+other.ID+"/prompt_async", `{"text":"ask elsewhere"}`, nil)
	ph.waitFor("the sheet with the question", "!"+q("pending-sheet")+".hidden && "+q("pending-sheet", ` [data-testid="question-card"]`)+" !== null")
	ph.waitFor("the session busy in the list", row(other.ID)+".dataset.status === 'busy'")
	ph.screenshot("question-sheet")
	ph.do("dismissing", chromedp.Click(`[data-testid="question-dismiss"]`))
	ph.waitFor("the sheet to close", q("pending-sheet")+".hidden && "+q("pending-badge")+".hidden")
	ph.waitFor("the session idle in the list", row(other.ID)+".dataset.status === 'idle'")

	// Sessions: rename one, fork it, delete the fork (a second tap confirms).
	ph.do("renaming", chromedp.Click(fmt.Sprintf(`[data-testid="session-row"][data-id=%q] [data-testid="session-rename"]`, other.ID)))
	ph.do("typing the title",
		chromedp.SetValue(`[data-testid="session-title-input"]`, "renamed in the browser"),
		chromedp.Click(`[data-testid="session-rename-save"]`))
	ph.waitFor("the new title", row(other.ID)+"?.querySelector('.row-title')?.textContent === 'renamed in the browser'")
	ph.do("forking", chromedp.Click(fmt.Sprintf(`[data-testid="session-row"][data-id=%q] [data-testid="session-fork"]`, other.ID)))
	ph.waitFor("the fork's screen", "location.hash.includes('/s/') && !location.hash.endsWith("+strconv.Quote(other.ID)+")")
	fork := eval[string](ph, "location.hash.split('/s/')[1]")
	ph.do("back to the sessions", chromedp.Click(`[data-testid="back"]`))
	ph.waitFor("the fork in the list", row(fork)+" !== null")
	ph.screenshot("sessions")
	deleteFork := fmt.Sprintf(`[data-testid="session-row"][data-id=%q] [data-testid="session-delete"]`, fork)
	ph.do("deleting, once", chromedp.Click(deleteFork))
	if eval[bool](ph, row(fork)+" === null") {
		t.Fatal("one tap on Delete deleted the session: want a second tap to confirm")
	}
	ph.do("deleting, twice", chromedp.Click(deleteFork))
	ph.waitFor("the fork gone", row(fork)+" === null && "+row(other.ID)+" !== null")

	// The event stream drops; a turn runs meanwhile; the page catches up, once.
	ph.do("back to the session", chromedp.Navigate(up.URL+"/#/i/"+port+"/s/"+session))
	ph.waitFor("the session", q("connection-state")+".dataset.state === 'live' && "+q("message")+" !== null")
	before := up.cutter.passed()
	up.cutter.drop()
	ph.waitFor("the reconnecting state", q("connection-state")+".dataset.state === 'reconnecting' && "+q("connection-state")+".textContent.includes('reconnecting')")
	ph.screenshot("reconnecting")
	api.call("POST", "session/"+session+"/prompt", `{"text":"while away"}`, nil)
	up.cutter.restore()
	ph.waitFor("the stream again", q("connection-state")+".dataset.state === 'live'")
	if up.cutter.passed() <= before {
		t.Error("the page shows a live stream without having opened a new one")
	}
	ph.waitFor("the turn that ran meanwhile", lastText+" === 'Written while the page was away.'")
	ph.screenshot("caught-up")

	var messages []struct {
		Info  struct{ ID, Role string }
		Parts []struct{ ID, Type, Text string }
	}
	// sameMessages checks that the page shows the session's messages, each
	// once and in order.
	sameMessages := func(when string) {
		t.Helper()
		messages = nil
		api.call("GET", "session/"+session+"/messages", "", &messages)
		var want []string
		for _, m := range messages {
			want = append(want, m.Info.Role+" "+m.Info.ID)
		}
		got := eval[[]string](ph, `[...document.querySelectorAll('[data-testid="message"]')].map(n => n.dataset.role + " " + n.dataset.id)`)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s, the page's messages differ from the session's (-want +got):\n%s", when, diff)
		}
	}
	sameMessages("after the page's stream dropped")

	// The phone sleeps: the page is hidden, then frozen, and its stream goes
	// deaf (open, passing nothing) while a turn runs. On waking it does not
	// trust its stream: it says it is reconnecting while the portal cannot
	// be reached, and once it can, shows the turn, once.
	eval[bool](ph, `(window.__visibility = [], document.addEventListener("visibilitychange", () => __visibility.push(document.visibilityState)), true)`)
	lastByte := up.cutter.deafen()
	ph.sleep()
	api.call("POST", "session/"+session+"/prompt", `{"text":"while asleep"}`, nil)
	ph.wake()
	ph.waitFor("the page shown again, reconnecting", `document.visibilityState === "visible" && `+q("connection-state")+".dataset.state === 'reconnecting'")
	ph.screenshot("woken-offline")
	testwait.Until(t, "the page to try a new stream", func() bool { return len(up.cutter.refusals()) > 0 })
	// Its stream's watchdog gives up after 40 s without a byte: a try
	// sooner than that after the last byte was the wake's doing.
	if tried := up.cutter.refusals()[0]; tried.Sub(lastByte) >= 40*time.Second {
		t.Errorf("the page tried a new stream %s after the last byte it got: not on waking", tried.Sub(lastByte))
	}
	before = up.cutter.passed()
	up.cutter.restore()
	ph.waitFor("the turn that ran while the phone slept", q("connection-state")+".dataset.state === 'live' && "+lastText+" === 'Written while the phone slept.'")
	ph.screenshot("woken")
	if up.cutter.passed() <= before {
		t.Error("the page shows a live stream without having opened a new one")
	}
	if got := eval[[]string](ph, "__visibility"); !slices.Equal(got, []string{"hidden", "visible"}) {
		t.Errorf("the page saw its visibility go %q, want hidden then visible", got)
	}
	sameMessages("after the phone slept")

	// OpenCode dies: in a second tab, the instances screen says it crashed
	// and starts it again (a new OpenCode process on the same port).
	// Upstream, the portal's own stream from OpenCode ended: the session's
	// page keeps its stream to the portal, its top bar and toasts say what
	// happens as it happens, and it shows a turn run on the new process,
	// once.
	ph.listen()
	list := newPhone(t, browser)
	list.do("opening the instances", chromedp.Navigate(up.URL+"/#/"))
	list.waitFor("the instance", q("instance-row", `[data-state="running"]`)+" !== null")
	pid := eval[string](list, q("instance-row")+".dataset.pid")
	n, err := strconv.Atoi(pid)
	if err != nil {
		t.Fatalf("the instance's row gives the pid %q", pid)
	}
	if err := syscall.Kill(n, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	list.waitFor("the crashed instance", q("instance-row", `[data-state="crashed"]`)+" !== null && "+
		q("instance-state")+".textContent === 'crashed' && "+q("instance-restart")+".textContent === 'Start again'")
	list.screenshot("instance-crashed")
	list.do("starting it again", chromedp.Click(`[data-testid="instance-restart"]`))
	list.waitFor("the instance running again, a new process", q("instance-row")+"?.dataset.state === 'running' && "+
		q("instance-row")+".dataset.pid !== "+strconv.Quote(pid)+" && !"+q("instance-restart")+".disabled")
	list.screenshot("instance-restarted")
	api.call("POST", "session/"+session+"/prompt", `{"text":"after the restart"}`, nil)
	ph.waitFor("the turn run after the restart", lastText+" === 'Written after the restart.'")
	ph.screenshot("after-restart")
	sameMessages("after the instance restarted")
	for _, want := range []string{"The instance crashed.", "instance starting…", "The instance runs again."} {
		if !ph.said(want) {
			t.Errorf("the page never said %q while the instance restarted; it said %q", want, eval[[]string](ph, "__said"))
		}
	}
	wantTexts := 0
	for _, m := range messages {
		for _, p := range m.Parts {
			if p.Type == "text" && p.Text != "" && (m.Info.Role == "assistant" || !strings.HasPrefix(p.Text, "<")) {
				wantTexts++
			}
		}
	}
	if n := eval[int](ph, `document.querySelectorAll('[data-testid="part-text"]').length`); n < len(messages)/2 || n > wantTexts {
		t.Errorf("the page shows %d texts for %d messages with %d texts", n, len(messages), wantTexts)
	}

	// Last, as the next prompts would go to the plan agent: "@hel" offers
	// the file, a tap puts its path in, the agent and model picked go with the prompt.
	ph.do("typing a mention", chromedp.SendKeys(`[data-testid="composer"]`, "look at @hel"))
	ph.waitFor("the file offered", q("mention-option")+" !== null && "+q("mention-option")+".textContent === 'hello.txt'")
	ph.screenshot("mention")
	ph.do("picking it", chromedp.Click(`[data-testid="mention-option"]`))
	if got := eval[string](ph, q("composer")+".value"); got != "look at @hello.txt " {
		t.Errorf("the composer holds %q after the mention, want %q", got, "look at @hello.txt ")
	}
	ph.waitFor("the agents", q("agent-picker", ` option[value="plan"]`)+" !== null && "+q("model-picker", ` option[value="fake/fake-model"]`)+" !== null")
	ph.do("picking an agent and a model",
		chromedp.SetValue(`[data-testid="agent-picker"]`, "plan"),
		chromedp.SetValue(`[data-testid="model-picker"]`, "fake/fake-model"),
		chromedp.Click(`[data-testid="send"]`))
	ph.waitFor("the composer to empty", q("composer")+".value === ''")
	ph.waitFor("the turn's end", idle+" && "+lastText+" === 'OK'")
	ph.screenshot("agent-picked")
	var sent []struct {
		Info struct {
			Role, Agent string
			Model       struct{ ProviderID, ModelID string }
		}
		Parts []struct{ Type, Text string }
	}
	api.call("GET", "session/"+session+"/messages", "", &sent)
	last := sent[len(sent)-2] // the user's, before the answer
	if last.Info.Role != "user" || last.Info.Agent != "plan" || last.Info.Model.ModelID != "fake-model" || len(last.Parts) == 0 || last.Parts[0].Text != "look at @hello.txt " {
		t.Errorf("the prompt sent was %+v, want the text with the mention, agent plan, model fake-model", last)
	}

	// The instance is stopped from the instances screen (a second tap
	// confirms).
	ph.do("going to the instances", chromedp.Navigate(up.URL+"/#/"))
	ph.waitFor("the instance", q("instance-row", `[data-state="running"]`)+" !== null")
	ph.do("stopping, once", chromedp.Click(`[data-testid="instance-stop"]`))
	if eval[string](ph, q("instance-row")+".dataset.state") != "running" {
		t.Fatal("one tap on Stop stopped the instance: want a second tap to confirm")
	}
	ph.do("stopping, twice", chromedp.Click(`[data-testid="instance-stop"]`))
	ph.waitFor("the instance gone (a stop through the API removes it)", q("instance-row")+" === null && "+q("empty")+" !== null")
	ph.screenshot("instance-stopped")
}

// toolResult returns what the model was last told a call of the tool gave.
func toolResult(t *testing.T, model *portaltest.FakeModel, tool string) string {
	t.Helper()
	reqs := model.AgentRequests()
	for _, r := range slices.Backward(reqs) {
		for _, m := range r.Messages {
			for _, c := range m.ToolCalls {
				if c.Name == tool {
					if out, ok := r.ToolResult(c.ID); ok {
						return out
					}
				}
			}
		}
	}
	t.Fatalf("the model was never told the result of a %s call", tool)
	return ""
}

// apiClient calls the portal's API as a program would (no browser).
type apiClient struct {
	t    *testing.T
	base string
}

func (c apiClient) call(method, path, body string, out any) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testwait.Limit)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode/100 != 2 {
		c.t.Fatalf("%s %s: %s %s %v", method, path, strconv.Itoa(resp.StatusCode), data, err)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			c.t.Fatalf("%s %s: %v", method, path, err)
		}
	}
}
