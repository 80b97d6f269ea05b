package portal_test

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/opencode-portal/portal"
)

func TestRedactSecrets(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"api key", `{"options":{"apiKey":"sk-1","baseURL":"http://x"}}`,
			`{"options":{"apiKey":"[redacted]","baseURL":"http://x"}}`},
		{"names of every spelling", `{"api_key":"a","API-KEY":"b","accessToken":"c","clientSecret":"d","password":"e","Authorization":"f","awsSecretAccessKey":"g","key":"h","token":"i","credentials":"j","privateKey":"k"}`,
			`{"api_key":"[redacted]","API-KEY":"[redacted]","accessToken":"[redacted]","clientSecret":"[redacted]","password":"[redacted]","Authorization":"[redacted]","awsSecretAccessKey":"[redacted]","key":"[redacted]","token":"[redacted]","credentials":"[redacted]","privateKey":"[redacted]"}`},
		{"header values", `{"headers":{"X-Team":"t","Cookie":"c","n":5}}`,
			`{"headers":{"X-Team":"[redacted]","Cookie":"[redacted]","n":5}}`},
		{"nested in a secret", `{"secret":{"a":["x",{"b":"y"}],"c":true}}`,
			`{"secret":{"a":["[redacted]",{"b":"[redacted]"}],"c":true}}`},
		{"references kept", `{"apiKey":"{env:OPENAI_API_KEY}","token":"{file:~/.tok}","password":"x{env:A}"}`,
			`{"apiKey":"{env:OPENAI_API_KEY}","token":"{file:~/.tok}","password":"[redacted]"}`},
		{"empty kept", `{"apiKey":""}`, `{"apiKey":""}`},
		{"near misses kept", `{"max_tokens":"4096","tokenizer":"t","keybinds":{"leader":"ctrl+x"},"env":["OPENAI_API_KEY"],"monkey":"m","keyword":"k"}`,
			`{"max_tokens":"4096","tokenizer":"t","keybinds":{"leader":"ctrl+x"},"env":["OPENAI_API_KEY"],"monkey":"m","keyword":"k"}`},
		{"numbers and literals kept", `{"token":12,"apiKey":null,"secret":false}`, `{"token":12,"apiKey":null,"secret":false}`},
		{"bytes kept", "{ \"a\" : [1.50e3 , \"\\u00e9\\n\"] ,\n\t\"apiKey\" :\"s\\\"k\" }\n",
			"{ \"a\" : [1.50e3 , \"\\u00e9\\n\"] ,\n\t\"apiKey\" :\"[redacted]\" }\n"},
		{"escaped name", `{"api\u004bey":"s"}`, `{"api\u004bey":"[redacted]"}`},
		{"array of providers", `{"providers":[{"id":"a","key":"sk","options":{"apiKey":"sk"}}],"default":{"a":"m"}}`,
			`{"providers":[{"id":"a","key":"[redacted]","options":{"apiKey":"[redacted]"}}],"default":{"a":"m"}}`},
		{"scalar document", `"apiKey"`, `"apiKey"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := portal.RedactSecrets([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, string(got)); diff != "" {
				t.Errorf("RedactSecrets(%s) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
	for _, bad := range []string{"", "{", `{"a":}`, `{"a":1}x`, "\xff"} {
		if _, err := portal.RedactSecrets([]byte(bad)); err == nil {
			t.Errorf("RedactSecrets(%q) accepts invalid JSON", bad)
		}
	}
}

// wantRedacted redacts a decoded JSON value in place independently of
// RedactSecrets, from the rule as documented, and counts the secrets.
func wantRedacted(v any, secret bool, n *int) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			v[k] = wantRedacted(x, secret || secretName(k), n)
		}
	case []any:
		for i, x := range v {
			v[i] = wantRedacted(x, secret, n)
		}
	case string:
		if secret && v != "" && !regexp.MustCompile(`^\{(env|file):[^{}]*\}$`).MatchString(v) {
			*n++
			return portal.Redacted
		}
	}
	return v
}

func secretName(k string) bool {
	n := strings.ToLower(strings.NewReplacer("_", "", "-", "").Replace(k))
	if n == "key" || n == "headers" {
		return true
	}
	for _, s := range []string{"apikey", "token", "secret", "password", "passwd", "authorization", "credential", "credentials", "privatekey", "accesskey"} {
		if strings.HasSuffix(n, s) {
			return true
		}
	}
	return false
}

// FuzzRedactSecrets checks that the result is valid JSON, equal to the
// input once decoded but for the secrets, byte for byte the input when
// nothing is secret, and unchanged by a second redaction.
func FuzzRedactSecrets(f *testing.F) {
	for _, s := range []string{`{"options":{"apiKey":"sk-1"}}`, `{"headers":{"A":"b"}}`, `[{"token":["x",{"y":"z"}]}]`,
		`{"apiKey":"{env:X}"}`, "{ \"a\" : [1, \"\\u00e9\"] }", `{"a\u0070iKey":"s"}`, `"x"`, `{`, `{"key":""}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		out, err := portal.RedactSecrets(doc)
		if !json.Valid(doc) {
			if err == nil {
				t.Fatalf("RedactSecrets(%q) accepts invalid JSON", doc)
			}
			return
		}
		if err != nil {
			t.Fatalf("RedactSecrets(%q): %v", doc, err)
		}
		decode := func(data []byte) any {
			d := json.NewDecoder(bytes.NewReader(data))
			d.UseNumber()
			var v any
			if err := d.Decode(&v); err != nil {
				t.Fatalf("RedactSecrets(%q) = %q: %v", doc, out, err)
			}
			return v
		}
		in, got := decode(doc), decode(out)
		secrets := 0
		want := wantRedacted(in, false, &secrets)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("RedactSecrets(%q) = %q (-want +got):\n%s", doc, out, diff)
		}
		if secrets == 0 && !bytes.Equal(out, doc) {
			t.Fatalf("RedactSecrets(%q) = %q: changed bytes with no secret to redact", doc, out)
		}
		again, err := portal.RedactSecrets(out)
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("RedactSecrets is not idempotent on %q: %q, %v", out, again, err)
		}
	})
}
