package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/opencode-portal/portal"
	"github.com/opencode-portal/portal/httpapi"
	"github.com/opencode-portal/portal/internal/browsertest"
	"github.com/opencode-portal/portal/internal/fakeopencode"
	"github.com/opencode-portal/portal/internal/testwait"
	"github.com/opencode-portal/portal/portaltest"
)

// newBrowser prepares one headless Chromium for the test
// (browsertest.New) that resolves evil.test, attacker.test and
// trusted.test to 127.0.0.1, as a DNS-rebinding attacker's resolver would
// for evil.test.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	return browsertest.New(t, chromedp.Flag("host-resolver-rules", "MAP evil.test 127.0.0.1, MAP attacker.test 127.0.0.1, MAP trusted.test 127.0.0.1"))
}

// startBrowserAndOpenCode starts Chromium (newBrowser) and a real OpenCode
// (startOpenCodeEarly) in the background, at once, as each takes seconds;
// OpenCode then answers a first prompt (warmUp). It returns at once, so
// that they start while the package's sequential tests run; the returned
// function waits for both. OpenCode is stopped when the test ends.
func startBrowserAndOpenCode(t *testing.T, opts portaltest.OpenCodeOptions) func() (context.Context, *portaltest.OpenCode) {
	t.Helper()
	browser := newBrowser(t)
	if opts.Bin == "" {
		opts.Bin = portaltest.RequireOpenCode(t)
	}
	chromium := make(chan error, 1)
	go func() { chromium <- chromedp.Do(browser) }()
	var (
		once        sync.Once
		chromiumErr error
	)
	join := func() { once.Do(func() { chromiumErr = <-chromium }) }
	t.Cleanup(join) // also when the test ends before it waited
	openCode := startOpenCodeEarly(t, opts, func(oc *portaltest.OpenCode) error {
		if err := warmUp(oc); err != nil {
			return fmt.Errorf("OpenCode's first prompt: %w", err)
		}
		return nil
	})
	return func() (context.Context, *portaltest.OpenCode) {
		t.Helper()
		oc := openCode()
		join()
		if chromiumErr != nil {
			t.Fatalf("starting Chromium: %v", chromiumErr)
		}
		return browser, oc
	}
}

// warmUp has oc answer one prompt, in a session of its own titled
// "warm-up": OpenCode's first prompt takes seconds more than the next ones
// (it loads the agent's machinery and takes the project's first snapshot).
// The session is there before any subtest looks, and keeps its title.
func warmUp(oc *portaltest.OpenCode) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	call := func(method, path, body string, out any) error {
		req, err := http.NewRequestWithContext(ctx, method, oc.URL+path, strings.NewReader(body))
		if err != nil {
			return err
		}
		req.SetBasicAuth("opencode", oc.Password)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		data, err := io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s %s: %s %s", method, path, resp.Status, data)
		}
		return json.Unmarshal(data, out)
	}
	var session struct{ ID string }
	if err := call("POST", "/session", `{"title":"warm-up"}`, &session); err != nil {
		return err
	}
	var answer struct {
		Info struct{ Error any }
	}
	if err := call("POST", "/session/"+session.ID+"/message", `{"parts":[{"type":"text","text":"warm up"}]}`, &answer); err != nil {
		return err
	}
	if answer.Info.Error != nil {
		return fmt.Errorf("the warm-up prompt ended with %v", answer.Info.Error)
	}
	return nil
}

// seenRequest is what the recorder noted of one request the portal
// answered.
type seenRequest struct {
	Method, Path, Host   string
	Origin, SecFetchSite string
	ContentType          string
	Authorization        bool // an Authorization header was sent
	Status               int
}

func (s seenRequest) String() string {
	auth := ""
	if s.Authorization {
		auth = " with Authorization"
	}
	return fmt.Sprintf("%s %s (Host %s, Origin %q, Sec-Fetch-Site %q, Content-Type %q%s) → %d",
		s.Method, s.Path, s.Host, s.Origin, s.SecFetchSite, s.ContentType, auth, s.Status)
}

// recorder wraps the portal's handler and notes the method, path and
// status of every request it answers, so that a test can tell a request the
// portal refused from one the browser never sent.
type recorder struct {
	h    http.Handler
	mu   sync.Mutex
	seen []seenRequest
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	rec.h.ServeHTTP(sw, r)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.seen = append(rec.seen, seenRequest{
		Method: r.Method, Path: r.URL.Path, Host: r.Host,
		Origin: r.Header.Get("Origin"), SecFetchSite: r.Header.Get("Sec-Fetch-Site"),
		ContentType: r.Header.Get("Content-Type"), Authorization: r.Header.Get("Authorization") != "",
		Status: sw.status,
	})
}

// mark returns a position in the log, for since.
func (rec *recorder) mark() int {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return len(rec.seen)
}

// since returns the requests noted after mark.
func (rec *recorder) since(mark int) []seenRequest {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return slices.Clone(rec.seen[mark:])
}

