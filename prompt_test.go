package portal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/opencode-portal/portal/internal/testwait"
)

// fakeOpenCode is an OpenCode stand-in whose sync prompt never answers, for
// the prompt watchdog.
type fakeOpenCode struct {
	busy       atomic.Bool // whether /session/status lists the session
	statusDown atomic.Bool // whether /session/status fails
	promptOpen atomic.Int32
	release    chan struct{} // closing it answers the pending prompts
}

const fakeSessionID = "ses_fake1"

const fakeAssistant = `{"info":{"id":"msg_2","sessionID":"ses_fake1","role":"assistant","parentID":"msg_1","time":{"created":2,"completed":3},"finish":"stop","extra":"kept"},"parts":[{"id":"prt_1","sessionID":"ses_fake1","messageID":"msg_2","type":"text","text":"from the list"}]}`

func (f *fakeOpenCode) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	switch r.Method + " " + r.URL.Path {
	case "POST /session/" + fakeSessionID + "/message":
		io.Copy(io.Discard, r.Body) // lets the server notice the client leaving
		f.promptOpen.Add(1)
		defer f.promptOpen.Add(-1)
		select {
		case <-r.Context().Done():
		case <-f.release:
			w.Write([]byte(fakeAssistant))
		}
	case "GET /session/status":
		if f.statusDown.Load() {
			w.WriteHeader(http.StatusInternalServerError)
			w.Write([]byte(`{"name":"UnknownError","data":{"message":"down"}}`))
			return
		}
		if f.busy.Load() {
			w.Write([]byte(`{"` + fakeSessionID + `":{"type":"busy"}}`))
			return
		}
		w.Write([]byte(`{}`))
	case "GET /experimental/session":
		f.listSessions(w, r)
	case "GET /session/" + fakeSessionID + "/message":
		w.Write([]byte(`[{"info":{"id":"msg_1","sessionID":"ses_fake1","role":"user","time":{"created":1}},"parts":[]},` + fakeAssistant + `]`))
	default:
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte(`{"name":"NotFoundError","data":{"message":"no route"}}`))
	}
}

// fakeSessionCount sessions are listed by the fake, updated at times
// fakeSessionCount down to 1, in the directories /p/0, /p/1 and /p/2.
const fakeSessionCount = 1234

// listSessions serves /experimental/session like OpenCode: newest first, at
// most limit (default 100), older than cursor when given.
func (f *fakeOpenCode) listSessions(w http.ResponseWriter, r *http.Request) {
	limit, cursor := 100, int64(fakeSessionCount+1)
	if v := r.URL.Query().Get("limit"); v != "" {
		limit, _ = strconv.Atoi(v)
	}
	if v := r.URL.Query().Get("cursor"); v != "" {
		cursor, _ = strconv.ParseInt(v, 10, 64)
	}
	list := []map[string]any{}
	for updated := cursor - 1; updated >= 1 && len(list) < limit; updated-- {
		list = append(list, map[string]any{
			"id": fmt.Sprintf("ses_%05d", updated), "directory": fmt.Sprintf("/p/%d", updated%3),
			"time": map[string]int64{"created": updated, "updated": updated},
		})
	}
	json.NewEncoder(w).Encode(list)
}

// newFakePortal returns a Portal whose registry holds one instance served
// by f, with a fast prompt watchdog, and that instance's port.
func newFakePortal(t *testing.T, f *fakeOpenCode) (*Portal, int) {
	t.Helper()
	p, port, _ := newEventPortal(t, f)
	p.prompts.poll = 10 * time.Millisecond
	return p, port
}

func TestPromptWatchdogReadsLostAnswer(t *testing.T) {
	for _, busyFirst := range []bool{true, false} {
		f := &fakeOpenCode{release: make(chan struct{})}
		f.busy.Store(busyFirst)
		p, port := newFakePortal(t, f)
		if busyFirst {
			// The turn runs for a while, then ends without an answer.
			go func() {
				for f.promptOpen.Load() == 0 {
					time.Sleep(time.Millisecond)
				}
				time.Sleep(5 * p.prompts.poll)
				f.busy.Store(false)
			}()
		}
		testLostAnswer(t, f, p, port)
	}
}

func testLostAnswer(t *testing.T, f *fakeOpenCode, p *Portal, port int) {
	msg, err := p.Prompt(context.Background(), port, fakeSessionID, PromptInput{Text: "hi"})
	if err != nil {
		t.Fatal(err)
	}
	if msg.Info.ID != "msg_2" || msg.Text() != "from the list" {
		t.Errorf("Prompt answered %+v, want the last assistant message of the list", msg)
	}
	b, _ := json.Marshal(msg)
	if diff := cmp.Diff(fakeAssistant, string(b)); diff != "" {
		t.Errorf("message JSON (-OpenCode +ours):\n%s", diff)
	}
	testwait.Until(t, "the stalled call to end", func() bool { return f.promptOpen.Load() == 0 })
}

