// Package supervisor starts and supervises `opencode serve` processes.
//
// Each process runs in its own session and process group with stdin closed and its
// output appended to a log file, which a goroutine follows into a bounded
// ring of lines (a file, not a pipe, so the process can outlive this
// program). It is ready once it printed its listening line and answers its
// health check. A crash is noticed within a tenth of a second and, by
// policy, restarted with backoff. Stop sends SIGTERM to the group and
// SIGKILL after a grace period; a failed start leaves no process behind.
package supervisor

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/opencode-portal/portal/internal/opencode"
	"github.com/opencode-portal/portal/internal/procfs"
)

const (
	startPoll        = 10 * time.Millisecond  // output and exit checks while starting
	monitorPoll      = 100 * time.Millisecond // output and exit checks while running
	startErrorLines  = 30                     // output lines in a StartError
	killWait         = 10 * time.Second       // how long SIGKILL may take
	adoptOutputBytes = 64 << 10               // output read back when adopting
)

// ErrDetached means the process is no longer supervised by this Process.
var ErrDetached = errors.New("instance is no longer supervised here")

// Status is a snapshot of a supervised process.
type Status struct {
	State     State
	PID       int // 0 when no process runs
	Port      int
	Restarts  int         // starts after the first one
	LastExit  *ExitStatus // how the last run ended, nil if none did
	StartedAt time.Time   // start of the current run (zero for an adopted one)
}

// Process supervises one `opencode serve`, restarting it by policy until
// Stop or Detach. Its methods are safe for concurrent use.
type Process struct {
	opts   Options
	client *http.Client
	ring   *ring

	mu     sync.Mutex
	status Status
	end    error // nil while supervised; then errStopping or ErrDetached

	// Owned by the goroutine that runs the process: Start or Adopt, then
	// the monitor.
	cur         *proc
	tail        *tailer
	failures    int // failed runs in a row
	username    string
	password    string
	stopErr     error
	restartReqs chan restartReq

	ctx      context.Context // cancelled by Stop and Detach
	cancel   context.CancelFunc
	killNow  chan struct{} // closed when Stop's context ends: skip the grace period
	killOnce sync.Once
	done     chan struct{} // closed when the monitor returned
}

type restartReq struct {
	ctx   context.Context
	reply chan error
}

var errStopping = errors.New("stopping")

func newProcess(opts Options) (*Process, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	_, env := opts.command(opts.Port)
	p := &Process{
		opts: opts,
		client: &http.Client{Transport: &http.Transport{
			Proxy:             nil,
			DisableKeepAlives: true,
		}},
		ring:        newRing(opts.LogLines),
		username:    lookupEnv(env, "OPENCODE_SERVER_USERNAME"),
		password:    lookupEnv(env, "OPENCODE_SERVER_PASSWORD"),
		restartReqs: make(chan restartReq),
		killNow:     make(chan struct{}),
		done:        make(chan struct{}),
		status:      Status{State: StateStarting, Port: opts.Port},
	}
	if p.username == "" {
		p.username = "opencode"
	}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	return p, nil
}

// Start starts opts.Bin serve and returns once it is ready, then supervises
// it. ctx bounds the start (as does opts.StartTimeout), not the process.
// A failed start returns a *StartError and leaves no process behind.
func Start(ctx context.Context, opts Options) (*Process, error) {
	p, err := newProcess(opts)
	if err != nil {
		return nil, err
	}
	if err := p.openLog(true); err != nil {
		return nil, err
	}
	if err := p.launch(ctx); err != nil {
		p.cancel()
		p.tail.close()
		os.Remove(p.opts.LogFile)
		return nil, err
	}
	go p.monitor()
	return p, nil
}

// Adopt supervises an `opencode serve` this program did not start: pid
// must be alive and opts.Hostname:opts.Port must answer OpenCode's health
// check, else the error wraps ErrNotRunning. Its output is followed if it
// goes to opts.LogFile (if set). If it fails, the restart policy starts it
// again as a child of this program.
func Adopt(ctx context.Context, opts Options, pid int) (*Process, error) {
	if opts.Port == 0 {
		return nil, fmt.Errorf("adopt pid %d: no port given", pid)
	}
	p, err := newProcess(opts)
	if err != nil {
		return nil, err
	}
	if !procfs.Alive(pid) {
		return nil, fmt.Errorf("%w: pid %d is gone", ErrNotRunning, pid)
	}
	pctx, cancel := context.WithTimeout(ctx, p.opts.ProbeTimeout)
	err = heldProbe(pctx, p.client, pid, p.URL(), p.username, p.password)
	cancel()
	if err != nil {
		return nil, fmt.Errorf("%w: port %d: %v", ErrNotRunning, opts.Port, err)
	}
	if p.opts.LogFile != "" {
		if p.tail, err = openTailer(p.opts.LogFile, adoptOutputBytes); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("follow output file: %w", err)
		}
		p.ring.add(p.tail.poll()...)
	}
	p.cur = adopted(pid)
	p.setStatus(func(s *Status) { s.State, s.PID = StateRunning, pid })
	go p.monitor()
	return p, nil
}

