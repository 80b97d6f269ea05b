// Package dockerrun runs instances' OpenCode in containers of the Docker
// Engine: the lifecycle's Runner of instance type "docker".
//
// A container runs `opencode serve` of an image (the portal's offline one,
// or another with OpenCode as its entrypoint) as the host user's uid:gid,
// with no capabilities and no new privileges. It sees the project folder,
// bind-mounted read-write at the same path (paths in messages, git and
// files match the host's), and OpenCode's home: a folder of the host beside
// the registry (<registry folder>/.portal-data/<id>), bind-mounted at
// /home/opencode. Nothing else of the host is mounted. The home is a host
// folder rather than a named volume because it is then the host user's
// without changing owners inside the container, the runner prepares
// OpenCode's configuration in it before the first start (no plugin install
// at the first request), it outlives restarts of the container and of the
// engine, and it is removed with the instance: the engine keeps no volume.
//
// The container listens on all its addresses inside its network; its port
// is published on the host's 127.0.0.1 only, at the same number. The
// OpenCode password is in the container's environment only (never in its
// labels, names or the output the portal returns); its labels (portal.id,
// portal.dir, portal.port) let a restarted portal adopt it. Its exit comes
// from the Engine's wait API, its output from the log API.
//
// Which socket is the container's own (Proc.Holds): the host listener on
// its published address is held by the Engine's docker-proxy process that
// forwards to the container's address and port, whose command line names
// both. When the Engine publishes ports without that proxy (userland-proxy
// off: netfilter rules, no listener), Holds says it can not tell and the
// Engine's own record of the published address is what holds.
package dockerrun

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/opencode-portal/portal/internal/docker"
	"github.com/opencode-portal/portal/internal/lifecycle"
	"github.com/opencode-portal/portal/internal/registry"
)

// Type is the instance type (the registry's instanceType) of OpenCode run
// in a container.
const Type = "docker"

// Home is where OpenCode's home folder is mounted in the container.
const Home = "/home/opencode"

// The labels of an instance's container.
const (
	LabelID   = "portal.id"   // the instance id
	LabelDir  = "portal.dir"  // the project folder
	LabelPort = "portal.port" // the OpenCode port, inside and published
)

// probeTimeout bounds the Engine calls of Alive and Holds, which have no
// context of their own.
const probeTimeout = 5 * time.Second

// Runner runs OpenCode in containers. Its zero value is not usable: Image
// and DataDir are required. It connects to the Engine at the first need,
// and again after a failed connection.
type Runner struct {
	Engine docker.Config
	// Image runs the entries that name none; "" for the portal's image of
	// OpenCodeBin's version (docker.DefaultTag), asked of it once.
	Image       string
	OpenCodeBin string
	// CPUs and Memory are the limits of the entries that give none (in
	// CPUs and bytes); 0 for no limit.
	CPUs   float64
	Memory int64
	// Env is the container's environment, before the runner's own
	// settings (HOME, XDG_*, OPENCODE_SERVER_PASSWORD). The host's
	// environment is not passed.
	Env []string
	// DataDir holds each instance's OpenCode home, in a folder named by
	// its id.
	DataDir string
	// ExtraHosts are added to the containers' /etc/hosts; the runner adds
	// host.docker.internal as the host's address on the bridge.
	ExtraHosts []string
	// StopTimeout is how long a stopping container gets between SIGTERM
	// and SIGKILL.
	StopTimeout time.Duration

	mu     sync.Mutex
	client *docker.Client

	imageMu      sync.Mutex
	defaultImage string

	proxies proxyCache // of every container, adopted or started here
}

var _ lifecycle.Runner = (*Runner)(nil)

// Connect returns the client of the Engine, connecting first if need be;
// an error (a *docker.Error) says when no Engine answers.
func (r *Runner) Connect(ctx context.Context) (*docker.Client, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.client != nil {
		return r.client, nil
	}
	c, err := docker.New(ctx, r.Engine)
	if err != nil {
		return nil, err
	}
	r.client = c
	return c, nil
}

// Close closes the connection to the Engine, if any.
func (r *Runner) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.client == nil {
		return nil
	}
	err := r.client.Close()
	r.client = nil
	return err
}

// image returns the image of the entry's container.
func (r *Runner) image(ctx context.Context, e registry.Entry) (string, error) {
	if img := cmp.Or(e.Image, r.Image); img != "" {
		return img, nil
	}
	r.imageMu.Lock()
	defer r.imageMu.Unlock()
	if r.defaultImage == "" {
		tag, err := docker.DefaultTag(ctx, r.OpenCodeBin)
		if err != nil {
			return "", err
		}
		r.defaultImage = tag
	}
	return r.defaultImage, nil
}

