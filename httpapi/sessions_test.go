package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/opencode-portal/portal/portaltest"
)

// sessionBed is the package's shared OpenCode and its fake model,
// registered in a portal served over HTTP.
type sessionBed struct {
	model *portaltest.FakeModel
	oc    *portaltest.OpenCode
	api   *apiServer
}

func newSessionBed(t testing.TB) *sessionBed {
	t.Helper()
	b := &sessionBed{oc: sharedOpenCode(t), model: sharedModel(t)}
	b.api = newAPIServer(t)
	if _, err := b.oc.Register(b.api.Registry); err != nil {
		t.Fatal(err)
	}
	return b
}

// call sends a request to the portal and returns the status and raw body.
func (b *sessionBed) call(t testing.TB, ctx context.Context, method, path, body string) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, portURL(b.api, b.oc.Port, path), rd)
	if err != nil {
		t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("%s %s: Content-Type %q, body %s", method, path, ct, data)
	}
	return resp.StatusCode, data
}

// callOK is call that fails the test unless the status is want, and
// decodes the answer into out.
func (b *sessionBed) callOK(t testing.TB, method, path, body string, want int, out any) {
	t.Helper()
	status, data := b.call(t, context.Background(), method, path, body)
	if status != want {
		t.Fatalf("%s %s: status %d, want %d: %s", method, path, status, want, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, data)
		}
	}
}

// createSession creates a session through the portal and returns its id.
func (b *sessionBed) createSession(t testing.TB) string {
	t.Helper()
	var s struct{ ID string }
	b.callOK(t, "POST", "session/create", "", 200, &s)
	t.Cleanup(func() { b.call(t, context.Background(), "POST", "session/"+s.ID+"/abort", "") })
	return s.ID
}

// busy reports whether GET session/status lists the session.
func (b *sessionBed) busy(t testing.TB, id string) bool {
	t.Helper()
	var st map[string]struct{ Type string }
	b.callOK(t, "GET", "session/status", "", 200, &st)
	_, ok := st[id]
	return ok
}

