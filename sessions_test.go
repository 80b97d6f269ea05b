package portal_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/opencode-portal/portal"
	"github.com/opencode-portal/portal/internal/testwait"
	"github.com/opencode-portal/portal/portaltest"
)

// openCodeBed is one real OpenCode, driven by a fake model, registered in a
// Portal.
type openCodeBed struct {
	Model  *portaltest.FakeModel
	OC     *portaltest.OpenCode
	Portal *portal.Portal
	Port   int
}

// TestSessionsWithOpenCode runs the session tests against the shared real
// OpenCode (sharedbed_test.go), one after another, each with the fake
// model reset and its own sessions.
func TestSessionsWithOpenCode(t *testing.T) {
	beds.start()
	t.Parallel()
	b := beds.wait(t)
	tests := []struct {
		name string
		run  func(*testing.T, *openCodeBed)
	}{
		{"Lifecycle", testSessionLifecycle},
		{"Scope", testSessionsScope},
		{"TwoProjects", testSessionsOfTwoProjects},
		{"ListingFollowsChanges", testSessionListingFollowsChanges},
		{"PromptReplyText", testPromptReplyText},
		{"PromptToolWritesFile", testPromptToolWritesFile},
		{"PermissionOnce", testPermissionOnce},
		{"PermissionAlways", testPermissionAlways},
		{"PermissionReject", testPermissionReject},
		{"PermissionRejectWithMessage", testPermissionRejectWithMessage},
		{"QuestionReply", testQuestionReply},
		{"QuestionReject", testQuestionReject},
		{"AbortStalledTurn", testAbortStalledTurn},
		{"PromptOutlivesItsCaller", testPromptOutlivesItsCaller},
		{"Errors", testSessionErrors},
		{"InstalledNothing", testOpenCodeInstalledNothing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b.Model.Reset()
			tt.run(t, b)
		})
	}
}

// testOpenCodeInstalledNothing checks, once the tests before it have
// prompted OpenCode, that its HOME prepared by portaltest.PrepareHome kept
// it from installing its plugin package from npm: that install writes a
// package.json in the global config folder and fills npm's cache in HOME;
// and that its temporary files are in its HOME too, not left in /tmp.
func testOpenCodeInstalledNothing(t *testing.T, b *openCodeBed) {
	for _, name := range []string{".config/opencode/package.json", ".npm"} {
		if _, err := os.Stat(filepath.Join(b.OC.Home, name)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("OpenCode's HOME holds %s (error %v): it installed packages from npm", name, err)
		}
	}
	modules, err := os.ReadDir(filepath.Join(b.OC.Home, ".config", "opencode", "node_modules"))
	if err != nil || len(modules) > 0 {
		t.Errorf("node_modules of OpenCode's global config folder: %d entries, error %v; want 0 entries", len(modules), err)
	}
	// What OpenCode unpacks and leaves in its TMPDIR goes with its HOME.
	if tmp, err := os.ReadDir(filepath.Join(b.OC.Home, "tmp")); err != nil || len(tmp) == 0 {
		t.Errorf("OpenCode's TMPDIR in its HOME: %d entries, error %v; want what it unpacked there", len(tmp), err)
	}
}

// newSession creates a session that is aborted when the test ends, so a
// failed test leaves no turn running into the next one.
func (b *openCodeBed) newSession(t testing.TB) portal.Session {
	t.Helper()
	s, err := b.Portal.CreateSession(context.Background(), b.Port, portal.SessionCreateOptions{Title: t.Name()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Portal.Abort(context.Background(), b.Port, s.ID) })
	return s
}

// waitIdle waits until the session's last assistant message is complete
// and the session is no longer busy, and returns the messages.
func (b *openCodeBed) waitIdle(t testing.TB, id string) []portal.Message {
	t.Helper()
	var msgs []portal.Message
	testwait.Until(t, "the turn of "+id+" to end", func() bool {
		st, err := b.Portal.SessionStatus(context.Background(), b.Port)
		if err != nil {
			t.Fatal(err)
		}
		if _, busy := st[id]; busy {
			return false
		}
		msgs, err = b.Portal.Messages(context.Background(), b.Port, id)
		if err != nil {
			t.Fatal(err)
		}
		last := msgs[len(msgs)-1].Info
		return last.Role == "assistant" && last.Time.Completed != 0
	})
	return msgs
}

