package supervisor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"

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

// heldProbe probes baseURL as probe does, but only if the socket listening
// there is held by pid or its descendants (where the system can tell): the
// health check carries the password, which no other program must get.
func heldProbe(ctx context.Context, client *http.Client, pid int, baseURL, username, password string) error {
	u, err := url.Parse(baseURL)
	if err != nil {
		return err
	}
	if addr, err := netip.ParseAddrPort(u.Host); err == nil {
		if err := procfs.ListenerHeldBy(pid, addr); err != nil && !errors.Is(err, errors.ErrUnsupported) {
			return fmt.Errorf("not probed: %w", err)
		}
	}
	return probe(ctx, client, baseURL, username, password)
}

// health is the answer of GET /global/health.
type health struct {
	Healthy bool   `json:"healthy"`
	Version string `json:"version"`
}

// probe asks baseURL's /global/health once, within timeout, and returns nil
// only for a 200 JSON answer that says healthy. OpenCode answers unknown
// paths with its web page, so a non-JSON answer is not OpenCode.
func probe(ctx context.Context, client *http.Client, baseURL, username, password string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, baseURL+"/global/health", nil)
	if err != nil {
		return err
	}
	if password != "" {
		req.SetBasicAuth(username, password)
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("health check answered %s", resp.Status)
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "application/json" {
		return fmt.Errorf("health check answered %q, not JSON", mt)
	}
	var h health
	if err := json.Unmarshal(body, &h); err != nil {
		return fmt.Errorf("health check: %w", err)
	}
	if !h.Healthy {
		return fmt.Errorf("health check answered healthy=false")
	}
	return nil
}
