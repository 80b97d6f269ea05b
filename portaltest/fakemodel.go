package portaltest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// Default answers of a FakeModel.
const (
	// DefaultTitle answers every request that carries no tools (OpenCode's
	// title generation and compaction), so those never consume the script.
	DefaultTitle = "Fake title"
	// DefaultText answers an agent request when the script is empty.
	DefaultText = "OK"
)

// A FakeModel is an OpenAI-compatible chat completions server on a loopback
// port, in the spirit of httptest.Server. Point OpenCode's
// "@ai-sdk/openai-compatible" provider at URL() and script its replies with
// Enqueue.
//
// It serves POST /v1/chat/completions. Every answer is streamed as OpenAI
// server-sent events (chat.completion.chunk objects, a usage chunk, then
// "data: [DONE]"), as OpenCode always asks for stream:true.
//
// Requests that carry tools are agent requests: each takes the next reply of
// the script (or DefaultText when it is empty). Requests without tools (title
// generation, compaction) are answered with DefaultTitle and leave the script
// alone. Every request is recorded for assertions.
type FakeModel struct {
	srv  *httptest.Server
	done chan struct{} // closed by Close: releases stalled replies

	mu       sync.Mutex
	script   []Reply
	handler  func(*ModelRequest) (Reply, bool)
	requests []*ModelRequest
	agent    []*ModelRequest
	changed  chan struct{} // closed and replaced whenever a request is recorded
	calls    int           // tool calls handed out, for generated ids
	closed   bool
}

// Reply is one scripted answer of a FakeModel. The zero Reply streams an
// empty assistant message. Build replies with TextReply, ToolCallReply,
// ErrorReply and StallReply, or fill the fields directly.
type Reply struct {
	// Chunks is the assistant text, streamed one chunk per event.
	Chunks []string
	// Delay is the pause before each chunk and tool call.
	Delay time.Duration
	// ToolCalls are streamed after the text; the reply then finishes with
	// finish_reason "tool_calls" instead of "stop".
	ToolCalls []ToolCall
	// Status, when not zero, answers with this HTTP status and Body instead
	// of a stream.
	Status int
	// Body is the response body of an HTTP error reply.
	Body string
	// Stall makes the reply block after its chunks until the request ends,
	// Release is closed, or the FakeModel is closed. When Release is closed
	// the reply finishes normally.
	Stall bool
	// Release ends a stall; nil means the stall lasts until the request ends.
	Release <-chan struct{}
}

// ToolCall is one function call the model asks for.
type ToolCall struct {
	// ID is the call id; empty means a generated one ("call_1", "call_2", ...).
	ID string `json:"id"`
	// Name is the tool name, such as "write" or "bash".
	Name string `json:"name"`
	// Arguments is the JSON object of arguments, as a string.
	Arguments string `json:"arguments"`
}

// TextReply answers with the assistant text made of chunks, streamed one
// chunk per event.
func TextReply(chunks ...string) Reply {
	return Reply{Chunks: chunks}
}

// ToolCallReply answers with one call of the tool name with args, which is
// marshalled to JSON (a string or json.RawMessage is used as is). It panics
// when args cannot be marshalled, as that is a mistake in the test.
func ToolCallReply(name string, args any) Reply {
	return Reply{ToolCalls: []ToolCall{{Name: name, Arguments: jsonArgs(args)}}}
}

// ErrorReply answers with an HTTP error of the given status and an
// OpenAI-style error body carrying message.
func ErrorReply(status int, message string) Reply {
	body, _ := json.Marshal(map[string]any{"error": map[string]any{
		"message": message, "type": "fake_error", "code": status,
	}})
	return Reply{Status: status, Body: string(body)}
}

// StallReply streams the beginning of an answer and then blocks until the
// request ends or release is closed (nil: until the request ends). After a
// release it finishes with the text DefaultText.
func StallReply(release <-chan struct{}) Reply {
	return Reply{Stall: true, Release: release}
}

func jsonArgs(args any) string {
	switch a := args.(type) {
	case string:
		return a
	case json.RawMessage:
		return string(a)
	case []byte:
		return string(a)
	}
	b, err := json.Marshal(args)
	if err != nil {
		panic(fmt.Sprintf("portaltest: tool call arguments: %v", err))
	}
	return string(b)
}

