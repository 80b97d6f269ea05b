package portal

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/opencode-portal/portal/internal/opencode"
)

// Session list scopes for SessionListOptions.Scope.
const (
	// ScopeInstance lists the sessions in the instance's directory and the
	// folders below it (the default).
	ScopeInstance = ""
	// ScopeAll lists every session the instance's OpenCode knows, whatever
	// the project.
	ScopeAll = "all"
)

// SessionListOptions selects the sessions Sessions returns.
type SessionListOptions struct {
	// Directory, when set, lists the sessions in this absolute folder and
	// below instead of the instance's directory.
	Directory string
	// Scope is ScopeInstance (default) or ScopeAll, which ignores Directory.
	Scope string
}

// Sessions lists the sessions of the instance on port, most recently
// updated first. By default these are the sessions whose directory is the
// instance's directory, which OpenCode selects itself, so the cost is that
// of the instance's own sessions (an instance in "/" sees all). opts can
// name another folder, whose sessions and those of the folders below it are
// listed, or ask for all; both read every session OpenCode knows.
//
// The default listing is kept and answered again while the instance's
// event stream is open and tells of no change, no write was relayed to it
// through the Portal, and for at most 2 s; a change made on OpenCode
// directly shows once its event arrives.
func (p *Portal) Sessions(ctx context.Context, port int, opts SessionListOptions) ([]Session, error) {
	raw, below, err := p.listSessions(ctx, port, opts)
	if err != nil {
		return nil, err
	}
	return pickSessions(port, raw, below)
}

// SessionsJSON returns what Sessions returns as a JSON array of Session.
// Unless opts names a folder, whose sessions are picked from every
// project's, the array is the bytes OpenCode sent, for relaying the list
// without the cost of decoding and encoding it again.
func (p *Portal) SessionsJSON(ctx context.Context, port int, opts SessionListOptions) (json.RawMessage, error) {
	raw, below, err := p.listSessions(ctx, port, opts)
	if opts == (SessionListOptions{}) {
		return bytes.Clone(raw), err // the caller's own copy of the kept listing
	}
	if err != nil || below == "" || below == "/" {
		return raw, err
	}
	list, err := pickSessions(port, raw, below)
	if err != nil {
		return nil, err
	}
	return json.Marshal(list)
}

// listSessions returns OpenCode's list of sessions for opts, and the folder
// whose sessions and those below it are to be picked from it ("" for all).
// The instance's own listing may be the one kept (sessionLists), which
// must not be modified.
func (p *Portal) listSessions(ctx context.Context, port int, opts SessionListOptions) (raw json.RawMessage, below string, err error) {
	own := false
	switch opts.Scope {
	case ScopeAll:
	case ScopeInstance:
		if opts.Directory == "" {
			own = true
			break
		}
		if !filepath.IsAbs(opts.Directory) {
			return nil, "", Errorf(EINVALID, "Invalid directory %q: it must be an absolute path", opts.Directory)
		}
		below = filepath.Clean(opts.Directory)
	default:
		return nil, "", Errorf(EINVALID, "Invalid scope %q: it must be %q or absent", opts.Scope, ScopeAll)
	}
	e, err := p.entryByPort(port)
	if err != nil {
		return nil, "", err
	}
	var dir string
	if own {
		if dir = filepath.Clean(e.Directory); dir == "/" {
			dir = ""
		}
	}
	read := func(ctx context.Context) (json.RawMessage, error) {
		c, err := p.clientFor(e)
		if err != nil {
			return nil, err
		}
		raw, err := c.Sessions.List(ctx, dir)
		return raw, upstreamError(port, err)
	}
	if dir == "" { // not the instance's own listing, or every project's: its changes need not come as its events
		raw, err = read(ctx)
		return raw, below, err
	}
	hub, err := p.events.hub(p, port, e.ID)
	if err != nil {
		return nil, "", err
	}
	raw, err = p.lists.get(ctx, port, hub, read)
	return raw, below, err
}

// pickSessions decodes the list of sessions OpenCode sent and keeps those
// in the folder below and the folders under it (all when below is "" or "/").
func pickSessions(port int, raw json.RawMessage, below string) ([]Session, error) {
	var all []Session
	if err := json.Unmarshal(raw, &all); err != nil {
		return nil, upstreamError(port, fmt.Errorf("decoding the list of sessions: %w", err))
	}
	if below == "" || below == "/" {
		return all, nil
	}
	out := make([]Session, 0, len(all))
	for _, s := range all {
		if inDir(s.Directory, below) {
			out = append(out, s)
		}
	}
	return out, nil
}

