package portal

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/opencode-portal/portal/internal/lifecycle"
	"github.com/opencode-portal/portal/internal/opencode"
	"github.com/opencode-portal/portal/internal/registry"
)

// Instance states.
const (
	StateStarting = "starting" // started, not answering yet (or waiting to be restarted)
	StateRunning  = "running"  // answering
	StateStopped  = "stopped"  // exited with status 0 on its own
	StateCrashed  = "crashed"  // exited on its own and was not restarted
)

// Instance is one `opencode serve` process working in a project folder.
type Instance struct {
	ID        string
	Name      string
	Directory string
	// Port is the OpenCode server's port: the {port} of /api/opencode/{port}/.
	Port int
	// WebPort is the original Portal's web UI port, when it started one.
	WebPort   *int
	Hostname  string
	PID       *int
	WebPID    *int
	StartedAt string
	// InstanceType is how OpenCode runs: "process" or "docker" (a
	// container, whose id is ContainerID).
	InstanceType string
	ContainerID  *string
	State        string
	// Restarts counts the starts after the first, while supervised by its
	// portal.
	Restarts int
	// LastExit says how OpenCode last exited ("exit status 1", "signal:
	// killed"), if it did while supervised by its portal.
	LastExit string
	// URL is where the OpenCode server answers.
	URL string
}

// StartOptions says what StartInstance starts.
type StartOptions struct {
	// Directory is the project folder: an absolute path to an existing
	// folder. Required.
	Directory string
	// Name defaults to the folder's name.
	Name string
	// Port defaults to the first free port from Config.FirstPort.
	Port int
	// Hostname defaults to Config.Hostname. A docker instance is published
	// on 127.0.0.1 only.
	Hostname string
	// Runtime is how OpenCode runs; default Config.DefaultRuntime.
	Runtime Runtime
	// Image, CPUs and Memory are a docker instance's image and limits (CPUs,
	// bytes); default Config.Docker's.
	Image  string
	CPUs   float64
	Memory int64
}

// StartInstance starts `opencode serve` in opts.Directory and returns once
// it answers. If the folder already has a live instance, that one is
// returned and nothing is started, also when several callers (in this or
// other processes) start the same folder at once.
//
// The callers of one folder share its start, which belongs to none of them:
// it is bounded by Config.StartTimeout and the Portal's life, not by ctx.
// When ctx ends first, this caller stops waiting (ETIMEOUT) and the start
// goes on for the others.
func (p *Portal) StartInstance(ctx context.Context, opts StartOptions) (Instance, error) {
	dir, err := p.checkDirectory(opts.Directory)
	if err != nil {
		return Instance{}, err
	}
	if opts.Port != 0 && CheckPort(opts.Port) != nil {
		return Instance{}, Errorf(EINVALID, "Invalid port %d: give a port in 1-65535, or none to pick a free one", opts.Port)
	}
	lo, err := p.instanceRuntime(ctx, opts)
	if err != nil {
		return Instance{}, err
	}
	lo.Directory, lo.Name, lo.Port = dir, opts.Name, opts.Port
	in, err := p.life.Start(ctx, lo)
	if err != nil && err == ctx.Err() { // the start goes on for the others
		return Instance{}, &Error{Code: ETIMEOUT, Err: ctx.Err(), Message: fmt.Sprintf(
			"Stopped waiting for OpenCode for %s to be ready (%v); its start goes on: list the instances to see when it runs", dir, ctx.Err())}
	}
	if err != nil {
		return Instance{}, lifecycleError(err)
	}
	return p.started(ctx, in), nil
}

// started returns the instance the lifecycle started or found.
func (p *Portal) started(ctx context.Context, in lifecycle.Started) Instance {
	if in.Run != nil {
		return supervisedInstance(in.Entry, in.Run.Status())
	}
	described, _ := p.describe(ctx, in.Entry)
	return described
}

