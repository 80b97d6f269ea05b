// Package atomicfile replaces files so that readers, and a crash, see either
// the old content or the new, never a part: the registry and the token file
// are written through it.
package atomicfile

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// TempFile is what Write needs of the temporary file (an *os.File).
type TempFile interface {
	io.Writer
	Name() string
	Chmod(fs.FileMode) error
	Sync() error
	Close() error
}

// Writer replaces files atomically. Its zero value makes the temporary file
// with os.CreateTemp; tests set CreateTemp to inject failures.
type Writer struct {
	CreateTemp func(dir, pattern string) (TempFile, error)
}

// Write replaces the file at path with data: it writes a temporary file in
// the same folder with mode 0600 (both files written through it hold
// secrets), flushes it to disk, reads it back to check it holds exactly
// data, renames it over path, and flushes the folder so the rename survives
// a crash. On any failure before the rename the file at path is left as it
// was and the temporary file is removed. A failure to flush the folder after
// the rename is not reported: other readers already see the new content.
func (w Writer) Write(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := w.writeTemp(path, data); err != nil {
		return err
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// writeTemp writes data to a new temporary file next to path, checks it and
// renames it over path.
func (w Writer) writeTemp(path string, data []byte) error {
	tmp, err := w.createTemp(filepath.Dir(path), filepath.Base(path)+".tmp-*")
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
	return os.Rename(name, path)
}

func (w Writer) createTemp(dir, pattern string) (TempFile, error) {
	if w.CreateTemp != nil {
		return w.CreateTemp(dir, pattern)
	}
	return os.CreateTemp(dir, pattern)
}