// await waits until, after mark, a request matching each of want ("METHOD
// /path/pattern", path.Match syntax) was answered, in that order, and
// returns those requests.
func (rec *recorder) await(t *testing.T, mark int, want []string) []seenRequest {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		got := matchInOrder(rec.since(mark), want)
		if len(got) == len(want) {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("the portal did not answer %q within 90s (the browser did not send it?); it answered %v", want[len(got)], rec.since(mark))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// matchInOrder returns the first request matching want[0], then the first
// after it matching want[1], and so on, as far as they match.
func matchInOrder(seen []seenRequest, want []string) []seenRequest {
	var got []seenRequest
	for _, s := range seen {
		if len(got) == len(want) {
			break
		}
		method, pattern, _ := strings.Cut(want[len(got)], " ")
		if ok, _ := path.Match(pattern, s.Path); ok && s.Method == method {
			got = append(got, s)
		}
	}
	return got
}

// statusWriter notes the status a handler writes.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the real writer (event streams
// flush through it).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// browserPortal is a real portal, with its registry in a temporary folder,
// served with the test's pages next to its API: they share the portal's
// origin, as the original web UI does.
type browserPortal struct {
	*httptest.Server
	Portal   *portal.Portal
	Registry string
	Rec      *recorder
	InstID   string // the registry id of the OpenCode registered in it
}

// Where a browserPortal serves its pages, next to /api/: the portal's own
// page, and a DNS-rebinding attacker's page (loaded as evil.test).
const (
	samePagePath   = "/test/"
	rebindPagePath = "/rebind/"
)

// newBrowserPortal serves a portal over HTTP, with handler options opts,
// and registers oc in its registry. Instances it starts run the real
// OpenCode, offline against model, with oc's HOME, and are stopped when the
// test ends.
func newBrowserPortal(t *testing.T, oc *portaltest.OpenCode, model *portaltest.FakeModel, rebindPage string, opts ...httpapi.Option) *browserPortal {
	t.Helper()
	return serveBrowserPortal(t, portal.Config{
		OpenCodeBin: portaltest.RequireOpenCode(t),
		Env:         portaltest.Env(oc.Home, portaltest.Config(model.URL())), // oc's data: a restart keeps its sessions
	}, oc, rebindPage, opts...)
}

// newFakeStartBrowserPortal is newBrowserPortal for a portal whose
// instances run the fake OpenCode (fakeopencode): for the attacks that
// start and restart instances, which show what the portal does, not what
// OpenCode does.
func newFakeStartBrowserPortal(t *testing.T, oc *portaltest.OpenCode, rebindPage string, opts ...httpapi.Option) *browserPortal {
	t.Helper()
	exe, err := fakeopencode.Bin()
	if err != nil {
		t.Fatal(err)
	}
	return serveBrowserPortal(t, portal.Config{OpenCodeBin: exe, Env: []string{fakeopencode.EnvVar + "=1"}}, oc, rebindPage, opts...)
}

// serveBrowserPortal serves a portal of cfg, on a registry of its own,
// for newBrowserPortal.
func serveBrowserPortal(t *testing.T, cfg portal.Config, oc *portaltest.OpenCode, rebindPage string, opts ...httpapi.Option) *browserPortal {
	t.Helper()
	reg := filepath.Join(t.TempDir(), "portal.json")
	cfg.RegistryPath = reg
	cfg.StartTimeout = testwait.Limit // the attacks start and restart instances, on a machine the package's other tests keep busy
	cfg.StopOnClose = true
	p, err := portal.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	id, err := oc.Register(reg)
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{h: newHandler(t, p, opts...)}
	mux := http.NewServeMux()
	mux.Handle("/api/", rec)
	mux.Handle(samePagePath, htmlPage(samePageHTML))
	mux.Handle(rebindPagePath, htmlPage(rebindPage))
	srv := httptest.NewServer(mux)
	t.Cleanup(func() { srv.Close(); p.Close() })
	return &browserPortal{Server: srv, Portal: p, Registry: reg, Rec: rec, InstID: id}
}

// port returns the port the portal listens on.
func (bp *browserPortal) port() string {
	return bp.URL[strings.LastIndexByte(bp.URL, ':')+1:]
}

// htmlPage serves one HTML page.
func htmlPage(html string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		fmt.Fprint(w, html)
	})
}

// samePageHTML is the portal's own page: api() calls the API as the
// original web UI does, with a JSON body sent as application/json and no
// body (nor Content-Type) when there is nothing to send, and resolves to
// {status, body}.
const samePageHTML = `<!doctype html><title>portal</title><script>
async function api(method, path, body) {
	const init = {method};
	if (body !== undefined) {
		init.headers = {"Content-Type": "application/json"};
		init.body = JSON.stringify(body);
	}
	const r = await fetch("/api/" + path, init);
	const text = await r.text();
	let json = null;
	try { json = JSON.parse(text); } catch (e) {}
	return {status: r.status, body: json, text};
}
</script>`
