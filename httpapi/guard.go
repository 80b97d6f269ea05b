package httpapi

import (
	"fmt"
	"mime"
	"net/http"
	"net/netip"
	"slices"
	"strings"

	"github.com/opencode-portal/portal"
)

// WithAllowedHosts lets the portal answer requests addressed to these host
// names, besides localhost and IP addresses (see CheckAllowedHost for the
// form). Give the names a browser uses to reach the portal, e.g. its name on
// the local network or behind a reverse proxy. Invalid names are logged and
// ignored.
func WithAllowedHosts(hosts ...string) Option {
	return func(h *handler) { h.allowedHosts = append(h.allowedHosts, hosts...) }
}

// WithAllowedOrigins lets pages of these origins ("scheme://host[:port]",
// see CheckAllowedOrigin; case does not matter) send requests that change
// things, as if they were the portal's own pages. Invalid origins are logged
// and ignored.
func WithAllowedOrigins(origins ...string) Option {
	return func(h *handler) { h.allowedOrigins = append(h.allowedOrigins, origins...) }
}

// withoutGuards turns off the Host check, the cross-origin check, the JSON
// body rule and the resource policy: tests use it to show the attacks they
// stop.
func withoutGuards() Option { return func(h *handler) { h.unguarded = true } }

// CheckAllowedHost returns an error unless name can be given to
// WithAllowedHosts: a host name alone, without scheme, port or path. Case and
// a trailing dot do not matter. IP addresses need no allowing.
func CheckAllowedHost(name string) error {
	if host, ok := hostName(name); ok && host != "" && !strings.ContainsAny(name, ":[") {
		return nil
	}
	return fmt.Errorf("invalid allowed host %q: give a host name alone, such as portal.example.com (no scheme, port or path; IP addresses are always served)", name)
}

// CheckAllowedOrigin returns an error unless origin can be given to
// WithAllowedOrigins: "scheme://host[:port]", as browsers send it.
func CheckAllowedOrigin(origin string) error {
	if err := http.NewCrossOriginProtection().AddTrustedOrigin(origin); err != nil {
		return fmt.Errorf("invalid allowed origin %q: give it as scheme://host[:port], such as https://portal.example.com", origin)
	}
	return nil
}

// guards holds what the request guards need, built once by New.
type guards struct {
	hosts   map[string]bool
	origins *http.CrossOriginProtection
}

// newGuards builds the guards from the allowed hosts and origins, logging
// and skipping the invalid ones.
func (h *handler) newGuards() guards {
	g := guards{hosts: map[string]bool{}, origins: http.NewCrossOriginProtection()}
	for _, name := range h.allowedHosts {
		if err := CheckAllowedHost(name); err != nil {
			h.log.Error("ignoring an allowed host", "err", err)
			continue
		}
		host, _ := hostName(name)
		g.hosts[host] = true
	}
	for _, origin := range h.allowedOrigins {
		if err := CheckAllowedOrigin(origin); err != nil {
			h.log.Error("ignoring an allowed origin", "err", err)
			continue
		}
		g.origins.AddTrustedOrigin(strings.ToLower(origin)) // as browsers send it
	}
	return g
}

