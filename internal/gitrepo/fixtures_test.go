package gitrepo

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// fixtureRoot holds the repositories built once per test binary (see
// sharedRepo); TestMain makes it and removes it.
var fixtureRoot string

// builtRepos maps a fixture's key to its *builtRepo.
var builtRepos sync.Map

// builtRepo is one fixture, built by the first test that asks for it.
type builtRepo struct {
	once    sync.Once
	dir     string // empty if the build failed or skipped
	skipped bool   // the build skipped: what it needs is missing here
}

// sharedRepo returns a copy of the repository build makes, built once per
// test binary under key and copied with cp -a (see twinOf) for each test,
// which may then change it. The copy's index is the one build left, so
// its stat data does not match the copied files and is checked again, as
// in any repository copied or restored from a backup.
func sharedRepo(t *testing.T, key string, build func(t *testing.T) string) string {
	t.Helper()
	v, _ := builtRepos.LoadOrStore(key, new(builtRepo))
	b := v.(*builtRepo)
	b.once.Do(func() {
		// A build that skips (t.Skip, e.g. no mkrepo generator here) skips
		// every test that asks for its repository too.
		defer func() { b.skipped = b.dir == "" && t.Skipped() }()
		built := build(t)
		// The build's folder is the building test's and goes with it.
		dir, err := os.MkdirTemp(fixtureRoot, "repo-")
		if err == nil {
			dir = filepath.Join(dir, "repo")
			err = os.Rename(built, dir)
		}
		if err != nil {
			t.Fatalf("keeping the %s repository: %v", key, err)
		}
		b.dir = dir
	})
	if b.skipped {
		t.Skipf("the %s repository could not be built here (see the test that built it)", key)
	}
	if b.dir == "" {
		t.Fatalf("the %s repository could not be built (see the test that built it)", key)
	}
	return twinOf(t, b.dir)
}
