package portal

import (
	"errors"
	"path/filepath"

	"github.com/opencode-portal/portal/internal/dockerrun"
	"github.com/opencode-portal/portal/internal/lifecycle"
)

// RestartPolicy says what happens to an instance whose OpenCode exits on
// its own (a crash, a kill): anything but a stop through the portal or an
// exit with status 0.
type RestartPolicy string

// The restart policies.
const (
	RestartNever     RestartPolicy = "never"      // leave it crashed (the default)
	RestartOnFailure RestartPolicy = "on-failure" // start it again, with backoff
)

// newLifecycle returns the lifecycle of the Portal's instances, run as
// local processes or in containers, having adopted those no live portal
// supervises.
func (p *Portal) newLifecycle() (*lifecycle.Manager, error) {
	cfg := p.cfg
	m, err := lifecycle.New(lifecycle.Config{
		Registry: p.registry,
		Runners: map[string]lifecycle.Runner{
			lifecycle.ProcessType: lifecycle.ProcessRunner{
				Bin:         cfg.OpenCodeBin,
				Env:         cfg.Env,
				StopTimeout: cfg.StopTimeout,
			},
			dockerrun.Type: p.docker,
		},
		LogDir:       filepath.Join(filepath.Dir(cfg.RegistryPath), ".portal-logs"),
		FirstPort:    cfg.FirstPort,
		MaxInstances: cfg.MaxInstances,
		StartTimeout: cfg.StartTimeout,
		ProbeTimeout: cfg.ProbeTimeout,
		StopTimeout:  cfg.StopTimeout,
		Policy: lifecycle.Policy{
			OnFailure:   cfg.Restart == RestartOnFailure,
			MaxRestarts: cfg.MaxRestarts,
			Backoff:     cfg.RestartBackoff,
		},
		Logger:   p.log,
		Changed:  p.instanceChanged,
		Released: func(port int) { p.instanceEnded(port, true) },
		Written:  p.forgetEntries,
	})
	if err != nil {
		return nil, lifecycleError(err)
	}
	return m, nil
}

// instanceChanged tells the subscribers of an instance supervised here its
// new state; what was kept for it goes when it is down.
func (p *Portal) instanceChanged(id string, s lifecycle.Status) {
	p.events.instanceChanged(id, s.Port, s.State)
	if s.State == StateStopped || s.State == StateCrashed {
		p.instanceEnded(s.Port, false)
	}
}

// forgetEntries drops the cached registry read after a write.
func (p *Portal) forgetEntries() {
	p.mu.Lock()
	p.entries = registryCache{}
	p.mu.Unlock()
}

// lifecycleCode is the error code of a kind of lifecycle error.
func lifecycleCode(k lifecycle.Kind) string {
	switch k {
	case lifecycle.Conflict:
		return ECONFLICT
	case lifecycle.Unavailable:
		return EUNAVAILABLE
	case lifecycle.Timeout:
		return ETIMEOUT
	case lifecycle.NotFound:
		return ENOTFOUND
	}
	return EINTERNAL
}

// lifecycleHint is the Hint of a lifecycle error's hint.
func lifecycleHint(h lifecycle.Hint) Hint {
	switch h {
	case lifecycle.HintMaxInstances:
		return HintMaxInstances
	case lifecycle.HintStartTimeout:
		return HintStartTimeout
	case lifecycle.HintOpenCodeBin:
		return HintOpenCodeBin
	}
	return ""
}

// lifecycleError turns an error of the lifecycle into an *Error; others
// (nil, an *Error) are returned as they are.
func lifecycleError(err error) error {
	var le *lifecycle.Error
	if !errors.As(err, &le) {
		return err
	}
	return &Error{Code: lifecycleCode(le.Kind), Message: le.Message, Err: le.Err, Hint: lifecycleHint(le.Hint)}
}

// registryError is the *Error for a failed read or update of the registry.
// A damaged registry is never written over: the message says how to repair
// it.
func registryError(err error) error {
	var pe *Error
	if errors.As(err, &pe) {
		return err
	}
	return lifecycleError(lifecycle.RegistryError(err))
}
