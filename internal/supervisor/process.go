// Package supervisor runs `opencode serve` processes, one run at a time.
//
// Each process runs in its own session and process group with stdin closed and its
// output appended to a log file, which a goroutine follows into a bounded
// ring of lines (a file, not a pipe, so the process can outlive this
// program). Whether OpenCode in it is ready is the caller's to tell
// (package lifecycle's, the same for every kind of run), as is whether to
// start it again. Its exit is noticed within a tenth of a second and closes
// Done. Stop sends SIGTERM to the group and SIGKILL after a grace period.
package supervisor

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/opencode-portal/portal/internal/opencode"
	"github.com/opencode-portal/portal/internal/procfs"
	"github.com/opencode-portal/portal/internal/ringlog"
)

const (
	monitorPoll      = 100 * time.Millisecond // output and exit checks while running
	killWait         = 10 * time.Second       // how long SIGKILL may take
	portWait         = 2 * time.Second        // how long a stop waits for its port to come free
	adoptOutputBytes = 64 << 10               // output read back when adopting
)

// ErrDetached means the process is no longer supervised by this Process.
var ErrDetached = errors.New("instance is no longer supervised here")

// Status is a snapshot of a supervised process.
type Status struct {
	State     State
	PID       int // 0 when no process runs
	Port      int
	LastExit  *ExitStatus // how the process ended, nil while it runs
	StartedAt time.Time   // when it was spawned (zero for an adopted one)
}

// Process is one run of `opencode serve`, from its start (or adoption) to
// its exit, Stop or Detach. Its methods are safe for concurrent use.
type Process struct {
	opts Options
	ring *ringlog.Lines

	tailMu sync.Mutex // guards tail: the monitor and Logs read the output
	tail   *tailer    // nil once closed

	mu     sync.Mutex
	status Status
	end    error // nil while supervised; then errStopping or ErrDetached

	// Owned by the goroutine that runs the process: Start or Adopt, then
	// the monitor.
	cur     *proc
	left    *proc // the process that exited on its own: its group may live on
	stopErr error

	ctx      context.Context // cancelled by Stop and Detach
	cancel   context.CancelFunc
	killNow  chan struct{} // closed when Stop's context ends: skip the grace period
	killOnce sync.Once
	leftOnce sync.Once     // Stop ends what is left of the group of a process that exited
	done     chan struct{} // closed when the monitor returned
}

var errStopping = errors.New("stopping")

func newProcess(opts Options) (*Process, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	p := &Process{
		opts:    opts,
		ring:    ringlog.New(opts.LogLines),
		killNow: make(chan struct{}),
		done:    make(chan struct{}),
		status:  Status{State: StateStarting, Port: opts.Port},
	}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	return p, nil
}

// Start starts opts.Bin serve and returns once it runs, then follows it
// until it exits. Its output is appended to opts.LogFile, and followed from
// the file's end. A failed start leaves no process behind, nor the log file
// if it made it. An ended ctx starts nothing.
func Start(ctx context.Context, opts Options) (*Process, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p, err := newProcess(opts)
	if err != nil {
		return nil, err
	}
	newLog, err := p.openLog()
	if err != nil {
		return nil, err
	}
	if err := p.launch(); err != nil {
		p.cancel()
		p.closeTail()
		if newLog {
			p.removeLog()
		}
		return nil, err
	}
	go p.monitor()
	return p, nil
}

// Adopt supervises an `opencode serve` this program did not start: pid
// must be alive, else the error wraps ErrNotRunning. Whether it is the
// OpenCode on opts.Port is the caller's to tell. Its output is followed if
// it goes to opts.LogFile (if set). An ended ctx adopts nothing.
func Adopt(ctx context.Context, opts Options, pid int) (*Process, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p, err := newProcess(opts)
	if err != nil {
		return nil, err
	}
	if !procfs.Alive(pid) {
		return nil, fmt.Errorf("%w: pid %d is gone", ErrNotRunning, pid)
	}
	if p.opts.LogFile != "" {
		if p.tail, err = openTailer(p.opts.LogFile, adoptOutputBytes); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("follow output file: %w", err)
		}
		p.ring.Add(p.tail.poll()...)
	}
	p.cur = adopted(pid)
	p.setStatus(func(s *Status) { s.State, s.PID = StateRunning, pid })
	go p.monitor()
	return p, nil
}

