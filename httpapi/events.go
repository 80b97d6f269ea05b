package httpapi

import "net/http"

func (h *handler) events(w http.ResponseWriter, r *http.Request) error {
	return notBuilt("events")
}
