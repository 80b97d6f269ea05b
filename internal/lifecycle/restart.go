package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"time"

	"github.com/opencode-portal/portal/internal/procfs"
	"github.com/opencode-portal/portal/internal/registry"
	"github.com/opencode-portal/portal/internal/ringlog"
)

// logLines is how many output lines a supervised instance keeps, over all
// its runs.
const logLines = 1000

// supervision is what a supervised instance is told by its Manager.
type supervision struct {
	Policy Policy
	// MayRestart is asked before each restart by policy; false leaves the
	// instance stopped (its owner removed it, or another portal took it).
	MayRestart func() bool
	// NewPassword is called before every start but the first; its answer
	// replaces the entry's password, so that no run's password outlives it.
	NewPassword func(ctx context.Context) (string, error)
	// Notify is told every change of state, pid or port, one call at a
	// time. It must not call the Run's methods.
	Notify func(Status)
	Logger *slog.Logger
	// Ready tells when a started OpenCode answers (default: with the
	// default timeouts).
	Ready *readiness
}

// keptRun is the Run of an instance: it starts its Runner's Procs one
// after another, restarting a failed one with backoff by the policy, until
// Stop or Detach. It works alike for every Runner.
type keptRun struct {
	runner  Runner
	sv      supervision
	history *ringlog.Lines // the output of the runs before the current one

	mu     sync.Mutex
	status Status
	cur    Proc  // the current run, nil between runs
	end    error // nil while supervised; then errStopping or errDetached
	stopBy context.Context

	// Owned by the loop goroutine (and the first start before it).
	entry       registry.Entry // its password is the current run's
	failures    int            // failed runs in a row
	stopErr     error
	restartReqs chan restartReq

	ctx    context.Context // cancelled by Stop and Detach
	cancel context.CancelFunc
	done   chan struct{} // closed when the loop returned
}

type restartReq struct {
	ctx   context.Context
	reply chan error
}

var (
	errStopping = errors.New("stopping")
	errDetached = errors.New("detached")
)