// inDir reports whether path is dir or below it, comparing whole path
// components: /a/b is in /a/b and /a, not in /a/b-c.
func inDir(path, dir string) bool {
	path = filepath.Clean(path)
	return path == dir || strings.HasPrefix(path, strings.TrimSuffix(dir, "/")+"/")
}

// SessionCreateOptions configures a new session. The zero value works.
type SessionCreateOptions struct {
	// Title is the session's title; OpenCode generates one after the first
	// prompt when it is empty.
	Title string `json:"title,omitempty"`
	// ParentID makes the session a child of that session.
	ParentID string `json:"parentID,omitempty"`
}

// CreateSession creates a session in the instance on port.
func (p *Portal) CreateSession(ctx context.Context, port int, opts SessionCreateOptions) (Session, error) {
	var s Session
	if opts.ParentID != "" {
		if err := checkID("parentID", "ses", opts.ParentID); err != nil {
			return s, err
		}
	}
	err := p.relayWrite(ctx, port, func(c *opencode.Client) error { return c.Sessions.Create(ctx, opts, &s) })
	return s, err
}

// Session returns the session id of the instance on port.
func (p *Portal) Session(ctx context.Context, port int, id string) (Session, error) {
	var s Session
	err := p.sessionCall(ctx, port, id, func(c *opencode.Client) error { return c.Sessions.Get(ctx, id, &s) })
	return s, err
}

// DeleteSession deletes the session id and its children.
func (p *Portal) DeleteSession(ctx context.Context, port int, id string) error {
	return p.sessionWrite(ctx, port, id, func(c *opencode.Client) error { return c.Sessions.Delete(ctx, id) })
}

// SessionUpdate holds the changes UpdateSession makes.
type SessionUpdate struct {
	Title string `json:"title"`
}

// UpdateSession changes the title of the session id and returns the session.
func (p *Portal) UpdateSession(ctx context.Context, port int, id string, u SessionUpdate) (Session, error) {
	var s Session
	if strings.TrimSpace(u.Title) == "" {
		return s, Errorf(EINVALID, "Title required: give the session a non-empty title")
	}
	err := p.sessionWrite(ctx, port, id, func(c *opencode.Client) error { return c.Sessions.Update(ctx, id, u, &s) })
	return s, err
}

// Children returns the child sessions of the session id (those made by
// subagents or created with its id as parent; forks are not children).
func (p *Portal) Children(ctx context.Context, port int, id string) ([]Session, error) {
	var s []Session
	err := p.sessionCall(ctx, port, id, func(c *opencode.Client) error { return c.Sessions.Children(ctx, id, &s) })
	return s, err
}

// Fork copies the session id into a new session, up to and excluding the
// message messageID, or whole when messageID is empty.
func (p *Portal) Fork(ctx context.Context, port int, id, messageID string) (Session, error) {
	var s Session
	body := map[string]string{}
	if messageID != "" {
		if err := checkID("messageID", "msg", messageID); err != nil {
			return s, err
		}
		body["messageID"] = messageID
	}
	err := p.sessionWrite(ctx, port, id, func(c *opencode.Client) error { return c.Sessions.Fork(ctx, id, body, &s) })
	return s, err
}

// Messages returns the messages of the session id, oldest first.
func (p *Portal) Messages(ctx context.Context, port int, id string) ([]Message, error) {
	var m []Message
	err := p.sessionCall(ctx, port, id, func(c *opencode.Client) error { return c.Sessions.Messages(ctx, id, &m) })
	return m, err
}

// MessagesJSON returns the messages of the session id as OpenCode sent them
// (a JSON array of Message), for relaying a long conversation without the
// cost of decoding it.
func (p *Portal) MessagesJSON(ctx context.Context, port int, id string) (json.RawMessage, error) {
	var raw json.RawMessage
	err := p.sessionCall(ctx, port, id, func(c *opencode.Client) error { return c.Sessions.Messages(ctx, id, &raw) })
	return raw, err
}

// Abort stops the running turn of the session id. The running assistant
// message ends with a MessageAbortedError.
func (p *Portal) Abort(ctx context.Context, port int, id string) error {
	return p.sessionWrite(ctx, port, id, func(c *opencode.Client) error { return c.Sessions.Abort(ctx, id) })
}

// SessionStatus returns the status of the instance's sessions that are not
// idle, by session id. A session that is absent is idle.
func (p *Portal) SessionStatus(ctx context.Context, port int) (map[string]SessionStatus, error) {
	st := map[string]SessionStatus{}
	err := p.withClient(ctx, port, func(c *opencode.Client) error { return c.Sessions.Status(ctx, &st) })
	return st, err
}

