package credentials

import (
	"fmt"
	"io"
	"io/fs"
	"os"
)

// maxFileSize bounds what is read of a password or token file: far more
// than any real one holds.
const maxFileSize = 1 << 20

// readPrivate reads the file at path after checking, on the open file
// itself, that only its owner may read or write it. A secret that others
// can read is no longer a secret, and one that others can write lets them
// add their own. It returns an error wrapping fs.ErrNotExist when the file
// does not exist.
func readPrivate(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if err := checkPrivate(path, fi); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("%s is larger than %d bytes: it is not a password or token file", path, maxFileSize)
	}
	return data, nil
}

// checkPrivate returns an error unless fi, the file at path, is a regular
// file that neither its group nor others may read or write. It is the one
// place this rule is checked.
func checkPrivate(path string, fi fs.FileInfo) error {
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", path)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("%s holds secrets but its group or other users may access it (mode %04o): run chmod 600 %s", path, perm, path)
	}
	return nil
}