func newKeptRun(runner Runner, e registry.Entry, sv supervision) *keptRun {
	sv.Policy = sv.Policy.withDefaults()
	if sv.Logger == nil {
		sv.Logger = slog.New(slog.DiscardHandler)
	}
	if sv.Ready == nil {
		sv.Ready = newReadiness(0, 0)
	}
	s := &keptRun{
		runner:      runner,
		sv:          sv,
		history:     ringlog.New(logLines),
		entry:       e,
		status:      Status{State: StateStarting, Port: e.OpencodePort},
		restartReqs: make(chan restartReq),
		done:        make(chan struct{}),
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s
}

// supervise starts the entry's OpenCode with runner and returns its Run
// once it answers. A failed start leaves nothing running.
func supervise(ctx context.Context, runner Runner, e registry.Entry, sv supervision) (Run, error) {
	s := newKeptRun(runner, e, sv)
	if err := s.start(ctx); err != nil {
		s.cancel()
		return nil, err
	}
	go s.loop()
	return s, nil
}

// adopt supervises the entry's OpenCode that runs already.
func adopt(ctx context.Context, runner Runner, e registry.Entry, sv supervision) (Run, error) {
	s := newKeptRun(runner, e, sv)
	p, err := runner.Adopt(ctx, s.spec())
	if err != nil {
		s.cancel()
		return nil, err
	}
	s.cur = p
	s.setStatus(func(st *Status) {
		st.State, st.PID, st.Container, st.Port = StateRunning, p.PID(), p.Container(), p.Port()
	})
	go s.loop()
	return s, nil
}

// spec is what the runner is asked to start or adopt.
func (s *keptRun) spec() Spec {
	return Spec{
		Entry: s.entry,
		Spawned: func(pid int, container string) {
			s.setStatus(func(st *Status) { st.State, st.PID, st.Container = StateStarting, pid, container })
			s.notify()
		},
		Logger: s.sv.Logger,
		ready:  s.sv.Ready,
	}
}

// start starts one run and waits until it answers.
func (s *keptRun) start(ctx context.Context) error {
	p, err := s.runner.Start(ctx, s.spec())
	if err != nil {
		var se *StartError
		if errors.As(err, &se) {
			s.history.Add(se.Output...)
		}
		s.setStatus(func(st *Status) { st.State, st.PID = StateCrashed, 0 })
		return err
	}
	now := time.Now()
	s.mu.Lock()
	s.cur = p
	s.status.State, s.status.PID, s.status.Container, s.status.Port, s.status.StartedAt = StateRunning, p.PID(), p.Container(), p.Port(), now
	s.mu.Unlock()
	s.notify()
	return nil
}

// loop notices the exit of each run and serves restart requests, until
// Stop or Detach.
func (s *keptRun) loop() {
	defer close(s.done)
	for {
		var exited <-chan struct{}
		if p := s.current(); p != nil {
			exited = p.Done()
		}
		select {
		case <-s.ctx.Done():
			s.finish()
			return
		case req := <-s.restartReqs:
			req.reply <- s.restart(req.ctx)
		case <-exited:
			s.exitedOnItsOwn()
		}
	}
}

func (s *keptRun) current() Proc {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cur
}

// ended keeps the output of the current run, which ended, and forgets it.
func (s *keptRun) ended() Proc {
	s.mu.Lock()
	p := s.cur
	s.cur = nil
	s.mu.Unlock()
	s.history.Add(p.Logs(0)...)
	return p
}

// exitedOnItsOwn records an exit nobody asked for and applies the restart
// policy: status 0 is a stop, anything else a failure.
func (s *keptRun) exitedOnItsOwn() {
	exit, clean := s.ended().Exit()
	st := s.Status()
	s.sv.Logger.Warn("opencode exited", "pid", st.PID, "status", exit)
	if st.StartedAt.IsZero() || time.Since(st.StartedAt) >= maxBackoff {
		s.failures = 0 // a long run (or an adopted one): start counting again
	}
	state := StateCrashed
	if clean {
		state = StateStopped
	}
	s.setStatus(func(st *Status) { st.State, st.PID, st.LastExit = state, 0, exit })
	s.notify() // a crash is told even when a restart follows
	if state == StateStopped || !s.sv.Policy.OnFailure {
		return
	}
	s.recover()
}

// recover restarts a failed instance with backoff until a run answers, the
// restarts in a row reach the maximum (state crashed), or Stop or Detach.
func (s *keptRun) recover() {
	for {
		if !s.mayRestart() {
			return
		}
		if s.failures >= s.sv.Policy.MaxRestarts {
			s.sv.Logger.Error("opencode keeps failing; not restarting it", "restarts", s.failures)
			s.setStatus(func(st *Status) { st.State, st.PID = StateCrashed, 0 })
			s.notify()
			return
		}
		delay := s.sv.Policy.delay(s.failures)
		s.failures++
		s.setStatus(func(st *Status) { st.State, st.PID = StateStarting, 0 })
		s.notify()
		s.sv.Logger.Info("restarting opencode", "in", delay, "attempt", s.failures)
		if sleep(s.ctx, delay) != nil || !s.mayRestart() {
			return
		}
		s.setStatus(func(st *Status) { st.Restarts++ })
		if err := s.renewPassword(s.ctx); err != nil {
			s.sv.Logger.Warn("opencode not restarted: no new password", "err", err)
			s.setStatus(func(st *Status) { st.State = StateCrashed })
			if s.ctx.Err() != nil {
				return
			}
			continue
		}
		if err := s.start(s.ctx); err == nil || s.ctx.Err() != nil {
			return
		}
	}
}

// mayRestart asks MayRestart; on a no the instance is left stopped.
func (s *keptRun) mayRestart() bool {
	if s.sv.MayRestart == nil || s.sv.MayRestart() {
		return true
	}
	s.sv.Logger.Info("opencode not restarted: its owner says no")
	s.setStatus(func(st *Status) { st.State, st.PID = StateStopped, 0 })
	s.notify()
	return false
}

// restart replaces the run (if any) with a new one on request.
func (s *keptRun) restart(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(s.ctx, cancel)()
	if p := s.current(); p != nil {
		if err := p.Stop(ctx); err != nil {
			return err
		}
		exit, _ := s.ended().Exit()
		s.setStatus(func(st *Status) { st.LastExit = exit })
	}
	s.failures = 0
	s.setStatus(func(st *Status) { st.Restarts++ })
	if err := s.renewPassword(ctx); err != nil {
		s.setStatus(func(st *Status) { st.State, st.PID = StateCrashed, 0 })
		return &StartError{Err: fmt.Errorf("a new password for the restart: %w", err)}
	}
	return s.start(ctx)
}

// renewPassword gives the next run a new password, when NewPassword is set.
func (s *keptRun) renewPassword(ctx context.Context) error {
	if s.sv.NewPassword == nil {
		return nil
	}
	pw, err := s.sv.NewPassword(ctx)
	if err != nil {
		return err
	}
	s.entry.Password = pw
	return nil
}

// finish ends supervision: on Stop it stops the run and removes its output;
// on Detach it leaves the run going.
func (s *keptRun) finish() {
	s.mu.Lock()
	why, stopBy := s.end, s.stopBy
	s.mu.Unlock()
	p := s.current()
	if errors.Is(why, errDetached) {
		if p != nil {
			p.Detach()
		}
		s.sv.Logger.Info("opencode left running", "pid", s.Status().PID)
		return
	}
	if p != nil {
		s.stopErr = p.Stop(stopBy)
		exit, _ := s.ended().Exit()
		s.setStatus(func(st *Status) { st.LastExit = exit })
	}
	if err := s.runner.Remove(s.entry); err != nil {
		s.sv.Logger.Warn("remove what the instance kept", "err", err)
	}
	s.setStatus(func(st *Status) { st.State, st.PID = StateStopped, 0 })
	s.notify()
}

// Holds reports whether the socket at addr is the current run's.
func (s *keptRun) Holds(addr netip.AddrPort) error {
	p := s.current()
	if p == nil {
		return procfs.ErrNoListener
	}
	return p.Holds(addr)
}

// Status returns where the run is now.
func (s *keptRun) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.status
}