// sessionCall checks the session id, then calls fn as withClient does.
func (p *Portal) sessionCall(ctx context.Context, port int, id string, fn func(*opencode.Client) error) error {
	if err := checkID("session id", "ses", id); err != nil {
		return err
	}
	return p.withClient(ctx, port, fn)
}

// relayWrite calls fn as withClient does, for a call that may change the
// instance's sessions: the listing kept for the instance is dropped once fn
// returned, before its answer is, whether it failed or not.
func (p *Portal) relayWrite(ctx context.Context, port int, fn func(*opencode.Client) error) error {
	defer p.lists.invalidate(port)
	return p.withClient(ctx, port, fn)
}

// sessionWrite is relayWrite for a call on the session id, checked first.
func (p *Portal) sessionWrite(ctx context.Context, port int, id string, fn func(*opencode.Client) error) error {
	if err := checkID("session id", "ses", id); err != nil {
		return err
	}
	return p.relayWrite(ctx, port, fn)
}

// Permissions returns the permission requests waiting for a reply, for all
// sessions of the instance on port.
func (p *Portal) Permissions(ctx context.Context, port int) ([]PermissionRequest, error) {
	var r []PermissionRequest
	err := p.withClient(ctx, port, func(c *opencode.Client) error { return c.Permissions.List(ctx, &r) })
	return r, err
}

// Permission replies.
const (
	ReplyOnce   = "once"   // run this call
	ReplyAlways = "always" // run it, and approve the request's Always patterns from now on
	ReplyReject = "reject" // refuse the call; the agent's turn ends
)

// PermissionReply answers a permission request.
type PermissionReply struct {
	// Reply is ReplyOnce, ReplyAlways or ReplyReject.
	Reply string `json:"reply"`
	// Message optionally tells the agent why.
	Message string `json:"message,omitempty"`
}

// ReplyPermission answers the permission request requestID.
func (p *Portal) ReplyPermission(ctx context.Context, port int, requestID string, r PermissionReply) error {
	if err := checkID("requestId", "per", requestID); err != nil {
		return err
	}
	switch r.Reply {
	case ReplyOnce, ReplyAlways, ReplyReject:
	default:
		return Errorf(EINVALID, "Invalid reply %q: it must be once, always or reject", r.Reply)
	}
	return p.relayWrite(ctx, port, func(c *opencode.Client) error { return c.Permissions.Reply(ctx, requestID, r) })
}

// Questions returns the questions waiting for an answer, for all sessions
// of the instance on port.
func (p *Portal) Questions(ctx context.Context, port int) ([]QuestionRequest, error) {
	var r []QuestionRequest
	err := p.withClient(ctx, port, func(c *opencode.Client) error { return c.Questions.List(ctx, &r) })
	return r, err
}

// ReplyQuestion answers the question request requestID: answers holds, for
// each of its questions in order, the chosen option labels or free text.
func (p *Portal) ReplyQuestion(ctx context.Context, port int, requestID string, answers [][]string) error {
	if err := checkID("requestId", "que", requestID); err != nil {
		return err
	}
	if answers == nil {
		return Errorf(EINVALID, "Answers required: give one array of answers per question")
	}
	for i, a := range answers {
		if a == nil {
			return Errorf(EINVALID, "Invalid answers[%d]: it must be an array of strings", i)
		}
	}
	body := map[string][][]string{"answers": answers}
	return p.relayWrite(ctx, port, func(c *opencode.Client) error { return c.Questions.Reply(ctx, requestID, body) })
}

// RejectQuestion dismisses the question request requestID; the question
// tool fails with "The user dismissed this question".
func (p *Portal) RejectQuestion(ctx context.Context, port int, requestID string) error {
	if err := checkID("requestId", "que", requestID); err != nil {
		return err
	}
	return p.relayWrite(ctx, port, func(c *opencode.Client) error { return c.Questions.Reject(ctx, requestID) })
}

// maxIDLength bounds the ids accepted from callers.
const maxIDLength = 128

// checkID returns an EINVALID error naming field unless id starts with
// prefix and holds only letters, digits, '_' and '-' (OpenCode's ids look
// like ses_21eac3d17001iF4XyLi0254ade).
func checkID(field, prefix, id string) error {
	if id == "" {
		return Errorf(EINVALID, "Invalid %s: it is required", field)
	}
	if len(id) > maxIDLength {
		return Errorf(EINVALID, "Invalid %s: it is longer than %d characters", field, maxIDLength)
	}
	if !strings.HasPrefix(id, prefix) {
		return Errorf(EINVALID, "Invalid %s %q: it must start with %q", field, id, prefix)
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return Errorf(EINVALID, "Invalid %s %q: it may hold only letters, digits, '_' and '-'", field, id)
		}
	}
	return nil
}