// lastMessage waits until the session is idle with a completed last
// assistant message, and returns that message.
func (b *sessionBed) lastMessage(t testing.TB, id string) apiMessage {
	t.Helper()
	var last apiMessage
	deadline := time.Now().Add(60 * time.Second)
	for {
		var msgs []apiMessage
		b.callOK(t, "GET", "session/"+id+"/messages", "", 200, &msgs)
		if n := len(msgs); n > 0 && !b.busy(t, id) {
			last = msgs[n-1]
			if last.Info.Role == "assistant" && last.Info.Time.Completed != 0 {
				return last
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("session %s did not finish its turn within 60s", id)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// apiMessage is the part of a relayed message the tests look at.
type apiMessage struct {
	Info struct {
		ID     string
		Role   string
		Finish string
		Error  *struct{ Name string }
		Time   struct{ Completed int64 }
	}
	Parts []struct {
		Type  string
		Text  string
		Tool  string
		State struct{ Status string }
	}
}

func (m apiMessage) text() string {
	var s string
	for _, p := range m.Parts {
		if p.Type == "text" {
			s += p.Text
		}
	}
	return s
}

// testSessionRoutes runs the session route tests against one real OpenCode,
// one after another, each with the fake model reset.
func testSessionRoutes(t *testing.T) {
	b := newSessionBed(t)
	tests := []struct {
		name string
		run  func(*testing.T, *sessionBed)
	}{
		{"CreatePromptReply", testCreatePromptReply},
		{"RelayMatchesOpenCode", testRelayMatchesOpenCode},
		{"BadRequests", testSessionBadRequests},
		{"PromptClientDisconnects", testPromptClientDisconnects},
		{"Abort", testAbortRoute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b.model.Reset()
			tt.run(t, b)
		})
	}
}

func testCreatePromptReply(t *testing.T, b *sessionBed) {
	id := b.createSession(t)
	b.model.Enqueue(portaltest.TextReply("Hi", " there"))
	var msg apiMessage
	var answer any
	status, raw := b.call(t, context.Background(), "POST", "session/"+id+"/prompt", `{"text":"hello","agent":"build","model":{"providerID":"fake","modelID":"fake-model"}}`)
	if err := errors.Join(json.Unmarshal(raw, &msg), json.Unmarshal(raw, &answer)); status != 200 || err != nil {
		t.Fatalf("prompt: %d %s (%v)", status, raw, err)
	}
	if msg.Info.Role != "assistant" || msg.Info.Finish != "stop" || msg.text() != "Hi there" {
		t.Errorf("prompt answered %+v", msg)
	}
	var msgs []apiMessage
	b.callOK(t, "GET", "session/"+id+"/messages", "", 200, &msgs)
	if len(msgs) != 2 || msgs[0].text() != "hello" || msgs[1].Info.ID != msg.Info.ID {
		t.Errorf("messages = %+v", msgs)
	}
	// The answer is OpenCode's message, field for field.
	if diff := cmp.Diff(openCodeJSON(t, b.oc, "/session/"+id+"/message/"+msg.Info.ID), answer); diff != "" {
		t.Errorf("prompt answer differs from OpenCode's message (-OpenCode +portal):\n%s", diff)
	}

	var renamed struct{ Title string }
	b.callOK(t, "PATCH", "session/"+id, `{"title":"Renamed"}`, 200, &renamed)
	var fork, child struct{ ID, ParentID string }
	b.callOK(t, "POST", "session/"+id+"/fork", `{}`, 200, &fork)
	b.callOK(t, "POST", "session/create", `{"title":"child","parentID":"`+id+`"}`, 200, &child)
	var kids []struct{ ID string }
	b.callOK(t, "GET", "session/"+id+"/children", "", 200, &kids)
	if renamed.Title != "Renamed" || fork.ID == "" || fork.ID == id || child.ParentID != id || len(kids) != 1 || kids[0].ID != child.ID {
		t.Errorf("renamed %q, fork %+v, child %+v, children %+v", renamed.Title, fork, child, kids)
	}

	var ok bool
	b.callOK(t, "DELETE", "session/"+fork.ID, "", 200, &ok)
	if !ok {
		t.Error("DELETE answered false")
	}
	b.callOK(t, "GET", "session/"+fork.ID, "", 404, nil)
}

// testRelayMatchesOpenCode compares what the portal relays with what
// OpenCode answers to the same call, with permission and question requests
// pending so that their lists are not empty.
func testRelayMatchesOpenCode(t *testing.T, b *sessionBed) {
	bash := b.createSession(t)
	ask := b.createSession(t)
	b.model.SetHandler(func(r *portaltest.ModelRequest) (portaltest.Reply, bool) {
		for _, m := range r.Messages {
			if m.Role == "tool" {
				return portaltest.Reply{}, false // the call was made: finish with the default text
			}
		}
		switch r.LastUser() {
		case "run":
			return portaltest.ToolCallReply("bash", map[string]string{"command": "echo relayed", "description": "Echo"}), true
		case "ask":
			return portaltest.ToolCallReply("question", map[string]any{"questions": []any{map[string]any{
				"question": "Which?", "header": "Pick", "options": []any{map[string]string{"label": "A", "description": "a"}},
			}}}), true
		}
		return portaltest.Reply{}, false
	})
	var accepted bool
	b.callOK(t, "POST", "session/"+bash+"/prompt_async", `{"text":"run"}`, 202, &accepted)
	b.callOK(t, "POST", "session/"+ask+"/prompt_async", `{"text":"ask"}`, 202, &accepted)
	var pending struct {
		perms, questions []struct{ ID, SessionID string }
	}
	deadline := time.Now().Add(60 * time.Second)
	for len(pending.perms) == 0 || len(pending.questions) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no permission and question pending after 60s: %+v", pending)
		}
		time.Sleep(50 * time.Millisecond)
		b.callOK(t, "GET", "permissions", "", 200, &pending.perms)
		b.callOK(t, "GET", "questions", "", 200, &pending.questions)
	}

	for _, c := range []struct{ portal, openCode string }{
		{"sessions?scope=all", "/experimental/session?limit=100000"},
		{"session/" + bash, "/session/" + bash},
		{"session/" + bash + "/messages", "/session/" + bash + "/message"},
		{"session/" + bash + "/children", "/session/" + bash + "/children"},
		{"session/status", "/session/status"},
		{"permissions", "/permission"},
		{"questions", "/question"},
	} {
		_, ours := getJSON(t, "GET", portURL(b.api, b.oc.Port, c.portal), nil)
		theirs := openCodeJSON(t, b.oc, c.openCode)
		if diff := cmp.Diff(theirs, ours); diff != "" {
			t.Errorf("GET %s differs from OpenCode's %s (-OpenCode +portal):\n%s", c.portal, c.openCode, diff)
		}
	}

	var ok bool
	b.callOK(t, "POST", "permission/"+pending.perms[0].ID+"/reply", `{"reply":"once"}`, 200, &ok)
	b.callOK(t, "POST", "question/"+pending.questions[0].ID+"/reply", `{"answers":[["A"]]}`, 200, &ok)
	for _, id := range []string{bash, ask} {
		if m := b.lastMessage(t, id); m.Info.Error != nil || m.text() != portaltest.DefaultText {
			t.Errorf("session %s ended with %+v", id, m)
		}
	}
}

func testSessionBadRequests(t *testing.T, b *sessionBed) {
	id := b.createSession(t)
	before := len(b.model.Requests())
	tests := []struct {
		method, path, body string
		status             int
		message            string // a part of the error message
	}{
		{"POST", "session/" + id + "/prompt", ``, 400, "Message text required"},
		{"POST", "session/" + id + "/prompt", `{}`, 400, "Message text required"},
		{"POST", "session/" + id + "/prompt", `{"text":""}`, 400, "Message text required"},
		{"POST", "session/" + id + "/prompt", `{"text":5}`, 400, `"text"`},
		{"POST", "session/" + id + "/prompt", `{"text":"x","model":"fake"}`, 400, `"model"`},
		{"POST", "session/" + id + "/prompt", `{"text":"x","model":{"providerID":"fake"}}`, 400, "modelID"},
		{"POST", "session/" + id + "/prompt", `{"text":`, 400, "malformed JSON"},
		{"POST", "session/" + id + "/prompt_async", `{"text":" "}`, 400, "Message text required"},
		{"POST", "session/abc/prompt", `{"text":"x"}`, 400, "session id"},
		{"GET", "session/abc", ``, 400, "session id"},
		{"GET", "session/per_1/messages", ``, 400, "session id"},
		{"DELETE", "session/ses_1%2F..%2Fx", ``, 400, "session id"},
		{"GET", "session/ses_000000000000nothing", ``, 404, "Session not found"},
		{"POST", "session/ses_000000000000nothing/prompt", `{"text":"x"}`, 404, "Session not found"},
		{"POST", "session/ses_000000000000nothing/prompt_async", `{"text":"x"}`, 404, "Session not found"},
		{"POST", "permission/per_000000000000nothing/reply", `{"reply":"once"}`, 404, ""},
		{"POST", "question/que_000000000000nothing/reject", ``, 404, ""},
		{"POST", "session/create", `{"parentID":"x"}`, 400, "parentID"},
		{"POST", "session/create", `{"title":7}`, 400, `"title"`},
		{"PATCH", "session/" + id, `{}`, 400, "Title required"},
		{"POST", "session/" + id + "/fork", `{"messageID":"prt_1"}`, 400, "messageID"},
		{"POST", "permission/per_1/reply", `{"reply":"maybe"}`, 400, "once, always or reject"},
		{"POST", "permission/per_1/reply", `{}`, 400, "once, always or reject"},
		{"POST", "permission/que_1/reply", `{"reply":"once"}`, 400, "requestId"},
		{"POST", "question/que_1/reply", `{}`, 400, "Answers required"},
		{"POST", "question/que_1/reply", `{"answers":"A"}`, 400, `"answers"`},
		{"POST", "question/que_1/reply", `{"answers":[null]}`, 400, "answers[0]"},
		{"POST", "question/per_1/reject", ``, 400, "requestId"},
		{"GET", "sessions?scope=everything", ``, 400, "scope"},
		{"GET", "sessions?directory=relative", ``, 400, "directory"},
	}
	for _, tt := range tests {
		status, data := b.call(t, context.Background(), tt.method, tt.path, tt.body)
		var env struct {
			StatusCode int
			Message    string
		}
		json.Unmarshal(data, &env)
		if status != tt.status || env.StatusCode != tt.status || !strings.Contains(env.Message, tt.message) {
			t.Errorf("%s %s %s: %d %s; want %d with %q", tt.method, tt.path, tt.body, status, data, tt.status, tt.message)
		}
	}
	var msgs []apiMessage
	b.callOK(t, "GET", "session/"+id+"/messages", "", 200, &msgs)
	if len(msgs) != 0 || len(b.model.Requests()) != before {
		t.Errorf("bad requests changed something: %d messages, %d model requests", len(msgs), len(b.model.Requests())-before)
	}
}

// testPromptClientDisconnects checks that a client leaving a prompt does
// not stop the turn: it runs to its end.
func testPromptClientDisconnects(t *testing.T, b *sessionBed) {
	id := b.createSession(t)
	release := make(chan struct{})
	b.model.Enqueue(portaltest.Reply{Chunks: []string{"done "}, Stall: true, Release: release})
	n := len(b.model.AgentRequests())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		req, _ := http.NewRequestWithContext(ctx, "POST", portURL(b.api, b.oc.Port, "session/"+id+"/prompt"), bytes.NewReader([]byte(`{"text":"long job"}`)))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	wctx, wcancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer wcancel()
	if _, err := b.model.WaitAgentRequest(wctx, n+1); err != nil {
		t.Fatal(err)
	}
	cancel() // the phone loses its connection
	if err := <-done; err == nil {
		t.Fatal("the prompt answered although the model stalls")
	}
	time.Sleep(time.Second)
	if !b.busy(t, id) {
		t.Fatal("the turn stopped when its client left")
	}
	close(release)
	m := b.lastMessage(t, id)
	if m.Info.Error != nil || m.Info.Finish != "stop" || m.text() != "done " {
		t.Errorf("the turn ended with %+v; want it finished normally", m)
	}
}

func testAbortRoute(t *testing.T, b *sessionBed) {
	id := b.createSession(t)
	b.model.Enqueue(portaltest.StallReply(nil))
	n := len(b.model.AgentRequests())
	var accepted bool
	b.callOK(t, "POST", "session/"+id+"/prompt_async", `{"text":"stall"}`, 202, &accepted)
	wctx, wcancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer wcancel()
	if _, err := b.model.WaitAgentRequest(wctx, n+1); err != nil {
		t.Fatal(err)
	}
	var ok bool
	b.callOK(t, "POST", "session/"+id+"/abort", "", 200, &ok)
	m := b.lastMessage(t, id)
	if !ok || m.Info.Error == nil || m.Info.Error.Name != "MessageAbortedError" {
		t.Errorf("abort answered %v; last message %+v; want MessageAbortedError", ok, m)
	}
}
