package httpapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/google/go-cmp/cmp"

	"github.com/opencode-portal/portal"
	"github.com/opencode-portal/portal/httpapi"
	"github.com/opencode-portal/portal/internal/browsertest"
	"github.com/opencode-portal/portal/internal/registry"
	"github.com/opencode-portal/portal/portaltest"
)

// TestBrowserSecurity drives a real Chromium against a real portal and a
// real OpenCode. Pages of other origins (another site, another local port,
// and a DNS-rebinding name pointed at the portal's own address) try to make
// the portal act: each attempt must reach the portal and be refused by it,
// and nothing may change; a script tag loading a project's .js file is
// answered, and the browser must refuse to run it (Cross-Origin-Resource-
// Policy). The same attack pages against the handler with
// its guards off must succeed, which shows the attempts are real. Pages of
// the portal's own origin must keep working, with and without a password.
func TestBrowserSecurity(t *testing.T) {
	model := portaltest.NewFakeModel(t)
	model.SetHandler(scriptedModel)
	repo := newBrowserRepo(t)
	ready := startBrowserAndOpenCode(t, portaltest.OpenCodeOptions{Dir: repo, ModelURL: model.URL()})
	t.Parallel()
	browser, oc := ready()
	rebind := rebindPageHTML(oc.Port)

	// The guarded subtests change nothing: they run side by side, in this
	// test's place among the package's parallel tests (parallel subtests
	// would wait for places of their own behind them, then this test again).
	t.Run("guarded", func(t *testing.T) {
		var wg sync.WaitGroup
		wg.Go(func() {
			t.Run("attacks refused", func(t *testing.T) { guardedAttacks(t, browser, oc, model, repo, rebind) })
		})
		wg.Go(func() {
			t.Run("allowed origin", func(t *testing.T) { allowedOrigin(t, browser, oc, model, repo, rebind) })
		})
		wg.Wait()
	})

	t.Run("same origin", func(t *testing.T) {
		bp := newBrowserPortal(t, oc, model, rebind)
		useLikeTheWebUI(t, browsertest.Tab(t, browser), bp, oc, model, repo, "")
	})

	t.Run("same origin with a password", func(t *testing.T) {
		const password = "correct horse battery"
		bp := newBrowserPortal(t, oc, model, rebind, httpapi.WithPassword(password))
		useLikeTheWebUI(t, browsertest.Tab(t, browser), bp, oc, model, repo, password)
	})

	// Last: the attacks change the project the other subtests look at. The
	// instances they start and restart run the fake OpenCode: what they
	// show is that the portal acted (it started one, it replaced one's
	// process), which needs no real OpenCode; the real one answers the
	// attacks on its sessions, files and git.
	t.Run("unguarded/attacks succeed", func(t *testing.T) {
		bp := newFakeStartBrowserPortal(t, oc, rebind, httpapi.WithoutGuards())
		victim := t.TempDir()
		target := startRestartTarget(t, bp)
		before := snapshot(t, bp, oc, model, repo)
		results := map[string]any{}
		tab := browsertest.Tab(t, browser)
		for _, a := range attacks(t, bp, oc, victim, target.ID) {
			var statuses []int
			for _, s := range runAttack(t, tab, bp, a) {
				statuses = append(statuses, s.Status)
			}
			if diff := cmp.Diff(a.unguarded, statuses); diff != "" {
				t.Errorf("%s without guards: statuses (-want +got):\n%s", a.name, diff)
			}
			results[a.name] = a.result
		}
		after := snapshot(t, bp, oc, model, repo)
		checkAttacksSucceeded(t, bp, oc, victim, target, before, after, results)
	})
}

// startRestartTarget starts an instance through bp's portal, in a folder of
// its own, for the restart attacks to restart.
func startRestartTarget(t *testing.T, bp *browserPortal) portal.Instance {
	t.Helper()
	port, err := portaltest.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	in, err := bp.Portal.StartInstance(context.Background(), portal.StartOptions{Directory: t.TempDir(), Port: port})
	if err != nil {
		t.Fatalf("starting the instance to restart: %v", err)
	}
	if in.PID == nil {
		t.Fatalf("the instance to restart has no process: %+v", in)
	}
	return in
}

