package portal

import "encoding/json"

// The session types below are typed views of OpenCode's JSON. Each value
// decoded from OpenCode remembers the JSON it came from and marshals back to
// exactly that, so that relaying it keeps every field OpenCode sent, even
// fields these types do not name. A value built in Go marshals its fields.

// Session is an OpenCode conversation.
type Session struct {
	ID        string      `json:"id"`
	Slug      string      `json:"slug,omitempty"`
	ProjectID string      `json:"projectID"`
	Directory string      `json:"directory"`
	ParentID  string      `json:"parentID,omitempty"` // set for child (subagent) sessions
	Title     string      `json:"title"`
	Version   string      `json:"version"`
	Time      SessionTime `json:"time"`

	raw json.RawMessage
}

// SessionTime holds a session's times, in Unix milliseconds.
type SessionTime struct {
	Created    int64 `json:"created"`
	Updated    int64 `json:"updated"`
	Compacting int64 `json:"compacting,omitempty"`
	Archived   int64 `json:"archived,omitempty"`
}

type sessionFields Session

// UnmarshalJSON decodes the fields and remembers the JSON as sent.
func (s *Session) UnmarshalJSON(data []byte) error {
	return decodeKeepingRaw(data, (*sessionFields)(s), &s.raw)
}

// MarshalJSON returns the JSON as OpenCode sent it, when it came from OpenCode.
func (s Session) MarshalJSON() ([]byte, error) {
	if s.raw != nil {
		return s.raw, nil
	}
	return json.Marshal(sessionFields(s))
}

// Message is one message of a session with its parts, as OpenCode lists them.
type Message struct {
	Info  MessageInfo `json:"info"`
	Parts []Part      `json:"parts"`
}

// Text returns the concatenated text of the message's text parts.
func (m Message) Text() string {
	var s string
	for _, p := range m.Parts {
		if p.Type == "text" {
			s += p.Text
		}
	}
	return s
}

// MessageInfo describes a user or an assistant message (Role tells which).
type MessageInfo struct {
	ID         string `json:"id"`
	SessionID  string `json:"sessionID"`
	Role       string `json:"role"`               // "user" or "assistant"
	ParentID   string `json:"parentID,omitempty"` // assistant: the user message it answers
	Agent      string `json:"agent,omitempty"`
	Mode       string `json:"mode,omitempty"`
	ProviderID string `json:"providerID,omitempty"` // assistant
	ModelID    string `json:"modelID,omitempty"`    // assistant
	// Model is the model a user message asked for.
	Model *ModelRef `json:"model,omitempty"`
	// Finish is why an assistant message ended: "stop", "tool-calls", …
	Finish string        `json:"finish,omitempty"`
	Error  *MessageError `json:"error,omitempty"`
	Cost   float64       `json:"cost,omitempty"`
	Time   MessageTime   `json:"time"`

	raw json.RawMessage
}

type messageInfoFields MessageInfo

// UnmarshalJSON decodes the fields and remembers the JSON as sent.
func (m *MessageInfo) UnmarshalJSON(data []byte) error {
	return decodeKeepingRaw(data, (*messageInfoFields)(m), &m.raw)
}

// MarshalJSON returns the JSON as OpenCode sent it, when it came from OpenCode.
func (m MessageInfo) MarshalJSON() ([]byte, error) {
	if m.raw != nil {
		return m.raw, nil
	}
	return json.Marshal(messageInfoFields(m))
}

// MessageTime holds a message's times, in Unix milliseconds. An assistant
// message is in progress while Completed is zero.
type MessageTime struct {
	Created   int64 `json:"created"`
	Completed int64 `json:"completed,omitempty"`
}

// MessageError is the error that ended an assistant message, such as
// MessageAbortedError after an abort or APIError from the model provider.
type MessageError struct {
	Name string `json:"name"`
	Data struct {
		Message string `json:"message"`
	} `json:"data"`
}

// ModelRef names a model of a provider.
type ModelRef struct {
	ProviderID string `json:"providerID"`
	ModelID    string `json:"modelID"`
}

// Part is one piece of a message. Type says which fields are used: "text"
// and "reasoning" have Text; "tool" has CallID, Tool and State;
// "step-finish" has Reason; others ("step-start", "file", "patch", …) keep
// their fields in the JSON only.
type Part struct {
	ID        string     `json:"id"`
	SessionID string     `json:"sessionID"`
	MessageID string     `json:"messageID"`
	Type      string     `json:"type"`
	Text      string     `json:"text,omitempty"`
	CallID    string     `json:"callID,omitempty"`
	Tool      string     `json:"tool,omitempty"`
	State     *ToolState `json:"state,omitempty"`
	Reason    string     `json:"reason,omitempty"`

	raw json.RawMessage
}

