package registry

import (
	"encoding/json"
	"fmt"
	"path/filepath"
)

// write replaces the registry file with f through atomicfile (mode 0600:
// the file holds passwords). On failure the registry is left as it was.
func (r *Registry) write(f *File) error {
	top := make(map[string]any, len(f.Extra)+1)
	for k, v := range f.Extra {
		top[k] = v
	}
	instances := f.Instances
	if instances == nil {
		instances = []Entry{}
	}
	top["instances"] = instances
	data, err := json.MarshalIndent(top, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding registry %s: %w", r.path, err)
	}
	data = append(data, '\n')
	if err := r.files.Write(r.path, data); err != nil {
		dir := filepath.Dir(r.path)
		return fmt.Errorf("writing registry %s (left unchanged): %w; check the free space and permissions of %s", r.path, err, dir)
	}
	return nil
}
