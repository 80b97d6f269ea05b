package httpapi

import (
	"net/http"
	"os"

	"github.com/opencode-portal/portal"
)

func (h *handler) hostname(w http.ResponseWriter, r *http.Request) error {
	name, err := os.Hostname()
	if err != nil {
		return portal.Errorf(portal.EINTERNAL, "Reading the host name failed: %v", err)
	}
	return writeJSON(w, http.StatusOK, map[string]string{"hostname": name})
}
