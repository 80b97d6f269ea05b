package portal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/opencode-portal/portal/internal/opencode"
	"github.com/opencode-portal/portal/internal/registry"
)

// registryCache is the last registry read, reused while the file is unchanged.
type registryCache struct {
	modTime time.Time
	size    int64
	entries []registry.Entry
}

// cachedClient is the client for an instance's address and the password it
// sends.
type cachedClient struct {
	password string
	client   *opencode.Client
}

// registryEntries returns the registry's entries, read again only when the
// file changed.
func (p *Portal) registryEntries() ([]registry.Entry, error) {
	mod, size := p.registry.ModTime()
	p.mu.Lock()
	c := p.entries
	p.mu.Unlock()
	if !mod.IsZero() && mod.Equal(c.modTime) && size == c.size {
		return c.entries, nil
	}
	f, err := p.registry.Read()
	if err != nil {
		return nil, registryError(err)
	}
	p.mu.Lock()
	p.entries = registryCache{modTime: mod, size: size, entries: f.Instances}
	p.mu.Unlock()
	return f.Instances, nil
}

// CheckPort returns an EINVALID error unless port is a TCP port number.
func CheckPort(port int) error {
	if port < 1 || port > 65535 {
		return Errorf(EINVALID, "Invalid port")
	}
	return nil
}

// entryByPort returns the registered instance whose OpenCode listens on port.
// The portal only ever talks to registered instances.
func (p *Portal) entryByPort(port int) (registry.Entry, error) {
	if err := CheckPort(port); err != nil {
		return registry.Entry{}, err
	}
	return p.registeredOn(port)
}

// registeredOn is entryByPort for a port known to be valid, such as the
// one a connection is dialled to.
func (p *Portal) registeredOn(port int) (registry.Entry, error) {
	entries, err := p.registryEntries()
	if err != nil {
		return registry.Entry{}, err
	}
	for _, e := range entries {
		if e.OpencodePort == port {
			return e, nil
		}
	}
	return registry.Entry{}, &Error{Code: ENOTFOUND, Hint: HintListInstances, Message: fmt.Sprintf(
		"No registered instance on port %d; start one for your project, or list instances", port)}
}

// client returns the OpenCode client for the registered instance on port.
func (p *Portal) client(ctx context.Context, port int) (*opencode.Client, error) {
	e, err := p.entryByPort(port)
	if err != nil {
		return nil, err
	}
	return p.clientFor(e)
}

// clientFor returns the OpenCode client for a registry entry. One is kept
// per address: a new password (each start has one) replaces the client
// that sent the old one.
func (p *Portal) clientFor(e registry.Entry) (*opencode.Client, error) {
	addr := net.JoinHostPort(opencode.DialHost(e.Hostname), strconv.Itoa(e.OpencodePort))
	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := p.clients[addr]; ok && c.password == e.Password {
		return c.client, nil
	}
	c, err := opencode.New(opencode.Options{
		BaseURL:    "http://" + addr,
		Password:   e.Password,
		HTTPClient: &http.Client{Transport: p.transport},
		Timeout:    p.cfg.RequestTimeout,
	})
	if err != nil {
		return nil, Errorf(EINTERNAL, "Reaching the instance on port %d failed: %v; restart the instance", e.OpencodePort, err)
	}
	p.clients[addr] = cachedClient{password: e.Password, client: c}
	return c, nil
}

// upstreamError turns a failed call to the OpenCode on port into an *Error
// that says what failed and what to do.
func upstreamError(port int, err error) error {
	var oe *opencode.Error
	var pe *Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &pe): // the portal refused the call, e.g. to an instance that is not running
		return pe
	case errors.As(err, &oe):
		code := EINVALID
		switch {
		case oe.Status == http.StatusUnauthorized:
			return &Error{Code: EUNAVAILABLE, Err: err, Message: fmt.Sprintf(
				"OpenCode on port %d refused the portal's credentials; restart the instance through the portal so its password is known", port)}
		case oe.Status == http.StatusForbidden:
			code = EFORBIDDEN
		case oe.Status == http.StatusNotFound:
			code = ENOTFOUND
		case oe.Status == http.StatusConflict:
			code = ECONFLICT
		case oe.Status == http.StatusRequestEntityTooLarge:
			code = ETOOLARGE
		case oe.Status >= 500:
			return &Error{Code: EUNAVAILABLE, Err: err, Hint: HintInstanceLog, Message: fmt.Sprintf(
				"OpenCode on port %d failed: %s; the instance's log may say more", port, oe.Message)}
		}
		return &Error{Code: code, Message: oe.Message, Err: err}
	case errors.Is(err, opencode.ErrTimeout):
		return &Error{Code: ETIMEOUT, Err: err, Message: fmt.Sprintf(
			"OpenCode on port %d did not answer in time; it may be busy or hung: retry, or restart the instance", port)}
	case errors.Is(err, opencode.ErrUnreachable):
		return &Error{Code: EUNAVAILABLE, Err: err, Hint: HintListInstances, Message: fmt.Sprintf(
			"OpenCode on port %d is unreachable; restart the instance, or list instances to check that it is running", port)}
	case errors.Is(err, opencode.ErrNotJSON):
		return &Error{Code: EUNAVAILABLE, Err: err, Message: fmt.Sprintf(
			"OpenCode on port %d answered with something other than JSON; is it OpenCode 1.18 or newer?", port)}
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return &Error{Code: ETIMEOUT, Err: err, Message: fmt.Sprintf("The call to OpenCode on port %d was cancelled or took too long; try again, or restart the instance if it keeps happening", port)}
	}
	return &Error{Code: EINTERNAL, Err: err, Message: fmt.Sprintf("Calling OpenCode on port %d failed: %v; try again, or restart the instance if it keeps happening", port, err)}
}

