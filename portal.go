package portal

import (
	"cmp"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/opencode-portal/portal/internal/dockerrun"
	"github.com/opencode-portal/portal/internal/lifecycle"
	"github.com/opencode-portal/portal/internal/opencode"
	"github.com/opencode-portal/portal/internal/registry"
)

// Config configures a Portal. Its zero value works: New fills in defaults.
type Config struct {
	// RegistryPath is the instance registry file. Default: $PORTAL_REGISTRY,
	// else ~/.portal.json (the original Portal's file).
	RegistryPath string
	// OpenCodeBin is the opencode executable. Default: $OPENCODE_BIN, else
	// "opencode" looked up on PATH.
	OpenCodeBin string
	// Hostname is the address instances bind to. Default 127.0.0.1.
	Hostname string
	// FirstPort is the first port tried for a new instance. Default 3100.
	FirstPort int
	// RequestTimeout bounds each ordinary call to OpenCode. Default 30s.
	// Prompts and event streams are bounded by their context instead.
	RequestTimeout time.Duration
	// ProbeTimeout bounds each health probe. Default 2s.
	ProbeTimeout time.Duration
	// Env is added to the environment of the instances the Portal starts,
	// which is this program's less its own settings (every PORTAL_*
	// variable, OPENCODE_BIN): OpenCode's agent runs commands with it.
	Env []string
	// Logger receives structured logs. Default: discard.
	Logger *slog.Logger
	// MaxReadSize is the largest file, in bytes, that ReadFile returns;
	// larger ones are refused with ETOOLARGE. Default DefaultMaxReadSize
	// (1 MiB).
	MaxReadSize int64
	// Restart says what happens to an instance whose OpenCode exits on its
	// own: RestartNever (default) leaves it crashed; RestartOnFailure starts
	// it again after RestartBackoff (default 1s, doubling up to 30s), at
	// most MaxRestarts (default 5) times in a row.
	Restart        RestartPolicy
	MaxRestarts    int
	RestartBackoff time.Duration
	// StartTimeout bounds an instance's start until it answers. Default 60s.
	StartTimeout time.Duration
	// StopTimeout is how long a stopping instance gets between SIGTERM and
	// SIGKILL. Default 5s.
	StopTimeout time.Duration
	// AllowedRoots are the folders instances may work in, with those below
	// them; each must be an existing folder given by an absolute path (its
	// symlinks are resolved). Empty: any folder but the system folders
	// (/bin, /boot, /dev, /etc, /lib*, /proc, /root, /run, /sbin, /sys,
	// /usr, /var) and what is below them, and but /, /home, /tmp and the
	// user's home folder themselves (their subfolders are allowed). Folders
	// that hold the registry file are always refused.
	AllowedRoots []string
	// MaxInstances is how many instances may run at once in the registry;
	// a start beyond it is refused with ECONFLICT. Default
	// DefaultMaxInstances; less than zero for no limit.
	MaxInstances int
	// StopOnClose makes Close stop the instances this Portal started. By
	// default they keep running, like the original CLI's, and the next
	// Portal adopts them.
	StopOnClose bool
	// DefaultRuntime is how an instance runs when its start names no
	// runtime: RuntimeProcess (the default) or RuntimeDocker.
	DefaultRuntime Runtime
	// Docker configures the instances run in containers.
	Docker DockerConfig
}

// DefaultRegistryPath returns the registry file a zero Config.RegistryPath
// means: $PORTAL_REGISTRY, else ~/.portal.json.
func DefaultRegistryPath() (string, error) {
	if path := os.Getenv("PORTAL_REGISTRY"); path != "" {
		return path, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", Errorf(EINVALID, "no registry path: set Config.RegistryPath or PORTAL_REGISTRY (%v)", err)
	}
	return filepath.Join(home, ".portal.json"), nil
}

