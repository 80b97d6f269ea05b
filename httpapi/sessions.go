package httpapi

import (
	"net/http"

	"github.com/opencode-portal/portal"
)

// GET /api/opencode/{port}/sessions[?directory=DIR][&scope=all]
func (h *handler) listSessions(w http.ResponseWriter, r *http.Request) error {
	port, err := pathPort(r)
	if err != nil {
		return err
	}
	q, err := parseQuery(r)
	if err != nil {
		return err
	}
	sessions, err := h.p.SessionsJSON(r.Context(), port, portal.SessionListOptions{
		Directory: q.Get("directory"),
		Scope:     q.Get("scope"),
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, encoded(sessions))
}

// POST /api/opencode/{port}/session/create {title?, parentID?}
func (h *handler) createSession(w http.ResponseWriter, r *http.Request) error {
	port, err := pathPort(r)
	if err != nil {
		return err
	}
	var opts portal.SessionCreateOptions
	if err := decodeJSON(r, &opts); err != nil {
		return err
	}
	s, err := h.p.CreateSession(r.Context(), port, opts)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, s)
}

// GET /api/opencode/{port}/session/status
func (h *handler) sessionStatus(w http.ResponseWriter, r *http.Request) error {
	port, err := pathPort(r)
	if err != nil {
		return err
	}
	st, err := h.p.SessionStatus(r.Context(), port)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, st)
}

// GET /api/opencode/{port}/session/{id}
func (h *handler) getSession(w http.ResponseWriter, r *http.Request) error {
	port, err := pathPort(r)
	if err != nil {
		return err
	}
	s, err := h.p.Session(r.Context(), port, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, s)
}

// PATCH /api/opencode/{port}/session/{id} {title}
func (h *handler) updateSession(w http.ResponseWriter, r *http.Request) error {
	port, err := pathPort(r)
	if err != nil {
		return err
	}
	var u portal.SessionUpdate
	if err := decodeJSON(r, &u); err != nil {
		return err
	}
	s, err := h.p.UpdateSession(r.Context(), port, r.PathValue("id"), u)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, s)
}

// DELETE /api/opencode/{port}/session/{id} → true
func (h *handler) deleteSession(w http.ResponseWriter, r *http.Request) error {
	port, err := pathPort(r)
	if err != nil {
		return err
	}
	if err := h.p.DeleteSession(r.Context(), port, r.PathValue("id")); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, true)
}

// GET /api/opencode/{port}/session/{id}/messages
func (h *handler) messages(w http.ResponseWriter, r *http.Request) error {
	port, err := pathPort(r)
	if err != nil {
		return err
	}
	msgs, err := h.p.MessagesJSON(r.Context(), port, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, msgs)
}

// GET /api/opencode/{port}/session/{id}/children
func (h *handler) children(w http.ResponseWriter, r *http.Request) error {
	port, err := pathPort(r)
	if err != nil {
		return err
	}
	sessions, err := h.p.Children(r.Context(), port, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, sessions)
}

// promptRequest is the body of prompt and prompt_async.
type promptRequest struct {
	Text  string           `json:"text"`
	Model *portal.ModelRef `json:"model"`
	Agent string           `json:"agent"`
}

func (h *handler) promptInput(r *http.Request) (int, portal.PromptInput, error) {
	port, err := pathPort(r)
	if err != nil {
		return 0, portal.PromptInput{}, err
	}
	var req promptRequest
	if err := decodeJSON(r, &req); err != nil {
		return 0, portal.PromptInput{}, err
	}
	return port, portal.PromptInput{Text: req.Text, Model: req.Model, Agent: req.Agent}, nil
}

// POST /api/opencode/{port}/session/{id}/prompt {text, model?, agent?}
// answers with the final assistant message once the turn is over. A client
// that goes away does not stop the turn.
func (h *handler) prompt(w http.ResponseWriter, r *http.Request) error {
	port, in, err := h.promptInput(r)
	if err != nil {
		return err
	}
	msg, err := h.p.Prompt(r.Context(), port, r.PathValue("id"), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, msg)
}

// POST /api/opencode/{port}/session/{id}/prompt_async {text, model?, agent?} → 202 true
func (h *handler) promptAsync(w http.ResponseWriter, r *http.Request) error {
	port, in, err := h.promptInput(r)
	if err != nil {
		return err
	}
	if err := h.p.PromptAsync(r.Context(), port, r.PathValue("id"), in); err != nil {
		return err
	}
	return writeJSON(w, http.StatusAccepted, true)
}

// POST /api/opencode/{port}/session/{id}/abort → true
func (h *handler) abort(w http.ResponseWriter, r *http.Request) error {
	port, err := pathPort(r)
	if err != nil {
		return err
	}
	if err := h.p.Abort(r.Context(), port, r.PathValue("id")); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, true)
}

// POST /api/opencode/{port}/session/{id}/fork {messageID?}
func (h *handler) fork(w http.ResponseWriter, r *http.Request) error {
	port, err := pathPort(r)
	if err != nil {
		return err
	}
	var req struct {
		MessageID string `json:"messageID"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	s, err := h.p.Fork(r.Context(), port, r.PathValue("id"), req.MessageID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, s)
}

// GET /api/opencode/{port}/permissions
func (h *handler) permissions(w http.ResponseWriter, r *http.Request) error {
	port, err := pathPort(r)
	if err != nil {
		return err
	}
	reqs, err := h.p.Permissions(r.Context(), port)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, reqs)
}

// POST /api/opencode/{port}/permission/{requestId}/reply {reply, message?} → true
func (h *handler) replyPermission(w http.ResponseWriter, r *http.Request) error {
	port, err := pathPort(r)
	if err != nil {
		return err
	}
	var reply portal.PermissionReply
	if err := decodeJSON(r, &reply); err != nil {
		return err
	}
	if err := h.p.ReplyPermission(r.Context(), port, r.PathValue("requestId"), reply); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, true)
}

// GET /api/opencode/{port}/questions
func (h *handler) questions(w http.ResponseWriter, r *http.Request) error {
	port, err := pathPort(r)
	if err != nil {
		return err
	}
	reqs, err := h.p.Questions(r.Context(), port)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, reqs)
}

// POST /api/opencode/{port}/question/{requestId}/reply {answers: string[][]} → true
func (h *handler) replyQuestion(w http.ResponseWriter, r *http.Request) error {
	port, err := pathPort(r)
	if err != nil {
		return err
	}
	var req struct {
		Answers [][]string `json:"answers"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if err := h.p.ReplyQuestion(r.Context(), port, r.PathValue("requestId"), req.Answers); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, true)
}

// POST /api/opencode/{port}/question/{requestId}/reject → true
func (h *handler) rejectQuestion(w http.ResponseWriter, r *http.Request) error {
	port, err := pathPort(r)
	if err != nil {
		return err
	}
	if err := h.p.RejectQuestion(r.Context(), port, r.PathValue("requestId")); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, true)
}
