package portal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/opencode-portal/portal/internal/fakeopencode"
	"github.com/opencode-portal/portal/internal/testwait"
)

const fakeSessionID = "ses_fake1"

const fakeAssistant = `{"info":{"id":"msg_2","sessionID":"ses_fake1","role":"assistant","parentID":"msg_1","time":{"created":2,"completed":3},"finish":"stop","extra":"kept"},"parts":[{"id":"prt_1","sessionID":"ses_fake1","messageID":"msg_2","type":"text","text":"from the list"}]}`

// newPromptFake returns the fake OpenCode for the prompt watchdog: it
// takes the prompts of fakeSessionID and answers them, with fakeAssistant,
// only once told to.
func newPromptFake() *fakeopencode.Server {
	return &fakeopencode.Server{PromptSession: fakeSessionID, Answer: fakeAssistant,
		Messages: `[{"info":{"id":"msg_1","sessionID":"ses_fake1","role":"user","time":{"created":1}},"parts":[]},` + fakeAssistant + `]`}
}

// newFakePortal returns a Portal whose registry holds one instance served
// by f, with a fast prompt watchdog, and that instance's port.
func newFakePortal(t *testing.T, f *fakeopencode.Server) (*Portal, int) {
	t.Helper()
	p, port, _ := newEventPortal(t, f)
	p.prompts.poll = 10 * time.Millisecond
	return p, port
}

func TestPromptWatchdogReadsLostAnswer(t *testing.T) {
	for _, busyFirst := range []bool{true, false} {
		f := newPromptFake()
		f.Busy.Store(busyFirst)
		p, port := newFakePortal(t, f)
		if busyFirst {
			// The turn runs for a while, then ends without an answer.
			go func() {
				for f.PromptsOpen() == 0 {
					time.Sleep(time.Millisecond)
				}
				time.Sleep(5 * p.prompts.poll)
				f.Busy.Store(false)
			}()
		}
		testLostAnswer(t, f, p, port)
	}
}

func testLostAnswer(t *testing.T, f *fakeopencode.Server, p *Portal, port int) {
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
	testwait.Until(t, "the stalled call to end", func() bool { return f.PromptsOpen() == 0 })
}

func TestPromptWatchdogWaitsWhileBusy(t *testing.T) {
	f := newPromptFake()
	f.Busy.Store(true)
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
	f.AnswerPrompts()
	if err := <-res; err != nil {
		t.Fatal(err)
	}
}

func TestPromptWatchdogOpenCodeGone(t *testing.T) {
	f := newPromptFake()
	f.StatusDown.Store(true)
	p, port := newFakePortal(t, f)
	_, err := p.Prompt(context.Background(), port, fakeSessionID, PromptInput{Text: "hi"})
	if !errors.Is(err, ErrUnavailable) {
		t.Errorf("Prompt with OpenCode's status failing: err = %v, want EUNAVAILABLE", err)
	}
}

func TestPromptCallerLeavesCallGoesOn(t *testing.T) {
	f := newPromptFake()
	f.Busy.Store(true)
	p, port := newFakePortal(t, f)
	ctx, cancel := context.WithCancel(context.Background())
	res := make(chan error, 1)
	go func() {
		_, err := p.Prompt(ctx, port, fakeSessionID, PromptInput{Text: "hi"})
		res <- err
	}()
	testwait.Until(t, "the prompt to reach OpenCode", func() bool { return f.PromptsOpen() == 1 })
	cancel()
	if err := <-res; !errors.Is(err, ErrTimeout) {
		t.Errorf("Prompt after its caller left: err = %v, want ETIMEOUT", err)
	}
	time.Sleep(10 * p.prompts.poll)
	if f.PromptsOpen() != 1 {
		t.Fatal("the call to OpenCode ended with its caller")
	}
	f.AnswerPrompts()
	testwait.Until(t, "the prompt call to end", func() bool { return f.PromptsOpen() == 0 })
}

func TestPromptCloseEndsCalls(t *testing.T) {
	f := newPromptFake()
	f.Busy.Store(true)
	p, port := newFakePortal(t, f)
	res := make(chan error, 1)
	go func() {
		_, err := p.Prompt(context.Background(), port, fakeSessionID, PromptInput{Text: "hi"})
		res <- err
	}()
	testwait.Until(t, "the prompt to reach OpenCode", func() bool { return f.PromptsOpen() == 1 })
	p.Close()
	if err := <-res; !errors.Is(err, ErrUnavailable) {
		t.Errorf("Prompt during Close: err = %v, want EUNAVAILABLE", err)
	}
	if _, err := p.Prompt(context.Background(), port, fakeSessionID, PromptInput{Text: "hi"}); !errors.Is(err, ErrUnavailable) {
		t.Errorf("Prompt after Close: err = %v, want EUNAVAILABLE", err)
	}
}

func TestPromptInputChecks(t *testing.T) {
	f := newPromptFake()
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
	if n := f.PromptsOpen(); n != 0 {
		t.Errorf("invalid prompts reached OpenCode: %d", n)
	}
}

func TestSessionsPages(t *testing.T) {
	// fakeSessionCount sessions, updated at times fakeSessionCount down to
	// 1, in the directories /p/0, /p/1 and /p/2.
	const fakeSessionCount = 1234
	f := newPromptFake()
	for updated := int64(fakeSessionCount); updated >= 1; updated-- {
		f.Sessions = append(f.Sessions, fakeopencode.Session{ID: fmt.Sprintf("ses_%05d", updated),
			Directory: fmt.Sprintf("/p/%d", updated%3), Time: fakeopencode.SessionTime{Created: updated, Updated: updated}})
	}
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
