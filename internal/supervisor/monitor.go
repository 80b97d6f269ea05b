package supervisor

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"
)

// monitor follows the output, notices the exit of the process and serves
// restart requests, until Stop or Detach.
func (p *Process) monitor() {
	defer close(p.done)
	tick := time.NewTicker(monitorPoll)
	defer tick.Stop()
	for {
		select {
		case <-p.ctx.Done():
			p.finish()
			return
		case req := <-p.restartReqs:
			req.reply <- p.restart(req.ctx)
		case <-tick.C:
			p.ring.add(p.tail.poll()...)
			if p.cur == nil {
				continue
			}
			if gone, exit := p.cur.exited(); gone {
				p.cur = nil
				p.ring.add(append(p.tail.poll(), p.tail.flush()...)...)
				p.exitedOnItsOwn(exit)
			}
		}
	}
}

// exitedOnItsOwn records an exit nobody asked for and applies the restart
// policy: status 0 is a stop, anything else a failure.
func (p *Process) exitedOnItsOwn(exit ExitStatus) {
	st := p.Status()
	p.opts.Logger.Warn("opencode exited", "pid", st.PID, "status", exit.String())
	if st.StartedAt.IsZero() || time.Since(st.StartedAt) >= p.opts.Restart.MaxBackoff {
		p.failures = 0 // a long run (or an adopted one): start counting again
	}
	state := StateCrashed
	if exit.clean() {
		state = StateStopped
	}
	p.setStatus(func(s *Status) { s.State, s.PID, s.LastExit = state, 0, &exit })
	p.notify() // a crash is told even when a restart follows
	if state == StateStopped || p.opts.Restart.Mode != RestartOnFailure {
		return
	}
	p.recover()
}

// recover restarts a failed process with backoff until a run gets ready, the
// restarts in a row reach the maximum (state crashed), or Stop or Detach.
func (p *Process) recover() {
	for {
		if !p.mayRestart() {
			return
		}
		if p.failures >= p.opts.Restart.MaxRestarts {
			p.opts.Logger.Error("opencode keeps failing; not restarting it", "restarts", p.failures)
			p.setStatus(func(s *Status) { s.State, s.PID = StateCrashed, 0 })
			p.notify()
			return
		}
		delay := p.opts.Restart.delay(p.failures)
		p.failures++
		p.setStatus(func(s *Status) { s.State, s.PID = StateStarting, 0 })
		p.notify()
		p.opts.Logger.Info("restarting opencode", "in", delay, "attempt", p.failures)
		t := time.NewTimer(delay)
		select {
		case <-p.ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		if !p.mayRestart() {
			return
		}
		p.setStatus(func(s *Status) { s.Restarts++ })
		if err := p.renewPassword(p.ctx); err != nil {
			p.opts.Logger.Warn("opencode not restarted: no new password", "err", err)
			p.setStatus(func(s *Status) { s.State = StateCrashed })
			if p.ctx.Err() != nil {
				return
			}
			continue
		}
		if err := p.launch(p.ctx); err == nil || p.ctx.Err() != nil {
			return
		}
	}
}

// mayRestart asks Options.MayRestart; on a no the process is left stopped.
func (p *Process) mayRestart() bool {
	if p.opts.MayRestart == nil || p.opts.MayRestart() {
		return true
	}
	p.opts.Logger.Info("opencode not restarted: its owner says no")
	p.setStatus(func(s *Status) { s.State, s.PID = StateStopped, 0 })
	p.notify()
	return false
}

// restart replaces the process (if any) with a new one on request.
func (p *Process) restart(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(p.ctx, cancel)()
	if p.cur != nil {
		exit, err := terminate(p.cur, p.opts.StopTimeout, p.killNow, p.opts.Logger)
		if err != nil {
			return err
		}
		p.cur = nil
		p.ring.add(append(p.tail.poll(), p.tail.flush()...)...)
		p.setStatus(func(s *Status) { s.LastExit = &exit })
	}
	p.failures = 0
	p.setStatus(func(s *Status) { s.Restarts++ })
	if err := p.renewPassword(ctx); err != nil {
		p.setStatus(func(s *Status) { s.State, s.PID = StateCrashed, 0 })
		return &StartError{Err: fmt.Errorf("a new password for the restart: %w", err)}
	}
	return p.launch(ctx)
}

// renewPassword gives the next run a new password, when Options.NewPassword
// is set.
func (p *Process) renewPassword(ctx context.Context) error {
	if p.opts.NewPassword == nil {
		return nil
	}
	pw, err := p.opts.NewPassword(ctx)
	if err != nil {
		return err
	}
	p.opts.Password, p.password = pw, pw
	return nil
}

// finish ends supervision: on Stop it terminates the process and removes the
// log file; on Detach it leaves both.
func (p *Process) finish() {
	p.mu.Lock()
	why := p.end
	p.mu.Unlock()
	if errors.Is(why, ErrDetached) {
		p.tail.close()
		p.opts.Logger.Info("opencode left running", "pid", p.Status().PID)
		return
	}
	if p.cur != nil {
		exit, err := terminate(p.cur, p.opts.StopTimeout, p.killNow, p.opts.Logger)
		p.stopErr = err
		p.cur = nil
		p.setStatus(func(s *Status) { s.LastExit = &exit })
	}
	p.ring.add(append(p.tail.poll(), p.tail.flush()...)...)
	p.tail.close()
	if p.opts.LogFile != "" {
		if err := os.Remove(p.opts.LogFile); err != nil && !errors.Is(err, fs.ErrNotExist) {
			p.opts.Logger.Warn("remove output file", "err", err)
		}
	}
	p.setStatus(func(s *Status) { s.State, s.PID = StateStopped, 0 })
	p.notify()
}