// home is the host folder of the entry's OpenCode home.
func (r *Runner) home(e registry.Entry) string { return filepath.Join(r.DataDir, e.ID) }

// spec describes the container of image for the entry's next run.
func (r *Runner) spec(e registry.Entry, image string) docker.ContainerSpec {
	env := make([]string, 0, len(r.Env)+8)
	for _, kv := range r.Env {
		if k, _, _ := strings.Cut(kv, "="); !runnerSets(k) {
			env = append(env, kv)
		}
	}
	env = append(env,
		"HOME="+Home,
		"XDG_CONFIG_HOME="+Home+"/.config",
		"XDG_DATA_HOME="+Home+"/.local/share",
		"XDG_CACHE_HOME="+Home+"/.cache",
		"XDG_STATE_HOME="+Home+"/.local/state",
		"OPENCODE_SERVER_PASSWORD="+e.Password,
	)
	cpus := cmp.Or(e.CPUs, r.CPUs)
	return docker.ContainerSpec{
		Name:       "portal-" + e.ID,
		Image:      image,
		Cmd:        []string{"serve", "--hostname", "0.0.0.0", "--port", strconv.Itoa(e.OpencodePort)},
		Env:        env,
		User:       fmt.Sprintf("%d:%d", os.Getuid(), os.Getgid()),
		WorkDir:    e.Directory,
		Binds:      []docker.Bind{{Source: e.Directory, Target: e.Directory}, {Source: r.home(e), Target: Home}},
		Port:       e.OpencodePort,
		HostIP:     netip.AddrFrom4([4]byte{127, 0, 0, 1}),
		ExtraHosts: append([]string{"host.docker.internal:host-gateway"}, r.ExtraHosts...),
		Labels:     map[string]string{LabelID: e.ID, LabelDir: e.Directory, LabelPort: strconv.Itoa(e.OpencodePort)},
		NanoCPUs:   int64(cpus * 1e9),
		Memory:     cmp.Or(e.Memory, r.Memory),
	}
}

// runnerSets reports whether the runner sets the environment variable k
// itself.
func runnerSets(k string) bool {
	return k == "HOME" || k == "OPENCODE_SERVER_PASSWORD" || strings.HasPrefix(k, "XDG_")
}

// Start creates and starts the entry's container and waits until its
// OpenCode answers. A failed start removes the container. The Engine's
// failures are *lifecycle.Error values that say what to do.
func (r *Runner) Start(ctx context.Context, spec lifecycle.Spec) (lifecycle.Proc, error) {
	p, err := r.start(ctx, spec)
	return p, engineError(err)
}

// start does Start's work.
func (r *Runner) start(ctx context.Context, spec lifecycle.Spec) (lifecycle.Proc, error) {
	e := spec.Entry
	c, err := r.Connect(ctx)
	if err != nil {
		return nil, err
	}
	image, err := r.image(ctx, e)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(r.home(e), 0o700); err != nil {
		return nil, fmt.Errorf("creating OpenCode's home folder for the container: %w", err)
	}
	cs := r.spec(e, image)
	// A container of an earlier run that was not removed (the portal died)
	// holds the name.
	if err := c.RemoveContainer(ctx, cs.Name); err != nil {
		return nil, err
	}
	id, err := c.CreateContainer(ctx, cs)
	if err != nil {
		return nil, imageAdvice(err, cs.Image)
	}
	st, err := c.InspectContainer(ctx, id)
	if err == nil {
		err = prepareHome(r.home(e), st.Labels[docker.LabelOpenCodeVersion])
	}
	if err == nil {
		err = c.StartContainer(ctx, id)
	}
	if err == nil {
		st, err = c.InspectContainer(ctx, id)
	}
	if err != nil {
		c.RemoveContainer(context.WithoutCancel(ctx), id)
		return nil, err
	}
	if spec.Spawned != nil {
		spec.Spawned(st.Pid, id)
	}
	p := r.follow(c, e, st, -1)
	if err := spec.AwaitReady(ctx, p); err != nil {
		return nil, err
	}
	return p, nil
}

// imageAdvice says what to do about a container that could not be created
// because its image is missing.
func imageAdvice(err error, image string) error {
	var de *docker.Error
	if errors.As(err, &de) && de.Kind == docker.NotFound {
		return &docker.Error{Kind: docker.NotFound, Err: err, Message: fmt.Sprintf(
			"The Docker Engine has no image %s: build it with `portal image build`, or pull it", image)}
	}
	return err
}