// ModelRequest is one request a FakeModel received, parsed.
type ModelRequest struct {
	Model    string         // the "model" field
	Stream   bool           // the "stream" field
	Messages []ModelMessage // the conversation, system prompt first
	Tools    []ModelTool    // the function tools offered; empty for title generation
	Header   http.Header    // the request headers
	Body     []byte         // the raw request body
}

// ModelMessage is one message of a request's conversation.
type ModelMessage struct {
	Role string // "system", "user", "assistant" or "tool"
	// Content is the text of the message; content given as an array of
	// parts is the concatenation of their texts.
	Content    string
	ToolCalls  []ToolCall // calls made by an assistant message
	ToolCallID string     // the call a "tool" message answers
	Raw        json.RawMessage
}

// ModelTool is one function tool offered in a request.
type ModelTool struct {
	Name        string
	Description string
	Parameters  json.RawMessage
}

// IsAgent reports whether the request offers tools, as OpenCode's agent
// turns do (title generation and compaction offer none).
func (r *ModelRequest) IsAgent() bool { return len(r.Tools) > 0 }

// System returns the text of the request's system messages, joined by newlines.
func (r *ModelRequest) System() string {
	var parts []string
	for _, m := range r.Messages {
		if m.Role == "system" {
			parts = append(parts, m.Content)
		}
	}
	return strings.Join(parts, "\n")
}

// LastUser returns the text of the last user message, or "".
func (r *ModelRequest) LastUser() string {
	for i := len(r.Messages) - 1; i >= 0; i-- {
		if r.Messages[i].Role == "user" {
			return r.Messages[i].Content
		}
	}
	return ""
}

// ToolResult returns the content of the "tool" message that answers the call
// with id callID, and whether there is one.
func (r *ModelRequest) ToolResult(callID string) (string, bool) {
	for _, m := range r.Messages {
		if m.Role == "tool" && m.ToolCallID == callID {
			return m.Content, true
		}
	}
	return "", false
}

// HasTool reports whether the request offers the tool name.
func (r *ModelRequest) HasTool(name string) bool {
	for _, t := range r.Tools {
		if t.Name == name {
			return true
		}
	}
	return false
}

// NewFakeModel starts a FakeModel and closes it when tb's test ends.
func NewFakeModel(tb testing.TB) *FakeModel {
	tb.Helper()
	m := StartFakeModel()
	tb.Cleanup(m.Close)
	return m
}

// StartFakeModel starts a FakeModel on a loopback port. The caller must Close it.
func StartFakeModel() *FakeModel {
	return startFakeModel(nil)
}

// NewFakeModelAt starts a FakeModel listening at addr ("host:port"; port 0
// for a free one), as OpenCode in a container reaches the host on its
// bridge address, and closes it when tb's test ends.
func NewFakeModelAt(tb testing.TB, addr string) *FakeModel {
	tb.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		tb.Fatalf("fake model: %v", err)
	}
	m := startFakeModel(l)
	tb.Cleanup(m.Close)
	return m
}

// startFakeModel starts a FakeModel on l, or on a loopback port when l is
// nil.
func startFakeModel(l net.Listener) *FakeModel {
	m := &FakeModel{done: make(chan struct{}), changed: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/chat/completions", m.serveCompletions)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "the fake model serves only POST /v1/chat/completions")
	})
	m.srv = httptest.NewUnstartedServer(mux)
	if l != nil {
		m.srv.Listener.Close()
		m.srv.Listener = l
	}
	m.srv.Start()
	return m
}

// URL returns the base URL for an OpenAI-compatible provider, ending in "/v1".
func (m *FakeModel) URL() string { return m.srv.URL + "/v1" }

// Close releases stalled replies and shuts the server down.
func (m *FakeModel) Close() {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return
	}
	m.closed = true
	close(m.done)
	m.mu.Unlock()
	m.srv.CloseClientConnections()
	m.srv.Close()
}

// Enqueue appends replies to the script. Agent requests take them in order.
func (m *FakeModel) Enqueue(replies ...Reply) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.script = append(m.script, replies...)
}

// Reset drops the scripted replies not yet used and the handler, so that a
// FakeModel shared by several tests starts each one afresh. Recorded
// requests are kept.
func (m *FakeModel) Reset() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.script = nil
	m.handler = nil
}

// Pending returns the number of scripted replies not yet used.
func (m *FakeModel) Pending() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.script)
}

// SetHandler installs h, which is asked first for every agent request: when
// it returns true its reply is used and the script is left alone. A nil h
// removes the handler.
func (m *FakeModel) SetHandler(h func(*ModelRequest) (Reply, bool)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.handler = h
}

