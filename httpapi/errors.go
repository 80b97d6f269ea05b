package httpapi

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/opencode-portal/portal"
)

// statusOf is the one place error codes become HTTP status codes: 500 for
// a code it does not know.
func statusOf(code string) int {
	switch code {
	case portal.EINVALID:
		return http.StatusBadRequest
	case portal.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case portal.EFORBIDDEN:
		return http.StatusForbidden
	case portal.ENOTFOUND:
		return http.StatusNotFound
	case portal.EMETHOD:
		return http.StatusMethodNotAllowed
	case portal.ECONFLICT:
		return http.StatusConflict
	case portal.ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	case portal.ETOOMANY:
		return http.StatusTooManyRequests
	case portal.EINTERNAL:
		return http.StatusInternalServerError
	case portal.EUNAVAILABLE:
		return http.StatusBadGateway
	case portal.ETIMEOUT:
		return http.StatusGatewayTimeout
	case portal.ENOTRUNNING:
		return http.StatusServiceUnavailable
	case portal.EMISDIRECTED:
		return http.StatusMisdirectedRequest
	case portal.EUNSUPPORTED:
		return http.StatusUnsupportedMediaType
	}
	return http.StatusInternalServerError
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
	status := statusOf(code)
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
