package procfs

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/opencode-portal/portal/internal/testwait"
)

func TestAlive(t *testing.T) {
	if !Alive(os.Getpid()) {
		t.Error("Alive(self) = false")
	}
	if Alive(0) || Alive(-1) {
		t.Error("Alive of a non-pid = true")
	}
	// A child that exited but was not reaped is a zombie: not alive.
	pid, reap := startZombie(t)
	if syscall.Kill(pid, 0) != nil {
		t.Fatal("the zombie is already reaped")
	}
	if Alive(pid) {
		t.Error("Alive(zombie) = true")
	}
	reap()
	if Alive(pid) {
		t.Error("Alive(reaped) = true")
	}
}

// startZombie starts a child that exits at once and is not reaped, waits
// until /proc shows it a zombie, and returns its pid and the reap, which the
// test's end does too.
func startZombie(t *testing.T) (pid int, reap func()) {
	t.Helper()
	cmd := exec.Command("true")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	reap = func() { once.Do(func() { cmd.Wait() }) }
	t.Cleanup(reap)
	testwait.Until(t, "the child to be a zombie", func() bool { return zombie(cmd.Process.Pid) })
	return cmd.Process.Pid, reap
}

// TestReadStatFields reads stat lines as the kernel writes them, with
// command names that hold the characters the parse keys on, and lines it
// must refuse: a process's state and group come from what follows the
// last ")".
func TestReadStatFields(t *testing.T) {
	tests := []struct {
		name, line string
		want       []string // the first three fields, nil for a refusal
	}{
		{"plain", "4242 (opencode) S 1 4242 4242 0 -1", []string{"S", "1", "4242"}},
		{"a name with ') ' in it", "7 (a) b) (c) Z 1 7 7", []string{"Z", "1", "7"}},
		{"a name with spaces and digits", "9 (Web Content 2) R 3 9 9", []string{"R", "3", "9"}},
		{"no closing parenthesis", "9 (broken R 3 9 9", nil},
		{"too few fields", "9 (short) R 3", nil},
		{"empty", "", nil},
	}
	dir := t.TempDir()
	for i, tt := range tests {
		path := filepath.Join(dir, strconv.Itoa(i))
		if err := os.WriteFile(path, []byte(tt.line+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		f, ok := readStatFields(path)
		var got []string
		if ok {
			got = f[:3]
		}
		if diff := cmp.Diff(tt.want, got); diff != "" || ok != (tt.want != nil) {
			t.Errorf("%s: readStatFields(%q) = %q, %v (-want +got):\n%s", tt.name, tt.line, f, ok, diff)
		}
	}
	if _, ok := readStatFields(filepath.Join(dir, "missing")); ok {
		t.Error("readStatFields of a missing file: ok")
	}
}

// FuzzReadStatFields checks that no stat line, however malformed, makes the
// parse fail other than by refusing it, and that what it accepts has the
// fields it promises.
func FuzzReadStatFields(f *testing.F) {
	for _, seed := range []string{"4242 (opencode) S 1 4242 4242", "7 (a) b) Z 1 7", "(", ")", "9 (x) R"} {
		f.Add(seed)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, line string) {
		path := filepath.Join(dir, "stat")
		if err := os.WriteFile(path, []byte(line), 0o600); err != nil {
			t.Fatal(err)
		}
		fields, ok := readStatFields(path)
		if ok && len(fields) < 3 {
			t.Errorf("readStatFields(%q) accepted %d fields, want at least 3", line, len(fields))
		}
	})
}
