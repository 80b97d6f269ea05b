package supervisor

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"syscall"
)

// ErrNoFreePort means every port from the first one up is taken.
var ErrNoFreePort = errors.New("no free port")

// PortFree reports whether a server could bind hostname:port now.
func PortFree(hostname string, port int) bool {
	return bind(hostname, port) == nil
}

func bind(hostname string, port int) error {
	l, err := net.Listen("tcp", net.JoinHostPort(hostname, strconv.Itoa(port)))
	if err != nil {
		return err
	}
	return l.Close()
}

// FreePort returns the first port from first up to 65535 that taken does not
// claim (taken may be nil) and that can be bound on hostname. A hostname that
// can not be bound at all is an error at once.
func FreePort(hostname string, first int, taken func(port int) bool) (int, error) {
	if first < 1 || first > 65535 {
		return 0, fmt.Errorf("first port %d is not in 1-65535", first)
	}
	for port := first; port <= 65535; port++ {
		if taken != nil && taken(port) {
			continue
		}
		err := bind(hostname, port)
		if err == nil {
			return port, nil
		}
		if !errors.Is(err, syscall.EADDRINUSE) {
			return 0, fmt.Errorf("find a free port on %s: %w", hostname, err)
		}
	}
	return 0, fmt.Errorf("%w from %d up on %s", ErrNoFreePort, first, hostname)
}
