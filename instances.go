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
	"time"

	"github.com/opencode-portal/portal/internal/opencode"
	"github.com/opencode-portal/portal/internal/procfs"
	"github.com/opencode-portal/portal/internal/registry"
	"github.com/opencode-portal/portal/internal/supervisor"
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
	// InstanceType is "process" (or "docker" for entries of old CLIs).
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
	// Hostname defaults to Config.Hostname.
	Hostname string
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
	call, err := p.instances.startOnce(ctx, dir, p.cfg.StartTimeout, func(ctx context.Context) (Instance, error) {
		return p.startInstance(ctx, dir, opts)
	})
	if err != nil {
		return Instance{}, err
	}
	select {
	case <-call.done:
		return call.in, call.err
	case <-ctx.Done():
		return Instance{}, &Error{Code: ETIMEOUT, Err: ctx.Err(), Message: fmt.Sprintf(
			"Stopped waiting for OpenCode for %s to be ready (%v); its start goes on: list the instances to see when it runs", dir, ctx.Err())}
	}
}

// checkDirectory checks that dir is an existing folder given by an absolute
// path where an instance may work (see checkFolder), and returns it with its
// symlinks resolved: a folder has one instance whatever path names it.
func (p *Portal) checkDirectory(dir string) (string, error) {
	if strings.TrimSpace(dir) == "" {
		return "", Errorf(EINVALID, "Directory required: give the absolute path of a project folder")
	}
	if strings.ContainsRune(dir, 0) {
		return "", Errorf(EINVALID, "Invalid directory: it contains a NUL byte")
	}
	clean := filepath.Clean(dir)
	if !filepath.IsAbs(clean) {
		return "", Errorf(EINVALID, "Directory %q is not an absolute path", dir)
	}
	fi, err := os.Stat(clean)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return "", Errorf(EINVALID, "Directory %s does not exist", clean)
	case err != nil:
		return "", Errorf(EINVALID, "Directory %s can not be used: %v", clean, err)
	case !fi.IsDir():
		return "", Errorf(EINVALID, "%s is not a directory", clean)
	}
	resolved, err := filepath.EvalSymlinks(clean)
	if err != nil {
		return "", Errorf(EINVALID, "Directory %s can not be used: %v", clean, err)
	}
	if err := p.checkFolder(resolved); err != nil {
		return "", err
	}
	return resolved, nil
}

// startInstance does StartInstance's work for one folder at a time.
func (p *Portal) startInstance(ctx context.Context, dir string, opts StartOptions) (Instance, error) {
	if err := p.instances.open(); err != nil {
		return Instance{}, err
	}
	for attempt := 1; ; attempt++ {
		r, err := p.reserve(ctx, dir, opts)
		if err != nil {
			if s := p.instances.byDir(dir); s != nil && errors.Is(err, registry.ErrCorrupt) {
				return p.existingInstance(ctx, s.entry) // still ours, though the registry is damaged
			}
			return Instance{}, err
		}
		switch {
		case r.existing != nil:
			in, err := p.existingInstance(ctx, *r.existing)
			if err != nil || in.State != StateStarting || p.instances.get(in.ID) != nil || !ownerAlive(r.existing.Owner) {
				return in, err
			}
			fallthrough // another portal is starting it: wait until it answers or fails
		case r.wait: // another portal is starting this folder
			if err := sleep(ctx, 200*time.Millisecond); err != nil {
				return Instance{}, Errorf(ETIMEOUT, "Waiting for another portal to start %s: %v", dir, err)
			}
			continue
		}
		e := r.entry
		if err := os.MkdirAll(filepath.Dir(e.LogFile), 0o700); err != nil {
			p.removeEntry(e.ID)
			return Instance{}, Errorf(EINTERNAL, "Creating the log folder for %s: %v", dir, err)
		}
		proc, err := supervisor.Start(ctx, p.supervisorOptions(e))
		if err != nil {
			p.removeEntry(e.ID)
			// A port picked for us was taken meanwhile: pick another.
			if opts.Port == 0 && attempt < 3 && !supervisor.PortFree(e.Hostname, e.OpencodePort) {
				continue
			}
			return Instance{}, startError(dir, err)
		}
		if err := p.instances.add(e, proc, true); err != nil {
			proc.Stop(context.WithoutCancel(ctx))
			p.removeEntry(e.ID)
			return Instance{}, err
		}
		return p.supervisedInstance(e, proc), nil
	}
}