// guardedAttacks runs the attacks against the guarded portal: each must
// reach the portal and be refused by it, and nothing may change.
func guardedAttacks(t *testing.T, browser context.Context, oc *portaltest.OpenCode, model *portaltest.FakeModel, repo, rebind string) {
	bp := newBrowserPortal(t, oc, model, rebind)
	victim := t.TempDir()
	before := snapshot(t, bp, oc, model, repo)
	tab := browsertest.Tab(t, browser)
	for _, a := range attacks(t, bp, oc, victim, bp.InstID) {
		checkStatuses(t, a, runAttack(t, tab, bp, a))
		if strings.Contains(fmt.Sprint(a.result), browserSecret) {
			t.Errorf("%s: the page read the secret: %v", a.name, a.result)
		}
	}
	after := snapshot(t, bp, oc, model, repo)
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("the refused attacks changed things (-before +after):\n%s", diff)
	}
	if names := entries(t, victim); len(names) > 0 {
		t.Errorf("the refused instance start wrote %v in %s", names, victim)
	}
}

// allowedOrigin checks that an origin the portal was told to trust passes
// the origin check, and still cannot send a body that is not JSON, nor JSON
// (no preflight is answered); body-less requests go through.
func allowedOrigin(t *testing.T, browser context.Context, oc *portaltest.OpenCode, model *portaltest.FakeModel, repo, rebind string) {
	site := newAttackSite(t)
	trusted := strings.TrimSuffix(site.page("trusted.test", ""), "/attack/")
	bp := newBrowserPortal(t, oc, model, rebind, httpapi.WithAllowedOrigins(trusted))
	oce := fmt.Sprintf("/api/opencode/%d/", oc.Port)
	create := [][2]string{{oce + "session/create", `{"title":"from a trusted origin"}`}}
	reject := oce + "question/que_000000000000nothing/reject"
	site.pages = map[string]string{
		"text":      noCORSPage(bp.URL, create),
		"form":      formPage(bp.URL+oce+"session/create", "application/x-www-form-urlencoded", "title", "x"),
		"json":      corsJSONPage(bp.URL, create),
		"body-less": noCORSPage(bp.URL, [][2]string{{reject, ""}}),
	}
	site.Start()
	before := snapshot(t, bp, oc, model, repo)
	tab := browsertest.Tab(t, browser)
	for _, a := range []*attack{
		{name: "trusted origin: fetch no-cors text/plain", url: site.page("trusted.test", "text"),
			want: []string{"POST " + oce + "session/create"}, guarded: 415},
		{name: "trusted origin: form urlencoded", url: site.page("trusted.test", "form"),
			want: []string{"POST " + oce + "session/create"}, guarded: 415},
		{name: "trusted origin: fetch JSON (preflighted)", url: site.page("trusted.test", "json"),
			want: []string{"OPTIONS " + oce + "session/create"}, guarded: 405},
		{name: "trusted origin: body-less POST passes the guards", url: site.page("trusted.test", "body-less"),
			want: []string{"POST " + reject}, guarded: 404},
	} {
		checkStatuses(t, a, runAttack(t, tab, bp, a))
	}
	if diff := cmp.Diff(before, snapshot(t, bp, oc, model, repo)); diff != "" {
		t.Errorf("the trusted origin's pages changed things (-before +after):\n%s", diff)
	}
}

// browserSecret is in a committed file the DNS-rebinding page tries to read.
const browserSecret = "sk-browser-test-secret"

