package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/opencode-portal/portal"
)

// Instance is an instance as the API answers it: the original Portal's
// fields (Port is the OpenCode port) plus Restarts, LastExit and URL. The
// password is never part of it.
type Instance struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Directory   string `json:"directory"`
	Port        int    `json:"port"`
	Hostname    string `json:"hostname"`
	OpencodePID *int   `json:"opencodePid"`
	// WebPID is the process of the original Portal's web UI, if it started one.
	WebPID       *int    `json:"webPid"`
	StartedAt    string  `json:"startedAt"`
	InstanceType string  `json:"instanceType"`
	ContainerID  *string `json:"containerId"`
	State        string  `json:"state"`
	// Status is the original Portal's words for State: "Running since" its
	// start in the server's local time, else State.
	Status   string `json:"status"`
	Restarts int    `json:"restarts"`
	LastExit string `json:"lastExit,omitempty"`
	URL      string `json:"url"`
}

// NewInstance returns in as the API answers it.
func NewInstance(in portal.Instance) Instance {
	status := in.State
	if t, err := time.Parse(time.RFC3339, in.StartedAt); err == nil && in.State == portal.StateRunning {
		status = "Running since " + t.Local().Format("1/2/2006, 3:04:05 PM")
	}
	return Instance{
		ID: in.ID, Name: in.Name, Directory: in.Directory, Port: in.Port, Hostname: in.Hostname,
		OpencodePID: in.PID, WebPID: in.WebPID, StartedAt: in.StartedAt, InstanceType: in.InstanceType,
		ContainerID: in.ContainerID, State: in.State, Status: status, Restarts: in.Restarts,
		LastExit: in.LastExit, URL: in.URL,
	}
}

// Instances is the answer of GET /api/instances; `portal list --json`
// prints the same.
type Instances struct {
	Total     int        `json:"total"`
	Instances []Instance `json:"instances"`
}

// InstanceList returns the answer of GET /api/instances for list.
func InstanceList(list []portal.Instance) Instances {
	out := Instances{Total: len(list), Instances: make([]Instance, 0, len(list))}
	for _, in := range list {
		out.Instances = append(out.Instances, NewInstance(in))
	}
	return out
}

// listInstances lists the instances that are up, as the original Portal
// does; ?all=1 adds those that are down (crashed, stopped, gone), which
// DELETE /api/instances/{id} or `portal clean` removes.
func (h *handler) listInstances(w http.ResponseWriter, r *http.Request) error {
	q, err := parseQuery(r)
	if err != nil {
		return err
	}
	all, err := queryBool(q.Get("all"), "all")
	if err != nil {
		return err
	}
	list, err := h.p.Instances(r.Context(), portal.ListOptions{All: all})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, InstanceList(list))
}

func (h *handler) startInstance(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Directory string  `json:"directory"`
		Name      string  `json:"name"`
		Port      int     `json:"port"`
		Runtime   string  `json:"runtime"`
		CPUs      float64 `json:"cpus"`
		Memory    string  `json:"memory"`
		Image     string  `json:"image"`
	}
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	var memory int64
	if body.Memory != "" {
		m, err := portal.ParseMemory(body.Memory)
		if err != nil {
			return err
		}
		memory = m
	}
	in, err := h.p.StartInstance(r.Context(), portal.StartOptions{Directory: body.Directory, Name: body.Name, Port: body.Port,
		Runtime: portal.Runtime(body.Runtime), CPUs: body.CPUs, Memory: memory, Image: body.Image})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, NewInstance(in))
}

func (h *handler) getInstance(w http.ResponseWriter, r *http.Request) error {
	in, err := h.p.Instance(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, NewInstance(in))
}

func (h *handler) stopInstance(w http.ResponseWriter, r *http.Request) error {
	if err := h.p.StopInstance(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *handler) restartInstance(w http.ResponseWriter, r *http.Request) error {
	in, err := h.p.RestartInstance(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, NewInstance(in))
}

// maxLogTail bounds ?tail= of the logs route.
const maxLogTail = 10000

func (h *handler) instanceLogs(w http.ResponseWriter, r *http.Request) error {
	q, err := parseQuery(r)
	if err != nil {
		return err
	}
	tail := 200
	if s := q.Get("tail"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxLogTail {
			return portal.Errorf(portal.EINVALID, "Invalid tail %q: give a number of lines from 1 to %d", s, maxLogTail)
		}
		tail = n
	}
	lines, err := h.p.InstanceLogs(r.Context(), r.PathValue("id"), tail)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, struct {
		Lines []string `json:"lines"`
	}{Lines: append([]string{}, lines...)})
}
