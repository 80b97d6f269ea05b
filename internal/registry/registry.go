// Package registry reads and writes the instance registry, a JSON file
// compatible with the original Portal's ~/.portal.json.
//
// Every change is a read-modify-write under an exclusive lock that survives
// a holder's crash, and every write is atomic (a temporary file, flushed and
// read back, renamed over the registry, then the folder flushed). Fields
// this package does not know are kept as they were.
package registry

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/opencode-portal/portal/internal/atomicfile"
	"io/fs"
	"os"
	"time"
)

// ErrCorrupt is wrapped by the error for a registry file that is not a JSON
// object, including an empty one: both writers of the file (this package
// and the original Portal CLI) always write an object, so only a missing
// file means "no instances", and an empty file is damage, not an empty
// registry.
var ErrCorrupt = errors.New("registry file is corrupt")

// Entry is one instance in the registry. The JSON field names are the
// original Portal's; Password is ours (the original never set one).
type Entry struct {
	ID           string  `json:"id"`
	Name         string  `json:"name"`
	Directory    string  `json:"directory"`
	Port         *int    `json:"port"` // web UI port; null for server-only instances
	OpencodePort int     `json:"opencodePort"`
	Hostname     string  `json:"hostname"`
	OpencodePID  *int    `json:"opencodePid"`
	WebPID       *int    `json:"webPid"`
	StartedAt    string  `json:"startedAt"`
	InstanceType string  `json:"instanceType,omitempty"`
	ContainerID  *string `json:"containerId,omitempty"`
	// Password is the instance's OPENCODE_SERVER_PASSWORD. The file is
	// written with mode 0600 for this reason.
	Password string `json:"opencodePassword,omitempty"`
	// Owner names the portal that supervises the instance, as "PID-TOKEN";
	// empty when none does (the original CLI, or a portal that let go).
	Owner string `json:"portalOwner,omitempty"`
	// LogFile is where the instance's stdout and stderr go.
	LogFile string `json:"logFile,omitempty"`
	// State is the instance's state as the portal supervising it last
	// recorded it ("starting", "running", "stopped", "crashed"), so that
	// every portal process reads a down instance alike; empty in entries of
	// the original CLI.
	State string `json:"portalState,omitempty"`
	// LastExit says how OpenCode last exited under a portal ("signal:
	// killed"), and Restarts counts the starts after the first there.
	LastExit string `json:"portalLastExit,omitempty"`
	Restarts int    `json:"portalRestarts,omitempty"`
	// Image, CPUs and Memory are a docker instance's image and limits (in
	// CPUs and bytes; 0 for none), for each of its runs.
	Image  string  `json:"portalImage,omitempty"`
	CPUs   float64 `json:"portalCpus,omitempty"`
	Memory int64   `json:"portalMemory,omitempty"`

	// Extra holds the fields this package does not know, written back as read.
	Extra map[string]json.RawMessage `json:"-"`
}

// File is the whole registry.
type File struct {
	Instances []Entry
	// Extra holds unknown top-level fields, written back as read.
	Extra map[string]json.RawMessage
}

// Registry is a registry file on disk.
type Registry struct {
	path string
	// files writes the file atomically; tests inject failures into it.
	files atomicfile.Writer
}

// New returns the registry stored at path. The file need not exist.
func New(path string) *Registry {
	return &Registry{path: path}
}

// Path returns the registry file's path.
func (r *Registry) Path() string { return r.path }

// Read returns the registry's content without taking the lock (the file is
// only ever replaced by rename, so a read sees one whole version). A missing
// file is an empty registry; a corrupt one (an empty file too) is an error
// naming the file, wrapping ErrCorrupt.
func (r *Registry) Read() (*File, error) {
	data, err := os.ReadFile(r.path)
	if errors.Is(err, fs.ErrNotExist) {
		return &File{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading registry %s: %w", r.path, err)
	}
	return r.decode(data)
}

// Update runs fn on the registry's content under the exclusive lock and
// writes the result back atomically. If fn returns an error nothing is
// written. The lock is waited for until ctx ends.
func (r *Registry) Update(ctx context.Context, fn func(*File) error) error {
	unlock, err := r.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	f, err := r.Read()
	if err != nil {
		return err
	}
	if err := fn(f); err != nil {
		return err
	}
	return r.write(f)
}

// ModTime returns the file's modification time and size, to notice changes
// cheaply; a missing file gives the zero time.
func (r *Registry) ModTime() (time.Time, int64) {
	fi, err := os.Stat(r.path)
	if err != nil {
		return time.Time{}, 0
	}
	return fi.ModTime(), fi.Size()
}

func (r *Registry) decode(data []byte) (*File, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		// A truncated file: read as empty, it would hide running instances,
		// which would then be started a second time and left orphaned.
		return nil, fmt.Errorf("%w: %s is empty (%d bytes) but a registry is never written empty, so it was truncated; "+
			"instances it listed may still be running: restore it from a backup, or stop their opencode processes and delete it",
			ErrCorrupt, r.path, len(data))
	}
	var top map[string]json.RawMessage
	err := json.Unmarshal(data, &top)
	if err == nil && top == nil {
		err = errors.New("the file holds null, not an object")
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v; fix or move the file away (it is never replaced silently)", ErrCorrupt, r.path, err)
	}
	f := &File{}
	if raw, ok := top["instances"]; ok && string(raw) != "null" {
		if err := json.Unmarshal(raw, &f.Instances); err != nil {
			return nil, fmt.Errorf("%w: %s: instances: %v; fix or move the file away (it is never replaced silently)", ErrCorrupt, r.path, err)
		}
	}
	delete(top, "instances")
	if len(top) > 0 {
		f.Extra = top
	}
	return f, nil
}