// newBrowserRepo makes a git repository (with the git CLI) holding
// committed files, two of them changed and not committed: notes.txt for the
// attacks to commit, draft.txt for them to discard.
func newBrowserRepo(t *testing.T) string {
	t.Helper()
	repo := portaltest.NewGitRepo(t)
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(repo, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("notes.txt", "notes\n")
	write("draft.txt", "draft\n")
	write("secret.env", "API_KEY="+browserSecret+"\n")
	write("config.js", `var projectConfig = {apiKey: "`+browserSecret+`"};`+"\n")
	for _, args := range [][]string{{"add", "-A"}, {"commit", "-q", "-m", "project files"}} {
		if err := portaltest.Git(repo, args...); err != nil {
			t.Fatal(err)
		}
	}
	write("notes.txt", "notes\nthe user's work in progress\n")
	write("draft.txt", "draft\nunsaved work the user has not committed\n")
	return repo
}

// scriptedModel answers the prompts the tests send: "run" asks to run a
// command (a permission request), "ask" asks a question, "stall" never
// finishes; anything else, and every turn after a tool ran, gets the
// default text.
func scriptedModel(r *portaltest.ModelRequest) (portaltest.Reply, bool) {
	for _, m := range r.Messages {
		if m.Role == "tool" {
			return portaltest.Reply{}, false
		}
	}
	switch r.LastUser() {
	case "run":
		return portaltest.ToolCallReply("bash", map[string]string{"command": "echo from the browser", "description": "Echo"}), true
	case "ask":
		return portaltest.ToolCallReply("question", map[string]any{"questions": []any{map[string]any{
			"question": "Which?", "header": "Pick", "options": []any{map[string]string{"label": "A", "description": "a"}},
		}}}), true
	case "stall":
		return portaltest.StallReply(nil), true
	}
	return portaltest.Reply{}, false
}

// worldState is what an attack could change.
type worldState struct {
	Registry      string
	Sessions      []string // "id title"
	Head          string
	Status        string
	Files         map[string]string
	ModelRequests int
}

func snapshot(t *testing.T, bp *browserPortal, oc *portaltest.OpenCode, model *portaltest.FakeModel, repo string) worldState {
	t.Helper()
	reg, err := os.ReadFile(bp.Registry)
	if err != nil {
		t.Fatal(err)
	}
	w := worldState{
		Registry:      string(reg),
		Sessions:      sessionTitles(t, bp, oc),
		Head:          gitOutput(t, repo, "rev-parse", "HEAD"),
		Status:        gitOutput(t, repo, "status", "--porcelain"),
		Files:         map[string]string{},
		ModelRequests: len(model.Requests()),
	}
	for _, name := range []string{"notes.txt", "draft.txt", "secret.env", "README.md"} {
		data, err := os.ReadFile(filepath.Join(repo, name))
		if err != nil {
			t.Fatal(err)
		}
		w.Files[name] = string(data)
	}
	return w
}

// sessionTitles lists the sessions of bp's registered OpenCode, asked of
// OpenCode itself (with the password in the registry: a restart changes
// it), as "id title", sorted.
func sessionTitles(t *testing.T, bp *browserPortal, oc *portaltest.OpenCode) []string {
	t.Helper()
	f, err := registry.New(bp.Registry).Read()
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(f.Instances, func(e registry.Entry) bool { return e.ID == bp.InstID })
	if i < 0 {
		t.Fatalf("instance %s missing from the registry", bp.InstID)
	}
	req, _ := http.NewRequest("GET", oc.URL+"/session", nil)
	req.SetBasicAuth("opencode", f.Instances[i].Password)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list []struct{ ID, Title string }
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil || resp.StatusCode != 200 {
		t.Fatalf("OpenCode /session: status %d, %v", resp.StatusCode, err)
	}
	var out []string
	for _, s := range list {
		out = append(out, s.ID+" "+s.Title)
	}
	slices.Sort(out)
	return out
}

// gitOutput runs the git CLI in dir and returns its trimmed output.
func gitOutput(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git %v in %s: %v", args, dir, err)
	}
	return strings.TrimSpace(string(out))
}

// entries lists a folder's names.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, de := range des {
		names = append(names, de.Name())
	}
	return names
}

// attack is one attempt of a page to make the portal act.
type attack struct {
	name      string
	url       string   // the attacking page
	want      []string // the requests it makes, "METHOD /path" (path.Match patterns)
	guarded   int      // the status the guarded portal answers each with
	unguarded []int    // the statuses without the guards
	result    any      // what the page's script saw, when it reports
}

