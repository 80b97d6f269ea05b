package httpapi

import "net/http"

func (h *handler) listSessions(w http.ResponseWriter, r *http.Request) error {
	return notBuilt("sessions")
}

func (h *handler) createSession(w http.ResponseWriter, r *http.Request) error {
	return notBuilt("sessions")
}

func (h *handler) sessionStatus(w http.ResponseWriter, r *http.Request) error {
	return notBuilt("sessions")
}

func (h *handler) getSession(w http.ResponseWriter, r *http.Request) error {
	return notBuilt("sessions")
}

func (h *handler) updateSession(w http.ResponseWriter, r *http.Request) error {
	return notBuilt("sessions")
}

func (h *handler) deleteSession(w http.ResponseWriter, r *http.Request) error {
	return notBuilt("sessions")
}

func (h *handler) messages(w http.ResponseWriter, r *http.Request) error {
	return notBuilt("sessions")
}

func (h *handler) children(w http.ResponseWriter, r *http.Request) error {
	return notBuilt("sessions")
}

func (h *handler) prompt(w http.ResponseWriter, r *http.Request) error {
	return notBuilt("sessions")
}

func (h *handler) promptAsync(w http.ResponseWriter, r *http.Request) error {
	return notBuilt("sessions")
}

func (h *handler) abort(w http.ResponseWriter, r *http.Request) error {
	return notBuilt("sessions")
}

func (h *handler) fork(w http.ResponseWriter, r *http.Request) error {
	return notBuilt("sessions")
}

func (h *handler) permissions(w http.ResponseWriter, r *http.Request) error {
	return notBuilt("sessions")
}

func (h *handler) replyPermission(w http.ResponseWriter, r *http.Request) error {
	return notBuilt("sessions")
}

func (h *handler) questions(w http.ResponseWriter, r *http.Request) error {
	return notBuilt("sessions")
}

func (h *handler) replyQuestion(w http.ResponseWriter, r *http.Request) error {
	return notBuilt("sessions")
}

func (h *handler) rejectQuestion(w http.ResponseWriter, r *http.Request) error {
	return notBuilt("sessions")
}
