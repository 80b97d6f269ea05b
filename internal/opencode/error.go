package opencode

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Sentinel errors wrapped by the client's errors.
var (
	// ErrUnreachable: no connection could be made or it broke before an answer.
	ErrUnreachable = errors.New("OpenCode is unreachable")
	// ErrTimeout: OpenCode did not answer within the client's timeout.
	ErrTimeout = errors.New("OpenCode did not answer in time")
	// ErrNotJSON: OpenCode answered with something other than JSON, as it
	// does (200 text/html) for paths it does not know.
	ErrNotJSON = errors.New("OpenCode answered with something other than JSON")
	// ErrUnhealthy: OpenCode answered its health check with healthy=false.
	ErrUnhealthy = errors.New("OpenCode says it is not healthy")
)

// Error is an error answer from OpenCode. It covers both of OpenCode's error
// shapes: {"name":…,"data":{"message":…}} and {"_tag":…,"message":…}.
type Error struct {
	Status  int    // HTTP status
	Name    string // "NotFoundError", "BadRequest", "SessionBusyError", …
	Message string // OpenCode's message, or the status text when it gave none
	Method  string
	Path    string
}

func (e *Error) Error() string {
	return fmt.Sprintf("OpenCode %s %s: %d %s: %s", e.Method, e.Path, e.Status, e.Name, e.Message)
}

// errorBody is the union of OpenCode's two error shapes.
type errorBody struct {
	Name string `json:"name"`
	Data struct {
		Message string `json:"message"`
	} `json:"data"`
	Tag     string `json:"_tag"`
	Message string `json:"message"`
}

func decodeError(method, path string, resp *http.Response) error {
	e := &Error{Status: resp.StatusCode, Method: method, Path: path}
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var b errorBody
	if json.Unmarshal(data, &b) == nil {
		e.Name = firstNonEmpty(b.Name, b.Tag)
		e.Message = firstNonEmpty(b.Data.Message, b.Message)
	} else if len(data) > 0 && len(data) <= 512 && !strings.Contains(resp.Header.Get("Content-Type"), "html") {
		e.Message = strings.TrimSpace(string(data)) // a short plain-text explanation
	}
	text := http.StatusText(resp.StatusCode)
	if text == "" {
		text = fmt.Sprintf("HTTP %d", resp.StatusCode) // a status net/http has no name for
	}
	if e.Message == "" {
		e.Message = text
	}
	if e.Name == "" {
		e.Name = strings.ReplaceAll(text, " ", "")
	}
	return e
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
