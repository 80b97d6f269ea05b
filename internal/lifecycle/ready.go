package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/opencode-portal/portal/internal/opencode"
	"github.com/opencode-portal/portal/internal/registry"
)

// Readiness is the lifecycle's, the same for every Runner: a started
// OpenCode is ready once it printed its listening line and answers its
// health check on the entry's port, and only if the socket there is the
// run's own (Proc.Holds): the health check carries the password, which no
// other program must get.

// listeningMarker starts the line OpenCode prints once its server listens
// (the JS SDK waits for the same line).
const listeningMarker = "opencode server listening on "

const (
	readyPoll       = 10 * time.Millisecond // output and exit checks while starting
	startErrorLines = 30                    // output lines in a StartError
)

// readiness waits until started OpenCode servers answer. One serves every
// run of a Manager, with one HTTP client for all its health checks.
type readiness struct {
	client       *http.Client
	startTimeout time.Duration // start to ready
	probeTimeout time.Duration // one health check, at first
}

// newReadiness returns a readiness with the given timeouts, or the
// defaults (60s, 500ms) for those not set.
func newReadiness(startTimeout, probeTimeout time.Duration) *readiness {
	if startTimeout <= 0 {
		startTimeout = time.Minute
	}
	if probeTimeout <= 0 {
		probeTimeout = 500 * time.Millisecond
	}
	return &readiness{
		client: &http.Client{Transport: &http.Transport{
			Proxy:             nil,
			DisableKeepAlives: true,
		}},
		startTimeout: startTimeout,
		probeTimeout: probeTimeout,
	}
}

// await waits until p, just started for e, is ready, within the start
// timeout and ctx. On failure it ends p at once and returns a *StartError
// with p's last output, wrapping ErrStartTimeout, ErrExited or ctx's error.
func (r *readiness) await(ctx context.Context, p Proc, e registry.Entry) error {
	ctx, cancel := context.WithTimeoutCause(ctx, r.startTimeout, ErrStartTimeout)
	defer cancel()
	err := r.wait(ctx, p, e)
	if err == nil {
		return nil
	}
	killed, kill := context.WithCancel(context.WithoutCancel(ctx))
	kill()
	_ = p.Stop(killed) // at once; its exit is not the reason
	return &StartError{Err: err, Output: p.Logs(startErrorLines)}
}

// wait follows p's output until the listening line, then probes the health
// check until it answers. It fails when p exits or ctx ends.
func (r *readiness) wait(ctx context.Context, p Proc, e registry.Entry) error {
	c, err := r.opencode(e)
	if err != nil {
		return err
	}
	tick := time.NewTicker(readyPoll)
	defer tick.Stop()
	listening := false
	attempt := r.probeTimeout
	var probeErr error
	for {
		if !listening {
			port, found := listeningPort(p.Logs(0))
			if found && port != 0 && port != e.OpencodePort {
				return fmt.Errorf("OpenCode listens on port %d, not on the port %d it was given", port, e.OpencodePort)
			}
			listening = found
		}
		select {
		case <-p.Done():
			exit, _ := p.Exit()
			return fmt.Errorf("%w (%s)", ErrExited, exit)
		default:
		}
		if listening {
			err := r.check(ctx, c, p, e, attempt)
			if err == nil {
				return nil
			}
			if probeErr == nil || ctx.Err() == nil { // keep the last answer not cut short by ctx
				probeErr = err
			}
			// An early probe can hang; a slow machine deserves longer ones.
			if errors.Is(err, opencode.ErrTimeout) {
				attempt = min(2*attempt, 4*r.probeTimeout)
			}
		}
		select {
		case <-ctx.Done():
			err := context.Cause(ctx)
			switch {
			case probeErr != nil:
				return fmt.Errorf("%w: last health check: %v%s", err, probeErr, probeAdvice(probeErr))
			case !listening:
				return fmt.Errorf("%w: no listening line printed", err)
			}
			return err
		case <-tick.C:
		}
	}
}

// answers checks once, within the probe timeout, that p, adopted for e,
// answers as e's OpenCode.
func (r *readiness) answers(ctx context.Context, p Proc, e registry.Entry) error {
	c, err := r.opencode(e)
	if err != nil {
		return err
	}
	return r.check(ctx, c, p, e, r.probeTimeout)
}

// opencode is a client of e's OpenCode for its health checks.
func (r *readiness) opencode(e registry.Entry) (*opencode.Client, error) {
	return opencode.New(opencode.Options{
		BaseURL:    opencode.BaseURL(e.Hostname, e.OpencodePort),
		Password:   e.Password,
		HTTPClient: r.client,
	})
}

// check asks c's health check once, within timeout, as opencode's client
// does (Health.Ready), but only if the socket listening at e's address is
// held by p (where its Runner can tell).
func (r *readiness) check(ctx context.Context, c *opencode.Client, p Proc, e registry.Entry, timeout time.Duration) error {
	u, err := url.Parse(c.BaseURL())
	if err != nil {
		return err
	}
	if addr, err := netip.ParseAddrPort(u.Host); err == nil {
		if err := p.Holds(addr); err != nil && !errors.Is(err, errors.ErrUnsupported) {
			return fmt.Errorf("not probed: %w", err)
		}
	}
	return c.Health.Ready(ctx, timeout)
}

// listeningPort finds OpenCode's listening line in lines, and the port it
// names (see parseListening).
func listeningPort(lines []string) (port int, found bool) {
	for _, l := range lines {
		if port, found := parseListening(l); found {
			return port, true
		}
	}
	return 0, false
}

// parseListening reports whether line is OpenCode's listening line, and the
// port in the URL it names (0 when that URL has no valid port).
func parseListening(line string) (port int, found bool) {
	_, rest, found := strings.Cut(line, listeningMarker)
	if !found {
		return 0, false
	}
	u, err := url.Parse(strings.TrimSpace(rest))
	if err != nil || u.Host == "" {
		return 0, true
	}
	port, err = strconv.Atoi(u.Port())
	if err != nil || port < 1 || port > 65535 {
		return 0, true
	}
	return port, true
}

// probeAdvice says what to do about a failed health check: a program that
// answers, but not as a healthy OpenCode.
func probeAdvice(err error) string {
	var oe *opencode.Error
	switch {
	case errors.Is(err, opencode.ErrNotJSON):
		return "; the program on that port is not OpenCode's server: check which program holds the port, and that the opencode binary is OpenCode"
	case errors.As(err, &oe) && oe.Status == http.StatusUnauthorized:
		return "; it refused the password: check that no OPENCODE_SERVER_PASSWORD setting overrides the one given"
	case errors.As(err, &oe), errors.Is(err, opencode.ErrUnhealthy):
		return "; OpenCode answers, but not that it is ready: its output may say why"
	}
	return ""
}
