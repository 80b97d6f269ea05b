package httpapi

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"

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
		Message:       errorMessage(err),
		Code:          code,
	})
}

// errorMessage is err's message for a client: the domain's message, then the
// route that takes the step its hint names, in parentheses.
func errorMessage(err error) string {
	msg := portal.ErrorMessage(err)
	var e *portal.Error
	if errors.As(err, &e) {
		if route := hintRoute(e.Hint, e.Instance); route != "" {
			msg += " (" + route + ")"
		}
	}
	return msg
}

// hintRoute is the route that takes the step hint names for the instance
// with ID id ("{id}" when it is not known), or "" for no step.
func hintRoute(hint portal.Hint, id string) string {
	instance := "/api/instances/{id}"
	if id != "" {
		instance = "/api/instances/" + url.PathEscape(id)
	}
	switch hint {
	case portal.HintListInstances:
		return "GET /api/instances"
	case portal.HintInstanceLog:
		return "GET " + instance + "/logs"
	case portal.HintRestartInstance:
		return "POST " + instance + "/restart"
	case portal.HintStopInstance:
		return "DELETE " + instance
	}
	return ""
}
