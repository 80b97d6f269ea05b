package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/opencode-portal/portal/portaltest"
)

// pageAnswer is what the portal's own page got from one API call.
type pageAnswer struct {
	Status int
	Body   json.RawMessage
	Text   string
}

// webUI is a tab showing the portal's own page (samePagePath), which calls
// the API as the original web UI does.
type webUI struct {
	t    *testing.T
	tab  context.Context
	base string // "opencode/PORT/"
}

// call runs api(method, path, body) in the page (body nil: none sent) and
// fails the test unless the status is want; the answer is decoded into out
// when out is not nil.
func (u *webUI) call(method, path string, body any, want int, out any) {
	u.t.Helper()
	arg := "undefined"
	if body != nil {
		b, _ := json.Marshal(body)
		arg = string(b)
	}
	ctx, cancel := context.WithTimeout(u.tab, 90*time.Second)
	defer cancel()
	expr := fmt.Sprintf("api(%s, %s, %s)", jsString(method), jsString(u.base+path), arg)
	got, err := chromedp.Run(ctx, chromedp.Evaluate[pageAnswer](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		u.t.Fatalf("page: %s %s: %v", method, path, err)
	}
	if method != "GET" {
		u.t.Logf("page: %s %s → %d %.120s", method, path, got.Status, got.Text)
	}
	if got.Status != want {
		u.t.Fatalf("page: %s %s: status %d, want %d: %s", method, path, got.Status, want, got.Text)
	}
	if out != nil {
		if err := json.Unmarshal(got.Body, out); err != nil {
			u.t.Fatalf("page: %s %s: %v in %s", method, path, err, got.Text)
		}
	}
}

// pending polls path (permissions or questions) from the page until a
// request of session id is pending, and returns its id.
func (u *webUI) pending(path, session string) string {
	u.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		var list []struct{ ID, SessionID string }
		u.call("GET", path, nil, 200, &list)
		for _, p := range list {
			if p.SessionID == session {
				u.t.Logf("page: GET %s → %s pending", path, p.ID)
				return p.ID
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	u.t.Fatalf("nothing pending in %s for session %s after 60s", path, session)
	return ""
}

// useLikeTheWebUI loads the portal's own page in tab and does from it what
// the original web UI does: create sessions, prompt, reply to a permission,
// reject a question and abort (both body-less, without Content-Type),
// stage and commit. With a password, the browser is given it as a user
// would (a URL with user info, answering the first challenge), and the
// test logs what Chromium then sends.
func useLikeTheWebUI(t *testing.T, tab context.Context, bp *browserPortal, oc *portaltest.OpenCode, model *portaltest.FakeModel, repo, password string) {
	t.Helper()
	mark := bp.Rec.mark()
	page := bp.URL + samePagePath
	if password != "" {
		u, _ := url.Parse(bp.URL + "/api/system/hostname")
		u.User = url.UserPassword("portal", password)
		if err := chromedp.Do(tab, chromedp.Navigate(u.String())); err != nil {
			t.Fatalf("signing in at %s: %v", u.Redacted(), err)
		}
	}
	if err := chromedp.Do(tab, chromedp.Navigate(page)); err != nil {
		t.Fatalf("loading %s: %v", page, err)
	}
	u := &webUI{t: t, tab: tab, base: fmt.Sprintf("opencode/%d/", oc.Port)}

	var s struct{ ID string }
	u.call("POST", "session/create", map[string]any{}, 200, &s)
	var msg apiMessage
	u.call("POST", "session/"+s.ID+"/prompt", map[string]any{"text": "hello"}, 200, &msg)
	if msg.text() != portaltest.DefaultText {
		t.Errorf("prompt answered %q, want the model's %q", msg.text(), portaltest.DefaultText)
	}

	var accepted, ok bool
	u.call("POST", "session/"+s.ID+"/prompt_async", map[string]any{"text": "run"}, 202, &accepted)
	perm := u.pending("permissions", s.ID)
	u.call("POST", "permission/"+perm+"/reply", map[string]any{"reply": "once"}, 200, &ok)

	var asked struct{ ID string }
	u.call("POST", "session/create", map[string]any{"title": "question"}, 200, &asked)
	u.call("POST", "session/"+asked.ID+"/prompt_async", map[string]any{"text": "ask"}, 202, &accepted)
	question := u.pending("questions", asked.ID)
	u.call("POST", "question/"+question+"/reject", nil, 200, &ok)

	var stalled struct{ ID string }
	u.call("POST", "session/create", map[string]any{"title": "stalled"}, 200, &stalled)
	stalls := func() int {
		n := 0
		for _, r := range model.AgentRequests() {
			if r.LastUser() == "stall" {
				n++
			}
		}
		return n
	}
	n := stalls()
	u.call("POST", "session/"+stalled.ID+"/prompt_async", map[string]any{"text": "stall"}, 202, &accepted)
	for deadline := time.Now().Add(60 * time.Second); stalls() == n; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the stalled prompt did not reach the model within 60s")
		}
	}
	u.call("POST", "session/"+stalled.ID+"/abort", nil, 200, &ok)

	name := "browser.txt"
	if password != "" {
		name = "browser-with-password.txt"
	}
	if err := os.WriteFile(filepath.Join(repo, name), []byte("written for the browser\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	u.call("POST", "git/stage", map[string]any{"paths": []string{name}}, 200, nil)
	message := "commit from the browser: " + name
	u.call("POST", "git/commit", map[string]any{"message": message}, 201, nil)
	if got := gitOutput(t, repo, "log", "-1", "--format=%s"); got != message {
		t.Errorf("last commit %q, want %q", got, message)
	}

	seen := bp.Rec.since(mark)
	var withAuth, unauthorized int
	for _, r := range seen {
		if r.Authorization {
			withAuth++
		}
		if r.Status == 401 {
			unauthorized++
		}
		if r.Status == 403 || r.Status == 415 || r.Status == 421 {
			t.Errorf("the guards refused the portal's own page: %v", r)
		}
		if r.Origin != "" && r.Origin != bp.URL {
			t.Errorf("request from the portal's page with Origin %q, want %q: %v", r.Origin, bp.URL, r)
		}
	}
	t.Logf("Chromium sent %d requests to the API: %d with Authorization, %d answered 401", len(seen), withAuth, unauthorized)
	if password != "" {
		for _, r := range seen {
			if !r.Authorization {
				t.Logf("sent without credentials: %v", r)
				if r.Status != 401 {
					t.Errorf("served without credentials: %v", r)
				}
			}
		}
	} else if withAuth > 0 || unauthorized > 0 {
		t.Errorf("without a password: %d requests with Authorization, %d answered 401", withAuth, unauthorized)
	}
}
