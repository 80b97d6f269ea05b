package portal

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"github.com/distribution/reference"

	"github.com/opencode-portal/portal/internal/docker"
	"github.com/opencode-portal/portal/internal/dockerrun"
	"github.com/opencode-portal/portal/internal/lifecycle"
)

// Runtime says how an instance's OpenCode runs.
type Runtime string

// The runtimes.
const (
	RuntimeProcess Runtime = "process" // a local process, as the user (the default)
	RuntimeDocker  Runtime = "docker"  // a container of the Docker Engine, which sees only the project folder
)

// DockerConfig configures the instances run in containers (RuntimeDocker).
// Its zero value works where a Docker Engine answers and holds the
// portal's image (`portal image build`).
type DockerConfig struct {
	// Host is the Docker Engine's address, as in DOCKER_HOST
	// ("unix:///var/run/docker.sock"). Default: $DOCKER_HOST, else the
	// default socket.
	Host string
	// Image is the image the containers run: one whose entrypoint is
	// OpenCode. Default: the portal's image of Config.OpenCodeBin's
	// version (portal-opencode:<version>), built by `portal image build`.
	Image string
	// CPUs and Memory are each container's limits when a start gives
	// none: CPUs (1.5 is one and a half) and bytes; 0 for no limit.
	CPUs   float64
	Memory int64
}

// minMemory is the least memory limit the Docker Engine accepts.
const minMemory = 6 << 20

// instanceRuntime checks the runtime and limits a start asks for, with the
// Config's defaults, and returns them as the lifecycle takes them; the
// hostname is the one the instance is reached at.
func (p *Portal) instanceRuntime(ctx context.Context, opts StartOptions) (lifecycle.StartOptions, error) {
	rt := cmp.Or(opts.Runtime, p.cfg.DefaultRuntime)
	lo := lifecycle.StartOptions{Hostname: cmp.Or(opts.Hostname, p.cfg.Hostname)}
	switch rt {
	case RuntimeProcess:
		if opts.CPUs != 0 || opts.Memory != 0 || opts.Image != "" {
			return lo, Errorf(EINVALID, "cpus, memory and image apply to docker instances only; ask for runtime %q, or leave them out", RuntimeDocker)
		}
		lo.Type = lifecycle.ProcessType
		return lo, nil
	case RuntimeDocker:
	default:
		return lo, Errorf(EINVALID, "Invalid runtime %q: use %q or %q", rt, RuntimeProcess, RuntimeDocker)
	}
	if err := checkLimits(opts.CPUs, opts.Memory); err != nil {
		return lo, err
	}
	if err := checkImage(opts.Image); err != nil {
		return lo, err
	}
	if a, err := netip.ParseAddr(lo.Hostname); lo.Hostname != "localhost" && (err != nil || !a.IsLoopback()) {
		return lo, Errorf(EINVALID, "Docker instances are published on 127.0.0.1 only, not on %s; leave the hostname out", lo.Hostname)
	}
	lo.Hostname = "127.0.0.1"
	lo.Type, lo.CPUs, lo.Memory = dockerrun.Type, opts.CPUs, opts.Memory
	lo.Image = opts.Image
	if _, err := p.docker.Connect(ctx); err != nil {
		return lo, dockerError(err)
	}
	return lo, nil
}

// checkLimits checks a container's CPU and memory limits (0: the default).
func checkLimits(cpus float64, memory int64) error {
	if math.IsNaN(cpus) || cpus < 0 || cpus > float64(runtime.NumCPU()) || cpus != 0 && cpus < 0.01 {
		return Errorf(EINVALID, "Invalid cpus %v: give a number of CPUs from 0.01 to %d (this machine's), or none for no limit", cpus, runtime.NumCPU())
	}
	if memory < 0 || memory != 0 && memory < minMemory {
		return Errorf(EINVALID, "Invalid memory %d bytes: give at least 6m, or none for no limit", memory)
	}
	return nil
}

// checkImage checks the name of the image a docker instance runs ("" for
// the default), which the Engine would refuse only once asked to run it.
func checkImage(image string) error {
	if image == "" {
		return nil
	}
	if _, err := reference.ParseNormalizedNamed(image); err != nil {
		return Errorf(EINVALID, "Invalid image %q (%v): give an image name such as %s:1.2.3 or registry.example/opencode:1, or none for the portal's image", image, err, docker.ImageRepository)
	}
	return nil
}

// ParseMemory parses a memory size as Docker's --memory takes it: a number
// of bytes with an optional unit b, k, m or g (powers of 1024), as in
// "512m" or "2g".
func ParseMemory(s string) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	mult := int64(1)
	if n := len(t); n > 0 {
		switch t[n-1] {
		case 'k':
			mult = 1 << 10
		case 'm':
			mult = 1 << 20
		case 'g':
			mult = 1 << 30
		}
		if mult > 1 || t[n-1] == 'b' {
			t = t[:n-1]
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 || n > math.MaxInt64/mult {
		return 0, Errorf(EINVALID, "Invalid memory %q: give a size such as 512m or 2g (bytes, k, m or g)", s)
	}
	return n * mult, nil
}

// newDockerRunner returns the Runner of the Portal's docker instances,
// which connects to the Engine at its first need.
func (p *Portal) newDockerRunner() *dockerrun.Runner {
	cfg := p.cfg
	return &dockerrun.Runner{
		Engine:      docker.Config{Host: cfg.Docker.Host},
		Image:       cfg.Docker.Image,
		OpenCodeBin: cfg.OpenCodeBin,
		CPUs:        cfg.Docker.CPUs,
		Memory:      cfg.Docker.Memory,
		Env:         cfg.Env,
		DataDir:     filepath.Join(filepath.Dir(cfg.RegistryPath), ".portal-data"),
		StopTimeout: cfg.StopTimeout,
	}
}

// dockerError turns an error of the Docker Engine into an *Error.
func dockerError(err error) error {
	var de *docker.Error
	if !errors.As(err, &de) {
		return err
	}
	code := EINTERNAL
	switch de.Kind {
	case docker.Unavailable:
		code = EUNAVAILABLE
	case docker.NotFound:
		code = ENOTFOUND
	case docker.Conflict:
		code = ECONFLICT
	case docker.Invalid:
		code = EINVALID
	case docker.Timeout:
		code = ETIMEOUT
	}
	return &Error{Code: code, Err: err, Message: fmt.Sprintf("%s; or start the folder as a process", de.Message)}
}
