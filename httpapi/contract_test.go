package httpapi_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/opencode-portal/portal"
	"github.com/opencode-portal/portal/httpapi"
)

// The package's tests build every handler with newHandler, which checks each
// answer against the OpenAPI document (httpapi/openapi.json): its status,
// content type, headers and body, and each frame of an event stream. A
// request the document refuses must get an error answer. TestMain prints how
// many answers were checked and which documented (route, status) pairs no
// test saw.

// maxCheckedRequest is the largest request body checked against the
// document; larger ones (a pasted log) are only relayed.
const maxCheckedRequest = 1 << 20

// newHandler is the package's one way to build the handler under test:
// httpapi.New(p, opts...), with every answer checked against the OpenAPI
// document (not in benchmarks, whose figures it would change).
func newHandler(t testing.TB, p *portal.Portal, opts ...httpapi.Option) http.Handler {
	t.Helper()
	return checked(t, false, p, opts)
}

// newStandInHandler is newHandler for a Portal whose OpenCode is a stand-in
// that answers only what its test needs: the bodies relayed from it (routes
// marked x-opencode-relay, OpenCode's events) are not checked against
// OpenCode's schemas; their status, and every other answer, still are.
func newStandInHandler(t testing.TB, p *portal.Portal, opts ...httpapi.Option) http.Handler {
	t.Helper()
	return checked(t, true, p, opts)
}

func checked(t testing.TB, standIn bool, p *portal.Portal, opts []httpapi.Option) http.Handler {
	t.Helper()
	h := httpapi.New(p, opts...)
	if _, bench := t.(*testing.B); bench {
		return h
	}
	return &checkedHandler{h: h, c: loadContract(t), t: t, standIn: standIn, guarded: httpapi.Guarded(h)}
}

// checkedHandler is a handler built by newHandler.
type checkedHandler struct {
	h       http.Handler
	c       *contract
	t       testing.TB
	standIn bool // see newStandInHandler
	guarded bool // without guards, the handler takes requests the document refuses
}

func (ch *checkedHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ch.c.serve(ch, w, r)
}

// Unwrap returns the handler from httpapi.New, for the package's test
// hooks (httpapi.Patterns, TrackedAddrs).
func (ch *checkedHandler) Unwrap() http.Handler { return ch.h }

// contract is the OpenAPI document, loaded once for the package, and what
// the tests saw of it.
type contract struct {
	doc     *openapi3.T
	schemas *compiledSchemas               // the bodies' and events' schemas
	routes  *http.ServeMux                 // one pattern per documented operation
	events  map[string]*openapi3.SchemaRef // each kind of event by its type

	mu        sync.Mutex
	validated int
	frames    int             // event-stream frames checked
	seen      map[string]bool // "GET /api/instances 200"

	// passed holds the checks that passed, each by everything it reads:
	// a check of the same input again would pass again, and compiling the
	// document's schemas for it is most of a test's time.
	passed map[[sha256.Size]byte]bool
}

var contractOnce = sync.OnceValues(func() (*contract, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(httpapi.OpenAPIDocument)
	if err != nil {
		return nil, fmt.Errorf("loading the OpenAPI document: %w", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("the OpenAPI document is invalid: %w", err)
	}
	schemas, err := newCompiledSchemas()
	if err != nil {
		return nil, err
	}
	c := &contract{doc: doc, schemas: schemas, routes: http.NewServeMux(), seen: map[string]bool{}, passed: map[[sha256.Size]byte]bool{}}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			c.routes.Handle(method+" "+path, http.NotFoundHandler())
		}
	}
	ref := doc.Components.Schemas["StreamEvent"]
	if ref == nil || ref.Value == nil {
		return nil, fmt.Errorf("the OpenAPI document has no StreamEvent schema")
	}
	c.events = map[string]*openapi3.SchemaRef{}
	if err := c.addEvents(ref); err != nil {
		return nil, err
	}
	return c, nil
})

// addEvents records the event schemas s offers (through anyOf, at any
// depth) by the type each one allows, so that a frame is checked against
// its own type's schema: one error that says what is wrong, rather than
// one per kind of event.
func (c *contract) addEvents(ref *openapi3.SchemaRef) error {
	s := ref.Value
	if len(s.AnyOf) > 0 {
		for _, sub := range s.AnyOf {
			if err := c.addEvents(sub); err != nil {
				return err
			}
		}
		return nil
	}
	typ := s.Properties["type"]
	if typ == nil {
		return fmt.Errorf("an event schema of StreamEvent has no type property: %s", s.Title)
	}
	names := typ.Value.Enum
	if typ.Value.Const != nil {
		names = append(names, typ.Value.Const)
	}
	if len(names) != 1 {
		return fmt.Errorf("an event schema of StreamEvent allows %d types, not one: %v", len(names), names)
	}
	name := fmt.Sprint(names[0])
	if c.events[name] != nil {
		return fmt.Errorf("two event schemas of StreamEvent have the type %q", name)
	}
	c.events[name] = ref
	return nil
}

