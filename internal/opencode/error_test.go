package opencode

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

func FuzzDecodeError(f *testing.F) {
	f.Add(404, "application/json", `{"name":"NotFoundError","data":{"message":"Session not found: ses_x"}}`)
	f.Add(409, "application/json", `{"_tag":"SessionBusyError","sessionID":"ses_1","message":"Session is busy"}`)
	f.Add(400, "application/json", `{"_tag":"BadRequest"}`)
	f.Add(500, "text/html", `<!doctype html><p>oops`)
	f.Add(401, "", ``)
	f.Add(400, "text/plain", `plain words`)
	f.Add(422, "application/json", `{"data":null,"name":7}`)
	f.Fuzz(func(t *testing.T, status int, contentType, body string) {
		if status < 400 || status > 599 {
			return
		}
		resp := &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {contentType}},
			Body: io.NopCloser(strings.NewReader(body))}
		err := decodeError("GET", "/x", resp)
		e, ok := err.(*Error)
		if !ok {
			t.Fatalf("decodeError returned %T, want *Error", err)
		}
		if e.Status != status || e.Name == "" || e.Message == "" {
			t.Fatalf("decodeError(%d, %q, %q) = %+v: status, name and message must be set", status, contentType, body, e)
		}
		if strings.Contains(contentType, "html") && strings.Contains(e.Message, "<") && !strings.Contains(body, `"`) {
			t.Fatalf("an HTML page leaked into the message: %q", e.Message)
		}
		if len(e.Message) > 1<<20 {
			t.Fatalf("message of %d bytes is not bounded", len(e.Message))
		}
	})
}