// Requests returns every request received so far, in order.
func (m *FakeModel) Requests() []*ModelRequest {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]*ModelRequest(nil), m.requests...)
}

// AgentRequests returns the agent requests (those with tools) received so far.
func (m *FakeModel) AgentRequests() []*ModelRequest {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]*ModelRequest(nil), m.agent...)
}

// WaitAgentRequest waits until the n-th agent request (1-based) has arrived
// and returns it, or returns ctx's error.
func (m *FakeModel) WaitAgentRequest(ctx context.Context, n int) (*ModelRequest, error) {
	if n < 1 {
		return nil, fmt.Errorf("portaltest: agent request number %d: must be 1 or more", n)
	}
	for {
		m.mu.Lock()
		if len(m.agent) >= n {
			r := m.agent[n-1]
			m.mu.Unlock()
			return r, nil
		}
		changed := m.changed
		m.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return nil, fmt.Errorf("portaltest: waiting for agent request %d (%d arrived): %w",
				n, len(m.AgentRequests()), ctx.Err())
		case <-m.done:
			return nil, errors.New("portaltest: fake model closed")
		}
	}
}

// maxRequestBody bounds what the fake model reads of one request.
const maxRequestBody = 32 << 20

func (m *FakeModel) serveCompletions(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody))
	if err != nil {
		writeError(w, http.StatusBadRequest, "reading the request: "+err.Error())
		return
	}
	req, err := ParseModelRequest(body)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	req.Header = r.Header.Clone()
	reply := m.record(req)
	if reply.Status != 0 {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(reply.Status)
		io.WriteString(w, reply.Body)
		return
	}
	m.stream(r.Context(), w, req, reply)
}

// record stores req and picks its reply. The handler runs without the lock
// held, so it may call the FakeModel's methods.
func (m *FakeModel) record(req *ModelRequest) Reply {
	m.mu.Lock()
	m.requests = append(m.requests, req)
	if req.IsAgent() {
		m.agent = append(m.agent, req)
	}
	close(m.changed)
	m.changed = make(chan struct{})
	h := m.handler
	m.mu.Unlock()
	if !req.IsAgent() {
		return TextReply(DefaultTitle)
	}

	reply, ok := Reply{}, false
	if h != nil {
		reply, ok = h(req)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if !ok && len(m.script) > 0 {
		reply, ok = m.script[0], true
		m.script = m.script[1:]
	}
	if !ok {
		reply = TextReply(DefaultText)
	}
	reply.ToolCalls = append([]ToolCall(nil), reply.ToolCalls...)
	for i := range reply.ToolCalls {
		m.calls++
		if reply.ToolCalls[i].ID == "" {
			reply.ToolCalls[i].ID = fmt.Sprintf("call_%d", m.calls)
		}
	}
	return reply
}

// stream writes reply as OpenAI chat.completion.chunk events.
func (m *FakeModel) stream(ctx context.Context, w http.ResponseWriter, req *ModelRequest, reply Reply) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	id := fmt.Sprintf("chatcmpl-fake-%d", time.Now().UnixNano())
	created := time.Now().Unix()
	model := req.Model
	if model == "" {
		model = "fake-model"
	}
	send := func(choices []any, usage any) bool {
		chunk := map[string]any{
			"id": id, "object": "chat.completion.chunk", "created": created,
			"model": model, "choices": choices,
		}
		if usage != nil {
			chunk["usage"] = usage
		}
		b, _ := json.Marshal(chunk)
		if _, err := fmt.Fprintf(w, "data: %s\n\n", b); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	delta := func(d map[string]any, finish any) []any {
		return []any{map[string]any{"index": 0, "delta": d, "finish_reason": finish}}
	}
	wait := func(d time.Duration) bool {
		if d <= 0 {
			return true
		}
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			return true
		case <-ctx.Done():
		case <-m.done:
		}
		return false
	}

	if !send(delta(map[string]any{"role": "assistant", "content": ""}, nil), nil) {
		return
	}
	completion := 0
	for _, c := range reply.Chunks {
		if !wait(reply.Delay) || !send(delta(map[string]any{"content": c}, nil), nil) {
			return
		}
		completion += len(strings.Fields(c))
	}
	if reply.Stall {
		select {
		case <-reply.Release:
		case <-ctx.Done():
			return
		case <-m.done:
			return
		}
		if len(reply.Chunks) == 0 && !send(delta(map[string]any{"content": DefaultText}, nil), nil) {
			return
		}
	}
	for i, tc := range reply.ToolCalls {
		if !wait(reply.Delay) {
			return
		}
		// The first delta names the call; the arguments follow in pieces,
		// as OpenAI streams them.
		first := map[string]any{"tool_calls": []any{map[string]any{
			"index": i, "id": tc.ID, "type": "function",
			"function": map[string]any{"name": tc.Name, "arguments": ""},
		}}}
		if !send(delta(first, nil), nil) {
			return
		}
		for _, piece := range splitArgs(tc.Arguments) {
			d := map[string]any{"tool_calls": []any{map[string]any{
				"index": i, "function": map[string]any{"arguments": piece},
			}}}
			if !send(delta(d, nil), nil) {
				return
			}
		}
		completion += 10
	}
	finish := "stop"
	if len(reply.ToolCalls) > 0 {
		finish = "tool_calls"
	}
	if !send(delta(map[string]any{}, finish), nil) {
		return
	}
	prompt := len(req.Body) / 4
	usage := map[string]any{
		"prompt_tokens": prompt, "completion_tokens": completion,
		"total_tokens": prompt + completion,
	}
	if !send([]any{}, usage) {
		return
	}
	io.WriteString(w, "data: [DONE]\n\n")
	rc.Flush()
}

