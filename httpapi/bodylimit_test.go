package httpapi_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/opencode-portal/portal"
	"github.com/opencode-portal/portal/httpapi"
	"github.com/opencode-portal/portal/portaltest"
)

// promptRoutes are the routes whose bodies WithMaxPromptBytes limits; every
// other route's are limited by WithMaxBodyBytes.
var promptRoutes = map[string]bool{
	"POST /api/opencode/{port}/session/{id}/prompt":       true,
	"POST /api/opencode/{port}/session/{id}/prompt_async": true,
}

// badJSON returns a body of exactly n bytes that every route reading JSON
// refuses with 400 once it has read it whole, and at its first byte.
func badJSON(n int64) string { return "}" + strings.Repeat(" ", int(n-1)) }

// badJSONReader reads as badJSON(n), without holding it.
func badJSONReader(n int64) io.Reader {
	return io.MultiReader(strings.NewReader("}"), io.LimitReader(blanks{}, n-1))
}

// blanks reads spaces without end.
type blanks struct{}

var blankChunk = strings.Repeat(" ", 32<<10)

func (blanks) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		n += copy(p[n:], blankChunk)
	}
	return n, nil
}

// limitMessage is the 413 message for a body over limit bytes, raised with
// the given flag and option.
func limitMessage(limit string, prompt bool) string {
	if prompt {
		return "Request body is larger than " + limit + ", the limit for prompts; send less, or raise the limit with --max-prompt-mib (httpapi.WithMaxPromptBytes)"
	}
	return "Request body is larger than " + limit + ", the limit for this route; send less, or raise the limit with --max-body-mib (httpapi.WithMaxBodyBytes)"
}

// TestBodyLimitsPerRoute sends every route of the route table a body at its
// configured limit and one byte over it, announced (Content-Length) and
// not (chunked): the limit of each route is its own, over it is 413 naming
// the limit and how to raise it, and nothing reaches OpenCode.
func TestBodyLimitsPerRoute(t *testing.T) {
	t.Parallel()
	const maxBody, maxPrompt = 1000, 3000
	b := newGuardBed(t, httpapi.WithMaxBodyBytes(maxBody), httpapi.WithMaxPromptBytes(maxPrompt))
	const jsonType = "application/json"
	readers := 0
	// Stopping or restarting the bed's instance comes last: the other
	// routes need it.
	var patterns, last []string
	for _, p := range httpapi.Patterns(b.handler) {
		if strings.HasPrefix(p, "DELETE /api/instances/") || strings.HasSuffix(p, "/restart") {
			last = append(last, p)
		} else {
			patterns = append(patterns, p)
		}
	}
	patterns = append(patterns, last...)
	for _, pattern := range patterns {
		method, _, _ := strings.Cut(pattern, " ")
		path := b.path(t, pattern)
		limit, want := int64(maxBody), limitMessage("1000 bytes", false)
		if promptRoutes[pattern] {
			limit, want = maxPrompt, limitMessage("3000 bytes", true)
		}
		t.Run(pattern, func(t *testing.T) {
			// At the limit: read whole, and refused as no object, if read.
			status, envelope := b.do(t, method, path, guardRequest{body: badJSON(limit), contentType: jsonType})
			reads := status == 400 && strings.HasPrefix(fmt.Sprint(envelope["message"]), "Invalid body")
			if status == 413 {
				t.Errorf("%d bytes, the limit: 413 %v", limit, envelope)
			}
			if promptRoutes[pattern] && !reads {
				t.Errorf("%d bytes, the limit: %d %v, want 400 Invalid body (read whole)", limit, status, envelope)
			}
			if reads {
				readers++
			}
			for _, chunked := range []bool{false, true} {
				calls := b.upstream.Load()
				status, envelope := b.do(t, method, path, guardRequest{body: badJSON(limit + 1), chunked: chunked, contentType: jsonType})
				if !chunked || reads { // an unread body of unknown length meets no limit
					if status != 413 || envelope["code"] != "ETOOLARGE" || envelope["message"] != want {
						t.Errorf("%d bytes (chunked %v): %d %v, want 413 %q", limit+1, chunked, status, envelope, want)
					}
					if n := b.upstream.Load() - calls; n != 0 {
						t.Errorf("%d bytes (chunked %v): %d requests reached OpenCode", limit+1, chunked, n)
					}
				}
			}
		})
	}
	t.Logf("%d routes read their bodies", readers)
	if readers < 10 {
		t.Errorf("only %d routes read their bodies: the test no longer reaches the handlers", readers)
	}
}

