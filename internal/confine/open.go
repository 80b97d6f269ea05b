package confine

import (
	"io/fs"
	"os"
	"syscall"
)

// open opens real, the resolved form of name, for reading. When the open
// fails, name is resolved again so that the error says why: the tree may
// have changed since, and the os.Root refuses what now leads out.
func (r *Root) open(name, real string) (*os.File, fs.FileInfo, error) {
	f, fi, err := openResolved(r.root, real)
	if err != nil {
		if _, _, _, rerr := r.resolve(name); rerr != nil {
			return nil, nil, rerr
		}
		return nil, nil, osError(name, err)
	}
	return f, fi, nil
}

// openResolved opens real, a resolved path, through root (the folder's or
// the worktree's) and stats it. O_NONBLOCK keeps a pipe found there from
// blocking the caller.
func openResolved(root *os.Root, real string) (*os.File, fs.FileInfo, error) {
	f, err := root.OpenFile(real, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, fi, nil
}