func TestPromptWatchdogWaitsWhileBusy(t *testing.T) {
	f := &fakeOpenCode{release: make(chan struct{})}
	f.busy.Store(true)
	p, port := newFakePortal(t, f)
	res := make(chan error, 1)
	go func() {
		_, err := p.Prompt(context.Background(), port, fakeSessionID, PromptInput{Text: "hi"})
		res <- err
	}()
	// Many watchdog periods pass while the session is busy: the wait goes on.
	time.Sleep(20 * p.prompts.poll)
	select {
	case err := <-res:
		t.Fatalf("Prompt returned while the session was busy: %v", err)
	default:
	}
	close(f.release)
	if err := <-res; err != nil {
		t.Fatal(err)
	}
}

func TestPromptWatchdogOpenCodeGone(t *testing.T) {
	f := &fakeOpenCode{release: make(chan struct{})}
	f.statusDown.Store(true)
	p, port := newFakePortal(t, f)
	_, err := p.Prompt(context.Background(), port, fakeSessionID, PromptInput{Text: "hi"})
	if !errors.Is(err, ErrUnavailable) {
		t.Errorf("Prompt with OpenCode's status failing: err = %v, want EUNAVAILABLE", err)
	}
}

func TestPromptCallerLeavesCallGoesOn(t *testing.T) {
	f := &fakeOpenCode{release: make(chan struct{})}
	f.busy.Store(true)
	p, port := newFakePortal(t, f)
	ctx, cancel := context.WithCancel(context.Background())
	res := make(chan error, 1)
	go func() {
		_, err := p.Prompt(ctx, port, fakeSessionID, PromptInput{Text: "hi"})
		res <- err
	}()
	testwait.Until(t, "the prompt to reach OpenCode", func() bool { return f.promptOpen.Load() == 1 })
	cancel()
	if err := <-res; !errors.Is(err, ErrTimeout) {
		t.Errorf("Prompt after its caller left: err = %v, want ETIMEOUT", err)
	}
	time.Sleep(10 * p.prompts.poll)
	if f.promptOpen.Load() != 1 {
		t.Fatal("the call to OpenCode ended with its caller")
	}
	close(f.release)
	testwait.Until(t, "the prompt call to end", func() bool { return f.promptOpen.Load() == 0 })
}

func TestPromptCloseEndsCalls(t *testing.T) {
	f := &fakeOpenCode{release: make(chan struct{})}
	f.busy.Store(true)
	p, port := newFakePortal(t, f)
	res := make(chan error, 1)
	go func() {
		_, err := p.Prompt(context.Background(), port, fakeSessionID, PromptInput{Text: "hi"})
		res <- err
	}()
	testwait.Until(t, "the prompt to reach OpenCode", func() bool { return f.promptOpen.Load() == 1 })
	p.Close()
	if err := <-res; !errors.Is(err, ErrUnavailable) {
		t.Errorf("Prompt during Close: err = %v, want EUNAVAILABLE", err)
	}
	if _, err := p.Prompt(context.Background(), port, fakeSessionID, PromptInput{Text: "hi"}); !errors.Is(err, ErrUnavailable) {
		t.Errorf("Prompt after Close: err = %v, want EUNAVAILABLE", err)
	}
}