// attacks returns the attempts against bp: pages of another site
// (attacker.test), of another local port and of a DNS-rebinding name
// (evil.test, on the portal's own port). victim is a folder the attacks try
// to start an instance in, restartID the instance they try to restart.
func attacks(t *testing.T, bp *browserPortal, oc *portaltest.OpenCode, victim, restartID string) []*attack {
	t.Helper()
	target := bp.URL
	oce := fmt.Sprintf("/api/opencode/%d/", oc.Port)
	newPort, err := portaltest.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	start, _ := json.Marshal(map[string]any{"directory": victim, "port": newPort})
	restart := "/api/instances/" + restartID + "/restart"
	site := newAttackSite(t)
	site.pages = map[string]string{
		"fetch-instances": noCORSPage(target, [][2]string{{"/api/instances", string(start)}}),
		"fetch-session":   noCORSPage(target, [][2]string{{oce + "session/create", `{"title":"pwned by fetch"}`}}),
		"fetch-commit": noCORSPage(target, [][2]string{
			{oce + "git/stage", `{"paths":["notes.txt"]}`},
			{oce + "git/commit", `{"message":"pwned"}`},
		}),
		"fetch-discard": noCORSPage(target, [][2]string{{oce + "git/discard", `{"paths":["draft.txt"]}`}}),
		"fetch-restart": noCORSPage(target, [][2]string{{restart, `{}`}}),
		"form-text": formPage(target+oce+"session/create", "text/plain",
			`{"title":"pwned by a form","x":"`, `"}`),
		"form-urlencoded": formPage(target+restart, "application/x-www-form-urlencoded", "x", "1"),
		"beacon": `<!doctype html><script>navigator.sendBeacon(` + jsString(target+oce+"session/create") +
			`, '{"title":"pwned by a beacon"}')</script>`,
		"script":     scriptPage(target + oce + "files/read?raw=1&path=config.js"),
		"local-port": noCORSPage(target, [][2]string{{oce + "session/create", `{"title":"pwned from another local port"}`}}),
	}
	site.Start()
	other, local := site.page("attacker.test", ""), site.page("127.0.0.1", "")
	return []*attack{
		{name: "fetch no-cors text/plain: start an instance", url: other + "fetch-instances",
			want: []string{"POST /api/instances"}, guarded: 403, unguarded: []int{201}},
		{name: "fetch no-cors text/plain: create a session", url: other + "fetch-session",
			want: []string{"POST " + oce + "session/create"}, guarded: 403, unguarded: []int{200}},
		{name: "fetch no-cors text/plain: stage and commit", url: other + "fetch-commit",
			want: []string{"POST " + oce + "git/stage", "POST " + oce + "git/commit"}, guarded: 403, unguarded: []int{200, 201}},
		{name: "fetch no-cors text/plain: discard a change", url: other + "fetch-discard",
			want: []string{"POST " + oce + "git/discard"}, guarded: 403, unguarded: []int{200}},
		{name: "form text/plain: create a session", url: other + "form-text",
			want: []string{"POST " + oce + "session/create"}, guarded: 403, unguarded: []int{200}},
		{name: "sendBeacon: create a session", url: other + "beacon",
			want: []string{"POST " + oce + "session/create"}, guarded: 403, unguarded: []int{200}},
		// A GET the portal answers: the browser must not run the answer.
		{name: "script tag: run a project's .js file", url: other + "script",
			want: []string{"GET " + oce + "files/read"}, guarded: 200, unguarded: []int{200}},
		{name: "another local port: create a session", url: local + "local-port",
			want: []string{"POST " + oce + "session/create"}, guarded: 403, unguarded: []int{200}},
		{name: "DNS rebinding", url: "http://evil.test:" + bp.port() + rebindPagePath,
			want: []string{"GET " + oce + "files/read", "GET " + oce + "config",
				"POST " + oce + "session/create", "POST " + oce + "session/*/prompt"},
			guarded: 421, unguarded: []int{200, 200, 200, 200}},
		{name: "form urlencoded: restart the instance", url: other + "form-urlencoded",
			want: []string{"POST " + restart}, guarded: 403, unguarded: []int{200}},
		{name: "fetch no-cors text/plain: restart the instance", url: other + "fetch-restart",
			want: []string{"POST " + restart}, guarded: 403, unguarded: []int{200}},
	}
}

