package portal

import (
	"bytes"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
)

// Redacted replaces each secret in the configuration and providers that
// the portal relays from OpenCode.
const Redacted = "[redacted]"

// secretReference matches a value that only names where a secret is kept,
// OpenCode's {env:NAME} and {file:PATH} substitutions: it is not a secret
// itself, and is kept.
var secretReference = regexp.MustCompile(`^\{(env|file):[^{}]*\}$`)

// isSecretName tells whether a JSON field named name holds a secret: a
// whole name whose value is a secret, a provider's "key" (its API key) and
// "headers", whose values are sent to a provider or server as they are and
// so are often credentials; or, once lower-cased with '_' and '-' removed,
// a name with a secret's suffix: apiKey, api_key, accessToken,
// clientSecret, password, Authorization, …
func isSecretName(name string) bool {
	n := strings.ToLower(strings.NewReplacer("_", "", "-", "").Replace(name))
	if n == "key" || n == "headers" {
		return true
	}
	for _, s := range []string{"apikey", "token", "secret", "password", "passwd", "authorization",
		"credential", "credentials", "privatekey", "accesskey"} {
		if strings.HasSuffix(n, s) {
			return true
		}
	}
	return false
}

// RedactSecrets returns the JSON document doc with every secret string
// replaced by Redacted: each non-empty string in the value of a field whose
// name says it holds a secret (isSecretName), at any depth, except a whole
// {env:NAME} or {file:PATH} reference. Every other byte is kept as it is,
// white space and escapes included. A doc that is not valid JSON is an
// error.
func RedactSecrets(doc []byte) (json.RawMessage, error) {
	if !json.Valid(doc) {
		return nil, errors.New("redact secrets: not valid JSON")
	}
	r := redactor{in: doc, out: make([]byte, 0, len(doc))}
	r.value(false)
	return r.out, nil
}

// redactor copies a valid JSON document, redacting secrets.
type redactor struct {
	in  []byte
	pos int
	out []byte
}

// value copies one value; secret says it is inside a secret field.
func (r *redactor) value(secret bool) {
	r.space()
	switch r.in[r.pos] {
	case '{':
		r.container('}', func() {
			start := r.pos
			r.skipString()
			name := unquote(r.in[start:r.pos])
			r.out = append(r.out, r.in[start:r.pos]...)
			r.space()
			r.copy(1) // ':'
			r.value(secret || isSecretName(name))
		})
	case '[':
		r.container(']', func() { r.value(secret) })
	case '"':
		r.string(secret)
	default: // number, true, false, null
		n := bytes.IndexAny(r.in[r.pos:], ",]} \t\r\n")
		if n < 0 {
			n = len(r.in) - r.pos
		}
		r.copy(n)
	}
	r.space()
}

// string copies the string at pos, or Redacted in its place when it is a
// secret.
func (r *redactor) string(secret bool) {
	start := r.pos
	r.skipString()
	raw := r.in[start:r.pos]
	if secret {
		if s := unquote(raw); s != "" && !secretReference.MatchString(s) {
			raw = []byte(`"` + Redacted + `"`)
		}
	}
	r.out = append(r.out, raw...)
}

// unquote decodes a valid JSON string.
func unquote(raw []byte) string {
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw[1 : len(raw)-1])
	}
	var s string
	json.Unmarshal(raw, &s) // valid JSON: cannot fail
	return s
}

// container copies an object or array, calling item for each member.
func (r *redactor) container(end byte, item func()) {
	r.copy(1)
	r.space()
	for r.in[r.pos] != end {
		item()
		r.space()
		if r.in[r.pos] == ',' {
			r.copy(1)
			r.space()
		}
	}
	r.copy(1)
}

// skipString moves past the string that starts at pos.
func (r *redactor) skipString() {
	i := r.pos + 1
	for r.in[i] != '"' {
		if r.in[i] == '\\' {
			i++
		}
		i++
	}
	r.pos = i + 1
}

// space copies white space.
func (r *redactor) space() {
	for r.pos < len(r.in) && strings.IndexByte(" \t\r\n", r.in[r.pos]) >= 0 {
		r.copy(1)
	}
}

func (r *redactor) copy(n int) {
	r.out = append(r.out, r.in[r.pos:r.pos+n]...)
	r.pos += n
}
