// Package opencode is a typed client for the HTTP API of `opencode serve`.
//
// It speaks raw HTTP in the manner of google/go-github: one Client per
// server, JSON in and out, and OpenCode's error answers turned into *Error.
package opencode

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultUsername is the Basic-auth user OpenCode expects unless
// OPENCODE_SERVER_USERNAME says otherwise.
const DefaultUsername = "opencode"

// maxResponseBytes bounds a JSON answer read into memory.
const maxResponseBytes = 64 << 20

// Options configures a Client.
type Options struct {
	// BaseURL is the server's root, e.g. http://127.0.0.1:3100.
	BaseURL string
	// Username and Password are sent as Basic auth when Password is set.
	// Username defaults to DefaultUsername.
	Username string
	Password string
	// HTTPClient defaults to a client with its own pooled transport.
	HTTPClient *http.Client
	// Timeout bounds each Call (not CallLong or Stream). Default 30s.
	Timeout time.Duration
}

// Client talks to one OpenCode server. It is safe for concurrent use.
//
// Its calls are grouped by area of OpenCode's API, one service each, as
// client.Health.Get(ctx, timeout).
type Client struct {
	base     *url.URL
	username string
	password string
	hc       *http.Client
	timeout  time.Duration

	common service // one allocation shared by the services below

	// Health probes the server's health.
	Health *HealthService
	// Sessions lists, reads and changes sessions.
	Sessions *SessionsService
	// Prompt sends user messages, watching long turns.
	Prompt *PromptService
	// Permissions answers agents' permission requests.
	Permissions *PermissionsService
	// Questions answers agents' questions.
	Questions *QuestionsService
	// Project reads the project, configuration and agents.
	Project *ProjectService
	// Find searches the project's files.
	Find *FindService
	// Events follows the live events.
	Events *EventsService
}

// service is what every service holds: the client it calls through.
type service struct{ client *Client }

// New returns a Client for the server at opts.BaseURL.
func New(opts Options) (*Client, error) {
	base, err := url.Parse(strings.TrimRight(opts.BaseURL, "/"))
	if err != nil || base.Scheme == "" || base.Host == "" {
		return nil, fmt.Errorf("opencode: invalid base URL %q", opts.BaseURL)
	}
	c := &Client{base: base, username: opts.Username, password: opts.Password, hc: opts.HTTPClient, timeout: opts.Timeout}
	if c.username == "" {
		c.username = DefaultUsername
	}
	if c.hc == nil {
		c.hc = &http.Client{Transport: NewTransport()}
	}
	if c.timeout <= 0 {
		c.timeout = 30 * time.Second
	}
	c.common.client = c
	c.Health = (*HealthService)(&c.common)
	c.Sessions = (*SessionsService)(&c.common)
	c.Prompt = (*PromptService)(&c.common)
	c.Permissions = (*PermissionsService)(&c.common)
	c.Questions = (*QuestionsService)(&c.common)
	c.Project = (*ProjectService)(&c.common)
	c.Find = (*FindService)(&c.common)
	c.Events = (*EventsService)(&c.common)
	return c, nil
}

// NewTransport returns the transport Clients use by default: pooled
// keep-alive connections suited to many calls to a few local servers.
func NewTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = nil // OpenCode instances are local; never route them through a proxy
	t.MaxIdleConns = 256
	t.MaxIdleConnsPerHost = 64
	t.IdleConnTimeout = 90 * time.Second
	// OpenCode gzips its answers when asked; over loopback that only costs
	// CPU on both sides (about a third of the portal's own time relaying a
	// session list).
	t.DisableCompression = true
	return t
}

// BaseURL returns the server's root URL.
func (c *Client) BaseURL() string { return c.base.String() }

// Call sends one JSON request and decodes the JSON answer into out, which
// may be a *json.RawMessage to keep the bytes exactly as OpenCode sent them.
// A nil out discards the answer; a 204 answer leaves out untouched. The call
// is bounded by the client's Timeout as well as by ctx.
func (c *Client) Call(ctx context.Context, method, path string, query url.Values, body, out any) error {
	ctx, cancel := context.WithTimeoutCause(ctx, c.timeout, ErrTimeout)
	defer cancel()
	return c.call(ctx, method, path, query, body, out)
}

