//go:build unix

package gitrepo

import "golang.org/x/sys/unix"

// statTimes returns a stat result's mtime and ctime.
func statTimes(st *unix.Stat_t) (mtime, ctime unix.Timespec) { return st.Mtim, st.Ctim }

// lstatAt lstats name in the directory open as dirFd (path dir): fstatat
// resolves one component instead of the whole path.
func lstatAt(dirFd int, _, name string, st *unix.Stat_t) error {
	return unix.Fstatat(dirFd, name, st, unix.AT_SYMLINK_NOFOLLOW)
}

// openDir opens a directory for lstatAt.
func openDir(path string) (int, error) {
	return unix.Open(path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
}
