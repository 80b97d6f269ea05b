package httpapi

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/opencode-portal/portal"
)

func TestDecodeJSON(t *testing.T) {
	type body struct {
		Text  string   `json:"text"`
		Paths []string `json:"paths"`
	}
	tests := []struct {
		in      string
		want    body
		code    string
		message string
	}{
		{in: ``, want: body{}},
		{in: `{"text":"hi","paths":["a"],"unknown":1}`, want: body{Text: "hi", Paths: []string{"a"}}},
		{in: `{"text":5}`, code: portal.EINVALID, message: `Invalid body: field "text" must be a string, not number`},
		{in: `{"paths":"a"}`, code: portal.EINVALID, message: `Invalid body: field "paths" must be an array, not string`},
		{in: `[1]`, code: portal.EINVALID, message: `Invalid body: expected an object, got array`},
		{in: `{"text":`, code: portal.EINVALID, message: `Invalid body: malformed JSON at byte 8: unexpected end of JSON input`},
		{in: `{"text":"` + strings.Repeat("x", 100) + `"}`, code: portal.ETOOLARGE,
			message: `Request body is larger than 64 bytes, the limit for this route; send less, or raise the limit with --max-body-mib (httpapi.WithMaxBodyBytes)`},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("POST", "/", strings.NewReader(tt.in))
		r.ContentLength = -1 // unknown, so that the limit is met while reading
		if err := (&handler{maxBody: 64}).bodyLimit(smallBody).apply(httptest.NewRecorder(), r); err != nil {
			t.Fatal(err)
		}
		var got body
		err := decodeJSON(r, &got)
		if diff := cmp.Diff(tt.code, portal.ErrorCode(err)); diff != "" {
			t.Errorf("decodeJSON(%q) code (-want +got):\n%s", tt.in, diff)
		}
		if tt.code != "" {
			if msg := portal.ErrorMessage(err); msg != tt.message {
				t.Errorf("decodeJSON(%q) message = %q, want %q", tt.in, msg, tt.message)
			}
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("decodeJSON(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}

func FuzzPathPort(f *testing.F) {
	for _, s := range []string{"3100", "abc", "0", "70000", "-1", "1e3", "+80", "0080", " 80", "65535", "65536"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.SetPathValue("port", s)
		port, err := pathPort(r)
		if err != nil {
			if portal.ErrorCode(err) != portal.EINVALID || portal.ErrorMessage(err) != "Invalid port" {
				t.Fatalf("pathPort(%q) error = %v, want 400 Invalid port", s, err)
			}
			return
		}
		if port < 1 || port > 65535 {
			t.Fatalf("pathPort(%q) = %d, outside 1–65535", s, port)
		}
		for _, c := range s {
			if c < '0' || c > '9' {
				t.Fatalf("pathPort(%q) accepted a non-digit", s)
			}
		}
	})
}

// TestEncodedIsWhatMarshalWrites checks that relayed JSON is written byte
// for byte as encoding the decoded value would write it.
func TestEncodedIsWhatMarshalWrites(t *testing.T) {
	for _, relayed := range []string{
		`[{"id":"ses_1","title":"plain"}]`,
		`[{"id":"ses_1","title":"<b>a & b</b>"}]`,
		"[{\"title\":\"line\u2028separator\u2029\"}]\n",
		`[]`,
	} {
		want, err := json.Marshal(json.RawMessage(relayed))
		if err != nil {
			t.Fatal(err)
		}
		if got := encoded(json.RawMessage(relayed)); string(got) != string(want) {
			t.Errorf("encoded(%q) = %q, want %q", relayed, got, want)
		}
	}
}