// checkDirectory checks that dir is an existing folder given by an absolute
// path where an instance may work (see checkFolder), and returns it with its
// symlinks resolved: a folder has one instance whatever path names it.
func (p *Portal) checkDirectory(dir string) (string, error) {
	if strings.TrimSpace(dir) == "" {
		return "", Errorf(EINVALID, "Directory required: give the absolute path of a project folder")
	}
	if strings.ContainsRune(dir, 0) {
		return "", Errorf(EINVALID, "Invalid directory: it contains a NUL byte; give the folder's path without it")
	}
	clean := filepath.Clean(dir)
	if !filepath.IsAbs(clean) {
		return "", Errorf(EINVALID, "Directory %q is not an absolute path; give the folder's full path, from the filesystem root", dir)
	}
	fi, err := os.Stat(clean)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return "", Errorf(EINVALID, "Directory %s does not exist; create it first, or give an existing folder", clean)
	case err != nil:
		return "", Errorf(EINVALID, "Directory %s can not be used: %v; check that the user running the portal may read it", clean, err)
	case !fi.IsDir():
		return "", Errorf(EINVALID, "%s is not a directory; give a folder", clean)
	}
	resolved, err := filepath.EvalSymlinks(clean)
	if err != nil {
		return "", Errorf(EINVALID, "Directory %s can not be used: %v; check that the user running the portal may read it", clean, err)
	}
	if err := p.checkFolder(resolved); err != nil {
		return "", err
	}
	return resolved, nil
}

// Instance returns the instance with this id or OpenCode port (1 to 5
// digits). An instance whose process is gone is not found, unless its
// portal recorded that it crashed or stopped.
func (p *Portal) Instance(ctx context.Context, idOrPort string) (Instance, error) {
	e, err := p.findEntry(idOrPort)
	if err != nil {
		return Instance{}, err
	}
	in, live := p.describe(ctx, e)
	if !live {
		return Instance{}, notFound(idOrPort)
	}
	return in, nil
}

// ListOptions says which instances Instances returns.
type ListOptions struct {
	// All adds the instances that are down: crashed or stopped, or
	// registered with their process gone. Clean (or StopInstance) removes
	// them.
	All bool
}

// Instances returns the registered instances that are up: running, or
// starting (also while waiting to be restarted). With ListOptions.All it
// returns those that are down too. Their liveness is checked concurrently.
func (p *Portal) Instances(ctx context.Context, opts ...ListOptions) ([]Instance, error) {
	var o ListOptions
	for _, opt := range opts {
		o.All = o.All || opt.All
	}
	f, err := p.registry.Read()
	if err != nil {
		// Those supervised here are still known: list them.
		sup := p.life.All()
		if len(sup) == 0 {
			return nil, registryError(err)
		}
		p.log.Warn("listing only the instances supervised here: the registry can not be read", "err", err)
		list := make([]Instance, 0, len(sup))
		for _, s := range sup {
			if in := supervisedInstance(s.Entry, s.Run.Status()); o.All || in.State != StateCrashed && in.State != StateStopped {
				list = append(list, in)
			}
		}
		return list, nil
	}
	out := make([]Instance, len(f.Instances))
	live := make([]bool, len(f.Instances))
	var wg sync.WaitGroup
	for i, e := range f.Instances {
		if !p.life.Driven(e) {
			continue // of a type this portal can not check or drive
		}
		wg.Go(func() { out[i], live[i] = p.describe(ctx, e) })
	}
	wg.Wait()
	list := out[:0]
	for i, in := range out {
		up := live[i] && in.State != StateCrashed && in.State != StateStopped
		if p.life.Driven(f.Instances[i]) && (up || o.All) {
			list = append(list, in)
		}
	}
	return list, nil
}

// StopInstance stops the instance with this id or OpenCode port (SIGTERM to
// its process group, SIGKILL after Config.StopTimeout) and removes it from
// the registry. For a running instance that is a process, its port is free
// again when it returns (it waits up to 2 s for a child of OpenCode's that
// left its group and still holds the port).
func (p *Portal) StopInstance(ctx context.Context, idOrPort string) error {
	e, err := p.findEntry(idOrPort)
	if err != nil {
		return err
	}
	return lifecycleError(p.life.Stop(ctx, e))
}

// RestartInstance stops the instance with this id or OpenCode port and
// starts it again on the same port with a new password, and returns once it
// answers. An instance no live portal supervises is taken over.
func (p *Portal) RestartInstance(ctx context.Context, idOrPort string) (Instance, error) {
	e, err := p.findEntry(idOrPort)
	if err != nil {
		return Instance{}, err
	}
	in, err := p.life.Restart(ctx, e)
	if err != nil {
		return Instance{}, lifecycleError(err)
	}
	return p.started(ctx, in), nil
}

// InstanceLogs returns up to tail of the last lines the instance printed
// (all that are kept for tail <= 0).
func (p *Portal) InstanceLogs(ctx context.Context, idOrPort string, tail int) ([]string, error) {
	e, err := p.findEntry(idOrPort)
	if err != nil {
		return nil, err
	}
	lines, err := p.life.Logs(e, tail)
	return lines, lifecycleError(err)
}

