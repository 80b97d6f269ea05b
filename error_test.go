package portal_test

import (
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/opencode-portal/portal"
)

// transport matches the words of a front end's transport: HTTP methods
// before a path, the API's routes, HTTP itself and status codes.
var transport = regexp.MustCompile(`\b(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS) /|/api/|\bHTTP\b|\bstatus (code )?[1-5][0-9][0-9]\b`)

func TestTransportWords(t *testing.T) {
	tests := []struct {
		msg  string
		want bool
	}{
		{"No instance \"x\"; list instances with GET /api/instances", true},
		{"restart it (POST /api/instances/abc/restart)", true},
		{"see /api/instances", true},
		{"OpenCode answered HTTP 500", true},
		{"OpenCode answered with status 502", true},
		{"No instance \"x\"; list instances", false},
		{"OpenCode on port 4096 failed; the instance's log may say more", false},
		{"The prompt is over its size limit of 500 KiB", false},
	}
	for _, tt := range tests {
		if got := transport.MatchString(tt.msg); got != tt.want {
			t.Errorf("transport.MatchString(%q) = %v, want %v", tt.msg, got, tt.want)
		}
	}
}

// TestMessagesSpeakOfTheDomain fails if a message the root package builds
// for an *Error names HTTP: the front ends add their own words from the
// error's Hint.
func TestMessagesSpeakOfTheDomain(t *testing.T) {
	messages := errorMessages(t, ".")
	if len(messages) < 50 {
		t.Fatalf("found %d messages in the root package; the scan missed them", len(messages))
	}
	var leaks []string
	for _, m := range messages {
		if transport.MatchString(m.text) {
			leaks = append(leaks, m.pos+": "+m.text)
		}
	}
	if diff := cmp.Diff([]string(nil), leaks); diff != "" {
		t.Errorf("messages that name the transport; say what to do in the portal's words and set Error.Hint (-want +got):\n%s", diff)
	}
}

// frontEnd matches the words of a front end or of the library's own
// settings, which the lifecycle's messages leave to its callers: a flag, a
// subcommand, an environment variable, a Config field.
var frontEnd = regexp.MustCompile(`(^|\s)--[a-z]|\bportal (serve|run|list|stop)\b|\bConfig\.|\bOPENCODE_BIN\b|\bPORTAL_[A-Z]`)

// TestLifecycleMessagesNameNoSetting fails if a message of the instance
// lifecycle names a flag, a subcommand or a setting: it says what to do in
// its own words and sets its Error's Hint, which the root maps onto
// Error.Hint for the front ends to name their own way.
func TestLifecycleMessagesNameNoSetting(t *testing.T) {
	messages := errorMessages(t, filepath.Join("internal", "lifecycle"))
	if len(messages) < 15 {
		t.Fatalf("found %d messages in the lifecycle; the scan missed them", len(messages))
	}
	var leaks []string
	for _, m := range messages {
		if frontEnd.MatchString(m.text) || transport.MatchString(m.text) {
			leaks = append(leaks, m.pos+": "+m.text)
		}
	}
	if diff := cmp.Diff([]string(nil), leaks); diff != "" {
		t.Errorf("messages that name a front end's words (-want +got):\n%s", diff)
	}
}

// errorMessage is a string literal in an error's message.
type errorMessage struct{ pos, text string }

// errorMessages returns the string literals of the messages the non-test
// files of dir build for an error: the format and arguments of Errorf or
// errorf calls, and the Message of Error composite literals.
func errorMessages(t *testing.T, dir string) []errorMessage {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var messages []errorMessage
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			var texts []ast.Node
			switch n := n.(type) {
			case *ast.CallExpr: // Errorf(code, format, args...)
				if id, ok := n.Fun.(*ast.Ident); ok && (id.Name == "Errorf" || id.Name == "errorf") {
					texts = append(texts, n)
				}
			case *ast.CompositeLit: // &Error{Message: ...}
				if id, ok := n.Type.(*ast.Ident); ok && id.Name == "Error" {
					for _, elt := range n.Elts {
						if kv, ok := elt.(*ast.KeyValueExpr); ok && isIdent(kv.Key, "Message") {
							texts = append(texts, kv.Value)
						}
					}
				}
			}
			for _, text := range texts {
				ast.Inspect(text, func(n ast.Node) bool {
					lit, ok := n.(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						return true
					}
					s, _ := strconv.Unquote(lit.Value)
					messages = append(messages, errorMessage{fset.Position(lit.Pos()).String(), s})
					return true
				})
			}
			return true
		})
	}
	return messages
}

func isIdent(e ast.Expr, name string) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == name
}

// TestNoInstanceNamedSaysWhatToDo asks for an instance by an empty name: the
// error says what failed and what to do, and names the step for the front
// ends.
func TestNoInstanceNamedSaysWhatToDo(t *testing.T) {
	p := portal.NewTestPortal(t, fakeConfig(t))
	_, err := p.InstanceLogs(context.Background(), "", 0)
	var pe *portal.Error
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v, want a *portal.Error", err)
	}
	got := []string{pe.Code, string(pe.Hint), pe.Message}
	want := []string{portal.EINVALID, string(portal.HintListInstances), "Instance id or port required: name an instance by its ID or OpenCode port; list instances to find them"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("error (-want +got):\n%s", diff)
	}
}

// TestErrorCodeAndMessage reads the code and the message a user sees from
// errors of every kind: a portal error however deeply wrapped, any other
// error (whose text must not reach the user) and none.
func TestErrorCodeAndMessage(t *testing.T) {
	notFound := portal.Errorf(portal.ENOTFOUND, "No instance %q; list instances to find one", "x")
	internal := errors.New("open /home/someone/.portal.json: permission denied")
	tests := []struct {
		name string
		err  error
		want [2]string // code, message
	}{
		{"none", nil, [2]string{"", ""}},
		{"a portal error", notFound, [2]string{portal.ENOTFOUND, `No instance "x"; list instances to find one`}},
		{"a wrapped portal error", fmt.Errorf("listing: %w", notFound), [2]string{portal.ENOTFOUND, `No instance "x"; list instances to find one`}},
		{"a portal error without a message", &portal.Error{Code: portal.ECONFLICT}, [2]string{portal.ECONFLICT, portal.ECONFLICT}},
		{"another error", internal, [2]string{portal.EINTERNAL, "Internal error; the server log has the details."}},
		{"another error, wrapped", fmt.Errorf("reading: %w", internal), [2]string{portal.EINTERNAL, "Internal error; the server log has the details."}},
	}
	for _, tt := range tests {
		got := [2]string{portal.ErrorCode(tt.err), portal.ErrorMessage(tt.err)}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: code and message (-want +got):\n%s", tt.name, diff)
		}
	}
}
