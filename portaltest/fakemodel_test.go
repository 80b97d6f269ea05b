package portaltest_test

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

	"github.com/opencode-portal/portal/internal/sse"
	"github.com/opencode-portal/portal/portaltest"
)

// chunk is the part of a chat.completion.chunk the tests look at.
type chunk struct {
	Object  string `json:"object"`
	Choices []struct {
		Index int `json:"index"`
		Delta struct {
			Role      string `json:"role"`
			Content   string `json:"content"`
			ToolCalls []struct {
				Index    int    `json:"index"`
				ID       string `json:"id"`
				Type     string `json:"type"`
				Function struct {
					Name      string `json:"name"`
					Arguments string `json:"arguments"`
				} `json:"function"`
			} `json:"tool_calls"`
		} `json:"delta"`
		FinishReason *string `json:"finish_reason"`
	} `json:"choices"`
	Usage *struct {
		PromptTokens     int `json:"prompt_tokens"`
		CompletionTokens int `json:"completion_tokens"`
		TotalTokens      int `json:"total_tokens"`
	} `json:"usage"`
}

// completion is a streamed answer folded the way an OpenAI client folds it.
type completion struct {
	Status    int
	Deltas    []string // content deltas, in order
	Calls     []portaltest.ToolCall
	Finish    string
	Usage     bool
	Done      bool // the stream ended with data: [DONE]
	ErrorBody string
}

// agentBody is a request body as OpenCode sends it for an agent turn.
func agentBody(messages ...map[string]any) map[string]any {
	if len(messages) == 0 {
		messages = []map[string]any{
			{"role": "system", "content": "You are opencode"},
			{"role": "user", "content": "hello"},
		}
	}
	return map[string]any{
		"model": "fake-model", "stream": true, "max_tokens": 4096, "tool_choice": "auto",
		"stream_options": map[string]any{"include_usage": true},
		"messages":       messages,
		"tools": []any{map[string]any{"type": "function", "function": map[string]any{
			"name": "write", "description": "Write a file",
			"parameters": map[string]any{"type": "object"},
		}}},
	}
}

// titleBody is a request body as OpenCode sends it for title generation.
func titleBody() map[string]any {
	return map[string]any{
		"model": "fake-model", "stream": true,
		"messages": []map[string]any{
			{"role": "system", "content": "You are a title generator. You output ONLY a thread title."},
			{"role": "user", "content": "hello"},
		},
	}
}

// post sends body to the fake model and folds the streamed answer.
func post(ctx context.Context, t *testing.T, m *portaltest.FakeModel, body any) (completion, error) {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(ctx, "POST", m.URL()+"/chat/completions", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return completion{}, err
	}
	defer resp.Body.Close()
	c := completion{Status: resp.StatusCode}
	if resp.StatusCode != http.StatusOK {
		eb, _ := io.ReadAll(resp.Body)
		c.ErrorBody = string(eb)
		return c, nil
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type = %q, want text/event-stream", ct)
	}
	events, err := readSSE(resp.Body)
	for _, data := range events {
		if data == "[DONE]" {
			c.Done = true
			continue
		}
		if c.Done {
			t.Fatalf("event after [DONE]: %s", data)
		}
		var ch chunk
		if err := json.Unmarshal([]byte(data), &ch); err != nil {
			t.Fatalf("event %q: %v", data, err)
		}
		if ch.Object != "chat.completion.chunk" {
			t.Fatalf("object = %q, want chat.completion.chunk", ch.Object)
		}
		if ch.Usage != nil {
			c.Usage = ch.Usage.TotalTokens == ch.Usage.PromptTokens+ch.Usage.CompletionTokens
		}
		for _, choice := range ch.Choices {
			if choice.Delta.Content != "" {
				c.Deltas = append(c.Deltas, choice.Delta.Content)
			}
			for _, tc := range choice.Delta.ToolCalls {
				if tc.Index == len(c.Calls) {
					// A new call must name itself in its first delta.
					if tc.ID == "" || tc.Function.Name == "" || tc.Type != "function" {
						t.Fatalf("first delta of tool call %d lacks id, type or name: %+v", tc.Index, tc)
					}
					c.Calls = append(c.Calls, portaltest.ToolCall{ID: tc.ID, Name: tc.Function.Name})
				}
				c.Calls[tc.Index].Arguments += tc.Function.Arguments
			}
			if choice.FinishReason != nil {
				c.Finish = *choice.FinishReason
			}
		}
	}
	return c, err
}

