package supervisor

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
	"github.com/opencode-portal/portal/internal/procfs"
)

// listeningMarker starts the line OpenCode prints once its server listens
// (the JS SDK waits for the same line).
const listeningMarker = "opencode server listening on "

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

// heldProbe asks OpenCode's health check at baseURL once, within timeout,
// as opencode's client does (Health.Ready), but only if the socket
// listening there is held by pid or its descendants (where the system can
// tell): the health check carries the password, which no other program
// must get.
func heldProbe(ctx context.Context, client *http.Client, pid int, baseURL, username, password string, timeout time.Duration) error {
	u, err := url.Parse(baseURL)
	if err != nil {
		return err
	}
	if addr, err := netip.ParseAddrPort(u.Host); err == nil {
		if err := procfs.ListenerHeldBy(pid, addr); err != nil && !errors.Is(err, errors.ErrUnsupported) {
			return fmt.Errorf("not probed: %w", err)
		}
	}
	c, err := opencode.New(opencode.Options{BaseURL: baseURL, Username: username, Password: password, HTTPClient: client})
	if err != nil {
		return err
	}
	return c.Health.Ready(ctx, timeout)
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
