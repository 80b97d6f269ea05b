package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
)

func (h *handler) health(w http.ResponseWriter, r *http.Request) error {
	port, err := pathPort(r)
	if err != nil {
		return err
	}
	health, err := h.p.Health(r.Context(), port)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, health)
}

func (h *handler) currentProject(w http.ResponseWriter, r *http.Request) error {
	port, err := pathPort(r)
	if err != nil {
		return err
	}
	pr, err := h.p.CurrentProject(r.Context(), port)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, pr)
}

func (h *handler) openCodeConfig(w http.ResponseWriter, r *http.Request) error {
	return h.relay(w, r, h.p.OpenCodeConfig)
}

func (h *handler) providers(w http.ResponseWriter, r *http.Request) error {
	return h.relay(w, r, h.p.Providers)
}

func (h *handler) agents(w http.ResponseWriter, r *http.Request) error {
	return h.relay(w, r, h.p.Agents)
}

// relay answers with the raw JSON that get fetched from the instance on the
// request's {port}.
func (h *handler) relay(w http.ResponseWriter, r *http.Request, get func(context.Context, int) (json.RawMessage, error)) error {
	port, err := pathPort(r)
	if err != nil {
		return err
	}
	raw, err := get(r.Context(), port)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, raw)
}