// withClient calls fn with the OpenCode client of the registered instance
// on port, and turns its error into one that says what to do.
func (p *Portal) withClient(ctx context.Context, port int, fn func(*opencode.Client) error) error {
	c, err := p.client(ctx, port)
	if err != nil {
		return err
	}
	return upstreamError(port, fn(c))
}

// Health reports whether the OpenCode on port answers its health check.
type Health struct {
	Healthy bool   `json:"healthy"`
	Port    int    `json:"port"`
	Version string `json:"version,omitempty"`
}

// Health probes the OpenCode instance on port.
func (p *Portal) Health(ctx context.Context, port int) (Health, error) {
	c, err := p.client(ctx, port)
	if err != nil {
		return Health{}, err
	}
	h, err := c.Health.Get(ctx, p.cfg.ProbeTimeout)
	if err != nil {
		return Health{}, upstreamError(port, err)
	}
	return Health{Healthy: h.Healthy, Port: port, Version: h.Version}, nil
}

// Project is an OpenCode project: the git worktree (or "/" when the
// directory is not in a git repository) an instance works in. Relayed as
// JSON it keeps every field OpenCode sent.
type Project struct {
	ID       string `json:"id"`
	Worktree string `json:"worktree"`
	VCS      string `json:"vcs,omitempty"`
	Name     string `json:"name,omitempty"`
	Time     struct {
		Created     int64 `json:"created"`
		Updated     int64 `json:"updated,omitempty"`
		Initialized int64 `json:"initialized,omitempty"`
	} `json:"time"`

	raw json.RawMessage
}

type projectFields Project

// UnmarshalJSON decodes the fields and remembers the JSON as sent.
func (pr *Project) UnmarshalJSON(data []byte) error {
	return decodeKeepingRaw(data, (*projectFields)(pr), &pr.raw)
}

// MarshalJSON returns the JSON as OpenCode sent it, when it came from OpenCode.
func (pr Project) MarshalJSON() ([]byte, error) {
	if pr.raw != nil {
		return pr.raw, nil
	}
	return json.Marshal(projectFields(pr))
}

// decodeKeepingRaw decodes data into v (a method-less view of the value) and
// keeps a copy of data in raw, so that the value marshals back to exactly
// what OpenCode sent, unknown fields included.
func decodeKeepingRaw(data []byte, v any, raw *json.RawMessage) error {
	if err := json.Unmarshal(data, v); err != nil {
		return err
	}
	*raw = append(json.RawMessage(nil), data...)
	return nil
}

// CurrentProject returns the project of the OpenCode instance on port.
func (p *Portal) CurrentProject(ctx context.Context, port int) (Project, error) {
	var pr Project
	err := p.withClient(ctx, port, func(c *opencode.Client) error { return c.Project.Current(ctx, &pr) })
	return pr, err
}

// OpenCodeConfig returns the merged OpenCode configuration of the instance
// on port as OpenCode sent it, with its secrets (provider API keys, header
// values, tokens, passwords) replaced by Redacted: see RedactSecrets.
func (p *Portal) OpenCodeConfig(ctx context.Context, port int) (json.RawMessage, error) {
	return p.redactedCall(ctx, port, "configuration", (*opencode.ProjectService).Config)
}

// Providers returns the connected providers and default models of the
// instance on port ({providers, default}) as OpenCode sent them, with
// their secrets (each provider's key, API keys and header values in its
// options) replaced by Redacted: see RedactSecrets.
func (p *Portal) Providers(ctx context.Context, port int) (json.RawMessage, error) {
	return p.redactedCall(ctx, port, "providers", (*opencode.ProjectService).Providers)
}

// redactedCall gets the JSON that get reads (what names it) from the
// instance on port, its secrets redacted.
func (p *Portal) redactedCall(ctx context.Context, port int, what string, get func(*opencode.ProjectService, context.Context) (json.RawMessage, error)) (json.RawMessage, error) {
	var raw json.RawMessage
	err := p.withClient(ctx, port, func(c *opencode.Client) (err error) {
		raw, err = get(c.Project, ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	out, err := RedactSecrets(raw)
	if err != nil {
		return nil, &Error{Code: EUNAVAILABLE, Err: err, Message: fmt.Sprintf(
			"OpenCode on port %d sent its %s as something other than JSON; is it OpenCode 1.18 or newer?", port, what)}
	}
	return out, nil
}

// Agents returns the agents of the instance on port, as OpenCode sent them.
func (p *Portal) Agents(ctx context.Context, port int) (json.RawMessage, error) {
	var raw json.RawMessage
	err := p.withClient(ctx, port, func(c *opencode.Client) (err error) {
		raw, err = c.Project.Agents(ctx)
		return err
	})
	return raw, err
}
