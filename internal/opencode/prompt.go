package opencode

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// PromptService sends user messages to sessions.
type PromptService service

// Causes with which the watchdog of Send ends a prompt call.
var (
	// ErrPromptStalled: the session is idle but the answer never came; the
	// final message is in the session's message list.
	ErrPromptStalled = errors.New("the session is idle but OpenCode has not answered the prompt")
	// ErrPromptLost: OpenCode stopped answering status checks.
	ErrPromptLost = errors.New("OpenCode stopped answering status checks during the prompt")
)

// Watchdog rules: a session seen idle at promptIdleChecks polls in a row
// after it was seen busy, while its prompt call still waits, has stalled;
// one never seen busy gets promptStartChecks polls, as a freshly started
// OpenCode can take long before it starts the turn. promptMaxFailures
// failed polls in a row mean OpenCode is gone.
const (
	promptIdleChecks   = 3
	promptStartChecks  = 24
	promptMaxFailures  = 3
	promptStatusBudget = 10 * time.Second // bound of one status poll
)

// Async posts a user message to the session id (POST
// /session/{id}/prompt_async) and returns once OpenCode accepted it; the
// turn runs on. body is OpenCode's PromptBody.
func (s *PromptService) Async(ctx context.Context, id string, body any) error {
	return s.client.Call(ctx, http.MethodPost, sessionPath(id, "/prompt_async"), nil, body, nil)
}

// Send posts a user message to the session id (POST /session/{id}/message)
// and decodes the final assistant message into out once the turn is over.
// Only ctx bounds the call, as turns last long; a watchdog checks the
// session's status every poll instead, and ends the call with
// ErrPromptStalled as the cause of the returned error when the session is
// idle but the answer never came, or with ErrPromptLost when OpenCode
// stops answering. Use errors.Is on the returned error.
func (s *PromptService) Send(ctx context.Context, id string, body, out any, poll time.Duration) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stop := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		s.watch(ctx, id, poll, stop, cancel)
	}()
	err := s.client.CallLong(ctx, http.MethodPost, sessionPath(id, "/message"), nil, body, out)
	close(stop)
	<-watched
	if cause := context.Cause(ctx); err != nil && !errors.Is(err, cause) &&
		(errors.Is(cause, ErrPromptStalled) || errors.Is(cause, ErrPromptLost)) {
		return fmt.Errorf("%w: %w", cause, err)
	}
	return err
}

// watch polls the session's status until stop is closed, and cancels the
// prompt call with a cause when it has stalled or OpenCode is gone.
func (s *PromptService) watch(ctx context.Context, id string, poll time.Duration, stop <-chan struct{}, cancel context.CancelCauseFunc) {
	t := time.NewTicker(poll)
	defer t.Stop()
	idle, failed, seenBusy := 0, 0, false
	for {
		select {
		case <-stop:
			return
		case <-ctx.Done():
			return
		case <-t.C:
		}
		pctx, pcancel := context.WithTimeout(ctx, min(promptStatusBudget, 2*poll+time.Second))
		var st map[string]json.RawMessage
		err := (*SessionsService)(s).Status(pctx, &st)
		pcancel()
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			if failed++; failed >= promptMaxFailures {
				cancel(ErrPromptLost)
				return
			}
			continue
		}
		failed = 0
		if _, busy := st[id]; busy {
			idle, seenBusy = 0, true
			continue
		}
		limit := promptStartChecks
		if seenBusy {
			limit = promptIdleChecks
		}
		if idle++; idle >= limit {
			cancel(ErrPromptStalled)
			return
		}
	}
}