// runAttack loads the attack's page in tab, waits for the portal to have
// answered each request the attack makes, and returns those answers. A page
// that reports (window.attack) has its report in a.result.
func runAttack(t *testing.T, tab context.Context, bp *browserPortal, a *attack) []seenRequest {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab, 90*time.Second)
	defer cancel()
	mark := bp.Rec.mark()
	if err := chromedp.Do(ctx, chromedp.Navigate(a.url)); err != nil {
		t.Fatalf("%s: loading %s: %v", a.name, a.url, err)
	}
	report, err := chromedp.Run(ctx, chromedp.Evaluate[any](`window.attack`, chromedp.EvalAwaitPromise))
	a.result = report
	if err != nil && !errors.Is(err, chromedp.ErrJSUndefined) {
		t.Logf("%s: the page's report: %v", a.name, err) // the attack outlives it
	}
	got := bp.Rec.await(t, mark, a.want)
	t.Logf("%s (page %s):", a.name, a.url)
	for _, s := range got {
		t.Logf("\t%v", s)
	}
	if a.result != nil {
		t.Logf("\tthe page saw: %.300v", a.result)
	}
	return got
}

// attackSite serves attack pages at /attack/NAME; set pages, then Start.
type attackSite struct {
	*httptest.Server
	pages map[string]string
}

