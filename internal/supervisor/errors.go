package supervisor

import "errors"

// ErrNotRunning means a process to adopt is gone.
var ErrNotRunning = errors.New("no running opencode at that pid")
