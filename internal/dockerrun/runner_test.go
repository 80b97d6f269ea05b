package dockerrun

import (
	"fmt"
	"net/netip"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/opencode-portal/portal/internal/docker"
	"github.com/opencode-portal/portal/internal/registry"
)

func TestSpec(t *testing.T) {
	r := &Runner{CPUs: 2, Memory: 1 << 30, DataDir: "/reg/.portal-data",
		Env: []string{"HOME=/host/home", "XDG_DATA_HOME=/host/data", "OPENCODE_SERVER_PASSWORD=old", "OPENCODE_CONFIG_CONTENT={}", "NO_COLOR=1"}}
	e := registry.Entry{ID: "abc12345", Directory: "/work/app", OpencodePort: 3101, Password: "s3cret", CPUs: 0.5}
	got := r.spec(e, "portal-opencode:1")
	want := docker.ContainerSpec{
		Name:  "portal-abc12345",
		Image: "portal-opencode:1",
		Cmd:   []string{"serve", "--hostname", "0.0.0.0", "--port", "3101"},
		Env: []string{"OPENCODE_CONFIG_CONTENT={}", "NO_COLOR=1",
			"HOME=/home/opencode", "XDG_CONFIG_HOME=/home/opencode/.config", "XDG_DATA_HOME=/home/opencode/.local/share",
			"XDG_CACHE_HOME=/home/opencode/.cache", "XDG_STATE_HOME=/home/opencode/.local/state", "OPENCODE_SERVER_PASSWORD=s3cret"},
		User:       fmt.Sprintf("%d:%d", os.Getuid(), os.Getgid()),
		WorkDir:    "/work/app",
		Binds:      []docker.Bind{{Source: "/work/app", Target: "/work/app"}, {Source: "/reg/.portal-data/abc12345", Target: "/home/opencode"}},
		Port:       3101,
		HostIP:     netip.MustParseAddr("127.0.0.1"),
		ExtraHosts: []string{"host.docker.internal:host-gateway"},
		Labels:     map[string]string{"portal.id": "abc12345", "portal.dir": "/work/app", "portal.port": "3101"},
		NanoCPUs:   5e8,     // the entry's
		Memory:     1 << 30, // the runner's
	}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
		t.Errorf("spec (-want +got):\n%s", diff)
	}
	for k, v := range got.Labels {
		if strings.Contains(k+v, e.Password) {
			t.Errorf("label %s=%s holds the password", k, v)
		}
	}
	if slices.Contains(got.Cmd, e.Password) || strings.Contains(got.Name, e.Password) {
		t.Error("the command or name holds the password")
	}
}

func TestExitStatus(t *testing.T) {
	tests := []struct {
		code int
		want string
	}{
		{0, "exit status 0"},
		{1, "exit status 1"},
		{128, "exit status 128"},
		{137, "signal: killed"},
		{143, "signal: terminated"},
		{255, "exit status 255"},
	}
	for _, tt := range tests {
		if got := exitStatus(tt.code); got != tt.want {
			t.Errorf("exitStatus(%d) = %q, want %q", tt.code, got, tt.want)
		}
	}
}

func TestIsProxy(t *testing.T) {
	want := proxyArgs(netip.MustParseAddr("172.17.0.2"), 3101, netip.MustParseAddrPort("127.0.0.1:3101"))
	ours := []string{"/usr/sbin/docker-proxy", "-proto", "tcp", "-host-ip", "127.0.0.1", "-host-port", "3101", "-container-ip", "172.17.0.2", "-container-port", "3101"}
	tests := []struct {
		name string
		args []string
		want bool
	}{
		{"ours", ours, true},
		{"another container", with(ours, "-container-ip", "172.17.0.3"), false},
		{"another container port", with(ours, "-container-port", "80"), false},
		{"another host port", with(ours, "-host-port", "3102"), false},
		{"all addresses", with(ours, "-host-ip", "0.0.0.0"), false},
		{"udp", with(ours, "-proto", "udp"), false},
		{"another program", append([]string{"/usr/bin/socat"}, ours[1:]...), false},
		{"no command line", nil, false},
	}
	for _, tt := range tests {
		if got := isProxy(tt.args, want); got != tt.want {
			t.Errorf("%s: isProxy = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// with returns args with the value of flag set to v.
func with(args []string, flag, v string) []string {
	out := slices.Clone(args)
	i := slices.Index(out, flag)
	out[i+1] = v
	return out
}
