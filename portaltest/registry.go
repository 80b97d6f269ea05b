package portaltest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"path/filepath"
	"time"

	"github.com/opencode-portal/portal/internal/registry"
)

// Register records oc in the registry file at path, as the portal does for
// the instances it starts, so that a Portal using that registry drives it.
// It returns the new entry's id.
func (oc *OpenCode) Register(path string) (string, error) {
	b := make([]byte, 4)
	rand.Read(b)
	id := hex.EncodeToString(b)
	pid := oc.PID
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