// CallLong is Call without the client's Timeout: only ctx bounds it. It is
// for calls that last as long as an agent's turn, such as a sync prompt.
func (c *Client) CallLong(ctx context.Context, method, path string, query url.Values, body, out any) error {
	return c.call(ctx, method, path, query, body, out)
}

func (c *Client) call(ctx context.Context, method, path string, query url.Values, body, out any) error {
	data, err := c.callJSON(ctx, method, path, query, body)
	if err != nil || data == nil || out == nil {
		return err
	}
	if raw, ok := out.(*json.RawMessage); ok {
		*raw = data
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s %s: decoding the answer: %w", method, path, err)
	}
	return nil
}

// get is Call of a GET that returns the JSON answer as OpenCode sent it.
func (c *Client) get(ctx context.Context, path string, query url.Values) (json.RawMessage, error) {
	var raw json.RawMessage
	err := c.Call(ctx, http.MethodGet, path, query, nil, &raw)
	return raw, err
}

// callJSON sends one JSON request and returns the JSON answer as OpenCode
// sent it, or nil for a 204 answer. Only ctx bounds it.
func (c *Client) callJSON(ctx context.Context, method, path string, query url.Values, body any) ([]byte, error) {
	resp, err := c.send(ctx, method, path, query, body, "application/json")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNoContent {
		return nil, nil
	}
	if !isJSON(resp.Header.Get("Content-Type")) {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		return nil, fmt.Errorf("%s %s answered %s with %q: %w", method, path, resp.Status, resp.Header.Get("Content-Type"), ErrNotJSON)
	}
	if resp.ContentLength > maxResponseBytes {
		return nil, fmt.Errorf("%s %s: answer is larger than %d bytes", method, path, maxResponseBytes)
	}
	data, err := readAnswer(resp.Body, resp.ContentLength)
	if err != nil {
		return nil, c.transportError(ctx, method, path, err)
	}
	if len(data) > maxResponseBytes {
		return nil, fmt.Errorf("%s %s: answer is larger than %d bytes", method, path, maxResponseBytes)
	}
	return data, nil
}

// readAnswer reads an answer body of the given length (-1 when unknown)
// in one allocation when the length is known, and up to one byte more than
// maxResponseBytes when it is not.
func readAnswer(body io.Reader, length int64) ([]byte, error) {
	if length < 0 {
		return io.ReadAll(io.LimitReader(body, maxResponseBytes+1))
	}
	data := make([]byte, length)
	_, err := io.ReadFull(body, data)
	return data, err
}

// Stream opens a long-lived GET, such as the /event SSE stream, and returns
// its body. Only ctx bounds it; the caller must close the body.
func (c *Client) Stream(ctx context.Context, path string, query url.Values) (io.ReadCloser, error) {
	resp, err := c.send(ctx, http.MethodGet, path, query, nil, "text/event-stream")
	if err != nil {
		return nil, err
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		resp.Body.Close()
		return nil, fmt.Errorf("GET %s answered with %q instead of an event stream: %w", path, ct, ErrNotJSON)
	}
	return resp.Body, nil
}

// send performs the request and turns transport failures and error statuses
// into errors; on success the caller owns the response body.
func (c *Client) send(ctx context.Context, method, path string, query url.Values, body any, accept string) (*http.Response, error) {
	u := *c.base
	u.Path += path
	u.RawQuery = query.Encode()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("%s %s: encoding the request: %w", method, path, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	req.Header.Set("Accept", accept)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.password != "" {
		req.SetBasicAuth(c.username, c.password)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, c.transportError(ctx, method, path, err)
	}
	if resp.StatusCode >= 400 {
		defer resp.Body.Close()
		return nil, decodeError(method, path, resp)
	}
	return resp, nil
}

// transportError classifies a failure to get an answer.
func (c *Client) transportError(ctx context.Context, method, path string, err error) error {
	if errors.Is(context.Cause(ctx), ErrTimeout) {
		return fmt.Errorf("%s %s: %w", method, path, ErrTimeout)
	}
	if ctx.Err() != nil {
		return fmt.Errorf("%s %s: %w", method, path, context.Cause(ctx))
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("%s %s: %w: %v", method, path, ErrTimeout, err)
	}
	return fmt.Errorf("%s %s: %w: %w", method, path, ErrUnreachable, err)
}

func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}