func TestPromptInputChecks(t *testing.T) {
	f := &fakeOpenCode{release: make(chan struct{})}
	p, port := newFakePortal(t, f)
	tests := []struct {
		name string
		id   string
		in   PromptInput
		want string
	}{
		{"empty text", fakeSessionID, PromptInput{}, "Message text required"},
		{"blank text", fakeSessionID, PromptInput{Text: " \n"}, "Message text required"},
		{"half a model", fakeSessionID, PromptInput{Text: "x", Model: &ModelRef{ProviderID: "fake"}}, "Invalid model: both providerID and modelID are required"},
		{"bad session id", "abc", PromptInput{Text: "x"}, `Invalid session id "abc": it must start with "ses"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := p.Prompt(context.Background(), port, tt.id, tt.in)
			if ErrorCode(err) != EINVALID || ErrorMessage(err) != tt.want {
				t.Errorf("Prompt: %v (%s), want EINVALID %q", err, ErrorCode(err), tt.want)
			}
			err = p.PromptAsync(context.Background(), port, tt.id, tt.in)
			if ErrorCode(err) != EINVALID || ErrorMessage(err) != tt.want {
				t.Errorf("PromptAsync: %v (%s), want EINVALID %q", err, ErrorCode(err), tt.want)
			}
		})
	}
	if n := f.promptOpen.Load(); n != 0 {
		t.Errorf("invalid prompts reached OpenCode: %d", n)
	}
}

func TestSessionsPages(t *testing.T) {
	f := &fakeOpenCode{release: make(chan struct{})}
	p, port := newFakePortal(t, f)
	all, err := p.Sessions(context.Background(), port, SessionListOptions{Scope: ScopeAll})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != fakeSessionCount {
		t.Fatalf("Sessions(all) = %d sessions, want %d", len(all), fakeSessionCount)
	}
	for i, s := range all {
		if want := int64(fakeSessionCount - i); s.Time.Updated != want {
			t.Fatalf("session %d updated at %d, want %d (newest first, none twice)", i, s.Time.Updated, want)
		}
	}
	some, err := p.Sessions(context.Background(), port, SessionListOptions{Directory: "/p/1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(some) != fakeSessionCount/3+1 {
		t.Errorf("Sessions(/p/1) = %d sessions, want %d", len(some), fakeSessionCount/3+1)
	}
	for _, s := range some {
		if s.Directory != "/p/1" {
			t.Errorf("Sessions(/p/1) listed %s in %s", s.ID, s.Directory)
		}
	}
}

func TestCheckID(t *testing.T) {
	tests := []struct {
		id, prefix string
		ok         bool
	}{
		{"ses_21eac3d17001iF4XyLi0254ade", "ses", true},
		{"per_21eacf06a001PH7Ak2EZ7C3D7U", "per", true},
		{"que_1", "que", true},
		{"msg_1-x", "msg", true},
		{"", "ses", false},
		{"per_1", "ses", false},
		{"ses_1/../x", "ses", false},
		{"ses_1?x=1", "ses", false},
		{"ses_1%2F", "ses", false},
		{"ses_é", "ses", false},
		{"ses_" + string(make([]byte, 200)), "ses", false},
	}
	for _, tt := range tests {
		err := checkID("id", tt.prefix, tt.id)
		if (err == nil) != tt.ok || err != nil && ErrorCode(err) != EINVALID {
			t.Errorf("checkID(%q, %q) = %v, want ok=%v", tt.prefix, tt.id, err, tt.ok)
		}
	}
}

func TestInDir(t *testing.T) {
	tests := []struct {
		path, dir string
		want      bool
	}{
		{"/a/b", "/a/b", true},
		{"/a/b/c", "/a/b", true},
		{"/a/b/", "/a/b", true},
		{"/a/b-c", "/a/b", false},
		{"/a", "/a/b", false},
		{"/a/bc/d", "/a/b", false},
		{"/x", "/", true},
	}
	for _, tt := range tests {
		if got := inDir(tt.path, tt.dir); got != tt.want {
			t.Errorf("inDir(%q, %q) = %v, want %v", tt.path, tt.dir, got, tt.want)
		}
	}
}

// FuzzSessionTypesKeepJSON checks that every type decoded from OpenCode
// marshals back to the bytes it was decoded from.
func FuzzSessionTypesKeepJSON(f *testing.F) {
	f.Add(fakeAssistant)
	f.Add(`{"id":"ses_1","title":"t","time":{"created":1,"updated":2},"future":[1,{"a":null}]}`)
	f.Add(`{"id":"per_1","sessionID":"ses_1","permission":"bash","patterns":["ls"],"always":["ls *"],"metadata":{"command":"ls"},"tool":{"messageID":"msg_1","callID":"c"}}`)
	f.Add(`{"id":"que_1","questions":[{"question":"q","header":"h","options":[{"label":"A","description":"a"}]}]}`)
	f.Add(`{"type":"retry","attempt":2,"message":"m","next":5}`)
	f.Fuzz(func(t *testing.T, data string) {
		var compact = func(b []byte) string {
			var v any
			if json.Unmarshal(b, &v) != nil {
				t.Fatalf("not JSON: %q", b)
			}
			out, _ := json.Marshal(v)
			return string(out)
		}
		for _, v := range []any{&Session{}, &Message{}, &Part{}, &PermissionRequest{}, &QuestionRequest{}, &SessionStatus{}, &MessageInfo{}} {
			if json.Unmarshal([]byte(data), v) != nil {
				continue
			}
			out, err := json.Marshal(v)
			if err != nil {
				t.Fatalf("%T: marshal: %v", v, err)
			}
			if _, isMsg := v.(*Message); isMsg {
				continue // the wrapper rebuilds {info, parts}; its members keep their JSON
			}
			if compact(out) != compact([]byte(data)) {
				t.Fatalf("%T changed the JSON:\n in: %s\nout: %s", v, data, out)
			}
		}
	})
}