// openLog creates (or with truncate empties) the log file, a new temporary
// one if none was given, and follows it.
func (p *Process) openLog(truncate bool) error {
	if p.opts.LogFile == "" {
		f, err := os.CreateTemp("", "opencode-*.log")
		if err != nil {
			return fmt.Errorf("create output file: %w", err)
		}
		f.Close()
		p.opts.LogFile = f.Name()
	}
	flags := os.O_WRONLY | os.O_CREATE
	if truncate {
		flags |= os.O_TRUNC
	}
	f, err := os.OpenFile(p.opts.LogFile, flags, 0o600)
	if err != nil {
		return fmt.Errorf("create output file: %w", err)
	}
	f.Close()
	if p.tail, err = openTailer(p.opts.LogFile, 0); err != nil {
		return fmt.Errorf("follow output file: %w", err)
	}
	return nil
}

// Status returns the current status.
func (p *Process) Status() Status {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.status
	if s.LastExit != nil {
		e := *s.LastExit
		s.LastExit = &e
	}
	return s
}

// URL is the base URL the server answers on.
func (p *Process) URL() string {
	return opencode.BaseURL(p.opts.Hostname, p.Status().Port)
}

// Logs returns up to n of the newest output lines, oldest first; n <= 0
// returns all that are kept.
func (p *Process) Logs(n int) []string {
	return p.ring.tail(n)
}

// Stop ends supervision and the process: SIGTERM to its process group, then
// SIGKILL after the grace period, or at once when ctx ends. It waits until
// the process is reaped and removes the log file. Calling it again does
// nothing; after Detach it returns ErrDetached.
func (p *Process) Stop(ctx context.Context) error {
	if err := p.ending(errStopping); errors.Is(err, ErrDetached) {
		return err
	}
	select {
	case <-p.done:
	case <-ctx.Done():
		p.killOnce.Do(func() { close(p.killNow) })
		<-p.done
	}
	return p.stopErr
}

// Detach ends supervision and leaves the process running, to be adopted
// later. It does nothing after Stop.
func (p *Process) Detach() {
	p.ending(ErrDetached)
	<-p.done
}

// ending records why supervision ends, once, and cancels the monitor. It
// returns the reason that won.
func (p *Process) ending(why error) error {
	p.mu.Lock()
	if p.end == nil {
		p.end = why
	}
	why = p.end
	p.mu.Unlock()
	p.cancel()
	return why
}

// Restart stops the running process gracefully (if any) and starts it
// again, also from the crashed state. It returns once the new one is ready;
// cancelling ctx aborts the new start.
func (p *Process) Restart(ctx context.Context) error {
	req := restartReq{ctx: ctx, reply: make(chan error, 1)}
	select {
	case p.restartReqs <- req:
	case <-p.done:
		return ErrStopped
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-req.reply:
		return err
	case <-p.done:
		return ErrStopped
	}
}

func (p *Process) setStatus(change func(*Status)) {
	p.mu.Lock()
	change(&p.status)
	p.mu.Unlock()
}

func (p *Process) notify() {
	if p.opts.Notify != nil {
		p.opts.Notify(p.Status())
	}
}

// launch spawns the process and waits until it is ready. On failure the
// process is killed and reaped, and the error is a *StartError.
func (p *Process) launch(ctx context.Context) error {
	ctx, cancel := context.WithTimeoutCause(ctx, p.opts.StartTimeout, ErrStartTimeout)
	defer cancel()
	if p.tail == nil { // adopted without a log file
		if err := p.openLog(false); err != nil {
			return &StartError{Err: err}
		}
	}
	port := p.Status().Port
	argv, env := p.opts.command(port)
	recent := newRing(startErrorLines)
	pr, err := spawn(argv, env, p.opts.Dir, p.opts.LogFile)
	if err != nil {
		p.setStatus(func(s *Status) { s.State, s.PID = StateCrashed, 0 })
		return &StartError{Err: fmt.Errorf("run %s: %w", argv[0], err)}
	}
	p.setStatus(func(s *Status) { s.State, s.PID = StateStarting, pr.pid })
	p.notify()
	p.opts.Logger.Info("opencode starting", "pid", pr.pid, "dir", p.opts.Dir, "port", port)

	port, err = p.waitReady(ctx, pr, port, recent)
	if err != nil {
		exit, _ := terminate(pr, 0, nil, p.opts.Logger)
		lines := append(p.tail.poll(), p.tail.flush()...)
		p.ring.add(lines...)
		recent.add(lines...)
		p.setStatus(func(s *Status) { s.State, s.PID, s.LastExit = StateCrashed, 0, &exit })
		p.opts.Logger.Warn("opencode failed to start", "pid", pr.pid, "err", err)
		return &StartError{Err: err, Output: recent.tail(0)}
	}
	p.cur = pr
	now := time.Now()
	p.setStatus(func(s *Status) { s.State, s.Port, s.StartedAt = StateRunning, port, now })
	p.notify()
	p.opts.Logger.Info("opencode ready", "pid", pr.pid, "url", p.URL())
	return nil
}

