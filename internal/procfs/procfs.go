// Package procfs answers questions about processes by pid: whether one is
// alive, and its state, process group and command line, from kill(2) and
// /proc; and about TCP sockets: whether the ones a connection may reach
// are held by a given process or its descendants (Linux: the kernel's
// sock_diag, else /proc/net/tcp, and /proc/PID/fd; macOS: lsof).
package procfs

import (
	"bytes"
	"errors"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// Alive reports whether pid names a live process (a zombie is not alive).
// A process owned by another user counts as alive.
func Alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	return !zombie(pid)
}

// zombie reports whether /proc says pid has exited but was not reaped. A
// process whose main thread has exited shows as a zombie too while its
// other threads run on, holding its sockets and files (a runtime that ends
// its main thread first on SIGTERM): it is a zombie only once every thread
// has exited.
func zombie(pid int) bool {
	state, _, ok := Stat(pid)
	if !ok || (state != 'Z' && state != 'X') {
		return false
	}
	dir := "/proc/" + strconv.Itoa(pid) + "/task/"
	tasks, err := os.ReadDir(dir)
	if err != nil {
		return true
	}
	for _, task := range tasks {
		f, ok := readStatFields(dir + task.Name() + "/stat")
		if ok && f[0] != "Z" && f[0] != "X" { // a thread that has gone cannot be read
			return false
		}
	}
	return true
}

// Stat reads the state and process group of pid from /proc.
func Stat(pid int) (state byte, pgrp int, ok bool) {
	f, ok := statFields(pid)
	if !ok || len(f[0]) != 1 {
		return 0, 0, false
	}
	pgrp, err := strconv.Atoi(f[2])
	if err != nil {
		return 0, 0, false
	}
	return f[0][0], pgrp, true
}

// statFields returns the fields of /proc/PID/stat after the command name
// (state, ppid, pgrp, ...), at least three of them.
func statFields(pid int) ([]string, bool) {
	return readStatFields("/proc/" + strconv.Itoa(pid) + "/stat")
}

// readStatFields is statFields for the stat file at path (a process's or,
// under /proc/PID/task, a thread's).
func readStatFields(path string) ([]string, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, false
	}
	// "pid (comm) state ppid pgrp ...": comm may itself contain ") ".
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return nil, false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 3 {
		return nil, false
	}
	return f, true
}
