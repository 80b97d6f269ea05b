package docker

import (
	"context"

	"github.com/moby/moby/client"
)

// Config says which Docker Engine a Client talks to. Its zero value is
// the engine named by DOCKER_HOST (with DOCKER_TLS_VERIFY and
// DOCKER_CERT_PATH), else the default socket, unix:///var/run/docker.sock.
type Config struct {
	// Host is the engine's address, as in DOCKER_HOST
	// ("unix:///var/run/docker.sock", "tcp://127.0.0.1:2375"); "" for
	// DOCKER_HOST or the default socket.
	Host string
}

// Client is a connection to one Docker Engine, whose API version it
// negotiated (an engine of Docker 20.10 speaks API 1.41). Its methods
// are safe for concurrent use.
type Client struct {
	api *client.Client
}

// New connects to the engine cfg names and negotiates the API version
// with it. It fails with an *Error of kind Unavailable when the engine
// does not answer.
func New(ctx context.Context, cfg Config) (*Client, error) {
	opts := []client.Opt{client.FromEnv} // the client negotiates the API version on its first request
	if cfg.Host != "" {
		opts = append(opts, client.WithHost(cfg.Host))
	}
	api, err := client.New(opts...)
	if err != nil {
		return nil, &Error{Kind: Invalid, Err: err, Message: "The Docker Engine address " + hostName(cfg.Host) +
			" is not one the portal can use (" + err.Error() + "): give one like unix:///var/run/docker.sock or tcp://127.0.0.1:2375"}
	}
	c := &Client{api: api}
	if err := c.Ping(ctx); err != nil {
		api.Close()
		return nil, err
	}
	return c, nil
}

// Host is the address of the engine the client talks to.
func (c *Client) Host() string { return c.api.DaemonHost() }

// APIVersion is the Engine API version the client and the engine agreed on.
func (c *Client) APIVersion() string { return c.api.ClientVersion() }

// Ping checks that the engine answers, and negotiates the API version on
// the first answer.
func (c *Client) Ping(ctx context.Context) error {
	if _, err := c.api.Ping(ctx, client.PingOptions{NegotiateAPIVersion: true}); err != nil {
		return c.fail(err, "pinging it")
	}
	return nil
}

// Close releases the client's idle connections.
func (c *Client) Close() error { return c.api.Close() }

// hostName is how messages name the engine at host ("" for the default).
func hostName(host string) string {
	if host == "" {
		return "named by DOCKER_HOST"
	}
	return host
}