// Adopt follows the entry's running container, which must be the one the
// entry names and answer as its OpenCode.
func (r *Runner) Adopt(ctx context.Context, spec lifecycle.Spec) (lifecycle.Proc, error) {
	e := spec.Entry
	c, err := r.Connect(ctx)
	if err != nil {
		return nil, err
	}
	st, err := r.inspect(ctx, c, e)
	if err != nil {
		return nil, err
	}
	p := r.follow(c, e, st, 1000)
	if err := spec.Answers(ctx, p); err != nil {
		p.Detach()
		return nil, fmt.Errorf("container %s on port %d does not answer as the instance's OpenCode: %w", docker.ShortID(st.ID), e.OpencodePort, err)
	}
	return p, nil
}

// inspect returns the state of the entry's container, which must be
// running and be the entry's: labelled with its id (a container of the
// original CLI has no labels) and publishing its port.
func (r *Runner) inspect(ctx context.Context, c *docker.Client, e registry.Entry) (docker.ContainerState, error) {
	if e.ContainerID == nil || *e.ContainerID == "" {
		return docker.ContainerState{}, errors.New("the entry names no container")
	}
	st, err := c.InspectContainer(ctx, *e.ContainerID)
	switch {
	case err != nil:
		return st, err
	case !st.Running:
		return st, fmt.Errorf("container %s is not running", docker.ShortID(st.ID))
	case st.Labels[LabelID] != "" && st.Labels[LabelID] != e.ID:
		return st, fmt.Errorf("container %s belongs to instance %s, not %s", docker.ShortID(st.ID), st.Labels[LabelID], e.ID)
	case len(st.Published[e.OpencodePort]) == 0:
		return st, fmt.Errorf("container %s does not publish port %d", docker.ShortID(st.ID), e.OpencodePort)
	}
	return st, nil
}

// Alive reports whether the entry's container runs and is the entry's.
func (r *Runner) Alive(e registry.Entry) bool {
	if e.ContainerID == nil {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
	defer cancel()
	c, err := r.Connect(ctx)
	if err != nil {
		return false
	}
	_, err = r.inspect(ctx, c, e)
	return err == nil
}

// Terminate stops and removes the entry's container.
func (r *Runner) Terminate(ctx context.Context, e registry.Entry, grace time.Duration) error {
	if e.ContainerID == nil {
		return nil
	}
	c, err := r.Connect(ctx)
	if err != nil {
		return err
	}
	if err := c.StopContainer(ctx, *e.ContainerID, grace); err != nil && !notFound(err) {
		return err
	}
	return c.RemoveContainer(ctx, *e.ContainerID)
}

// Logs reads the last lines of the entry's container's output from the
// Engine.
func (r *Runner) Logs(e registry.Entry, tail int) ([]string, error) {
	if e.ContainerID == nil {
		return nil, lifecycle.ErrNoOutput
	}
	ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
	defer cancel()
	c, err := r.Connect(ctx)
	if err != nil {
		return nil, err
	}
	if tail <= 0 {
		tail = -1
	}
	lines, err := c.Logs(ctx, *e.ContainerID, tail)
	if notFound(err) {
		return nil, fmt.Errorf("container %s is gone: %w", docker.ShortID(*e.ContainerID), fs.ErrNotExist)
	}
	return lines, err
}

// Holds reports whether the socket at addr is the one the Engine
// publishes for the entry's container.
func (r *Runner) Holds(e registry.Entry, addr netip.AddrPort) error {
	ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
	defer cancel()
	c, err := r.Connect(ctx)
	if err != nil {
		return err
	}
	st, err := r.inspect(ctx, c, e)
	if err != nil {
		return err
	}
	return r.proxies.holds(st, e.OpencodePort, addr)
}

// Remove removes the entry's OpenCode home, and the container of its last
// run should one be left.
func (r *Runner) Remove(e registry.Entry) error {
	var err error
	if e.ContainerID != nil {
		ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
		defer cancel()
		if c, cerr := r.Connect(ctx); cerr == nil {
			err = c.RemoveContainer(ctx, *e.ContainerID)
		}
	}
	return errors.Join(err, os.RemoveAll(r.home(e)))
}

// engineError turns a *docker.Error into a *lifecycle.Error of the same
// message; other errors are returned as they are.
func engineError(err error) error {
	var de *docker.Error
	if !errors.As(err, &de) {
		return err
	}
	kind := lifecycle.Internal
	switch de.Kind {
	case docker.Unavailable, docker.NotFound:
		kind = lifecycle.Unavailable
	case docker.Conflict:
		kind = lifecycle.Conflict
	case docker.Timeout:
		kind = lifecycle.Timeout
	}
	return &lifecycle.Error{Kind: kind, Err: err, Message: de.Message}
}

// notFound reports whether err is the Engine's "no such container".
func notFound(err error) bool {
	var de *docker.Error
	return errors.As(err, &de) && de.Kind == docker.NotFound
}
