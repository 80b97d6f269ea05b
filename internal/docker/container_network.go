package docker

import (
	"context"
	"net"
	"net/netip"

	"github.com/moby/moby/client"
)

// BridgeGateway returns the host's address on the Engine's default bridge
// network, where containers reach the host (host.docker.internal, with
// ExtraHosts "host.docker.internal:host-gateway"): the network's gateway,
// or, where the Engine records none (the default bridge of Docker 20.10),
// the IPv4 address of its bridge interface on this host.
func (c *Client) BridgeGateway(ctx context.Context) (netip.Addr, error) {
	res, err := c.api.NetworkInspect(ctx, "bridge", client.NetworkInspectOptions{})
	if err != nil {
		return netip.Addr{}, c.fail(err, "inspecting the bridge network")
	}
	for _, cfg := range res.Network.IPAM.Config {
		if cfg.Gateway.Is4() {
			return cfg.Gateway, nil
		}
	}
	name := res.Network.Options["com.docker.network.bridge.name"]
	if iface, err := net.InterfaceByName(name); err == nil {
		addrs, _ := iface.Addrs()
		for _, a := range addrs {
			if p, err := netip.ParsePrefix(a.String()); err == nil && p.Addr().Is4() {
				return p.Addr(), nil
			}
		}
	}
	return netip.Addr{}, &Error{Kind: NotFound, Message: "The Docker Engine's bridge network has no IPv4 gateway on this host (interface " + name +
		"): check the Engine's network settings (bip in daemon.json), or that it runs on this machine"}
}