// reservation is what reserve found or wrote for a folder.
type reservation struct {
	existing *registry.Entry // the folder's live instance
	wait     bool            // another portal is starting the folder
	entry    registry.Entry  // else: the new entry, written without a pid
}

// reserve, under the registry lock, looks for the folder's live instance
// and otherwise picks a port and writes a new entry owned by this Portal,
// so that no other start takes the folder or the port meanwhile.
func (p *Portal) reserve(ctx context.Context, dir string, opts StartOptions) (reservation, error) {
	var r reservation
	err := p.registry.Update(ctx, func(f *registry.File) error {
		kept := make([]registry.Entry, 0, len(f.Instances)+1)
		live := 0
		for _, e := range f.Instances {
			if filepath.Clean(e.Directory) != dir && resolveDir(e.Directory) != dir {
				kept = append(kept, e)
				if p.occupies(e) {
					live++
				}
				continue
			}
			switch {
			case p.instances.get(e.ID) != nil, serving(e), pidAlive(e.WebPID):
				r.existing = &e
				return errUnchanged
			case ownerAlive(e.Owner) && e.State == StateStarting:
				r.wait = true
				return errUnchanged
			}
			// A dead instance of this folder: its entry is replaced.
		}
		if limit := p.cfg.MaxInstances; limit > 0 && live >= limit {
			return Errorf(ECONFLICT, "%d instances run already, the most allowed (Config.MaxInstances, portal serve --max-instances); stop one first, or raise the limit", live)
		}
		host := cmp.Or(opts.Hostname, p.cfg.Hostname)
		port, err := p.pickPort(kept, host, opts.Port)
		if err != nil {
			return err
		}
		id := randomID()
		r.entry = registry.Entry{
			ID:           id,
			Name:         cmp.Or(opts.Name, filepath.Base(dir)),
			Directory:    dir,
			OpencodePort: port,
			Hostname:     host,
			StartedAt:    timestamp(time.Now()),
			InstanceType: "process",
			Password:     randomPassword(),
			Owner:        p.instances.owner,
			LogFile:      filepath.Join(p.instances.logDir, id+".log"),
			State:        StateStarting,
		}
		f.Instances = append(kept, r.entry)
		return nil
	})
	if err == nil && r.existing == nil && !r.wait {
		p.instanceEnded(r.entry.OpencodePort, true) // whatever was kept for the port's last instance
	}
	p.forgetEntries()
	if errors.Is(err, errUnchanged) {
		err = nil
	}
	if err != nil {
		err = registryError(err)
	}
	return r, err
}

// occupies reports whether an entry's instance counts against
// Config.MaxInstances: its OpenCode runs, or is being started or restarted.
func (p *Portal) occupies(e registry.Entry) bool {
	if s := p.instances.get(e.ID); s != nil {
		st := s.proc.Status().State
		return st != supervisor.StateCrashed && st != supervisor.StateStopped
	}
	state, _ := entryState(e, func() bool { return false }) // starting and running alike
	return e.InstanceType != "docker" && (state == StateStarting || state == StateRunning)
}

// pickPort returns port if it is free, or the first free port from
// Config.FirstPort when port is 0. Ports of registered instances count as
// taken.
func (p *Portal) pickPort(entries []registry.Entry, host string, port int) (int, error) {
	taken := make(map[int]string)
	for _, e := range entries {
		taken[e.OpencodePort] = e.Name
		if e.Port != nil {
			taken[*e.Port] = e.Name
		}
	}
	if port != 0 {
		if name, ok := taken[port]; ok {
			return 0, Errorf(ECONFLICT, "Port %d is already used by instance %q; choose another port, or none to pick a free one", port, name)
		}
		if !supervisor.PortFree(host, port) {
			return 0, Errorf(ECONFLICT, "Port %d on %s is in use by another program; choose another port, or none to pick a free one", port, host)
		}
		return port, nil
	}
	port, err := supervisor.FreePort(host, p.cfg.FirstPort, func(port int) bool { _, ok := taken[port]; return ok })
	if err != nil {
		return 0, Errorf(EUNAVAILABLE, "No port to start OpenCode on: %v", err)
	}
	return port, nil
}

