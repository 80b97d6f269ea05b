package httpapi

import "net/http"

func (h *handler) gitDiff(w http.ResponseWriter, r *http.Request) error {
	return notBuilt("git")
}

func (h *handler) gitStatus(w http.ResponseWriter, r *http.Request) error {
	return notBuilt("git")
}

func (h *handler) gitLog(w http.ResponseWriter, r *http.Request) error {
	return notBuilt("git")
}

func (h *handler) gitBranches(w http.ResponseWriter, r *http.Request) error {
	return notBuilt("git")
}

func (h *handler) gitCheckout(w http.ResponseWriter, r *http.Request) error {
	return notBuilt("git")
}

func (h *handler) gitStage(w http.ResponseWriter, r *http.Request) error {
	return notBuilt("git")
}

func (h *handler) gitUnstage(w http.ResponseWriter, r *http.Request) error {
	return notBuilt("git")
}

func (h *handler) gitCommit(w http.ResponseWriter, r *http.Request) error {
	return notBuilt("git")
}

func (h *handler) gitDiscard(w http.ResponseWriter, r *http.Request) error {
	return notBuilt("git")
}

func (h *handler) gitFetch(w http.ResponseWriter, r *http.Request) error {
	return notBuilt("git")
}

func (h *handler) gitPull(w http.ResponseWriter, r *http.Request) error {
	return notBuilt("git")
}

func (h *handler) gitPush(w http.ResponseWriter, r *http.Request) error {
	return notBuilt("git")
}