// TestDefaultBodyLimits checks the default limits on every route: 32 MiB
// for prompts, 1 MiB for the rest. Every route is sent a body announced
// one byte over its limit. Read bodies (not announced) go to the 1 MiB
// routes and to the first prompt route only: the prompt routes share one
// limit, applied as on every route (TestBodyLimitsPerRoute reads each
// route's), and reading 32 MiB costs seconds of CPU under the race
// detector.
func TestDefaultBodyLimits(t *testing.T) {
	t.Parallel()
	h := newEmptyHandler(t)
	serve := func(method, path string, body io.Reader, length int64) (int, map[string]any) {
		r := httptest.NewRequest(method, path, body)
		r.Host = "127.0.0.1"
		r.ContentLength = length
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		var envelope map[string]any
		json.Unmarshal(w.Body.Bytes(), &envelope)
		return w.Code, envelope
	}
	promptRead := false // whether a prompt route was sent read bodies
	for _, pattern := range httpapi.Patterns(h) {
		method, path, _ := strings.Cut(pattern, " ")
		path = strings.NewReplacer("{port}", "4096", "{id}", "ses_limit", "{requestId}", "per_limit").Replace(path)
		limit, want := int64(httpapi.DefaultMaxBodyBytes), limitMessage("1 MiB", false)
		read := method == "POST" || method == "PATCH"
		if promptRoutes[pattern] {
			limit, want = httpapi.DefaultMaxPromptBytes, limitMessage("32 MiB", true)
			read, promptRead = !promptRead, true
		}
		t.Run(pattern, func(t *testing.T) {
			// Announced: refused before anything reads it.
			if status, envelope := serve(method, path, badJSONReader(limit+1), limit+1); status != 413 || envelope["message"] != want {
				t.Errorf("%d bytes announced: %d %v, want 413 %q", limit+1, status, envelope, want)
			}
			if !read {
				return
			}
			// Not announced: refused once read past the limit, if read.
			status, envelope := serve(method, path, badJSONReader(limit+1), -1)
			if status == 413 && envelope["message"] != want || promptRoutes[pattern] && status != 413 {
				t.Errorf("%d bytes chunked: %d %v, want 413 %q", limit+1, status, envelope, want)
			}
			if promptRoutes[pattern] {
				status, envelope := serve(method, path, badJSONReader(limit), -1)
				if status != 400 || !strings.HasPrefix(fmt.Sprint(envelope["message"]), "Invalid body") {
					t.Errorf("%d bytes chunked, the limit: %d %v, want 400 Invalid body (read whole)", limit, status, envelope)
				}
			}
		})
	}
	if !promptRead {
		t.Error("no route of the table is a prompt route: the prompt limit went unchecked")
	}
}

// promptStandIn is a stand-in OpenCode that records the prompt bodies it
// receives and answers them as OpenCode does.
type promptStandIn struct {
	mu     sync.Mutex
	bodies map[string][]byte // by request path
}