// splitArgs cuts a JSON argument string into up to three pieces.
func splitArgs(s string) []string {
	if len(s) < 3 {
		return []string{s}
	}
	a, b := len(s)/3, 2*len(s)/3
	return []string{s[:a], s[a:b], s[b:]}
}

func writeError(w http.ResponseWriter, status int, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{
		"message": message, "type": "invalid_request_error",
	}})
}

// ParseModelRequest parses the JSON body of a chat completions request.
func ParseModelRequest(body []byte) (*ModelRequest, error) {
	var raw struct {
		Model    string            `json:"model"`
		Stream   bool              `json:"stream"`
		Messages []json.RawMessage `json:"messages"`
		Tools    []struct {
			Type     string `json:"type"`
			Function struct {
				Name        string          `json:"name"`
				Description string          `json:"description"`
				Parameters  json.RawMessage `json:"parameters"`
			} `json:"function"`
		} `json:"tools"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, fmt.Errorf("chat completions request: %w", err)
	}
	req := &ModelRequest{Model: raw.Model, Stream: raw.Stream, Body: bytes.Clone(body)}
	for i, rm := range raw.Messages {
		msg, err := parseMessage(rm)
		if err != nil {
			return nil, fmt.Errorf("chat completions request: messages[%d]: %w", i, err)
		}
		req.Messages = append(req.Messages, msg)
	}
	for _, t := range raw.Tools {
		req.Tools = append(req.Tools, ModelTool{
			Name: t.Function.Name, Description: t.Function.Description, Parameters: t.Function.Parameters,
		})
	}
	return req, nil
}

func parseMessage(raw json.RawMessage) (ModelMessage, error) {
	var m struct {
		Role       string          `json:"role"`
		Content    json.RawMessage `json:"content"`
		ToolCallID string          `json:"tool_call_id"`
		ToolCalls  []struct {
			ID       string `json:"id"`
			Function struct {
				Name      string `json:"name"`
				Arguments string `json:"arguments"`
			} `json:"function"`
		} `json:"tool_calls"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return ModelMessage{}, err
	}
	msg := ModelMessage{Role: m.Role, ToolCallID: m.ToolCallID, Raw: bytes.Clone(raw)}
	for _, tc := range m.ToolCalls {
		msg.ToolCalls = append(msg.ToolCalls, ToolCall{ID: tc.ID, Name: tc.Function.Name, Arguments: tc.Function.Arguments})
	}
	content, err := contentText(m.Content)
	if err != nil {
		return ModelMessage{}, fmt.Errorf("content: %w", err)
	}
	msg.Content = content
	return msg, nil
}

// contentText returns the text of a message content: a string, null, or an
// array of parts whose "text" fields are concatenated.
func contentText(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return "", nil
	}
	if raw[0] == '"' {
		var s string
		err := json.Unmarshal(raw, &s)
		return s, err
	}
	var parts []struct {
		Text string `json:"text"`
	}
	if err := json.Unmarshal(raw, &parts); err != nil {
		return "", err
	}
	var b strings.Builder
	for _, p := range parts {
		b.WriteString(p.Text)
	}
	return b.String(), nil
}