// existingInstance returns the live instance found for a folder; one of
// ours that is down is restarted.
func (p *Portal) existingInstance(ctx context.Context, e registry.Entry) (Instance, error) {
	s := p.instances.get(e.ID)
	if s == nil {
		in, _ := p.describe(ctx, e)
		return in, nil
	}
	if st := s.proc.Status().State; st == supervisor.StateCrashed || st == supervisor.StateStopped {
		if err := s.proc.Restart(ctx); err != nil {
			return Instance{}, startError(e.Directory, err)
		}
	}
	return p.supervisedInstance(e, s.proc), nil
}

// startError turns a failed start into an *Error that says why, with the
// last lines OpenCode printed.
func startError(dir string, err error) error {
	var output string
	reason := err
	var se *supervisor.StartError
	if errors.As(err, &se) {
		reason = se.Err
		if len(se.Output) > 0 {
			output = "; its last output:\n" + strings.Join(se.Output, "\n")
		}
	}
	switch {
	case errors.Is(err, supervisor.ErrStartTimeout):
		return &Error{Code: ETIMEOUT, Err: err, Message: fmt.Sprintf(
			"OpenCode for %s did not become ready in time%s", dir, output)}
	case errors.Is(err, supervisor.ErrExited):
		return &Error{Code: EUNAVAILABLE, Err: err, Message: fmt.Sprintf(
			"OpenCode for %s failed to start: %v; check its configuration and that its port is free%s", dir, reason, output)}
	case errors.Is(err, context.DeadlineExceeded):
		return &Error{Code: ETIMEOUT, Err: err, Message: fmt.Sprintf(
			"OpenCode for %s was not ready within the start timeout (Config.StartTimeout)%s", dir, output)}
	case errors.Is(err, context.Canceled):
		return &Error{Code: ETIMEOUT, Err: err, Message: fmt.Sprintf(
			"Starting OpenCode for %s was cancelled before it was ready (its caller left, or the portal closed); start it again%s", dir, output)}
	case errors.Is(err, supervisor.ErrStopped):
		return &Error{Code: ECONFLICT, Err: err, Message: fmt.Sprintf(
			"The instance for %s was stopped meanwhile; start it again", dir)}
	}
	return &Error{Code: EINTERNAL, Err: err, Message: fmt.Sprintf(
		"Starting OpenCode for %s failed: %v; check Config.OpenCodeBin (or OPENCODE_BIN)", dir, err)}
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
		sup := p.instances.all()
		if len(sup) == 0 {
			return nil, registryError(err)
		}
		p.log.Warn("listing only the instances supervised here: the registry can not be read", "err", err)
		list := make([]Instance, 0, len(sup))
		for _, s := range sup {
			if in := p.supervisedInstance(s.entry, s.proc); o.All || in.State != StateCrashed && in.State != StateStopped {
				list = append(list, in)
			}
		}
		return list, nil
	}
	out := make([]Instance, len(f.Instances))
	live := make([]bool, len(f.Instances))
	var wg sync.WaitGroup
	for i, e := range f.Instances {
		if e.InstanceType == "docker" {
			continue // containers of old CLIs: this portal can not check or drive them
		}
		wg.Go(func() { out[i], live[i] = p.describe(ctx, e) })
	}
	wg.Wait()
	list := out[:0]
	for i, in := range out {
		up := live[i] && in.State != StateCrashed && in.State != StateStopped
		if f.Instances[i].InstanceType != "docker" && (up || o.All) {
			list = append(list, in)
		}
	}
	return list, nil
}

// StopInstance stops the instance with this id or OpenCode port (SIGTERM to
// its process group, SIGKILL after Config.StopTimeout) and removes it from
// the registry.
func (p *Portal) StopInstance(ctx context.Context, idOrPort string) error {
	e, err := p.findEntry(idOrPort)
	if err != nil {
		return err
	}
	if s := p.instances.take(e.ID); s != nil {
		err = s.proc.Stop(ctx)
	} else {
		for _, pid := range []*int{e.OpencodePID, e.WebPID} {
			if pid != nil && procfs.Alive(*pid) && (pid == e.WebPID || supervisor.Serves(*pid, e.OpencodePort)) {
				err = errors.Join(err, supervisor.Terminate(ctx, *pid, p.cfg.StopTimeout))
			}
		}
		if e.LogFile != "" {
			os.Remove(e.LogFile)
		}
	}
	if err != nil {
		return Errorf(EINTERNAL, "Stopping instance %s failed: %v", e.ID, err)
	}
	if err := p.removeEntry(e.ID); err != nil {
		return Errorf(EINTERNAL, "Instance %s stopped, but removing it from the registry failed: %v", e.ID, err)
	}
	return nil
}

