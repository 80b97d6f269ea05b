package httpapi

import "net/http"

func (h *handler) searchFiles(w http.ResponseWriter, r *http.Request) error {
	return notBuilt("files")
}

func (h *handler) listFiles(w http.ResponseWriter, r *http.Request) error {
	return notBuilt("files")
}

func (h *handler) readFile(w http.ResponseWriter, r *http.Request) error {
	return notBuilt("files")
}

func (h *handler) changedFiles(w http.ResponseWriter, r *http.Request) error {
	return notBuilt("files")
}
