package portal_test

import (
	"errors"
	"os"
	"slices"
	"sync"
)

// fixtures holds what several tests share, each started once for all of
// them (a real OpenCode costs seconds of CPU to start): the goroutines
// that start it and what ends it. TestMain closes it once the tests are
// over.
type fixtures struct {
	starting sync.WaitGroup
	mu       sync.Mutex
	closers  []func() error
}

// shared is the package's one set of shared fixtures.
var shared = &fixtures{}

// goStart runs start in a goroutine that close waits for.
func (f *fixtures) goStart(start func()) { f.starting.Go(start) }

// onClose has close call end, the later registered first.
func (f *fixtures) onClose(end func() error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closers = append(f.closers, end)
}

// tempDir makes a temporary folder that close removes.
func (f *fixtures) tempDir(pattern string) (string, error) {
	dir, err := os.MkdirTemp("", pattern)
	if err == nil {
		f.onClose(func() error { return os.RemoveAll(dir) })
	}
	return dir, err
}

// close waits for the starts under way, then ends what was started.
func (f *fixtures) close() error {
	f.starting.Wait()
	f.mu.Lock()
	defer f.mu.Unlock()
	var errs []error
	for _, end := range slices.Backward(f.closers) {
		errs = append(errs, end())
	}
	f.closers = nil
	return errors.Join(errs...)
}