// readSSE returns the data of each event of an SSE stream, read with the
// portal's own event-stream parser.
func readSSE(r io.Reader) ([]string, error) {
	var events []string
	sr := sse.NewReader(r, sse.ReaderOptions{})
	for {
		ev, err := sr.Next()
		if errors.Is(err, io.EOF) {
			return events, nil
		}
		if err != nil {
			return events, err
		}
		events = append(events, string(ev.Data))
	}
}

func TestFakeModelReplies(t *testing.T) {
	tests := []struct {
		name   string
		script []portaltest.Reply
		body   map[string]any
		want   completion
		left   int // replies left in the script afterwards
	}{
		{
			name:   "text in chunks",
			script: []portaltest.Reply{portaltest.TextReply("Hel", "lo ", "world")},
			body:   agentBody(),
			want:   completion{Status: 200, Deltas: []string{"Hel", "lo ", "world"}, Finish: "stop", Usage: true, Done: true},
		},
		{
			name:   "text with a delay between chunks",
			script: []portaltest.Reply{{Chunks: []string{"a", "b"}, Delay: time.Millisecond}},
			body:   agentBody(),
			want:   completion{Status: 200, Deltas: []string{"a", "b"}, Finish: "stop", Usage: true, Done: true},
		},
		{
			name:   "tool call",
			script: []portaltest.Reply{portaltest.ToolCallReply("write", map[string]string{"filePath": "/x/a.txt", "content": "hi\n"})},
			body:   agentBody(),
			want: completion{Status: 200, Finish: "tool_calls", Usage: true, Done: true, Calls: []portaltest.ToolCall{
				{ID: "call_1", Name: "write", Arguments: `{"content":"hi\n","filePath":"/x/a.txt"}`},
			}},
		},
		{
			name: "text then two tool calls",
			script: []portaltest.Reply{{Chunks: []string{"Let me"}, ToolCalls: []portaltest.ToolCall{
				{ID: "call_a", Name: "bash", Arguments: `{"command":"ls"}`},
				{Name: "read", Arguments: `{}`},
			}}},
			body: agentBody(),
			want: completion{Status: 200, Deltas: []string{"Let me"}, Finish: "tool_calls", Usage: true, Done: true, Calls: []portaltest.ToolCall{
				{ID: "call_a", Name: "bash", Arguments: `{"command":"ls"}`},
				{ID: "call_2", Name: "read", Arguments: `{}`},
			}},
		},
		{
			name:   "HTTP error",
			script: []portaltest.Reply{{Status: 400, Body: `{"error":{"message":"bad"}}`}},
			body:   agentBody(),
			want:   completion{Status: 400, ErrorBody: `{"error":{"message":"bad"}}`},
		},
		{
			name:   "empty script answers the default text",
			script: nil,
			body:   agentBody(),
			want:   completion{Status: 200, Deltas: []string{portaltest.DefaultText}, Finish: "stop", Usage: true, Done: true},
		},
		{
			name:   "title request leaves the script alone",
			script: []portaltest.Reply{portaltest.TextReply("scripted")},
			body:   titleBody(),
			want:   completion{Status: 200, Deltas: []string{portaltest.DefaultTitle}, Finish: "stop", Usage: true, Done: true},
			left:   1,
		},
		{
			name:   "stall released",
			script: []portaltest.Reply{portaltest.StallReply(closed())},
			body:   agentBody(),
			want:   completion{Status: 200, Deltas: []string{portaltest.DefaultText}, Finish: "stop", Usage: true, Done: true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := portaltest.NewFakeModel(t)
			m.Enqueue(tt.script...)
			got, err := post(context.Background(), t, m, tt.body)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("answer (-want +got):\n%s", diff)
			}
			if n := m.Pending(); n != tt.left {
				t.Errorf("Pending() = %d, want %d", n, tt.left)
			}
		})
	}
}

func closed() <-chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}