// briefSchemaError says where a value breaks its schema and how, without
// the schema itself.
func briefSchemaError(err *openapi3.SchemaError) string {
	return fmt.Sprintf("at %q: %s", "/"+strings.Join(err.JSONPointer(), "/"), err.Reason)
}

// checkOptions are the options of every check: every error, each briefly.
func checkOptions() *openapi3filter.Options {
	o := &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true}
	o.WithCustomSchemaErrorFunc(briefSchemaError)
	return o
}

// loadContract returns the package's contract, or fails the test.
func loadContract(t testing.TB) *contract {
	t.Helper()
	c, err := contractOnce()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// route finds the documented operation of r, with its path parameters; nil
// when the document has none (an unknown path or method).
func (c *contract) route(r *http.Request) (*routers.Route, map[string]string) {
	_, pattern := c.routes.Handler(r)
	method, path, ok := strings.Cut(pattern, " ")
	if !ok {
		return nil, nil
	}
	item := c.doc.Paths.Value(path)
	route := &routers.Route{Spec: c.doc, Path: path, PathItem: item, Method: method, Operation: item.GetOperation(method)}
	params := map[string]string{}
	got := strings.Split(r.URL.Path, "/")
	for i, seg := range strings.Split(path, "/") {
		if strings.HasPrefix(seg, "{") && i < len(got) {
			params[strings.Trim(seg, "{}")] = got[i]
		}
	}
	return route, params
}

// serve runs h on r through a recording writer and checks the request and
// the answer against the document.
func (c *contract) serve(ch *checkedHandler, w http.ResponseWriter, r *http.Request) {
	t := ch.t
	route, params := c.route(r)
	var reqBody []byte
	checkRequest := ch.guarded && route != nil && r.ContentLength <= maxCheckedRequest
	if checkRequest && r.Body != nil {
		data, err := io.ReadAll(io.LimitReader(r.Body, maxCheckedRequest+1))
		reqBody = data
		checkRequest = err == nil && len(data) <= maxCheckedRequest
		r.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(data), r.Body), r.Body}
	}
	relayed := ch.standIn && route != nil && route.Operation.Extensions["x-opencode-relay"] == true
	rec := &recordingWriter{ResponseWriter: w, c: c, t: t, r: r, openCodeEvents: !relayed}
	ch.h.ServeHTTP(rec, r)
	if !rec.wrote {
		rec.WriteHeader(http.StatusOK)
	}
	name := r.Method + " " + r.URL.Path
	if route == nil {
		if rec.status < 400 && !strings.HasPrefix(r.URL.Path, "/api/") {
			return // a file of the web UI (WithUI), which the document does not describe
		}
		c.checkUnrouted(t, name, rec)
		return
	}
	c.count(route.Method+" "+route.Path, rec.status)
	in := &openapi3filter.RequestValidationInput{
		Request:    r.Clone(context.Background()),
		PathParams: params,
		Route:      route,
		Options:    checkOptions(),
	}
	if checkRequest && rec.status < 400 {
		in.Request.Body = io.NopCloser(bytes.NewReader(reqBody))
		err := c.checkOnce(func() error { return openapi3filter.ValidateRequest(context.Background(), in) },
			"request", r.Method, route.Method, route.Path, r.URL.RequestURI(), headerText(r.Header), string(reqBody))
		if err != nil {
			t.Errorf("openapi: %s answered %d to a request the document refuses: %v", name, rec.status, err)
		}
	}
	if rec.stream != nil {
		if doc := route.Operation.Responses.Status(rec.status); doc == nil || doc.Value.Content.Get("text/event-stream") == nil {
			t.Errorf("openapi: %s answered %d with an event stream, which the document does not allow", name, rec.status)
		}
	}
	opts := checkOptions()
	opts.IncludeResponseStatus = true
	opts.ExcludeResponseBody = rec.stream != nil || relayed && rec.status < 300
	// A JSON body is checked by c.jsonBody, with each schema compiled once;
	// kin-openapi checks the status, the headers and any other body.
	jsonBody := !opts.ExcludeResponseBody && isJSON(rec.Header().Get("Content-Type"))
	opts.ExcludeResponseBody = opts.ExcludeResponseBody || jsonBody
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 rec.status,
		Header:                 rec.Header(),
		Options:                opts,
	}
	out.SetBodyBytes(rec.body.Bytes())
	err := c.checkOnce(func() error {
		if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil || !jsonBody {
			return err
		}
		return c.jsonBody(r, route, rec)
	},
		"response", r.Method, route.Method, route.Path, fmt.Sprint(rec.status, opts.ExcludeResponseBody), headerText(rec.Header()), rec.body.String())
	if err != nil {
		t.Errorf("openapi: %s answered %d, which the document does not allow: %v\nbody: %s", name, rec.status, err, excerpt(rec.body.Bytes()))
	}
}