func (s *promptStandIn) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.bodies[r.URL.Path] = body
	s.mu.Unlock()
	switch {
	case strings.HasSuffix(r.URL.Path, "/prompt_async"):
		w.WriteHeader(http.StatusNoContent)
	case strings.HasSuffix(r.URL.Path, "/message"):
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"info":{"id":"msg_answer","sessionID":"ses_big","role":"assistant"},"parts":[]}`)
	default:
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, "{}")
	}
}

// received returns the parts' texts of the body OpenCode received on path.
func (s *promptStandIn) received(t *testing.T, path string) []string {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	var body struct {
		Parts []struct{ Text string } `json:"parts"`
	}
	if err := json.Unmarshal(s.bodies[path], &body); err != nil {
		t.Fatalf("body OpenCode received on %s: %v", path, err)
	}
	var texts []string
	for _, p := range body.Parts {
		texts = append(texts, p.Text)
	}
	return texts
}

// newPromptBed serves a Portal, with the given options, whose registry holds
// the stand-in OpenCode standIn. It returns the portal's URL and the
// stand-in's port.
func newPromptBed(t testing.TB, standIn http.Handler, opts ...httpapi.Option) (string, int) {
	t.Helper()
	reg := filepath.Join(t.TempDir(), "portal.json")
	oc := httptest.NewServer(standIn)
	port := oc.Listener.Addr().(*net.TCPAddr).Port
	if _, err := (&portaltest.OpenCode{Port: port, Dir: t.TempDir(), Password: "pw"}).Register(reg); err != nil {
		t.Fatal(err)
	}
	p, err := portal.New(portal.Config{RegistryPath: reg})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(newStandInHandler(t, p, opts...))
	t.Cleanup(func() { srv.Close(); p.Close(); oc.Close() })
	return srv.URL, port
}

// bigPrompt is a prompt of about size bytes, as a pasted log: lines that
// JSON escapes.
func bigPrompt(size int) string {
	line := "2026-01-01T00:00:00Z ERROR \"worker\" failed:\tretrying\n"
	return strings.Repeat(line, size/len(line)+1)
}

// TestLargePromptEndToEnd sends a 1.5 MiB prompt (a pasted log) through
// both prompt routes with the default limits: OpenCode receives all of it.
func TestLargePromptEndToEnd(t *testing.T) {
	t.Parallel()
	standIn := &promptStandIn{bodies: map[string][]byte{}}
	url, port := newPromptBed(t, standIn)
	text := bigPrompt(3 << 19)
	body, err := json.Marshal(map[string]string{"text": text})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		route, upstream string
		status          int
	}{
		{"prompt_async", "/session/ses_big/prompt_async", http.StatusAccepted},
		{"prompt", "/session/ses_big/message", http.StatusOK},
	} {
		t.Run(tt.route, func(t *testing.T) {
			resp, err := http.Post(url+"/api/opencode/"+strconv.Itoa(port)+"/session/ses_big/"+tt.route, "application/json", strings.NewReader(string(body)))
			if err != nil {
				t.Fatal(err)
			}
			answer, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Fatalf("%d-byte body: %d %s, want %d", len(body), resp.StatusCode, answer, tt.status)
			}
			got := standIn.received(t, tt.upstream)
			if len(got) != 1 || got[0] != text {
				t.Errorf("OpenCode received %d parts (first %d bytes), want the %d-byte text whole", len(got), len(strings.Join(got, "")), len(text))
			}
		})
	}
}

// TestMaxPromptBytes checks that WithMaxPromptBytes moves the prompt routes'
// limit, end to end, and leaves the other routes' alone.
func TestMaxPromptBytes(t *testing.T) {
	t.Parallel()
	url, port := newPromptBed(t, &promptStandIn{bodies: map[string][]byte{}}, httpapi.WithMaxPromptBytes(2<<20))
	post := func(route, body string) (int, map[string]any) {
		resp, err := http.Post(url+"/api/opencode/"+strconv.Itoa(port)+route, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var envelope map[string]any
		json.NewDecoder(resp.Body).Decode(&envelope)
		return resp.StatusCode, envelope
	}
	fits, _ := json.Marshal(map[string]string{"text": strings.Repeat("x", 2<<20-20)})
	over, _ := json.Marshal(map[string]string{"text": strings.Repeat("x", 2<<20)})
	if status, envelope := post("/session/ses_big/prompt_async", string(fits)); status != http.StatusAccepted {
		t.Errorf("prompt of %d bytes: %d %v, want 202", len(fits), status, envelope)
	}
	if status, envelope := post("/session/ses_big/prompt_async", string(over)); status != 413 || envelope["message"] != limitMessage("2 MiB", true) {
		t.Errorf("prompt of %d bytes: %d %v, want 413 naming 2 MiB", len(over), status, envelope)
	}
	if status, envelope := post("/session/create", badJSON(1<<20+1)); status != 413 || envelope["message"] != limitMessage("1 MiB", false) {
		t.Errorf("session/create, 1 MiB + 1: %d %v, want 413 naming 1 MiB", status, envelope)
	}
}
