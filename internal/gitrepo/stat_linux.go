package gitrepo

import (
	"syscall"
	"unsafe"
)

// statTimes returns a stat result's mtime and ctime.
func statTimes(st *syscall.Stat_t) (mtime, ctime syscall.Timespec) { return st.Mtim, st.Ctim }

// lstatAt lstats name in the directory open as dirFd (path dir): fstatat
// resolves one component instead of the whole path.
func lstatAt(dirFd int, dir, name string, st *syscall.Stat_t) error {
	p, err := syscall.BytePtrFromString(name)
	if err != nil {
		return err
	}
	const atSymlinkNofollow = 0x100
	_, _, errno := syscall.Syscall6(syscall.SYS_NEWFSTATAT, uintptr(dirFd), uintptr(unsafe.Pointer(p)),
		uintptr(unsafe.Pointer(st)), atSymlinkNofollow, 0, 0)
	if errno != 0 {
		return errno
	}
	return nil
}

// openDir opens a directory for lstatAt.
func openDir(path string) (int, error) {
	return syscall.Open(path, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
}
