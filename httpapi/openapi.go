package httpapi

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"net/http"
)

// openAPIDocument is the OpenAPI 3.1 description of every route in
// routes.go, kept by hand beside them. The handler tests validate every
// answer they get against it.
//
//go:embed openapi.json
var openAPIDocument []byte

// openAPI serves the OpenAPI document.
func (h *handler) openAPI(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, json.RawMessage(bytes.TrimSpace(openAPIDocument)))
}