// Clean removes from the registry the instances that are down: crashed or
// stopped, whoever supervises them, or with their processes gone; and
// returns them. It stops nothing.
func (p *Portal) Clean(ctx context.Context) ([]Instance, error) {
	removed, err := p.life.Clean(ctx)
	if err != nil {
		return nil, lifecycleError(err)
	}
	var list []Instance
	for _, in := range removed {
		list = append(list, p.started(ctx, in))
	}
	return list, nil
}

// findEntry returns the registry entry with this id, or with this OpenCode
// port when idOrPort has 1 to 5 digits.
func (p *Portal) findEntry(idOrPort string) (registry.Entry, error) {
	if idOrPort == "" {
		return registry.Entry{}, &Error{Code: EINVALID, Hint: HintListInstances, Message: "Instance id or port required: name an instance by its ID or OpenCode port; list instances to find them"}
	}
	port := 0
	if len(idOrPort) <= 5 && strings.Trim(idOrPort, "0123456789") == "" {
		port, _ = strconv.Atoi(idOrPort)
	}
	match := func(e registry.Entry) bool { return e.ID == idOrPort || (port != 0 && e.OpencodePort == port) }
	f, err := p.registry.Read()
	if err != nil {
		// Those supervised here are still known.
		for _, s := range p.life.All() {
			if match(s.Entry) {
				return s.Entry, nil
			}
		}
		return registry.Entry{}, registryError(err)
	}
	for _, e := range f.Instances {
		if match(e) {
			return e, nil
		}
	}
	return registry.Entry{}, notFound(idOrPort)
}

func notFound(idOrPort string) error {
	return &Error{Code: ENOTFOUND, Hint: HintListInstances, Message: fmt.Sprintf("No instance %q; list instances", idOrPort)}
}

// describe returns the instance for a registry entry, and whether it is
// known: supervised here, or with a state entryState can tell.
func (p *Portal) describe(ctx context.Context, e registry.Entry) (Instance, bool) {
	if run := p.life.Run(e.ID); run != nil {
		return supervisedInstance(e, run.Status()), true
	}
	state, known := lifecycle.EntryState(e, p.life.Alive(e), func() bool { return p.healthy(ctx, e) })
	in := instanceFromEntry(e, state)
	if state == StateCrashed || state == StateStopped {
		in.PID = nil // the entry keeps the last one; none runs
	}
	return in, known
}

// healthy reports whether the entry's OpenCode answers its health check
// within Config.ProbeTimeout.
func (p *Portal) healthy(ctx context.Context, e registry.Entry) bool {
	c, err := p.clientFor(e)
	if err != nil {
		return false
	}
	return c.Health.Ready(ctx, p.cfg.ProbeTimeout) == nil
}

// supervisedInstance returns the instance for an entry supervised here,
// whose run is in state st.
func supervisedInstance(e registry.Entry, st lifecycle.Status) Instance {
	in := instanceFromEntry(e, st.State)
	in.PID = nil
	if st.PID > 0 {
		in.PID = &st.PID
	}
	if st.Container != "" {
		in.ContainerID = &st.Container
	}
	if st.Port > 0 {
		in.Port = st.Port
		in.URL = instanceURL(e.Hostname, st.Port)
	}
	if !st.StartedAt.IsZero() {
		in.StartedAt = lifecycle.Timestamp(st.StartedAt)
	}
	in.Restarts, in.LastExit = st.Restarts, st.LastExit
	return in
}

func instanceFromEntry(e registry.Entry, state string) Instance {
	return Instance{
		ID:           e.ID,
		Name:         e.Name,
		Directory:    e.Directory,
		Port:         e.OpencodePort,
		WebPort:      e.Port,
		Hostname:     e.Hostname,
		PID:          e.OpencodePID,
		WebPID:       e.WebPID,
		StartedAt:    e.StartedAt,
		InstanceType: cmp.Or(e.InstanceType, lifecycle.ProcessType),
		ContainerID:  e.ContainerID,
		State:        state,
		Restarts:     e.Restarts,
		LastExit:     e.LastExit,
		URL:          instanceURL(e.Hostname, e.OpencodePort),
	}
}

func instanceURL(hostname string, port int) string {
	return opencode.BaseURL(hostname, port)
}
