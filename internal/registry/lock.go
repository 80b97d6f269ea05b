package registry

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/opencode-portal/portal/internal/procfs"
)

// lock takes the registry's exclusive lock in two layers:
//
//  1. flock(2) on PATH.flock serializes portal processes; the kernel releases
//     it when a holder dies, so a crashed holder never blocks the others.
//  2. The original Portal CLI's lock: PATH.lock created with O_EXCL and
//     holding the owner's PID, removed on unlock. A lock whose PID is dead is
//     stale and removed, as the original CLI does.
//
// It polls with backoff until ctx ends: flock from 2 ms doubling to 50 ms,
// the PID lock from 50 ms doubling to 250 ms as the original CLI does.
func (r *Registry) lock(ctx context.Context) (unlock func(), err error) {
	fl, err := os.OpenFile(r.path+".flock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("locking registry %s: %w", r.path, err)
	}
	if err := retry(ctx, 2*time.Millisecond, 50*time.Millisecond, func() (bool, error) {
		err := syscall.Flock(int(fl.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if errors.Is(err, syscall.EWOULDBLOCK) || errors.Is(err, syscall.EINTR) {
			return false, nil
		}
		return err == nil, err
	}); err != nil {
		fl.Close()
		return nil, fmt.Errorf("locking registry %s: %w", r.path, err)
	}
	release := func() {
		syscall.Flock(int(fl.Fd()), syscall.LOCK_UN)
		fl.Close()
	}
	lockPath := r.path + ".lock"
	if err := retry(ctx, 50*time.Millisecond, 250*time.Millisecond, func() (bool, error) { return createPIDLock(lockPath) }); err != nil {
		release()
		return nil, fmt.Errorf("locking registry %s (held by %s): %w", r.path, lockPath, err)
	}
	return func() {
		os.Remove(lockPath)
		release()
	}, nil
}

// createPIDLock tries once to create the original CLI's lock file. It reports
// false, nil when a live process holds it.
func createPIDLock(path string) (bool, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err == nil {
		_, err = f.WriteString(strconv.Itoa(os.Getpid()))
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return err == nil, err
	}
	if !errors.Is(err, fs.ErrExist) {
		return false, err
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil // released meanwhile; try again
	}
	if err != nil {
		return false, err
	}
	pid, perr := strconv.Atoi(strings.TrimSpace(string(data)))
	if perr == nil && procfs.Alive(pid) {
		return false, nil
	}
	if fi, err := os.Stat(path); perr != nil && len(data) == 0 && err == nil && time.Since(fi.ModTime()) < 5*time.Second {
		return false, nil // its creator has not written its PID yet
	}
	os.Remove(path) // stale: its holder is gone
	return false, nil
}

// retry calls try until it succeeds, fails, or ctx ends, sleeping from wait
// doubling up to maxWait between attempts.
func retry(ctx context.Context, wait, maxWait time.Duration, try func() (bool, error)) error {
	for {
		ok, err := try()
		if ok || err != nil {
			return err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return context.Cause(ctx)
		case <-t.C:
		}
		wait = min(wait*2, maxWait)
	}
}
