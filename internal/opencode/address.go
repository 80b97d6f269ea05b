package opencode

import (
	"net"
	"strconv"
	"strings"
)

// DialHost returns the host to dial, from this machine, to reach a server
// bound to hostname. A wildcard bind is reached on the loopback address of
// its own family: "" and "0.0.0.0" on 127.0.0.1, "::" on ::1 (an IPv6
// wildcard socket takes ::1 even when it is IPv6-only, which 127.0.0.1 is
// not promised). Any other hostname is dialled as given, without brackets.
func DialHost(hostname string) string {
	h := strings.Trim(hostname, "[]")
	switch h {
	case "", "0.0.0.0":
		return "127.0.0.1"
	case "::":
		return "::1"
	}
	return h
}

// BaseURL is the root URL of a server bound to hostname:port, as dialled
// from this machine (see DialHost).
func BaseURL(hostname string, port int) string {
	return "http://" + net.JoinHostPort(DialHost(hostname), strconv.Itoa(port))
}
