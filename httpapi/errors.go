package httpapi

import (
	"log/slog"
	"net/http"

	"github.com/opencode-portal/portal"
)

// statusOf is the one place error codes become HTTP status codes.
var statusOf = map[string]int{
	portal.EINVALID:      http.StatusBadRequest,
	portal.EUNAUTHORIZED: http.StatusUnauthorized,
	portal.EFORBIDDEN:    http.StatusForbidden,
	portal.ENOTFOUND:     http.StatusNotFound,
	portal.EMETHOD:       http.StatusMethodNotAllowed,
	portal.ECONFLICT:     http.StatusConflict,
	portal.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	portal.ETOOMANY:      http.StatusTooManyRequests,
	portal.EINTERNAL:     http.StatusInternalServerError,
	portal.EUNAVAILABLE:  http.StatusBadGateway,
	portal.ETIMEOUT:      http.StatusGatewayTimeout,
	portal.ENOTRUNNING:   http.StatusServiceUnavailable,
	portal.EMISDIRECTED:  http.StatusMisdirectedRequest,
	portal.EUNSUPPORTED:  http.StatusUnsupportedMediaType,
}

// errorEnvelope is the original Portal's documented error body, plus our code.
type errorEnvelope struct {
	StatusCode    int    `json:"statusCode"`
	StatusMessage string `json:"statusMessage"`
	Message       string `json:"message"`
	Code          string `json:"code"`
}

// writeError writes err as the JSON error envelope. It is the only writer of
// error responses.
func (h *handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := portal.ErrorCode(err)
	status, ok := statusOf[code]
	if !ok {
		status = http.StatusInternalServerError
	}
	level := slog.LevelDebug
	if status >= 500 {
		level = slog.LevelError
	}
	if r.Context().Err() != nil {
		level = slog.LevelDebug // the client left; nobody reads this answer
	}
	h.log.Log(r.Context(), level, "request failed", "method", r.Method, "path", r.URL.Path, "status", status, "err", err)
	writeJSON(w, status, errorEnvelope{
		StatusCode:    status,
		StatusMessage: http.StatusText(status),
		Message:       portal.ErrorMessage(err),
		Code:          code,
	})
}