type partFields Part

// UnmarshalJSON decodes the fields and remembers the JSON as sent.
func (p *Part) UnmarshalJSON(data []byte) error {
	return decodeKeepingRaw(data, (*partFields)(p), &p.raw)
}

// MarshalJSON returns the JSON as OpenCode sent it, when it came from OpenCode.
func (p Part) MarshalJSON() ([]byte, error) {
	if p.raw != nil {
		return p.raw, nil
	}
	return json.Marshal(partFields(p))
}

// ToolState is the state of a tool call: Status goes "pending" → "running"
// → "completed" or "error".
type ToolState struct {
	Status string          `json:"status"`
	Input  json.RawMessage `json:"input,omitempty"`
	Title  string          `json:"title,omitempty"`
	Output string          `json:"output,omitempty"`
	Error  string          `json:"error,omitempty"`
}

// SessionStatus is what a session is doing: Type "idle", "busy" or "retry"
// (the model provider failed; Attempt, Message and Next say more).
type SessionStatus struct {
	Type    string `json:"type"`
	Attempt int    `json:"attempt,omitempty"`
	Message string `json:"message,omitempty"`
	Next    int64  `json:"next,omitempty"` // Unix milliseconds of the next attempt

	raw json.RawMessage
}

type sessionStatusFields SessionStatus

// UnmarshalJSON decodes the fields and remembers the JSON as sent.
func (s *SessionStatus) UnmarshalJSON(data []byte) error {
	return decodeKeepingRaw(data, (*sessionStatusFields)(s), &s.raw)
}

// MarshalJSON returns the JSON as OpenCode sent it, when it came from OpenCode.
func (s SessionStatus) MarshalJSON() ([]byte, error) {
	if s.raw != nil {
		return s.raw, nil
	}
	return json.Marshal(sessionStatusFields(s))
}

// PermissionRequest is a tool call waiting for the user's permission.
type PermissionRequest struct {
	ID         string `json:"id"` // "per_…"
	SessionID  string `json:"sessionID"`
	Permission string `json:"permission"` // the tool or permission, e.g. "bash"
	// Patterns are what the call would touch, e.g. the bash command.
	Patterns []string `json:"patterns"`
	// Always are the patterns an "always" reply approves from now on.
	Always   []string        `json:"always"`
	Metadata json.RawMessage `json:"metadata,omitempty"`
	Tool     *ToolRef        `json:"tool,omitempty"`

	raw json.RawMessage
}

type permissionFields PermissionRequest

// UnmarshalJSON decodes the fields and remembers the JSON as sent.
func (r *PermissionRequest) UnmarshalJSON(data []byte) error {
	return decodeKeepingRaw(data, (*permissionFields)(r), &r.raw)
}

// MarshalJSON returns the JSON as OpenCode sent it, when it came from OpenCode.
func (r PermissionRequest) MarshalJSON() ([]byte, error) {
	if r.raw != nil {
		return r.raw, nil
	}
	return json.Marshal(permissionFields(r))
}

// ToolRef points at the tool call a request belongs to.
type ToolRef struct {
	MessageID string `json:"messageID"`
	CallID    string `json:"callID"`
}

// QuestionRequest is the agent's question tool waiting for the user's answers.
type QuestionRequest struct {
	ID        string     `json:"id"` // "que_…"
	SessionID string     `json:"sessionID"`
	Questions []Question `json:"questions"`
	Tool      *ToolRef   `json:"tool,omitempty"`

	raw json.RawMessage
}

type questionFields QuestionRequest

// UnmarshalJSON decodes the fields and remembers the JSON as sent.
func (r *QuestionRequest) UnmarshalJSON(data []byte) error {
	return decodeKeepingRaw(data, (*questionFields)(r), &r.raw)
}

// MarshalJSON returns the JSON as OpenCode sent it, when it came from OpenCode.
func (r QuestionRequest) MarshalJSON() ([]byte, error) {
	if r.raw != nil {
		return r.raw, nil
	}
	return json.Marshal(questionFields(r))
}

// Question is one question of a QuestionRequest. The answer is a list of
// option labels (or free text when Custom allows it).
type Question struct {
	Question string           `json:"question"`
	Header   string           `json:"header"`
	Options  []QuestionOption `json:"options"`
	Multiple bool             `json:"multiple,omitempty"`
	Custom   bool             `json:"custom,omitempty"`
}

// QuestionOption is one choice of a Question.
type QuestionOption struct {
	Label       string `json:"label"`
	Description string `json:"description"`
}