// Logs returns up to n of the newest output lines of all runs, oldest
// first; all that are kept for n <= 0.
func (s *keptRun) Logs(n int) []string {
	all := s.history.Tail(0)
	if p := s.current(); p != nil {
		all = append(all, p.Logs(0)...)
	}
	if len(all) > logLines {
		all = all[len(all)-logLines:]
	}
	if n > 0 && n < len(all) {
		all = all[len(all)-n:]
	}
	return all
}

// Restart stops the running OpenCode (if any) and starts it again, also
// from the crashed state, and returns once it answers.
func (s *keptRun) Restart(ctx context.Context) error {
	req := restartReq{ctx: ctx, reply: make(chan error, 1)}
	select {
	case s.restartReqs <- req:
	case <-s.done:
		return ErrStopped
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-req.reply:
		return err
	case <-s.done:
		return ErrStopped
	}
}

// Stop ends supervision and OpenCode: gracefully, or at once when ctx
// ends. Calling it again does nothing.
func (s *keptRun) Stop(ctx context.Context) error {
	s.ending(errStopping, ctx)
	<-s.done
	return s.stopErr
}

// Detach ends supervision and leaves OpenCode running. It does nothing
// after Stop.
func (s *keptRun) Detach() {
	s.ending(errDetached, nil)
	<-s.done
}

// ending records why supervision ends, once, and cancels the loop.
func (s *keptRun) ending(why error, stopBy context.Context) {
	s.mu.Lock()
	if s.end == nil {
		s.end, s.stopBy = why, stopBy
	}
	s.mu.Unlock()
	s.cancel()
}

func (s *keptRun) setStatus(change func(*Status)) {
	s.mu.Lock()
	change(&s.status)
	s.mu.Unlock()
}

func (s *keptRun) notify() {
	if s.sv.Notify != nil {
		s.sv.Notify(s.Status())
	}
}
