package supervisor

import (
	"errors"
	"time"
)

// monitor follows the output and notices the exit of the process, until it
// exits, Stop or Detach.
func (p *Process) monitor() {
	defer close(p.done)
	tick := time.NewTicker(monitorPoll)
	defer tick.Stop()
	for {
		select {
		case <-p.ctx.Done():
			p.finish()
			return
		case <-tick.C:
			p.follow(false)
			if gone, exit := p.cur.exited(); gone {
				p.cur, p.left = nil, p.cur
				p.follow(true)
				p.closeTail()
				p.exitedOnItsOwn(exit)
				return
			}
		}
	}
}

// exitedOnItsOwn records an exit nobody asked for: status 0 is a stop,
// anything else a crash.
func (p *Process) exitedOnItsOwn(exit ExitStatus) {
	state := StateCrashed
	if exit.Clean() {
		state = StateStopped
	}
	p.setStatus(func(s *Status) { s.State, s.PID, s.LastExit = state, 0, &exit })
	p.notify()
}

// finish ends supervision: on Stop it terminates the process; on Detach it
// leaves it running.
func (p *Process) finish() {
	p.mu.Lock()
	why := p.end
	p.mu.Unlock()
	if errors.Is(why, ErrDetached) {
		p.closeTail()
		p.opts.Logger.Info("opencode left running", "pid", p.Status().PID)
		return
	}
	exit, err := terminate(p.cur, p.opts.StopTimeout, p.killNow, p.opts.Logger)
	p.stopErr = err
	p.cur = nil
	p.follow(true)
	p.closeTail()
	p.setStatus(func(s *Status) { s.State, s.PID, s.LastExit = StateStopped, 0, &exit })
	p.notify()
}
