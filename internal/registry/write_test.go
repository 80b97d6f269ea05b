package registry

import (
	"context"
	"errors"
	"github.com/opencode-portal/portal/internal/atomicfile"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// faultyFile is a real temporary file whose operations fail as a full or
// failing disk makes them fail.
type faultyFile struct {
	*os.File
	write func(f *os.File, p []byte) (int, error)
	sync  error
	close error
}

func (f *faultyFile) Write(p []byte) (int, error) {
	if f.write != nil {
		return f.write(f.File, p)
	}
	return f.File.Write(p)
}

func (f *faultyFile) Sync() error {
	if f.sync != nil {
		return f.sync
	}
	return f.File.Sync()
}

func (f *faultyFile) Close() error {
	err := f.File.Close()
	if f.close != nil {
		return f.close
	}
	return err
}

// halfWrite writes half of p, as a write on a full disk does, and returns
// err with the count written.
func halfWrite(err error) func(f *os.File, p []byte) (int, error) {
	return func(f *os.File, p []byte) (int, error) {
		n, werr := f.Write(p[:len(p)/2])
		if werr != nil {
			return n, werr
		}
		return n, err
	}
}

// TestFailedWriteLeavesRegistryUnchanged injects each failure a disk can
// cause while the temporary file is written: the update must fail, naming
// the registry, and leave the registry and its folder as they were.
func TestFailedWriteLeavesRegistryUnchanged(t *testing.T) {
	tests := []struct {
		name    string
		fault   faultyFile
		wantErr string
	}{
		{name: "disk full mid-write", fault: faultyFile{write: halfWrite(syscall.ENOSPC)}, wantErr: "no space left on device"},
		{name: "short write without an error", fault: faultyFile{write: halfWrite(nil)}, wantErr: "differ from the"},
		{name: "flush fails", fault: faultyFile{sync: syscall.EIO}, wantErr: "input/output error"},
		{name: "close fails", fault: faultyFile{close: syscall.EDQUOT}, wantErr: "quota exceeded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, ".portal.json")
			if err := os.WriteFile(path, []byte(original), 0o600); err != nil {
				t.Fatal(err)
			}
			r := New(path)
			r.files.CreateTemp = func(dir, pattern string) (atomicfile.TempFile, error) {
				f, err := os.CreateTemp(dir, pattern)
				if err != nil {
					return nil, err
				}
				fault := tt.fault
				fault.File = f
				return &fault, nil
			}
			err := r.Update(context.Background(), func(f *File) error {
				f.Instances = append(f.Instances, Entry{ID: "new", Name: "other", OpencodePort: 3100})
				return nil
			})
			if err == nil {
				t.Fatal("Update succeeded although writing the registry failed")
			}
			for _, want := range []string{path, tt.wantErr, "left unchanged"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
			if data, _ := os.ReadFile(path); string(data) != original {
				t.Errorf("registry changed by a failed write:\n%s", data)
			}
			if diff := cmp.Diff([]string{".portal.json", ".portal.json.flock"}, dirNames(t, dir)); diff != "" {
				t.Errorf("files left in the registry's folder (-want +got):\n%s", diff)
			}
		})
	}
}

// TestWriteIsCompleteAndPrivate checks the success path of the same writer:
// the registry holds the whole new content, mode 0600, and no temporary
// file is left.
func TestWriteIsCompleteAndPrivate(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, ".portal.json")
	want := []Entry{{ID: "a", Name: "one", OpencodePort: 3100, Password: "secret"}}
	err := New(path).Update(context.Background(), func(f *File) error {
		f.Instances = want
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	f, err := New(path).Read()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, f.Instances); diff != "" {
		t.Errorf("entries read back (-want +got):\n%s", diff)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("registry stat = %v, %v; want mode 0600", fi, err)
	}
	if diff := cmp.Diff([]string{".portal.json", ".portal.json.flock"}, dirNames(t, dir)); diff != "" {
		t.Errorf("files in the registry's folder (-want +got):\n%s", diff)
	}
}

// dirNames lists the names in dir.
func dirNames(t testing.TB, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// TestCreateTempFailureIsReported covers a folder where no file can be made.
func TestCreateTempFailureIsReported(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".portal.json")
	r := New(path)
	r.files.CreateTemp = func(string, string) (atomicfile.TempFile, error) { return nil, syscall.EROFS }
	err := r.Update(context.Background(), func(*File) error { return nil })
	if !errors.Is(err, syscall.EROFS) {
		t.Fatalf("Update error = %v, want EROFS", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("registry created although its temporary file could not be: %v", err)
	}
}