func newAttackSite(t *testing.T) *attackSite {
	t.Helper()
	s := &attackSite{}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		page, ok := s.pages[strings.TrimPrefix(r.URL.Path, "/attack/")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		htmlPage(page).ServeHTTP(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

// page returns the URL of the page name on host, also before Start.
func (s *attackSite) page(host, name string) string {
	return fmt.Sprintf("http://%s:%d/attack/%s", host, s.Listener.Addr().(*net.TCPAddr).Port, name)
}

// checkStatuses fails the test for each request of a that the guarded
// portal did not answer with a.guarded.
func checkStatuses(t *testing.T, a *attack, got []seenRequest) {
	t.Helper()
	for i, s := range got {
		if s.Status != a.guarded {
			t.Errorf("%s: %s: status %d, want %d", a.name, a.want[i], s.Status, a.guarded)
		}
	}
}

// noCORSPage is a page that posts each body, as text/plain, to target+path
// with fetch in no-cors mode (which needs no preflight), one after the
// other, and reports what fetch said. An empty body is not sent, and
// neither is a Content-Type.
func noCORSPage(target string, requests [][2]string) string {
	reqs, _ := json.Marshal(requests)
	return `<!doctype html><script>
window.attack = (async () => {
	const out = [];
	for (const [path, body] of ` + string(reqs) + `) {
		const init = {method: "POST", mode: "no-cors"};
		if (body !== "") {
			init.headers = {"Content-Type": "text/plain"};
			init.body = body;
		}
		try {
			const r = await fetch(` + jsString(target) + ` + path, init);
			out.push(path + ": sent, " + r.type + " answer");
		} catch (e) {
			out.push(path + ": " + e);
		}
	}
	return out;
})();
</script>`
}

// corsJSONPage is a page that posts each body as JSON to target+path with
// fetch in cors mode: the browser asks the server first (a preflight
// OPTIONS request) and sends the POST only if it agrees.
func corsJSONPage(target string, requests [][2]string) string {
	reqs, _ := json.Marshal(requests)
	return `<!doctype html><script>
window.attack = (async () => {
	const out = [];
	for (const [path, body] of ` + string(reqs) + `) {
		try {
			const r = await fetch(` + jsString(target) + ` + path, {method: "POST", headers: {"Content-Type": "application/json"}, body});
			out.push(path + ": " + r.status);
		} catch (e) {
			out.push(path + ": " + e);
		}
	}
	return out;
})();
</script>`
}

// scriptPage is a page that loads src as a script and reports what it
// defined (projectConfig), or that the browser refused to run it.
func scriptPage(src string) string {
	return `<!doctype html><script>
window.attack = new Promise(resolve => {
	const s = document.createElement("script");
	s.src = ` + jsString(src) + `;
	s.onload = () => resolve(typeof projectConfig === "undefined" ? "loaded, defined nothing" : "read " + JSON.stringify(projectConfig));
	s.onerror = () => resolve("not run: the browser refused the script");
	document.head.appendChild(s);
});
</script>`
}

// formPage is a page that submits a form with one field to action as soon
// as it loads. A text/plain form sends "name=value": a name ending in an
// open string and a value closing it make that JSON.
func formPage(action, enctype, name, value string) string {
	return fmt.Sprintf(`<!doctype html><form method="POST" action="%s" enctype="%s"><input name="%s" value="%s"></form>
<script>document.forms[0].submit()</script>`, html.EscapeString(action), enctype, html.EscapeString(name), html.EscapeString(value))
}

// rebindPageHTML is the DNS-rebinding attacker's page: loaded from
// evil.test on the portal's port, its requests are same-origin to the
// browser. It reads a file and the config, creates a session and prompts.
func rebindPageHTML(ocPort int) string {
	base := jsString(fmt.Sprintf("/api/opencode/%d/", ocPort))
	return `<!doctype html><script>
window.attack = (async () => {
	const out = {};
	async function call(name, method, path, body) {
		const init = {method};
		if (body !== undefined) {
			init.headers = {"Content-Type": "application/json"};
			init.body = JSON.stringify(body);
		}
		try {
			const r = await fetch(` + base + ` + path, init);
			out[name] = {status: r.status, text: await r.text()};
		} catch (e) {
			out[name] = {status: 0, text: String(e)};
		}
		return out[name];
	}
	await call("secret", "GET", "files/read?path=secret.env");
	await call("config", "GET", "config");
	const s = await call("session", "POST", "session/create", {title: "pwned by DNS rebinding"});
	let id = "ses_unknown";
	try { id = JSON.parse(s.text).id || id; } catch (e) {}
	await call("prompt", "POST", "session/" + id + "/prompt", {text: "rebinding"});
	return out;
})();
</script>`
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// checkAttacksSucceeded checks, for the unguarded handler, that the attacks
// did what they tried: an instance started in victim, sessions created,
// a commit made, a change discarded, the model prompted, the secret and the
// config read, the instance target restarted (its process replaced by
// one that answers).
func checkAttacksSucceeded(t *testing.T, bp *browserPortal, oc *portaltest.OpenCode, victim string, target portal.Instance, before, after worldState, results map[string]any) {
	t.Helper()
	f, err := registry.New(bp.Registry).Read()
	if err != nil {
		t.Fatal(err)
	}
	var started, restarted bool
	for _, e := range f.Instances {
		started = started || e.Directory == victim
		if e.ID == target.ID && e.OpencodePID != nil && *e.OpencodePID != *target.PID {
			restarted = true
		}
	}
	if !started {
		t.Errorf("no instance started in %s; registry: %s", victim, after.Registry)
	}
	if !restarted {
		t.Errorf("instance %s not restarted (pid still %d); registry: %s", target.ID, *target.PID, after.Registry)
	}
	if in, err := bp.Portal.Instance(context.Background(), target.ID); err != nil || in.State != portal.StateRunning {
		t.Errorf("instance %s after its restarts: %+v, %v; want it running", target.ID, in, err)
	}
	var titles []string
	for _, s := range after.Sessions {
		if !slices.Contains(before.Sessions, s) {
			_, title, _ := strings.Cut(s, " ")
			titles = append(titles, title)
		}
	}
	slices.Sort(titles)
	wantTitles := []string{"pwned by DNS rebinding", "pwned by a beacon", "pwned by a form", "pwned by fetch", "pwned from another local port"}
	if diff := cmp.Diff(wantTitles, titles); diff != "" {
		t.Errorf("sessions the attacks created (-want +got):\n%s", diff)
	}
	if after.Head == before.Head {
		t.Errorf("no commit: HEAD %s → %s", before.Head, after.Head)
	} else if subject := gitOutput(t, oc.Dir, "log", "-1", "--format=%s"); subject != "pwned" {
		t.Errorf("last commit %q, want the attack's", subject)
	}
	if after.Files["draft.txt"] != "draft\n" {
		t.Errorf("draft.txt not discarded: %q", after.Files["draft.txt"])
	}
	if after.ModelRequests == before.ModelRequests {
		t.Errorf("the model got no prompt")
	}
	stolen, _ := json.Marshal(results["DNS rebinding"])
	for _, want := range []string{browserSecret, `\"provider\"`} {
		if !strings.Contains(string(stolen), want) {
			t.Errorf("the rebinding page did not read %s: %s", want, stolen)
		}
	}
	if got := fmt.Sprint(results["script tag: run a project's .js file"]); !strings.Contains(got, browserSecret) {
		t.Errorf("the script tag did not run the project's .js file: %s", got)
	}
}