// withDefaults returns c with every zero field set to its default.
func (c Config) withDefaults() (Config, error) {
	if c.RegistryPath == "" {
		path, err := DefaultRegistryPath()
		if err != nil {
			return c, err
		}
		c.RegistryPath = path
	}
	c.OpenCodeBin = cmp.Or(c.OpenCodeBin, os.Getenv("OPENCODE_BIN"), "opencode")
	c.Hostname = cmp.Or(c.Hostname, "127.0.0.1")
	c.FirstPort = cmp.Or(c.FirstPort, 3100)
	c.RequestTimeout = cmp.Or(c.RequestTimeout, 30*time.Second)
	c.ProbeTimeout = cmp.Or(c.ProbeTimeout, 2*time.Second)
	c.Restart = cmp.Or(c.Restart, RestartNever)
	if c.Restart != RestartNever && c.Restart != RestartOnFailure {
		return c, Errorf(EINVALID, "Invalid restart policy %q: use %q or %q", c.Restart, RestartNever, RestartOnFailure)
	}
	c.StartTimeout = cmp.Or(c.StartTimeout, time.Minute)
	c.StopTimeout = cmp.Or(c.StopTimeout, 5*time.Second)
	c.MaxInstances = cmp.Or(c.MaxInstances, DefaultMaxInstances)
	c.DefaultRuntime = cmp.Or(c.DefaultRuntime, RuntimeProcess)
	if c.DefaultRuntime != RuntimeProcess && c.DefaultRuntime != RuntimeDocker {
		return c, Errorf(EINVALID, "Invalid default runtime %q: use %q or %q", c.DefaultRuntime, RuntimeProcess, RuntimeDocker)
	}
	if err := checkLimits(c.Docker.CPUs, c.Docker.Memory); err != nil {
		return c, err
	}
	if err := checkImage(c.Docker.Image); err != nil {
		return c, err
	}
	roots, err := resolveRoots(c.AllowedRoots)
	if err != nil {
		return c, err
	}
	c.AllowedRoots = roots
	if c.MaxReadSize <= 0 {
		c.MaxReadSize = DefaultMaxReadSize
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return c, nil
}

// Portal runs and drives OpenCode instances. It is safe for concurrent use.
type Portal struct {
	cfg       Config
	log       *slog.Logger
	registry  *registry.Registry
	transport *http.Transport // shared by every instance's client

	mu      sync.Mutex
	entries registryCache
	clients map[string]cachedClient // by address: one per instance port

	// subsystems
	prompts *prompts           // sync prompt calls, detached from their callers
	life    *lifecycle.Manager // the instances: started, adopted, supervised here
	docker  *dockerrun.Runner  // runs the docker instances, connected to the Engine at its first need
	events  *eventHubs         // one shared live event stream per instance
	lists   *sessionLists      // each instance's own session listing, kept while its events tell of no change
	git     *gitRepos          // one git repository handle per worktree
}

// New returns a Portal configured by cfg.
func New(cfg Config) (*Portal, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	p := &Portal{
		cfg:       cfg,
		log:       cfg.Logger,
		registry:  registry.New(cfg.RegistryPath),
		transport: opencode.NewTransport(),
		clients:   make(map[string]cachedClient),
	}
	p.transport.DialContext = p.guardDial(p.transport.DialContext)
	// subsystems
	p.prompts = newPrompts()
	p.events = newEventHubs()
	p.lists = newSessionLists()
	p.git = newGitRepos()
	p.docker = p.newDockerRunner()
	if p.life, err = p.newLifecycle(); err != nil {
		p.docker.Close()
		return nil, err
	}
	return p, nil
}

// Config returns the Portal's configuration with defaults filled in.
func (p *Portal) Config() Config { return p.cfg }

// Close releases the Portal's resources. Instances keep running, for the
// next Portal to adopt, unless Config.StopOnClose is set: then those this
// Portal started are stopped.
func (p *Portal) Close() error {
	err := p.life.Close(p.cfg.StopOnClose)
	p.lists.close()
	p.events.close()
	p.prompts.close()
	p.transport.CloseIdleConnections()
	return errors.Join(err, p.docker.Close())
}