// guard refuses, before anything else looks at it, a request that a web
// page could have sent to make the portal act against its user:
//
//   - one addressed to a host name that is not localhost, an IP address or
//     an allowed host (421): a page of a name its owner points at this
//     machine (DNS rebinding) would otherwise be served as if it were the
//     portal's own and could read everything;
//   - one that changes things (not GET, HEAD or OPTIONS) from a page of
//     another origin that is not allowed (403);
//   - one that changes things and has a body that is not declared as JSON
//     (415), as a page of any origin can send text or a form without asking
//     the server first, and application/json it cannot.
//
// Every answer also says, with Cross-Origin-Resource-Policy, that pages of
// other origins may not load it: without it a page could run a project's
// .js file read with files/read?raw=1 as its own script and read what it
// defines.
func (h *handler) guard(w http.ResponseWriter, r *http.Request) error {
	if h.unguarded {
		return nil
	}
	w.Header().Set("Cross-Origin-Resource-Policy", "same-origin")
	if err := h.checkHost(r.Host); err != nil {
		return err
	}
	if err := h.guards.origins.Check(r); err != nil {
		from := ""
		if o := r.Header.Get("Origin"); o != "" {
			from = fmt.Sprintf(" from %q", o)
		}
		return portal.Errorf(portal.EFORBIDDEN, "Cross-origin request%s refused: pages of other sites may not change anything here. If you trust that site, allow its origin with --allow-origin (httpapi.WithAllowedOrigins)", from)
	}
	return checkJSONBody(r)
}

// checkHost returns an EMISDIRECTED error unless the Host header value
// hostport names localhost, an IP address or an allowed host. An IP address
// cannot be rebound: a page can only send it as its Host when the page's own
// origin is that address, that is, when this server served it.
func (h *handler) checkHost(hostport string) error {
	host, ok := hostName(hostport)
	if ok {
		if _, err := netip.ParseAddr(host); err == nil || host == "localhost" || h.guards.hosts[host] {
			return nil
		}
	}
	allow := "--allow-host NAME"
	if ok && host != "" {
		allow = "--allow-host " + host
	}
	return portal.Errorf(portal.EMISDIRECTED, "This portal does not answer to host %q: it serves localhost, IP addresses and the names it was told to allow. If you reached it by this name on purpose, restart it with %s (httpapi.WithAllowedHosts)", hostport, allow)
}

// hostName returns the host of a Host header value ("name", "name:port",
// "1.2.3.4:port", "[::1]:port"), lower-cased and without its port, brackets
// or trailing dot, and whether the value is well formed. Only letters,
// digits, '-', '_' and '.' make a name or an IPv4 address, with no empty
// label; an IPv6 address must be in brackets, without a zone.
func hostName(hostport string) (string, bool) {
	host, port := hostport, ""
	if rest, ok := strings.CutPrefix(hostport, "["); ok {
		inside, after, ok := strings.Cut(rest, "]")
		if ip, err := netip.ParseAddr(inside); !ok || err != nil || !ip.Is6() || ip.Zone() != "" {
			return "", false
		}
		host, port = strings.ToLower(inside), after
	} else {
		if i := strings.LastIndexByte(hostport, ':'); i >= 0 {
			host, port = hostport[:i], hostport[i:]
		}
		host = strings.TrimSuffix(strings.ToLower(host), ".")
		if strings.Trim(host, "abcdefghijklmnopqrstuvwxyz0123456789-_.") != "" ||
			strings.HasPrefix(host, ".") || strings.HasSuffix(host, ".") || strings.Contains(host, "..") {
			return "", false // a character no name has, or an empty label
		}
	}
	if port != "" && (port[0] != ':' || len(port) > 6 || strings.Trim(port[1:], "0123456789") != "") {
		return "", false
	}
	return host, true
}

// checkJSONBody returns an EUNSUPPORTED error when a request that may change
// things carries a body (any length but a known zero) not declared as
// application/json. Body-less requests need no Content-Type.
func checkJSONBody(r *http.Request) error {
	if safeMethod(r.Method) || r.ContentLength == 0 {
		return nil
	}
	ct := r.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err == nil && mt == "application/json" {
		return nil
	}
	if ct == "" {
		ct = "none"
	} else {
		ct = fmt.Sprintf("%q", ct)
	}
	return portal.Errorf(portal.EUNSUPPORTED, "Request body must be JSON: send it with Content-Type: application/json (got %s)", ct)
}

// safeMethod reports whether method only reads, as http.CrossOriginProtection
// counts them.
func safeMethod(method string) bool {
	return slices.Contains([]string{http.MethodGet, http.MethodHead, http.MethodOptions}, method)
}
