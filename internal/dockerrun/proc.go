package dockerrun

import (
	"context"
	"fmt"
	"net/netip"
	"sync"
	"syscall"
	"time"

	"github.com/opencode-portal/portal/internal/docker"
	"github.com/opencode-portal/portal/internal/registry"
	"github.com/opencode-portal/portal/internal/ringlog"
)

// outputLines is how many output lines a run keeps.
const outputLines = 1000

// cleanupTimeout bounds the Engine calls made once a container exited.
const cleanupTimeout = 30 * time.Second

// proc is one run of an instance's container, followed through the
// Engine's wait and log APIs until it exits (it is then removed), Stop or
// Detach.
type proc struct {
	c           *docker.Client
	st          docker.ContainerState // as it started (or was adopted)
	port        int
	stopTimeout time.Duration
	lines       *ringlog.Lines
	proxy       *proxyCache // the runner's

	ctx    context.Context // ends on Detach
	cancel context.CancelFunc
	done   chan struct{}

	mu    sync.Mutex
	exit  string
	clean bool
}

// follow follows the running container st of e, starting with the last
// tail lines of its output (all for tail < 0).
func (r *Runner) follow(c *docker.Client, e registry.Entry, st docker.ContainerState, tail int) *proc {
	p := &proc{
		c:           c,
		st:          st,
		port:        e.OpencodePort,
		stopTimeout: r.StopTimeout,
		lines:       ringlog.New(outputLines),
		proxy:       &r.proxies,
		done:        make(chan struct{}),
	}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	logged := make(chan struct{})
	go func() {
		defer close(logged)
		if err := c.FollowLogs(p.ctx, st.ID, tail, func(l string) { p.lines.Add(l) }); err != nil {
			p.lines.Add("portal: reading the container's output failed: " + err.Error())
		}
	}()
	go p.wait(logged)
	return p
}

// wait waits for the container's exit, records it once its output is
// read, removes the container and closes done. On Detach it only closes
// done.
func (p *proc) wait(logged <-chan struct{}) {
	defer close(p.done)
	code, err := p.c.WaitContainer(p.ctx, p.st.ID)
	if p.ctx.Err() != nil {
		<-logged
		return // detached
	}
	select {
	case <-logged:
	case <-time.After(time.Second): // the output stream outlived the container
		p.cancel()
		<-logged
	}
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	exit := exitStatus(code)
	if err != nil {
		exit = "the Docker Engine stopped telling: " + err.Error()
	} else if st, err := p.c.InspectContainer(ctx, p.st.ID); err == nil && st.OOMKilled {
		exit += " (out of memory)"
	}
	if err := p.c.RemoveContainer(ctx, p.st.ID); err != nil {
		p.lines.Add("portal: removing the exited container failed: " + err.Error())
	}
	p.mu.Lock()
	p.exit, p.clean = exit, err == nil && code == 0
	p.mu.Unlock()
	p.cancel()
}

// exitStatus says how a container's main process ended, as a process's
// would be told: an exit code above 128 is a signal.
func exitStatus(code int) string {
	if code > 128 && code < 128+65 {
		return "signal: " + syscall.Signal(code-128).String()
	}
	return fmt.Sprintf("exit status %d", code)
}

func (p *proc) PID() int              { return p.st.Pid }
func (p *proc) Container() string     { return p.st.ID }
func (p *proc) Port() int             { return p.port }
func (p *proc) Done() <-chan struct{} { return p.done }
func (p *proc) Logs(n int) []string   { return p.lines.Tail(n) }

func (p *proc) Exit() (string, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.exit, p.clean
}

// Holds reports whether the socket at addr is the one the Engine publishes
// for the container.
func (p *proc) Holds(addr netip.AddrPort) error {
	select {
	case <-p.done:
		return fmt.Errorf("container %s has exited", docker.ShortID(p.st.ID))
	default:
	}
	return p.proxy.holds(p.st, p.port, addr)
}

// Stop stops the container, gracefully within the stop timeout or at once
// when ctx ends, and waits until it is removed.
func (p *proc) Stop(ctx context.Context) error {
	bg := context.WithoutCancel(ctx)
	stopped := make(chan error, 1)
	go func() { stopped <- p.c.StopContainer(bg, p.st.ID, p.stopTimeout) }()
	select {
	case err := <-stopped:
		if err != nil && !notFound(err) {
			return err
		}
	case <-ctx.Done():
		if err := p.c.KillContainer(bg, p.st.ID); err != nil && !notFound(err) {
			return err
		}
	case <-p.done:
	}
	<-p.done
	return nil
}

// Detach stops following the container and leaves it running.
func (p *proc) Detach() {
	p.cancel()
	<-p.done
}