// jsonBody checks rec's JSON body against the schema the document gives
// route for rec's status and content type, as openapi3filter.ValidateResponse
// would, with the schema compiled once.
func (c *contract) jsonBody(r *http.Request, route *routers.Route, rec *recordingWriter) error {
	switch rec.status {
	case http.StatusNotModified, http.StatusMovedPermanently, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return nil // not checked by ValidateResponse either
	}
	if r.Method == http.MethodHead {
		return nil
	}
	response := route.Operation.Responses.Status(rec.status)
	if response == nil {
		response = route.Operation.Responses.Default()
	}
	if response == nil || len(response.Value.Content) == 0 {
		return nil // ValidateResponse has refused an undocumented status
	}
	mime := rec.Header().Get("Content-Type")
	media := response.Value.Content.Get(mime)
	if media == nil {
		return fmt.Errorf("response Content-Type %q is not documented for status %d", mime, rec.status)
	}
	if media.Schema == nil {
		return nil
	}
	v, err := decodeJSON(rec.body.Bytes())
	if err == nil {
		err = c.schemas.validate(media.Schema, v)
	}
	if err != nil {
		return fmt.Errorf("response body doesn't match schema: %w", err)
	}
	return nil
}

// isJSON reports whether a Content-Type is JSON's.
func isJSON(contentType string) bool {
	mime, _, _ := strings.Cut(contentType, ";")
	mime = strings.TrimSpace(strings.ToLower(mime))
	return mime == "application/json" || strings.HasSuffix(mime, "+json")
}

// checkUnrouted checks an answer to a path or method the document does not
// have: an error envelope, as documented in components/responses.
func (c *contract) checkUnrouted(t testing.TB, name string, rec *recordingWriter) {
	c.count("(no route)", rec.status)
	ref := c.doc.Components.Responses[fmt.Sprintf("E%d", rec.status)]
	if ref == nil {
		t.Errorf("openapi: %s (not in the document) answered %d, which is no documented error status; body: %s", name, rec.status, excerpt(rec.body.Bytes()))
		return
	}
	v, err := decodeJSON(rec.body.Bytes())
	if err != nil {
		t.Errorf("openapi: %s (not in the document) answered %d without a JSON error envelope: %v; body: %s", name, rec.status, err, excerpt(rec.body.Bytes()))
		return
	}
	if err := c.schemas.validate(ref.Value.Content.Get("application/json").Schema, v); err != nil {
		t.Errorf("openapi: %s (not in the document) answered %d with a body the error envelope does not allow: %v; body: %s", name, rec.status, err, excerpt(rec.body.Bytes()))
	}
}

// checkOnce runs check unless a check of the same input (every part of
// which is in input) passed before: every subscriber of a stream gets the
// same events, and many tests send the same request for the same answer
// again and again. A failing check is run and reported each time.
func (c *contract) checkOnce(check func() error, input ...string) error {
	h := sha256.New()
	for _, part := range input {
		fmt.Fprintf(h, "%d:%s", len(part), part)
	}
	var key [sha256.Size]byte
	h.Sum(key[:0])
	c.mu.Lock()
	done := c.passed[key]
	c.mu.Unlock()
	if done {
		return nil
	}
	if err := check(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.passed[key] = true
	return nil
}

// headerText is h as it goes on the wire, keys sorted, for checkOnce.
func headerText(h http.Header) string {
	var b strings.Builder
	h.Write(&b)
	return b.String()
}

func (c *contract) count(op string, status int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.validated++
	c.seen[fmt.Sprintf("%s %d", op, status)] = true
}

// report says how many answers were checked and which documented (route,
// status) pairs no test saw; empty when no test used the contract.
func (c *contract) report() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.validated == 0 {
		return ""
	}
	var missing []string
	for path, item := range c.doc.Paths.Map() {
		for method, op := range item.Operations() {
			var codes []string
			for code := range op.Responses.Map() {
				if !c.seen[method+" "+path+" "+code] {
					codes = append(codes, code)
				}
			}
			if len(codes) > 0 {
				slices.Sort(codes)
				missing = append(missing, fmt.Sprintf("  %s %s: %s", method, path, strings.Join(codes, " ")))
			}
		}
	}
	slices.Sort(missing)
	return fmt.Sprintf("openapi: %d answers validated (and %d event-stream frames); documented (route, status) pairs not seen:\n%s\n", c.validated, c.frames, strings.Join(missing, "\n"))
}

