package portal

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/opencode-portal/portal/internal/opencode"
)

// PromptInput is a user message for Prompt and PromptAsync.
type PromptInput struct {
	// Text is the message; it must not be empty.
	Text string
	// Model overrides the session's model when set.
	Model *ModelRef
	// Agent names the OpenCode agent ("build", "plan", …); default "build".
	Agent string
}

// promptBody is OpenCode's PromptBody with one text part.
type promptBody struct {
	Parts []textPart `json:"parts"`
	Model *ModelRef  `json:"model,omitempty"`
	Agent string     `json:"agent,omitempty"`
}

type textPart struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

func (in PromptInput) body() (promptBody, error) {
	if strings.TrimSpace(in.Text) == "" {
		return promptBody{}, Errorf(EINVALID, "Message text required")
	}
	if in.Model != nil && (in.Model.ProviderID == "" || in.Model.ModelID == "") {
		return promptBody{}, Errorf(EINVALID, "Invalid model: both providerID and modelID are required")
	}
	return promptBody{Parts: []textPart{{Type: "text", Text: in.Text}}, Model: in.Model, Agent: in.Agent}, nil
}

// PromptAsync sends a user message to the session id and returns as soon as
// OpenCode accepted it; the turn runs on (follow it with Subscribe or
// Messages). A busy session queues the message after its current turn.
func (p *Portal) PromptAsync(ctx context.Context, port int, id string, in PromptInput) error {
	body, err := in.body()
	if err != nil {
		return err
	}
	return p.sessionWrite(ctx, port, id, func(c *opencode.Client) error { return c.Prompt.Async(ctx, id, body) })
}

// Prompt sends a user message to the session id and returns the final
// assistant message once the agent's turn is over. Permission requests and
// questions met on the way wait for a reply (ReplyPermission,
// ReplyQuestion); an abort ends the turn with a MessageAbortedError in the
// returned message.
//
// The turn never depends on the caller staying: when ctx ends first, Prompt
// returns an ETIMEOUT error at once while the turn runs on to its end (only
// Abort stops it). The call to OpenCode is not bounded by a fixed timeout,
// as turns can last long; a watchdog checks the session's status instead and
// ends the wait when OpenCode stops answering or the session is idle but the
// answer never came (the final message is then read from the message list).
func (p *Portal) Prompt(ctx context.Context, port int, id string, in PromptInput) (Message, error) {
	if err := checkID("session id", "ses", id); err != nil {
		return Message{}, err
	}
	body, err := in.body()
	if err != nil {
		return Message{}, err
	}
	c, err := p.client(ctx, port)
	if err != nil {
		return Message{}, err
	}
	defer p.lists.invalidate(port) // the turn changed the session
	res := make(chan promptResult, 1)
	started := p.prompts.start(func(bg context.Context) {
		msg, err := p.runPrompt(bg, c, port, id, body)
		res <- promptResult{msg, err}
	})
	if !started {
		return Message{}, Errorf(EUNAVAILABLE, "The portal is closed; create a new one to send prompts")
	}
	select {
	case r := <-res:
		return r.msg, r.err
	case <-ctx.Done():
		return Message{}, &Error{Code: ETIMEOUT, Err: ctx.Err(), Message: "Stopped waiting for the answer to the prompt; the turn goes on: " +
			"follow it in the session's messages or events, or abort it"}
	}
}

type promptResult struct {
	msg Message
	err error
}

// runPrompt makes the sync prompt call on bg, a context that belongs to the
// Portal rather than to the caller, under the watchdog.
func (p *Portal) runPrompt(bg context.Context, c *opencode.Client, port int, id string, body promptBody) (Message, error) {
	var msg Message
	err := c.Prompt.Send(bg, id, body, &msg, p.prompts.poll)
	if err == nil {
		return msg, nil
	}
	switch {
	case errors.Is(err, opencode.ErrPromptStalled):
		p.log.Warn("prompt answer lost; reading the session's last message", "port", port, "session", id)
		return p.lastAssistantMessage(bg, port, id)
	case errors.Is(err, opencode.ErrPromptLost):
		return Message{}, &Error{Code: EUNAVAILABLE, Err: err, Hint: HintListInstances, Message: fmt.Sprintf(
			"OpenCode on port %d stopped answering while the prompt ran; check the session's messages, and list instances to check that it is running", port)}
	case bg.Err() != nil:
		return Message{}, &Error{Code: EUNAVAILABLE, Err: err, Message: "The portal closed while the prompt ran; the turn goes on in OpenCode"}
	}
	return Message{}, upstreamError(port, err)
}

// lastAssistantMessage returns the session's last assistant message.
func (p *Portal) lastAssistantMessage(ctx context.Context, port int, id string) (Message, error) {
	msgs, err := p.Messages(ctx, port, id)
	if err != nil {
		return Message{}, err
	}
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Info.Role == "assistant" {
			return msgs[i], nil
		}
	}
	return Message{}, Errorf(EUNAVAILABLE, "OpenCode on port %d ended the turn of session %s without an answer; see its log", port, id)
}

// defaultPromptPoll is how often the watchdog of a sync prompt call checks
// the session's status.
const defaultPromptPoll = 5 * time.Second

// prompts owns the sync prompt calls: they run on its context, detached
// from their callers, and Close cancels them and waits for them.
type prompts struct {
	ctx    context.Context
	cancel context.CancelFunc
	poll   time.Duration // how often the watchdog checks the session's status

	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup
}

func newPrompts() *prompts {
	ctx, cancel := context.WithCancel(context.Background())
	return &prompts{ctx: ctx, cancel: cancel, poll: defaultPromptPoll}
}

// start runs fn on a goroutine with the prompts' context, unless closed.
func (r *prompts) start(fn func(context.Context)) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return false
	}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		fn(r.ctx)
	}()
	return true
}

// close cancels the running prompt calls and waits for them. The turns go
// on in OpenCode: it does not abort a turn whose prompt call went away.
func (r *prompts) close() {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	r.cancel()
	r.wg.Wait()
}
