package docker

import (
	"context"
	"fmt"
	"net/netip"
	"strconv"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
)

// ContainerSpec describes a container to create: one program of an image,
// run as a given user, with host folders mounted and one TCP port
// published on a host address.
type ContainerSpec struct {
	Name    string   // the container's name; "" for one the engine picks
	Image   string   // the image to run
	Cmd     []string // the arguments given to the image's entrypoint
	Env     []string // its whole environment, KEY=value
	User    string   // "uid:gid" to run as
	WorkDir string   // its working folder
	// Binds mounts host folders read-write, each at its Target path.
	Binds []Bind
	// Port is published from the container's Port/tcp to HostIP:Port.
	Port   int
	HostIP netip.Addr
	// ExtraHosts are added to its /etc/hosts ("name:address", where
	// "host-gateway" is the host's address on the bridge).
	ExtraHosts []string
	Labels     map[string]string
	NanoCPUs   int64 // CPU limit in billionths of a CPU; 0 for none
	Memory     int64 // memory limit in bytes; 0 for none
}

// Bind is a host folder mounted read-write in a container.
type Bind struct {
	Source string // on the host
	Target string // in the container
}

// ContainerState is what inspecting a container tells of it.
type ContainerState struct {
	ID        string
	Running   bool
	Pid       int // its main process, as the host sees it; 0 when not running
	ExitCode  int
	OOMKilled bool
	Labels    map[string]string
	// IP is its address on the default bridge network; the zero Addr
	// when it has none.
	IP netip.Addr
	// Published are the host addresses its TCP ports are published on,
	// by container port.
	Published map[int][]netip.AddrPort
	// Volumes names the volumes mounted in it (named or anonymous; bind
	// mounts of host folders are not volumes), Networks the networks it
	// is attached to.
	Volumes  []string
	Networks []string
}

// CreateContainer creates, without starting it, the container spec
// describes, and returns its id. The container is not removed when it
// exits: its exit code and output stay until RemoveContainer.
func (c *Client) CreateContainer(ctx context.Context, spec ContainerSpec) (string, error) {
	// Mounts, not "source:target" binds: a folder's name may hold a colon.
	mounts := make([]mount.Mount, len(spec.Binds))
	for i, b := range spec.Binds {
		mounts[i] = mount.Mount{Type: mount.TypeBind, Source: b.Source, Target: b.Target}
	}
	port, err := network.ParsePort(strconv.Itoa(spec.Port) + "/tcp")
	if err != nil {
		return "", &Error{Kind: Invalid, Err: err, Message: fmt.Sprintf("Invalid port %d for a container: give one in 1-65535", spec.Port)}
	}
	init := true // reaps the processes the agent's commands leave behind
	res, err := c.api.ContainerCreate(ctx, client.ContainerCreateOptions{
		Name: spec.Name,
		Config: &container.Config{
			Image:        spec.Image,
			Cmd:          spec.Cmd,
			Env:          spec.Env,
			User:         spec.User,
			WorkingDir:   spec.WorkDir,
			Labels:       spec.Labels,
			ExposedPorts: network.PortSet{port: {}},
		},
		HostConfig: &container.HostConfig{
			Mounts:       mounts,
			PortBindings: network.PortMap{port: {{HostIP: spec.HostIP, HostPort: strconv.Itoa(spec.Port)}}},
			ExtraHosts:   spec.ExtraHosts,
			Init:         &init,
			CapDrop:      []string{"ALL"},
			SecurityOpt:  []string{"no-new-privileges"},
			Resources:    container.Resources{NanoCPUs: spec.NanoCPUs, Memory: spec.Memory},
		},
	})
	if err != nil {
		return "", c.fail(err, "creating a container of image "+spec.Image)
	}
	return res.ID, nil
}

// StartContainer starts a created container.
func (c *Client) StartContainer(ctx context.Context, id string) error {
	if _, err := c.api.ContainerStart(ctx, id, client.ContainerStartOptions{}); err != nil {
		return c.fail(err, "starting container "+ShortID(id))
	}
	return nil
}

// InspectContainer returns the state of the container with this id or
// name; an *Error of kind NotFound when there is none.
func (c *Client) InspectContainer(ctx context.Context, id string) (ContainerState, error) {
	res, err := c.api.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if err != nil {
		return ContainerState{}, c.fail(err, "inspecting container "+ShortID(id))
	}
	in := res.Container
	st := ContainerState{ID: in.ID, Published: make(map[int][]netip.AddrPort)}
	if s := in.State; s != nil {
		st.Running, st.Pid, st.ExitCode, st.OOMKilled = s.Running, s.Pid, s.ExitCode, s.OOMKilled
	}
	if in.Config != nil {
		st.Labels = in.Config.Labels
	}
	for _, m := range in.Mounts {
		if m.Type == mount.TypeVolume {
			st.Volumes = append(st.Volumes, m.Name)
		}
	}
	if ns := in.NetworkSettings; ns != nil {
		if br := ns.Networks["bridge"]; br != nil {
			st.IP = br.IPAddress
		}
		for name := range ns.Networks {
			st.Networks = append(st.Networks, name)
		}
		for p, bindings := range ns.Ports {
			for _, b := range bindings {
				hp, err := strconv.ParseUint(b.HostPort, 10, 16)
				if err == nil {
					st.Published[int(p.Num())] = append(st.Published[int(p.Num())], netip.AddrPortFrom(b.HostIP, uint16(hp)))
				}
			}
		}
	}
	return st, nil
}

// WaitContainer waits until the container is not running and returns its
// exit code; at once when it is not running already.
func (c *Client) WaitContainer(ctx context.Context, id string) (int, error) {
	w := c.api.ContainerWait(ctx, id, client.ContainerWaitOptions{Condition: container.WaitConditionNotRunning})
	select {
	case res := <-w.Result:
		if res.Error != nil && res.Error.Message != "" {
			return int(res.StatusCode), &Error{Kind: Internal, Message: "Waiting for container " + ShortID(id) + " failed: " + res.Error.Message}
		}
		return int(res.StatusCode), nil
	case err := <-w.Error:
		return 0, c.fail(err, "waiting for container "+ShortID(id))
	}
}

// StopContainer sends the container SIGTERM and, after grace, SIGKILL.
// A container that is not running is not an error.
func (c *Client) StopContainer(ctx context.Context, id string, grace time.Duration) error {
	secs := int(grace.Round(time.Second) / time.Second)
	if _, err := c.api.ContainerStop(ctx, id, client.ContainerStopOptions{Timeout: &secs}); err != nil {
		return c.fail(err, "stopping container "+ShortID(id))
	}
	return nil
}

// KillContainer sends the container's main process SIGKILL.
func (c *Client) KillContainer(ctx context.Context, id string) error {
	if _, err := c.api.ContainerKill(ctx, id, client.ContainerKillOptions{Signal: "KILL"}); err != nil {
		return c.fail(err, "killing container "+ShortID(id))
	}
	return nil
}

// RemoveContainer removes the container, running or not, and its
// anonymous volumes. One already gone is not an error.
func (c *Client) RemoveContainer(ctx context.Context, id string) error {
	_, err := c.api.ContainerRemove(ctx, id, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
	if err == nil {
		return nil
	}
	err = c.fail(err, "removing container "+ShortID(id))
	if de, ok := err.(*Error); ok && de.Kind == NotFound {
		return nil
	}
	return err
}

// ShortID is the 12-character form of a container id, as messages and
// `docker ps` show it.
func ShortID(id string) string { return id[:min(12, len(id))] }
