package portaltest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"time"

	"github.com/opencode-portal/portal/internal/registry"
)

// Register records oc in the registry file at path, as the portal does for
// the instances it starts, so that a Portal using that registry drives it.
// It returns the new entry's id.
//
// The entry's pid is oc.PID, the process StartOpenCode started, which (or
// a descendant of which) holds the port; for an oc with no PID, a stand-in
// served by the test process itself (say, an httptest.Server), it is this
// process's pid. A Portal relays only to a port held by the entry's
// process or its descendants.
func (oc *OpenCode) Register(path string) (string, error) {
	b := make([]byte, 4)
	rand.Read(b)
	id := hex.EncodeToString(b)
	pid := oc.PID
	if pid == 0 {
		pid = os.Getpid()
	}
	err := registry.New(path).Update(context.Background(), func(f *registry.File) error {
		f.Instances = append(f.Instances, registry.Entry{
			ID:           id,
			Name:         filepath.Base(oc.Dir),
			Directory:    oc.Dir,
			OpencodePort: oc.Port,
			Hostname:     "127.0.0.1",
			OpencodePID:  &pid,
			StartedAt:    time.Now().UTC().Format(time.RFC3339Nano),
			InstanceType: "process",
			Password:     oc.Password,
		})
		return nil
	})
	return id, err
}