func TestFakeModelErrorReply(t *testing.T) {
	m := portaltest.NewFakeModel(t)
	m.Enqueue(portaltest.ErrorReply(500, "overloaded"))
	got, err := post(context.Background(), t, m, agentBody())
	if err != nil {
		t.Fatal(err)
	}
	var body struct {
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal([]byte(got.ErrorBody), &body); err != nil {
		t.Fatalf("error body %q: %v", got.ErrorBody, err)
	}
	if got.Status != 500 || body.Error.Message != "overloaded" {
		t.Errorf("got status %d message %q, want 500 %q", got.Status, body.Error.Message, "overloaded")
	}
}

func TestFakeModelStallEndsWithRequest(t *testing.T) {
	m := portaltest.NewFakeModel(t)
	m.Enqueue(portaltest.Reply{Chunks: []string{"thinking"}, Stall: true})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	go func() {
		_, err := post(ctx, t, m, agentBody())
		errc <- err
	}()
	if _, err := m.WaitAgentRequest(ctx, 1); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errc:
		t.Fatalf("stalled request ended before it was cancelled: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled stall: err = %v, want context.Canceled", err)
	}
}

func TestFakeModelCloseReleasesStall(t *testing.T) {
	m := portaltest.StartFakeModel()
	m.Enqueue(portaltest.StallReply(nil))
	errc := make(chan error, 1)
	go func() {
		c, err := post(context.Background(), t, m, agentBody())
		if err == nil && c.Done {
			err = errors.New("stream finished normally")
		}
		errc <- err
	}()
	if _, err := m.WaitAgentRequest(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	m.Close() // must not wait for the stalled request
	if err := <-errc; err != nil && strings.Contains(err.Error(), "finished normally") {
		t.Error(err)
	}
	m.Close() // idempotent
}

func TestFakeModelRecordsRequests(t *testing.T) {
	m := portaltest.NewFakeModel(t)
	ctx := context.Background()
	if _, err := post(ctx, t, m, titleBody()); err != nil {
		t.Fatal(err)
	}
	body := agentBody(
		map[string]any{"role": "system", "content": "sys"},
		map[string]any{"role": "user", "content": []any{
			map[string]any{"type": "text", "text": "write "},
			map[string]any{"type": "text", "text": "a file"},
		}},
		map[string]any{"role": "assistant", "content": nil, "tool_calls": []any{map[string]any{
			"id": "call_9", "type": "function",
			"function": map[string]any{"name": "write", "arguments": `{"filePath":"a"}`},
		}}},
		map[string]any{"role": "tool", "tool_call_id": "call_9", "content": "Wrote file successfully."},
	)
	if _, err := post(ctx, t, m, body); err != nil {
		t.Fatal(err)
	}

	all := m.Requests()
	if len(all) != 2 || all[0].IsAgent() || !all[1].IsAgent() {
		t.Fatalf("Requests() = %d requests, want a title request then an agent request", len(all))
	}
	r, err := m.WaitAgentRequest(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	type msg struct {
		Role, Content, ToolCallID string
		ToolCalls                 []portaltest.ToolCall
	}
	var got []msg
	for _, mm := range r.Messages {
		got = append(got, msg{mm.Role, mm.Content, mm.ToolCallID, mm.ToolCalls})
	}
	want := []msg{
		{Role: "system", Content: "sys"},
		{Role: "user", Content: "write a file"},
		{Role: "assistant", ToolCalls: []portaltest.ToolCall{{ID: "call_9", Name: "write", Arguments: `{"filePath":"a"}`}}},
		{Role: "tool", Content: "Wrote file successfully.", ToolCallID: "call_9"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("messages (-want +got):\n%s", diff)
	}
	if res, ok := r.ToolResult("call_9"); !ok || res != "Wrote file successfully." {
		t.Errorf("ToolResult(call_9) = %q, %v", res, ok)
	}
	if _, ok := r.ToolResult("call_x"); ok {
		t.Error("ToolResult(call_x) found a result that was never sent")
	}
	if r.System() != "sys" || r.LastUser() != "write a file" || r.Model != "fake-model" || !r.Stream {
		t.Errorf("System %q LastUser %q Model %q Stream %v", r.System(), r.LastUser(), r.Model, r.Stream)
	}
	if !r.HasTool("write") || r.HasTool("bash") {
		t.Errorf("HasTool: tools = %+v", r.Tools)
	}
	var raw map[string]any
	if err := json.Unmarshal(r.Body, &raw); err != nil || raw["tool_choice"] != "auto" {
		t.Errorf("raw body not kept: %v %v", err, raw["tool_choice"])
	}
	if r.Header.Get("Content-Type") != "application/json" {
		t.Errorf("header not kept: %v", r.Header)
	}
}

func TestFakeModelWaitAgentRequest(t *testing.T) {
	m := portaltest.NewFakeModel(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := m.WaitAgentRequest(ctx, 1); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("waiting with no request: err = %v, want DeadlineExceeded", err)
	}
	if _, err := m.WaitAgentRequest(context.Background(), 0); err == nil {
		t.Error("WaitAgentRequest(0) gave no error")
	}
	got := make(chan string, 1)
	go func() {
		r, err := m.WaitAgentRequest(context.Background(), 2)
		if err != nil {
			got <- err.Error()
			return
		}
		got <- r.LastUser()
	}()
	for _, text := range []string{"first", "second"} {
		body := agentBody(map[string]any{"role": "user", "content": text})
		if _, err := post(context.Background(), t, m, body); err != nil {
			t.Fatal(err)
		}
	}
	if s := <-got; s != "second" {
		t.Errorf("second agent request: LastUser = %q, want %q", s, "second")
	}
}

func TestFakeModelHandler(t *testing.T) {
	m := portaltest.NewFakeModel(t)
	m.Enqueue(portaltest.TextReply("scripted"))
	m.SetHandler(func(r *portaltest.ModelRequest) (portaltest.Reply, bool) {
		if r.LastUser() == "echo" {
			return portaltest.TextReply("echo: ", r.LastUser()), true
		}
		return portaltest.Reply{}, false
	})
	ctx := context.Background()
	for _, tc := range []struct{ user, want string }{
		{"echo", "echo: echo"},
		{"other", "scripted"},
		{"echo", "echo: echo"},
	} {
		got, err := post(ctx, t, m, agentBody(map[string]any{"role": "user", "content": tc.user}))
		if err != nil {
			t.Fatal(err)
		}
		if s := strings.Join(got.Deltas, ""); s != tc.want {
			t.Errorf("user %q: reply %q, want %q", tc.user, s, tc.want)
		}
	}
}

func TestFakeModelRejectsBadRequests(t *testing.T) {
	m := portaltest.NewFakeModel(t)
	for _, tc := range []struct {
		method, path, body string
		want               int
	}{
		{"POST", "/chat/completions", "{not json", 400},
		{"POST", "/chat/completions", `{"messages":[{"role":"user","content":5}]}`, 400},
		{"GET", "/chat/completions", "", 404},
		{"POST", "/embeddings", "{}", 404},
	} {
		req, _ := http.NewRequest(tc.method, m.URL()+tc.path, strings.NewReader(tc.body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("%s %s %q: status %d, want %d", tc.method, tc.path, tc.body, resp.StatusCode, tc.want)
		}
	}
	if n := len(m.Requests()); n != 0 {
		t.Errorf("bad requests were recorded: %d", n)
	}
}

func FuzzParseModelRequest(f *testing.F) {
	for _, body := range []any{agentBody(), titleBody()} {
		b, _ := json.Marshal(body)
		f.Add(b)
	}
	f.Add([]byte(`{"messages":[{"role":"tool","tool_call_id":"c","content":[{"type":"text","text":"x"}]}]}`))
	f.Add([]byte(`{"messages":null,"tools":[{}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := portaltest.ParseModelRequest(body)
		if err != nil {
			return
		}
		if !bytes.Equal(r.Body, body) {
			t.Fatal("Body differs from the input")
		}
		for _, m := range r.Messages {
			if !json.Valid(m.Raw) {
				t.Fatalf("message Raw is not JSON: %q", m.Raw)
			}
		}
	})
}

func TestFakeModelReset(t *testing.T) {
	m := portaltest.NewFakeModel(t)
	m.Enqueue(portaltest.TextReply("old"))
	m.SetHandler(func(*portaltest.ModelRequest) (portaltest.Reply, bool) { return portaltest.TextReply("handled"), true })
	m.Reset()
	got, err := post(context.Background(), t, m, agentBody())
	if err != nil {
		t.Fatal(err)
	}
	if s := strings.Join(got.Deltas, ""); s != portaltest.DefaultText || m.Pending() != 0 {
		t.Errorf("after Reset: reply %q, pending %d; want %q, 0", s, m.Pending(), portaltest.DefaultText)
	}
	if n := len(m.Requests()); n != 1 {
		t.Errorf("Requests() = %d after Reset and one request, want 1", n)
	}
}