// waitReady follows the output until the listening line, then probes the
// health check until it answers, and returns the port. It fails when the
// process exits or ctx ends.
func (p *Process) waitReady(ctx context.Context, pr *proc, port int, recent *ring) (int, error) {
	tick := time.NewTicker(startPoll)
	defer tick.Stop()
	listening := false
	attempt := p.opts.ProbeTimeout
	var probeErr error
	for {
		lines := p.tail.poll()
		p.ring.add(lines...)
		recent.add(lines...)
		for _, l := range lines {
			if lp, ok := parseListening(l); ok && !listening {
				listening = true
				if port == 0 {
					port = lp
				}
			}
		}
		if gone, exit := pr.exited(); gone {
			return 0, fmt.Errorf("%w (%s)", ErrExited, exit)
		}
		if listening && port == 0 {
			return 0, fmt.Errorf("the listening line names no port")
		}
		if listening {
			pctx, cancel := context.WithTimeout(ctx, attempt)
			err := heldProbe(pctx, p.client, pr.pid, opencode.BaseURL(p.opts.Hostname, port), p.username, p.password)
			cancel()
			if err == nil {
				return port, nil
			}
			if probeErr == nil || ctx.Err() == nil { // keep the last answer not cut short by ctx
				probeErr = err
			}
			// An early probe can hang; a slow machine deserves longer ones.
			if errors.Is(err, context.DeadlineExceeded) {
				attempt = min(2*attempt, 4*p.opts.ProbeTimeout)
			}
		}
		select {
		case <-ctx.Done():
			err := context.Cause(ctx)
			switch {
			case probeErr != nil:
				return 0, fmt.Errorf("%w: last health check: %v", err, probeErr)
			case !listening:
				return 0, fmt.Errorf("%w: no listening line printed", err)
			}
			return 0, err
		case <-tick.C:
		}
	}
}

// terminate ends pr and any process left in its group: SIGTERM, then
// SIGKILL after grace (at once for grace 0) or when killNow closes. It
// returns once pr is reaped, or fails after killWait.
func terminate(pr *proc, grace time.Duration, killNow <-chan struct{}, log *slog.Logger) (ExitStatus, error) {
	sig := syscall.SIGTERM
	if grace <= 0 {
		sig = syscall.SIGKILL
	}
	_ = pr.signal(sig)
	graceEnd := time.NewTimer(grace)
	defer graceEnd.Stop()
	var killed <-chan time.Time
	if sig == syscall.SIGKILL {
		killed = time.After(killWait)
		graceEnd.Stop()
	}
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	kill := func() {
		killNow = nil
		if killed == nil {
			_ = pr.signal(syscall.SIGKILL)
			killed = time.After(killWait)
		}
	}
	for {
		if gone, exit := pr.exited(); gone {
			if !pr.groupGone() {
				kill()
				for !pr.groupGone() {
					select {
					case <-tick.C:
					case <-killed:
						log.Error("processes left in group after SIGKILL", "pgid", pr.pid)
						return exit, fmt.Errorf("processes of group %d survived SIGKILL", pr.pid)
					}
				}
			}
			return exit, nil
		}
		select {
		case <-tick.C:
		case <-graceEnd.C:
			kill()
		case <-killNow:
			kill()
		case <-killed:
			log.Error("process survived SIGKILL", "pid", pr.pid)
			return ExitStatus{Code: -1, Time: time.Now()}, fmt.Errorf("pid %d did not exit after SIGKILL", pr.pid)
		}
	}
}

// Terminate ends a process this program does not supervise, and its process
// group if it leads one: SIGTERM, then SIGKILL after grace or when ctx ends.
// A pid that is already gone is not an error.
func Terminate(ctx context.Context, pid int, grace time.Duration) error {
	if !procfs.Alive(pid) {
		return nil
	}
	pr := adopted(pid)
	_, err := terminate(pr, grace, ctx.Done(), slog.New(slog.DiscardHandler))
	return err
}
