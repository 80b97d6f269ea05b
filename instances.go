package portal

import (
	"context"
	"net"
	"strconv"

	"github.com/opencode-portal/portal/internal/registry"
)

// Instance states.
const (
	StateStarting = "starting"
	StateRunning  = "running"
	StateStopped  = "stopped"
	StateCrashed  = "crashed"
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
	Restarts     int
	// URL is where the OpenCode server answers.
	URL string
}

// Instances returns the registered instances whose process is alive.
func (p *Portal) Instances(ctx context.Context) ([]Instance, error) {
	entries, err := p.registryEntries()
	if err != nil {
		return nil, err
	}
	out := make([]Instance, 0, len(entries))
	for _, e := range entries {
		if e.InstanceType == "docker" {
			continue // containers of old CLIs: this portal cannot check or drive them
		}
		if !alive(e.OpencodePID) && !alive(e.WebPID) {
			continue
		}
		out = append(out, instanceFromEntry(e, StateRunning))
	}
	return out, nil
}

func alive(pid *int) bool { return pid != nil && registry.ProcessAlive(*pid) }

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
		URL:          "http://" + net.JoinHostPort(dialHost(e.Hostname), strconv.Itoa(e.OpencodePort)),
	}
}
