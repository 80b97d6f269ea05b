//go:build darwin || freebsd || netbsd || openbsd

package gitrepo

import "syscall"

// statTimes returns a stat result's mtime and ctime.
func statTimes(st *syscall.Stat_t) (mtime, ctime syscall.Timespec) { return st.Mtimespec, st.Ctimespec }

// lstatAt lstats name in directory dir.
func lstatAt(_ int, dir, name string, st *syscall.Stat_t) error { return syscall.Lstat(dir+name, st) }

// openDir has nothing to open: lstatAt uses paths here.
func openDir(string) (int, error) { return -1, nil }
