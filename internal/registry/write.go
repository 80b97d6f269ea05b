package registry

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// tempFile is what write needs of the temporary file (an *os.File).
type tempFile interface {
	io.Writer
	Name() string
	Chmod(fs.FileMode) error
	Sync() error
	Close() error
}

// write replaces the registry file with f atomically: it writes a temporary
// file in the same folder (mode 0600: the file holds passwords), flushes it
// to disk, reads it back to check it holds exactly the encoding, renames it
// over the registry, and flushes the folder so the rename survives a crash.
// On any failure before the rename the registry is left as it was and the
// temporary file is removed.
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
	dir := filepath.Dir(r.path)
	if err := r.writeTemp(dir, data); err != nil {
		return fmt.Errorf("writing registry %s (left unchanged): %w; check the free space and permissions of %s", r.path, err, dir)
	}
	// The rename is done and other readers see the new content: a failure
	// to flush the folder only weakens crash safety, and reporting the
	// update as failed now would make the caller act on a state that
	// others already see changed.
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// writeTemp writes data to a new temporary file in dir, checks it and
// renames it over the registry.
func (r *Registry) writeTemp(dir string, data []byte) error {
	tmp, err := r.createTemp(dir, filepath.Base(r.path)+".tmp-*")
	if err != nil {
		return err
	}
	name := tmp.Name()
	defer os.Remove(name) // a no-op after the rename
	err = tmp.Chmod(0o600)
	if err == nil {
		_, err = tmp.Write(data)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	written, err := os.ReadFile(name)
	if err != nil {
		return fmt.Errorf("checking the written file: %w", err)
	}
	if !bytes.Equal(written, data) {
		return fmt.Errorf("the written file holds %d bytes that differ from the %d bytes written", len(written), len(data))
	}
	return os.Rename(name, r.path)
}