// excerpt is the start of a body, for a failure message.
func excerpt(b []byte) string {
	const max = 600
	if len(b) > max {
		return fmt.Sprintf("%s… (%d bytes)", b[:max], len(b))
	}
	return string(b)
}

// recordingWriter passes an answer through while keeping a copy of it; an
// event stream is checked frame by frame as it is written instead.
type recordingWriter struct {
	http.ResponseWriter
	c      *contract
	t      testing.TB
	r      *http.Request
	wrote  bool
	status int
	body   bytes.Buffer
	stream *frameChecker

	openCodeEvents bool // check OpenCode's events too, not only the portal's
}

func (w *recordingWriter) WriteHeader(code int) {
	if !w.wrote {
		w.wrote, w.status = true, code
		if strings.HasPrefix(w.Header().Get("Content-Type"), "text/event-stream") {
			w.stream = &frameChecker{c: w.c, t: w.t, name: w.r.Method + " " + w.r.URL.Path, openCode: w.openCodeEvents}
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *recordingWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	if w.stream != nil {
		w.stream.write(b)
	} else {
		w.body.Write(b)
	}
	return w.ResponseWriter.Write(b)
}

// Flush keeps streaming working through the recorder.
func (w *recordingWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the server's writer (write
// deadlines of event streams).
func (w *recordingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// frameChecker checks each server-sent event of a stream against the
// document's schema for its type as its bytes go by. After a frame that
// fails, the rest of the stream is passed through unchecked: one error per
// stream says enough.
type frameChecker struct {
	c        *contract
	t        testing.TB
	name     string
	pending  []byte
	failed   bool
	openCode bool // check OpenCode's events, not only the portal's
}

func (f *frameChecker) write(b []byte) {
	if f.failed {
		return
	}
	f.pending = append(f.pending, b...)
	for !f.failed {
		i := bytes.Index(f.pending, []byte("\n\n"))
		if i < 0 {
			return
		}
		if err := f.check(f.pending[:i]); err != nil {
			f.failed = true
			f.t.Errorf("openapi: %s sent an event the document does not allow: %v\nframe: %s", f.name, err, excerpt(f.pending[:i]))
		}
		f.pending = f.pending[i+2:]
	}
}

// check checks one frame: data lines (and comments) only, whose data is an
// event of a documented type that its schema allows.
func (f *frameChecker) check(frame []byte) error {
	var data []string
	sc := bufio.NewScanner(bytes.NewReader(frame))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "data:"):
			data = append(data, strings.TrimPrefix(strings.TrimPrefix(line, "data:"), " "))
		case strings.HasPrefix(line, ":"):
		default:
			return fmt.Errorf("a line the stream does not use: %q", line)
		}
	}
	if len(data) == 0 {
		return nil
	}
	f.c.mu.Lock()
	f.c.frames++
	f.c.mu.Unlock()
	raw := strings.Join(data, "\n")
	return f.c.checkOnce(func() error { return f.checkEvent(raw) }, "event", fmt.Sprint(f.openCode), raw)
}

// checkEvent checks the data of one event against its type's schema.
func (f *frameChecker) checkEvent(raw string) error {
	v, err := decodeJSON([]byte(raw))
	if err != nil {
		return fmt.Errorf("its data is %v", err)
	}
	typ, _ := v.(map[string]any)["type"].(string)
	if !f.openCode && !strings.HasPrefix(typ, "portal.") {
		return nil
	}
	schema := f.c.events[typ]
	if schema == nil {
		return fmt.Errorf("no event of StreamEvent has the type %q", typ)
	}
	return f.c.schemas.validate(schema, v)
}
