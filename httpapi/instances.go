package httpapi

import (
	"net/http"
	"time"

	"github.com/opencode-portal/portal"
)

// instanceJSON is an instance on the wire: the original Portal's fields
// (port is the OpenCode port) plus restarts and url.
type instanceJSON struct {
	ID           string  `json:"id"`
	Name         string  `json:"name"`
	Directory    string  `json:"directory"`
	Port         int     `json:"port"`
	Hostname     string  `json:"hostname"`
	OpencodePID  *int    `json:"opencodePid"`
	WebPID       *int    `json:"webPid"`
	StartedAt    string  `json:"startedAt"`
	InstanceType string  `json:"instanceType"`
	ContainerID  *string `json:"containerId"`
	State        string  `json:"state"`
	Status       string  `json:"status"`
	Restarts     int     `json:"restarts"`
	URL          string  `json:"url"`
}

func toInstanceJSON(in portal.Instance) instanceJSON {
	status := in.State
	if t, err := time.Parse(time.RFC3339, in.StartedAt); err == nil && in.State == portal.StateRunning {
		status = "Running since " + t.Local().Format("1/2/2006, 3:04:05 PM")
	}
	return instanceJSON{
		ID: in.ID, Name: in.Name, Directory: in.Directory, Port: in.Port, Hostname: in.Hostname,
		OpencodePID: in.PID, WebPID: in.WebPID, StartedAt: in.StartedAt, InstanceType: in.InstanceType,
		ContainerID: in.ContainerID, State: in.State, Status: status, Restarts: in.Restarts, URL: in.URL,
	}
}

func (h *handler) listInstances(w http.ResponseWriter, r *http.Request) error {
	list, err := h.p.Instances(r.Context())
	if err != nil {
		return err
	}
	out := struct {
		Total     int            `json:"total"`
		Instances []instanceJSON `json:"instances"`
	}{Total: len(list), Instances: make([]instanceJSON, 0, len(list))}
	for _, in := range list {
		out.Instances = append(out.Instances, toInstanceJSON(in))
	}
	return writeJSON(w, http.StatusOK, out)
}

func (h *handler) startInstance(w http.ResponseWriter, r *http.Request) error {
	return notBuilt("starting instances")
}

func (h *handler) getInstance(w http.ResponseWriter, r *http.Request) error {
	return notBuilt("instance details")
}

func (h *handler) stopInstance(w http.ResponseWriter, r *http.Request) error {
	return notBuilt("stopping instances")
}

func (h *handler) restartInstance(w http.ResponseWriter, r *http.Request) error {
	return notBuilt("restarting instances")
}

func (h *handler) instanceLogs(w http.ResponseWriter, r *http.Request) error {
	return notBuilt("instance logs")
}