// toolPart returns the tool part of msgs calling tool.
func toolPart(t testing.TB, msgs []portal.Message, tool string) portal.Part {
	t.Helper()
	for _, m := range msgs {
		for _, p := range m.Parts {
			if p.Type == "tool" && p.Tool == tool {
				return p
			}
		}
	}
	t.Fatalf("no %s tool part in the messages", tool)
	return portal.Part{}
}

func testSessionLifecycle(t *testing.T, b *openCodeBed) {
	ctx := context.Background()
	s := b.newSession(t)
	if !strings.HasPrefix(s.ID, "ses_") || s.Title != t.Name() || s.Directory != b.OC.Dir {
		t.Errorf("CreateSession = id %q title %q directory %q", s.ID, s.Title, s.Directory)
	}

	got, err := b.Portal.Session(ctx, b.Port, s.ID)
	if err != nil || got.ID != s.ID {
		t.Fatalf("Session(%s) = %+v, %v", s.ID, got, err)
	}
	renamed, err := b.Portal.UpdateSession(ctx, b.Port, s.ID, portal.SessionUpdate{Title: "Renamed"})
	if err != nil || renamed.Title != "Renamed" {
		t.Errorf("UpdateSession = %q, %v; want title Renamed", renamed.Title, err)
	}

	child, err := b.Portal.CreateSession(ctx, b.Port, portal.SessionCreateOptions{ParentID: s.ID})
	if err != nil || child.ParentID != s.ID {
		t.Fatalf("CreateSession with parent = %+v, %v", child, err)
	}
	kids, err := b.Portal.Children(ctx, b.Port, s.ID)
	if err != nil || len(kids) != 1 || kids[0].ID != child.ID {
		t.Errorf("Children = %v, %v; want [%s]", ids(kids), err, child.ID)
	}

	fork, err := b.Portal.Fork(ctx, b.Port, s.ID, "")
	if err != nil || fork.ID == s.ID || fork.ParentID != "" {
		t.Errorf("Fork = %+v, %v; want a new session without parent", fork, err)
	}

	list, err := b.Portal.Sessions(ctx, b.Port, portal.SessionListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{s.ID, child.ID, fork.ID} {
		if !slices.Contains(ids(list), want) {
			t.Errorf("Sessions() lacks %s: %v", want, ids(list))
		}
	}

	if err := b.Portal.DeleteSession(ctx, b.Port, s.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Portal.Session(ctx, b.Port, s.ID); !errors.Is(err, portal.ErrNotFound) {
		t.Errorf("Session after delete: err = %v, want ENOTFOUND", err)
	}
	if _, err := b.Portal.Session(ctx, b.Port, child.ID); !errors.Is(err, portal.ErrNotFound) {
		t.Errorf("child after deleting its parent: err = %v, want ENOTFOUND", err)
	}
	b.Portal.DeleteSession(ctx, b.Port, fork.ID)
}

func testSessionsScope(t *testing.T, b *openCodeBed) {
	ctx := context.Background()
	s := b.newSession(t)
	other := t.TempDir()
	tests := []struct {
		name string
		opts portal.SessionListOptions
		want bool // whether s is listed
	}{
		{"instance directory", portal.SessionListOptions{}, true},
		{"the same directory given", portal.SessionListOptions{Directory: b.OC.Dir}, true},
		{"a parent directory", portal.SessionListOptions{Directory: filepath.Dir(b.OC.Dir)}, true},
		{"a sibling with the same prefix", portal.SessionListOptions{Directory: b.OC.Dir + "-x"}, false},
		{"another directory", portal.SessionListOptions{Directory: other}, false},
		{"all", portal.SessionListOptions{Scope: portal.ScopeAll, Directory: other}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			list, err := b.Portal.Sessions(ctx, b.Port, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := slices.Contains(ids(list), s.ID); got != tt.want {
				t.Errorf("listed = %v, want %v (%v)", got, tt.want, ids(list))
			}
		})
	}
	for _, bad := range []portal.SessionListOptions{{Directory: "relative/dir"}, {Scope: "everything"}} {
		if _, err := b.Portal.Sessions(ctx, b.Port, bad); !errors.Is(err, portal.ErrInvalid) {
			t.Errorf("Sessions(%+v): err = %v, want EINVALID", bad, err)
		}
	}
}

func testPromptReplyText(t *testing.T, b *openCodeBed) {
	ctx := context.Background()
	s := b.newSession(t)
	b.Model.Enqueue(portaltest.TextReply("Hello", " from", " the fake model"))
	msg, err := b.Portal.Prompt(ctx, b.Port, s.ID, portal.PromptInput{Text: "say hello"})
	if err != nil {
		t.Fatal(err)
	}
	if msg.Info.Role != "assistant" || msg.Info.Finish != "stop" || msg.Info.Time.Completed == 0 || msg.Info.Error != nil {
		t.Errorf("Prompt answer info = %+v", msg.Info)
	}
	if got := msg.Text(); got != "Hello from the fake model" {
		t.Errorf("Prompt answer text = %q", got)
	}
	msgs, err := b.Portal.Messages(ctx, b.Port, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	var roles []string
	for _, m := range msgs {
		roles = append(roles, m.Info.Role)
	}
	if diff := cmp.Diff([]string{"user", "assistant"}, roles); diff != "" {
		t.Errorf("message roles (-want +got):\n%s", diff)
	}
	if msgs[0].Text() != "say hello" || msgs[1].Info.ID != msg.Info.ID {
		t.Errorf("messages: user %q, assistant %s; want %q, %s", msgs[0].Text(), msgs[1].Info.ID, "say hello", msg.Info.ID)
	}
}

func testPromptToolWritesFile(t *testing.T, b *openCodeBed) {
	ctx := context.Background()
	s := b.newSession(t)
	path := filepath.Join(b.OC.Dir, "written-by-agent.txt")
	b.Model.Enqueue(
		portaltest.ToolCallReply("write", map[string]string{"filePath": path, "content": "made by the agent\n"}),
		portaltest.TextReply("The file is written."),
	)
	n := len(b.Model.AgentRequests())
	msg, err := b.Portal.Prompt(ctx, b.Port, s.ID, portal.PromptInput{Text: "write a file"})
	if err != nil {
		t.Fatal(err)
	}
	if msg.Text() != "The file is written." {
		t.Errorf("final message text = %q", msg.Text())
	}
	data, err := os.ReadFile(path)
	if err != nil || string(data) != "made by the agent\n" {
		t.Errorf("file = %q, %v", data, err)
	}
	// The model got the tool's result in its next request.
	second, err := b.Model.WaitAgentRequest(ctx, n+2)
	if err != nil {
		t.Fatal(err)
	}
	var callID string
	for _, m := range second.Messages {
		if m.Role == "assistant" && len(m.ToolCalls) == 1 && m.ToolCalls[0].Name == "write" {
			callID = m.ToolCalls[0].ID
		}
	}
	if res, ok := second.ToolResult(callID); !ok || !strings.Contains(res, "Wrote file successfully") {
		t.Errorf("tool result sent to the model = %q, %v", res, ok)
	}
	part := toolPart(t, b.waitIdle(t, s.ID), "write")
	if part.State == nil || part.State.Status != "completed" {
		t.Errorf("write tool part state = %+v", part.State)
	}
}

// bashCall asks for a bash command.
func bashCall(command string) portaltest.Reply {
	return portaltest.ToolCallReply("bash", map[string]string{"command": command, "description": "Run " + command})
}

// waitPermission waits for the permission request of session id.
func (b *openCodeBed) waitPermission(t testing.TB, id string) portal.PermissionRequest {
	t.Helper()
	return waitPending(t, "a permission request", b.Portal.Permissions, b.Port,
		func(r portal.PermissionRequest) bool { return r.SessionID == id })
}

// waitPending polls list until it holds a request that match accepts, and
// returns that request.
func waitPending[R any](t testing.TB, what string, list func(context.Context, int) ([]R, error), port int, match func(R) bool) R {
	t.Helper()
	var found R
	testwait.Until(t, what, func() bool {
		reqs, err := list(context.Background(), port)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range reqs {
			if match(r) {
				found = r
				return true
			}
		}
		return false
	})
	return found
}

func testPermissionOnce(t *testing.T, b *openCodeBed) {
	ctx := context.Background()
	s := b.newSession(t)
	b.Model.Enqueue(bashCall("echo ran > once.txt"), portaltest.TextReply("ran it"))
	if err := b.Portal.PromptAsync(ctx, b.Port, s.ID, portal.PromptInput{Text: "run it"}); err != nil {
		t.Fatal(err)
	}
	req := b.waitPermission(t, s.ID)
	if req.Permission != "bash" || !strings.HasPrefix(req.ID, "per") || req.Tool == nil ||
		!cmp.Equal(req.Patterns, []string{"echo ran > once.txt"}) {
		t.Errorf("permission request = %+v", req)
	}
	if _, err := os.Stat(filepath.Join(b.OC.Dir, "once.txt")); err == nil {
		t.Fatal("the command ran before permission was given")
	}
	if err := b.Portal.ReplyPermission(ctx, b.Port, req.ID, portal.PermissionReply{Reply: portal.ReplyOnce}); err != nil {
		t.Fatal(err)
	}
	msgs := b.waitIdle(t, s.ID)
	if data, err := os.ReadFile(filepath.Join(b.OC.Dir, "once.txt")); err != nil || string(data) != "ran\n" {
		t.Errorf("once.txt = %q, %v", data, err)
	}
	if p := toolPart(t, msgs, "bash"); p.State.Status != "completed" {
		t.Errorf("bash part state = %+v", p.State)
	}
	if last := msgs[len(msgs)-1]; last.Text() != "ran it" {
		t.Errorf("final text = %q", last.Text())
	}
	// A reply to a request that is gone is an error, not a silent success.
	err := b.Portal.ReplyPermission(ctx, b.Port, req.ID, portal.PermissionReply{Reply: portal.ReplyOnce})
	if err == nil {
		t.Error("a second reply to the same permission request succeeded")
	}
}

func testPermissionReject(t *testing.T, b *openCodeBed) {
	ctx := context.Background()
	s := b.newSession(t)
	b.Model.Enqueue(bashCall("echo ran > rejected.txt"), portaltest.TextReply("must not be asked for"))
	if err := b.Portal.PromptAsync(ctx, b.Port, s.ID, portal.PromptInput{Text: "run it"}); err != nil {
		t.Fatal(err)
	}
	req := b.waitPermission(t, s.ID)
	n := len(b.Model.AgentRequests())
	if err := b.Portal.ReplyPermission(ctx, b.Port, req.ID, portal.PermissionReply{Reply: portal.ReplyReject}); err != nil {
		t.Fatal(err)
	}
	msgs := b.waitIdle(t, s.ID)
	if _, err := os.Stat(filepath.Join(b.OC.Dir, "rejected.txt")); err == nil {
		t.Error("the rejected command ran")
	}
	p := toolPart(t, msgs, "bash")
	if p.State.Status != "error" || !strings.Contains(p.State.Error, "rejected") {
		t.Errorf("bash part state = %+v, want an error saying it was rejected", p.State)
	}
	if got := len(b.Model.AgentRequests()); got != n || b.Model.Pending() != 1 {
		t.Errorf("the model was called %d more times after the reject; the turn should end", got-n)
	}
}

func testPermissionAlways(t *testing.T, b *openCodeBed) {
	ctx := context.Background()
	s := b.newSession(t)
	// "always" approves the pattern for every session of the project from
	// then on, so this test uses a command no other test runs.
	b.Model.Enqueue(bashCall("touch always1.txt"), bashCall("touch always2.txt"), portaltest.TextReply("both ran"))
	if err := b.Portal.PromptAsync(ctx, b.Port, s.ID, portal.PromptInput{Text: "run twice"}); err != nil {
		t.Fatal(err)
	}
	req := b.waitPermission(t, s.ID)
	if !cmp.Equal(req.Always, []string{"touch *"}) {
		t.Errorf("always patterns = %q, want [touch *]", req.Always)
	}
	if err := b.Portal.ReplyPermission(ctx, b.Port, req.ID, portal.PermissionReply{Reply: portal.ReplyAlways}); err != nil {
		t.Fatal(err)
	}
	// The second call matches "touch *": it runs without a new request
	// (one would block the turn and time this wait out).
	msgs := b.waitIdle(t, s.ID)
	for _, name := range []string{"always1.txt", "always2.txt"} {
		if _, err := os.Stat(filepath.Join(b.OC.Dir, name)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if last := msgs[len(msgs)-1]; last.Text() != "both ran" {
		t.Errorf("final text = %q", last.Text())
	}
}

// A reject that carries a message does not end the turn: OpenCode hands the
// message to the model as the tool's error, and the agent goes on.
func testPermissionRejectWithMessage(t *testing.T, b *openCodeBed) {
	ctx := context.Background()
	s := b.newSession(t)
	b.Model.Enqueue(bashCall("echo ran > corrected.txt"), portaltest.TextReply("understood"))
	if err := b.Portal.PromptAsync(ctx, b.Port, s.ID, portal.PromptInput{Text: "run it"}); err != nil {
		t.Fatal(err)
	}
	req := b.waitPermission(t, s.ID)
	n := len(b.Model.AgentRequests())
	reply := portal.PermissionReply{Reply: portal.ReplyReject, Message: "use a different file name"}
	if err := b.Portal.ReplyPermission(ctx, b.Port, req.ID, reply); err != nil {
		t.Fatal(err)
	}
	next, err := b.Model.WaitAgentRequest(ctxTimeout(t, 60*time.Second), n+1)
	if err != nil {
		t.Fatal(err)
	}
	var feedback string
	for _, m := range next.Messages {
		if m.Role == "tool" {
			feedback = m.Content
		}
	}
	if !strings.Contains(feedback, reply.Message) {
		t.Errorf("tool result sent to the model = %q, want it to carry %q", feedback, reply.Message)
	}
	msgs := b.waitIdle(t, s.ID)
	if _, err := os.Stat(filepath.Join(b.OC.Dir, "corrected.txt")); err == nil {
		t.Error("the rejected command ran")
	}
	if last := msgs[len(msgs)-1]; last.Text() != "understood" {
		t.Errorf("final text = %q", last.Text())
	}
}

// questionCall asks one question with options A and B.
var questionCall = portaltest.ToolCallReply("question", map[string]any{"questions": []any{map[string]any{
	"question": "Which one?", "header": "Pick",
	"options": []any{
		map[string]string{"label": "A", "description": "the first"},
		map[string]string{"label": "B", "description": "the second"},
	},
}}})

// waitQuestion waits for the question request of session id.
func (b *openCodeBed) waitQuestion(t testing.TB, id string) portal.QuestionRequest {
	t.Helper()
	return waitPending(t, "a question", b.Portal.Questions, b.Port,
		func(r portal.QuestionRequest) bool { return r.SessionID == id })
}

func testQuestionReply(t *testing.T, b *openCodeBed) {
	ctx := context.Background()
	s := b.newSession(t)
	b.Model.Enqueue(questionCall, portaltest.TextReply("B it is"))
	n := len(b.Model.AgentRequests())
	if err := b.Portal.PromptAsync(ctx, b.Port, s.ID, portal.PromptInput{Text: "ask me"}); err != nil {
		t.Fatal(err)
	}
	req := b.waitQuestion(t, s.ID)
	want := []portal.Question{{Question: "Which one?", Header: "Pick", Options: []portal.QuestionOption{
		{Label: "A", Description: "the first"}, {Label: "B", Description: "the second"},
	}}}
	if diff := cmp.Diff(want, req.Questions); diff != "" || !strings.HasPrefix(req.ID, "que") {
		t.Errorf("question %s (-want +got):\n%s", req.ID, diff)
	}
	if err := b.Portal.ReplyQuestion(ctx, b.Port, req.ID, [][]string{{"B"}}); err != nil {
		t.Fatal(err)
	}
	next, err := b.Model.WaitAgentRequest(ctxTimeout(t, 60*time.Second), n+2)
	if err != nil {
		t.Fatal(err)
	}
	var answer string
	for _, m := range next.Messages {
		if m.Role == "tool" {
			answer = m.Content
		}
	}
	if !strings.Contains(answer, `"Which one?"="B"`) {
		t.Errorf("the model's next request carries the tool result %q, want the answer B", answer)
	}
	if msgs := b.waitIdle(t, s.ID); msgs[len(msgs)-1].Text() != "B it is" {
		t.Errorf("final text = %q", msgs[len(msgs)-1].Text())
	}
}

func testQuestionReject(t *testing.T, b *openCodeBed) {
	ctx := context.Background()
	s := b.newSession(t)
	b.Model.Enqueue(questionCall, portaltest.TextReply("must not be asked for"))
	if err := b.Portal.PromptAsync(ctx, b.Port, s.ID, portal.PromptInput{Text: "ask me"}); err != nil {
		t.Fatal(err)
	}
	req := b.waitQuestion(t, s.ID)
	n := len(b.Model.AgentRequests())
	if err := b.Portal.RejectQuestion(ctx, b.Port, req.ID); err != nil {
		t.Fatal(err)
	}
	msgs := b.waitIdle(t, s.ID)
	if got := len(b.Model.AgentRequests()); got != n || b.Model.Pending() != 1 {
		t.Errorf("the model was called %d more times after the reject; the turn should end", got-n)
	}
	p := toolPart(t, msgs, "question")
	if p.State.Status != "error" || !strings.Contains(p.State.Error, "dismissed") {
		t.Errorf("question part state = %+v, want an error saying it was dismissed", p.State)
	}
	reqs, err := b.Portal.Questions(ctx, b.Port)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range reqs {
		if r.ID == req.ID {
			t.Error("the rejected question is still listed")
		}
	}
}

func testAbortStalledTurn(t *testing.T, b *openCodeBed) {
	ctx := context.Background()
	s := b.newSession(t)
	b.Model.Enqueue(portaltest.Reply{Chunks: []string{"thinking…"}, Stall: true})
	n := len(b.Model.AgentRequests())
	res := make(chan portal.Message, 1)
	errc := make(chan error, 1)
	go func() {
		msg, err := b.Portal.Prompt(ctx, b.Port, s.ID, portal.PromptInput{Text: "think hard"})
		res <- msg
		errc <- err
	}()
	if _, err := b.Model.WaitAgentRequest(ctxTimeout(t, 60*time.Second), n+1); err != nil {
		t.Fatal(err)
	}
	st, err := b.Portal.SessionStatus(ctx, b.Port)
	if err != nil || st[s.ID].Type != "busy" {
		t.Errorf("status during the turn = %+v, %v; want busy", st[s.ID], err)
	}
	if err := b.Portal.Abort(ctx, b.Port, s.ID); err != nil {
		t.Fatal(err)
	}
	msg := <-res
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if msg.Info.Error == nil || msg.Info.Error.Name != "MessageAbortedError" {
		t.Errorf("Prompt after abort answered error %+v, want MessageAbortedError", msg.Info.Error)
	}
	testwait.Until(t, "the session to go idle", func() bool {
		st, err := b.Portal.SessionStatus(ctx, b.Port)
		_, busy := st[s.ID]
		return err == nil && !busy
	})
}

func testPromptOutlivesItsCaller(t *testing.T, b *openCodeBed) {
	s := b.newSession(t)
	release := make(chan struct{})
	b.Model.Enqueue(portaltest.Reply{Chunks: []string{"still "}, Stall: true, Release: release}, portaltest.TextReply("must not be asked for"))
	n := len(b.Model.AgentRequests())
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := b.Portal.Prompt(ctx, b.Port, s.ID, portal.PromptInput{Text: "work on"})
		errc <- err
	}()
	if _, err := b.Model.WaitAgentRequest(ctxTimeout(t, 60*time.Second), n+1); err != nil {
		t.Fatal(err)
	}
	cancel() // the caller goes away mid-turn
	if err := <-errc; !errors.Is(err, portal.ErrTimeout) {
		t.Errorf("Prompt after its caller left: err = %v, want ETIMEOUT", err)
	}
	time.Sleep(time.Second)
	st, err := b.Portal.SessionStatus(context.Background(), b.Port)
	if err != nil || st[s.ID].Type != "busy" {
		t.Fatalf("status after the caller left = %+v, %v; want busy", st[s.ID], err)
	}
	close(release)
	msgs := b.waitIdle(t, s.ID)
	last := msgs[len(msgs)-1]
	if last.Info.Error != nil || last.Info.Finish != "stop" || last.Text() != "still " {
		t.Errorf("the turn ended with error %+v finish %q text %q; want it to finish normally", last.Info.Error, last.Info.Finish, last.Text())
	}
}

func testSessionErrors(t *testing.T, b *openCodeBed) {
	ctx := context.Background()
	tests := []struct {
		name string
		call func() error
		code string
	}{
		{"bad session id", func() error { _, err := b.Portal.Session(ctx, b.Port, "abc"); return err }, portal.EINVALID},
		{"unknown session", func() error { _, err := b.Portal.Session(ctx, b.Port, "ses_000000000000nothing"); return err }, portal.ENOTFOUND},
		{"messages of unknown session", func() error { _, err := b.Portal.Messages(ctx, b.Port, "ses_000000000000nothing"); return err }, portal.ENOTFOUND},
		{"bad parent id", func() error {
			_, err := b.Portal.CreateSession(ctx, b.Port, portal.SessionCreateOptions{ParentID: "x"})
			return err
		}, portal.EINVALID},
		{"bad fork message id", func() error { _, err := b.Portal.Fork(ctx, b.Port, "ses_1", "prt_1"); return err }, portal.EINVALID},
		{"empty title", func() error {
			_, err := b.Portal.UpdateSession(ctx, b.Port, "ses_1", portal.SessionUpdate{})
			return err
		}, portal.EINVALID},
		{"bad permission reply", func() error {
			return b.Portal.ReplyPermission(ctx, b.Port, "per_1", portal.PermissionReply{Reply: "maybe"})
		}, portal.EINVALID},
		{"bad permission id", func() error {
			return b.Portal.ReplyPermission(ctx, b.Port, "que_1", portal.PermissionReply{Reply: "once"})
		}, portal.EINVALID},
		{"unknown permission", func() error {
			return b.Portal.ReplyPermission(ctx, b.Port, "per_000000000000nothing", portal.PermissionReply{Reply: "once"})
		}, portal.ENOTFOUND},
		{"no answers", func() error { return b.Portal.ReplyQuestion(ctx, b.Port, "que_1", nil) }, portal.EINVALID},
		{"bad question id", func() error { return b.Portal.RejectQuestion(ctx, b.Port, "per_1") }, portal.EINVALID},
		{"unregistered port", func() error { _, err := b.Portal.Sessions(ctx, 1, portal.SessionListOptions{}); return err }, portal.ENOTFOUND},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); portal.ErrorCode(err) != tt.code {
				t.Errorf("err = %v (%s), want %s", err, portal.ErrorCode(err), tt.code)
			}
		})
	}
}

func ids(sessions []portal.Session) []string {
	var out []string
	for _, s := range sessions {
		out = append(out, s.ID)
	}
	return out
}

// ctxTimeout returns a context that ends after d or with the test.
func ctxTimeout(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