// RestartInstance stops the instance with this id or OpenCode port and
// starts it again on the same port with a new password, and returns once it
// answers. An instance no live portal supervises is taken over.
func (p *Portal) RestartInstance(ctx context.Context, idOrPort string) (Instance, error) {
	e, err := p.findEntry(idOrPort)
	if err != nil {
		return Instance{}, err
	}
	if s := p.instances.get(e.ID); s != nil {
		if err := s.proc.Restart(ctx); err != nil {
			return Instance{}, startError(e.Directory, err)
		}
		return p.supervisedInstance(e, s.proc), nil
	}
	if err := p.instances.open(); err != nil {
		return Instance{}, err
	}
	// Claim the entry first, so the portal that supervised it lets it go.
	old := e
	err = p.updateEntry(ctx, e.ID, false, func(e *registry.Entry) {
		e.Owner, e.OpencodePID, e.State = p.instances.owner, nil, StateStarting
		if e.LogFile == "" {
			e.LogFile = filepath.Join(p.instances.logDir, e.ID+".log")
		}
		e.Password = randomPassword() // each start has its own
	})
	if err != nil {
		return Instance{}, registryError(err)
	}
	if old.OpencodePID != nil && procfs.Alive(*old.OpencodePID) && supervisor.Serves(*old.OpencodePID, old.OpencodePort) {
		if err := supervisor.Terminate(ctx, *old.OpencodePID, p.cfg.StopTimeout); err != nil {
			return Instance{}, Errorf(EINTERNAL, "Stopping instance %s failed: %v", e.ID, err)
		}
	}
	if e, err = p.findEntry(e.ID); err != nil {
		return Instance{}, err
	}
	if err := os.MkdirAll(filepath.Dir(e.LogFile), 0o700); err != nil {
		return Instance{}, Errorf(EINTERNAL, "Creating the log folder: %v", err)
	}
	proc, err := supervisor.Start(ctx, p.supervisorOptions(e))
	if err != nil {
		return Instance{}, startError(e.Directory, err)
	}
	if err := p.instances.add(e, proc, true); err != nil {
		proc.Stop(context.WithoutCancel(ctx))
		return Instance{}, err
	}
	return p.supervisedInstance(e, proc), nil
}

// InstanceLogs returns up to tail of the last lines the instance printed
// (all that are kept for tail <= 0).
func (p *Portal) InstanceLogs(ctx context.Context, idOrPort string, tail int) ([]string, error) {
	e, err := p.findEntry(idOrPort)
	if err != nil {
		return nil, err
	}
	if s := p.instances.get(e.ID); s != nil {
		return s.proc.Logs(tail), nil
	}
	if e.LogFile == "" {
		return nil, Errorf(ENOTFOUND, "Instance %s has no captured output: it was not started by a portal", e.ID)
	}
	lines, err := supervisor.TailFile(e.LogFile, tail)
	if errors.Is(err, os.ErrNotExist) {
		return nil, Errorf(ENOTFOUND, "Instance %s has no captured output: its log file %s is gone", e.ID, e.LogFile)
	}
	if err != nil {
		return nil, Errorf(EINTERNAL, "Reading the output of instance %s: %v", e.ID, err)
	}
	return lines, nil
}

