package docker

import (
	"context"
	"strings"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/client"
)

// EngineAPIVersion is the newest API version the engine speaks, for tests
// to compare with what the client negotiated.
func (c *Client) EngineAPIVersion(ctx context.Context) (string, error) {
	v, err := c.api.ServerVersion(ctx, client.ServerVersionOptions{})
	return v.APIVersion, err
}

// MaxAPIVersion is the newest API version the client speaks.
const MaxAPIVersion = client.MaxAPIVersion

// RunOptions is a command to run in a container of an image, for tests.
type RunOptions struct {
	Image   string
	Cmd     []string // with the image's entrypoint; Entrypoint replaces it
	Entry   []string
	User    string
	Env     []string
	Binds   []string
	Network string // "none" for no network
}

// Run runs a container as opts says, waits for it to end, removes it, and
// returns its output (stdout then stderr) and exit status.
func (c *Client) Run(ctx context.Context, opts RunOptions) (stdout, stderr string, status int64, err error) {
	created, err := c.api.ContainerCreate(ctx, client.ContainerCreateOptions{
		Image:      opts.Image,
		Config:     &container.Config{Cmd: opts.Cmd, Entrypoint: opts.Entry, User: opts.User, Env: opts.Env},
		HostConfig: &container.HostConfig{Binds: opts.Binds, NetworkMode: container.NetworkMode(opts.Network)},
	})
	if err != nil {
		return "", "", 0, err
	}
	defer c.api.ContainerRemove(context.WithoutCancel(ctx), created.ID, client.ContainerRemoveOptions{Force: true})
	wait := c.api.ContainerWait(ctx, created.ID, client.ContainerWaitOptions{Condition: container.WaitConditionNextExit})
	if _, err := c.api.ContainerStart(ctx, created.ID, client.ContainerStartOptions{}); err != nil {
		return "", "", 0, err
	}
	select {
	case res := <-wait.Result:
		status = res.StatusCode
	case err := <-wait.Error:
		return "", "", 0, err
	}
	logs, err := c.api.ContainerLogs(ctx, created.ID, client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true})
	if err != nil {
		return "", "", 0, err
	}
	defer logs.Close()
	var out, errOut strings.Builder
	if _, err := stdcopy.StdCopy(&out, &errOut, logs); err != nil {
		return "", "", 0, err
	}
	return out.String(), errOut.String(), status, nil
}

// BindMounts returns the host folders mounted in the container, by their
// path in it, with whether each is writable.
func (c *Client) BindMounts(ctx context.Context, id string) (map[string]BindMount, error) {
	res, err := c.api.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if err != nil {
		return nil, err
	}
	got := make(map[string]BindMount)
	for _, m := range res.Container.Mounts {
		if m.Type == mount.TypeBind {
			got[m.Destination] = BindMount{Source: m.Source, RW: m.RW}
		}
	}
	return got, nil
}

// BindMount is a host folder mounted in a container, as inspected.
type BindMount struct {
	Source string
	RW     bool
}
