package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/opencode-portal/portal"
)

// writeJSON writes v as a JSON response with the given status. A
// json.RawMessage (JSON relayed from OpenCode) is written as it is, without
// being parsed again. Only an encoding failure is returned: a failed write
// means the client has gone, and there is nobody left to answer.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	data, ok := v.(json.RawMessage)
	if !ok {
		var err error
		if data, err = json.Marshal(v); err != nil {
			return portal.Errorf(portal.EINTERNAL, "encoding the response: %w", err)
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(data)+1))
	w.WriteHeader(status)
	w.Write(data)
	io.WriteString(w, "\n")
	return nil
}

// encoded returns relayed JSON as json.Marshal would have written it:
// without surrounding white space, and with <, >, &, U+2028 and U+2029
// escaped in strings. OpenCode writes no white space between tokens.
func encoded(relayed json.RawMessage) json.RawMessage {
	relayed = bytes.TrimSpace(relayed)
	if !bytes.ContainsAny(relayed, "<>&\u2028\u2029") {
		return relayed
	}
	var b bytes.Buffer
	json.HTMLEscape(&b, relayed)
	return b.Bytes()
}

// decodeJSON decodes the request body into v. An empty body leaves v as it
// is; malformed JSON or a field of the wrong type is an EINVALID error that
// names the field.
func decodeJSON(r *http.Request, v any) error {
	data, err := io.ReadAll(r.Body)
	var limitErr *portal.Error
	if errors.As(err, &limitErr) {
		return err // the route's body limit, naming itself (limitedBody)
	}
	if err != nil {
		return portal.Errorf(portal.EINVALID, "Reading the request body failed: %v", err)
	}
	if len(data) == 0 {
		return nil
	}
	err = json.Unmarshal(data, v)
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &typeErr) && typeErr.Field != "":
		return portal.Errorf(portal.EINVALID, "Invalid body: field %q must be %s, not %s", typeErr.Field, jsonKind(typeErr.Type.Kind().String()), typeErr.Value)
	case errors.As(err, &typeErr):
		return portal.Errorf(portal.EINVALID, "Invalid body: expected %s, got %s", jsonKind(typeErr.Type.Kind().String()), typeErr.Value)
	case errors.As(err, &syntaxErr):
		return portal.Errorf(portal.EINVALID, "Invalid body: malformed JSON at byte %d: %v", syntaxErr.Offset, err)
	}
	return portal.Errorf(portal.EINVALID, "Invalid body: %v", err)
}

// jsonKind names a Go kind the way a JSON user would.
func jsonKind(goKind string) string {
	switch goKind {
	case "struct", "map":
		return "an object"
	case "slice", "array":
		return "an array"
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "int", "int64", "int32", "uint", "uint64", "float64":
		return "a number"
	}
	return fmt.Sprintf("a %s", goKind)
}

// pathPort parses the {port} wildcard: an integer in 1–65535, written in
// plain decimal digits, else a 400 "Invalid port".
func pathPort(r *http.Request) (int, error) {
	s := r.PathValue("port")
	if s == "" || len(s) > 5 {
		return 0, portal.Errorf(portal.EINVALID, "Invalid port")
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, portal.Errorf(portal.EINVALID, "Invalid port")
		}
	}
	port, _ := strconv.Atoi(s)
	return port, portal.CheckPort(port)
}