// openLog creates the log file, a new temporary one if none was given, and
// follows it from its end. It reports whether it created the file.
func (p *Process) openLog() (created bool, err error) {
	if p.opts.LogFile == "" {
		f, err := os.CreateTemp("", "opencode-*.log")
		if err != nil {
			return false, fmt.Errorf("create output file: %w", err)
		}
		f.Close()
		p.opts.LogFile = f.Name()
	}
	if _, err := os.Stat(p.opts.LogFile); errors.Is(err, fs.ErrNotExist) {
		created = true
	}
	f, err := os.OpenFile(p.opts.LogFile, os.O_WRONLY|os.O_CREATE, 0o600)
	if err != nil {
		return false, fmt.Errorf("create output file: %w", err)
	}
	f.Close()
	if p.tail, err = openTailer(p.opts.LogFile, 0); err != nil {
		return false, fmt.Errorf("follow output file: %w", err)
	}
	return created, nil
}

// follow adds the output written since the last look to the ring; with
// last, also an unfinished last line (the writer is gone).
func (p *Process) follow(last bool) {
	p.tailMu.Lock()
	defer p.tailMu.Unlock()
	p.ring.Add(p.tail.poll()...)
	if last {
		p.ring.Add(p.tail.flush()...)
	}
}

// closeTail stops following the output.
func (p *Process) closeTail() {
	p.tailMu.Lock()
	defer p.tailMu.Unlock()
	p.tail.close()
	p.tail = nil
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

// Logs returns up to n of the newest output lines, oldest first, up to
// what was written just now; n <= 0 returns all that are kept.
func (p *Process) Logs(n int) []string {
	p.follow(false)
	return p.ring.Tail(n)
}

// Done is closed once the process exited (on its own, or by Stop) or was
// detached; Status then says how it ended.
func (p *Process) Done() <-chan struct{} { return p.done }

// Stop ends the process: SIGTERM to its process group, then SIGKILL after
// the grace period, or at once when ctx ends; after the process exited on
// its own, SIGKILL to what is left of its group. It waits until the process
// is reaped and, when it was running, until its port can be bound again
// (AwaitPortFree), and removes the log file. Calling it again does
// nothing; after Detach it returns ErrDetached.
func (p *Process) Stop(ctx context.Context) error {
	st := p.Status()
	running := st.State == StateRunning || st.State == StateStarting // its port is its own
	if err := p.ending(errStopping); errors.Is(err, ErrDetached) {
		return err
	}
	select {
	case <-p.done:
	case <-ctx.Done():
		p.killOnce.Do(func() { close(p.killNow) })
		<-p.done
	}
	p.leftOnce.Do(func() {
		if p.left != nil && !p.left.groupGone() {
			_, p.stopErr = terminate(p.left, 0, nil, p.opts.Logger)
		}
		if running && p.stopErr == nil && ctx.Err() == nil {
			p.awaitPortFree(st.Port)
		}
	})
	p.removeLog()
	return p.stopErr
}

// awaitPortFree is AwaitPortFree for the port the process served on until
// it was stopped; a port still taken is logged.
func (p *Process) awaitPortFree(port int) {
	if !AwaitPortFree(p.opts.Hostname, port) {
		p.opts.Logger.Warn("port still taken after opencode stopped", "port", port, "waited", portWait)
	}
}

// removeLog removes the log file.
func (p *Process) removeLog() {
	if p.opts.LogFile == "" {
		return
	}
	if err := os.Remove(p.opts.LogFile); err != nil && !errors.Is(err, fs.ErrNotExist) {
		p.opts.Logger.Warn("remove output file", "err", err)
	}
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

// launch spawns the process.
func (p *Process) launch() error {
	port := p.Status().Port
	argv, env := p.opts.command(port)
	pr, err := spawn(argv, env, p.opts.Dir, p.opts.LogFile)
	if err != nil {
		p.setStatus(func(s *Status) { s.State, s.PID = StateCrashed, 0 })
		return fmt.Errorf("run %s: %w", argv[0], err)
	}
	p.cur = pr
	p.setStatus(func(s *Status) { s.State, s.PID = StateStarting, pr.pid })
	p.notify()
	p.opts.Logger.Info("opencode starting", "pid", pr.pid, "dir", p.opts.Dir, "port", port)
	now := time.Now()
	p.setStatus(func(s *Status) { s.State, s.StartedAt = StateRunning, now })
	p.notify()
	return nil
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

// AwaitPortFree waits, up to 2 s, until port on hostname can be bound
// again after the OpenCode that served on it was ended, and reports whether
// it can. A child OpenCode started in a session of its own, out of the
// group a stop signals, holds the listening socket it inherited until it
// runs its program: a stop that came between the two would otherwise
// return with the port still taken, and a start on it fail. A port still
// taken after that was taken by another program.
func AwaitPortFree(hostname string, port int) bool {
	if port <= 0 {
		return true
	}
	deadline := time.Now().Add(portWait)
	for !PortFree(hostname, port) {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
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