// Clean removes from the registry the instances that are down: crashed or
// stopped, whoever supervises them, or with their processes gone; and
// returns them. It stops nothing.
func (p *Portal) Clean(ctx context.Context) ([]Instance, error) {
	var removed []Instance
	held := make(map[int]bool) // the ports of the instances kept
	err := p.registry.Update(ctx, func(f *registry.File) error {
		removed = nil
		clear(held)
		kept := f.Instances[:0:0]
		for _, e := range f.Instances {
			if e.InstanceType != "docker" && !p.occupies(e) {
				in, _ := p.describe(ctx, e)
				removed = append(removed, in)
				continue
			}
			kept = append(kept, e)
			held[e.OpencodePort] = true
		}
		if len(removed) == 0 {
			return errUnchanged
		}
		f.Instances = kept
		return nil
	})
	p.forgetEntries()
	if err != nil && !errors.Is(err, errUnchanged) {
		return nil, registryError(err)
	}
	for _, in := range removed {
		p.instances.letGo(in.ID)
		if !held[in.Port] {
			p.instanceEnded(in.Port, true)
		}
	}
	return removed, nil
}

// findEntry returns the registry entry with this id, or with this OpenCode
// port when idOrPort has 1 to 5 digits.
func (p *Portal) findEntry(idOrPort string) (registry.Entry, error) {
	if idOrPort == "" {
		return registry.Entry{}, Errorf(EINVALID, "Instance id or port required")
	}
	port := 0
	if len(idOrPort) <= 5 && strings.Trim(idOrPort, "0123456789") == "" {
		port, _ = strconv.Atoi(idOrPort)
	}
	f, err := p.registry.Read()
	if err != nil {
		// Those supervised here are still known.
		for _, s := range p.instances.all() {
			if s.entry.ID == idOrPort || (port != 0 && s.entry.OpencodePort == port) {
				return s.entry, nil
			}
		}
		return registry.Entry{}, registryError(err)
	}
	for _, e := range f.Instances {
		if e.ID == idOrPort || (port != 0 && e.OpencodePort == port) {
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
	if s := p.instances.get(e.ID); s != nil {
		return p.supervisedInstance(e, s.proc), true
	}
	state, known := entryState(e, func() bool { return p.healthy(ctx, e) })
	in := instanceFromEntry(e, state)
	if state == StateCrashed || state == StateStopped {
		in.PID = nil // the entry keeps the last one; none runs
	}
	return in, known
}

// entryState derives the state of an instance supervised by another portal
// (or by none) from its registry entry and the liveness of its process, as
// every portal process does, so that all read it as its own portal does:
//
//   - while that portal lives, the state it recorded holds (starting covers
//     a restart awaited), unless it says running of a process that is gone;
//   - else a live OpenCode process is running if it answers the health
//     check (healthy), starting if not; a live web UI of the original CLI
//     is running;
//   - else a recorded crashed or stopped holds, whoever recorded it;
//   - else the process is gone: stopped, and unknown (false).
func entryState(e registry.Entry, healthy func() bool) (string, bool) {
	alive := serving(e)
	switch {
	case e.State != "" && ownerAlive(e.Owner) && (alive || e.State != StateRunning):
		return e.State, true
	case alive:
		if healthy() {
			return StateRunning, true
		}
		return StateStarting, true
	case pidAlive(e.WebPID):
		return StateRunning, true
	case e.State == StateCrashed || e.State == StateStopped:
		return e.State, true
	}
	return StateStopped, false
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

// supervisedInstance returns the instance for an entry supervised here.
func (p *Portal) supervisedInstance(e registry.Entry, proc *supervisor.Process) Instance {
	st := proc.Status()
	in := instanceFromEntry(e, string(st.State))
	in.PID = nil
	if st.PID > 0 {
		in.PID = &st.PID
	}
	if st.Port > 0 {
		in.Port = st.Port
		in.URL = instanceURL(e.Hostname, st.Port)
	}
	if !st.StartedAt.IsZero() {
		in.StartedAt = timestamp(st.StartedAt)
	}
	in.Restarts, in.LastExit = st.Restarts, lastExit(st)
	return in
}

// lastExit says how the supervised process last exited, or "".
func lastExit(st supervisor.Status) string {
	if st.LastExit == nil {
		return ""
	}
	return st.LastExit.String()
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
		InstanceType: "process",
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

func pidAlive(pid *int) bool { return pid != nil && procfs.Alive(*pid) }

// serving reports whether the entry's OpenCode process is alive: its pid is
// alive and runs `serve` on the entry's port (not a process that reused the
// pid).
func serving(e registry.Entry) bool {
	return pidAlive(e.OpencodePID) && supervisor.Serves(*e.OpencodePID, e.OpencodePort)
}

// timestamp formats t as the original CLI does (JavaScript's toISOString).
func timestamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
