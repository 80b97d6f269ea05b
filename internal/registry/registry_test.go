package registry

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// original is a registry as the original Portal CLI writes it, with fields
// this package does not know at both levels.
const original = `{
  "instances": [
    {
      "id": "k3j9x2ab",
      "name": "my-app",
      "directory": "/home/me/src/my-app",
      "port": 3000,
      "opencodePort": 4000,
      "hostname": "0.0.0.0",
      "opencodePid": 41231,
      "webPid": 41232,
      "startedAt": "2026-04-26T09:12:44.120Z",
      "futureField": {"nested": [1, 2]}
    }
  ],
  "lastUpdateCheck": 1772532000000
}`

func TestUpdateKeepsUnknownFields(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".portal.json")
	if err := os.WriteFile(path, []byte(original), 0o644); err != nil {
		t.Fatal(err)
	}
	r := New(path)
	err := r.Update(context.Background(), func(f *File) error {
		f.Instances = append(f.Instances, Entry{ID: "new", Name: "other", OpencodePort: 3100})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var before, after map[string]any
	data, _ := os.ReadFile(path)
	json.Unmarshal([]byte(original), &before)
	if err := json.Unmarshal(data, &after); err != nil {
		t.Fatalf("registry is not JSON after update: %v\n%s", err, data)
	}
	if diff := cmp.Diff(before["lastUpdateCheck"], after["lastUpdateCheck"]); diff != "" {
		t.Errorf("top-level unknown field changed (-before +after):\n%s", diff)
	}
	first := after["instances"].([]any)[0]
	if diff := cmp.Diff(before["instances"].([]any)[0], first); diff != "" {
		t.Errorf("existing entry changed (-before +after):\n%s", diff)
	}
	if n := len(after["instances"].([]any)); n != 2 {
		t.Errorf("got %d instances, want 2", n)
	}
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("registry mode = %v, want 0600 (it holds passwords)", fi.Mode().Perm())
	}
}

func TestReadMissingFileIsEmpty(t *testing.T) {
	f, err := New(filepath.Join(t.TempDir(), "none.json")).Read()
	if err != nil || len(f.Instances) != 0 {
		t.Fatalf("Read of a missing file = %+v, %v; want empty, nil", f, err)
	}
}

// TestCorruptFileIsAnErrorAndIsNotReplaced covers damaged registries,
// truncated ones above all: read as empty, a truncated registry would hide
// running instances, which a start would then duplicate and orphan.
func TestCorruptFileIsAnErrorAndIsNotReplaced(t *testing.T) {
	tests := []struct {
		name, content, wantErr string
	}{
		{name: "truncated to 0 bytes", content: "", wantErr: "is empty (0 bytes)"},
		{name: "blank", content: "\n  \n", wantErr: "is empty (4 bytes)"},
		{name: "truncated JSON", content: original[:len(original)/2], wantErr: "unexpected end of JSON input"},
		{name: "null", content: "null", wantErr: "null, not an object"},
		{name: "not an object", content: "[]", wantErr: "cannot unmarshal array"},
		{name: "instances not a list", content: `{"instances": {}}`, wantErr: "instances:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), ".portal.json")
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			r := New(path)
			_, err := r.Read()
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Read error = %v, want ErrCorrupt", err)
			}
			for _, want := range []string{path, tt.wantErr} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("Read error %q does not say %q", err, want)
				}
			}
			err = r.Update(context.Background(), func(f *File) error {
				f.Instances = append(f.Instances, Entry{ID: "new"})
				return nil
			})
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Update error = %v, want ErrCorrupt", err)
			}
			if data, _ := os.ReadFile(path); string(data) != tt.content {
				t.Errorf("corrupt file was replaced with %q", data)
			}
		})
	}
}

func TestConcurrentUpdatesLoseNothing(t *testing.T) {
	t.Parallel() // it waits out a timeout or a lock: the other tests run meanwhile
	path := filepath.Join(t.TempDir(), ".portal.json")
	r := New(path)
	const n = 40
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := New(path).Update(context.Background(), func(f *File) error {
				f.Instances = append(f.Instances, Entry{ID: strconv.Itoa(i)})
				return nil
			})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	f, err := r.Read()
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Instances) != n {
		t.Errorf("got %d entries after %d concurrent appends", len(f.Instances), n)
	}
}

func TestStalePIDLockIsBroken(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".portal.json")
	// A PID that cannot be alive: the original CLI crashed holding the lock.
	os.WriteFile(path+".lock", []byte("2147483646"), 0o600)
	err := New(path).Update(context.Background(), func(f *File) error {
		f.Instances = append(f.Instances, Entry{ID: "a"})
		return nil
	})
	if err != nil {
		t.Fatalf("Update with a stale lock: %v", err)
	}
	if _, err := os.Stat(path + ".lock"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("lock file left behind after unlock: %v", err)
	}
}

func TestLiveLockIsWaitedFor(t *testing.T) {
	t.Parallel() // it waits out a timeout or a lock: the other tests run meanwhile
	path := filepath.Join(t.TempDir(), ".portal.json")
	os.WriteFile(path+".lock", []byte(strconv.Itoa(os.Getpid())), 0o600)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	err := New(path).Update(ctx, func(*File) error { return nil })
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Update while a live process holds the lock = %v, want a deadline error", err)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte(original))
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"instances":null}`))
	f.Add([]byte(`{"instances":[{"port":null,"opencodePid":null,"x":1}]}`))
	f.Add([]byte(`[]`))
	r := New("fuzz.json")
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := r.decode(data)
		if err != nil {
			return
		}
		// Whatever decodes must encode and decode again to the same entries.
		enc, err := json.Marshal(file.Instances)
		if err != nil {
			t.Fatalf("decoded registry does not encode: %v", err)
		}
		var again []Entry
		if err := json.Unmarshal(enc, &again); err != nil {
			t.Fatalf("re-decoding: %v", err)
		}
		if diff := cmp.Diff(file.Instances, again, cmp.Comparer(func(a, b json.RawMessage) bool {
			var x, y any
			return json.Unmarshal(a, &x) == nil && json.Unmarshal(b, &y) == nil && cmp.Equal(x, y)
		})); diff != "" {
			t.Fatalf("round trip changed entries:\n%s", diff)
		}
	})
}

// TestEveryFieldIsKnown decodes an entry with every field of Entry set and
// checks that none is kept in Extra, so that a field emptied afterwards is
// not written back from there.
func TestEveryFieldIsKnown(t *testing.T) {
	one, name := 1, "c"
	full := Entry{ID: "a", Name: "b", Directory: "/d", Port: &one, OpencodePort: 2, Hostname: "h", OpencodePID: &one,
		WebPID: &one, StartedAt: "s", InstanceType: "process", ContainerID: &name, Password: "p", Owner: "1-x",
		LogFile: "/l", State: "crashed", LastExit: "signal: killed", Restarts: 3}
	data, err := json.Marshal(full)
	if err != nil {
		t.Fatal(err)
	}
	var e Entry
	if err := json.Unmarshal(data, &e); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(full, e); diff != "" {
		t.Errorf("decoded entry (-want +got):\n%s", diff)
	}
	e.State, e.LastExit, e.Restarts, e.Owner, e.Password = "", "", 0, "", ""
	data, err = json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"portalState", "portalLastExit", "portalRestarts", "portalOwner", "opencodePassword"} {
		if strings.Contains(string(data), `"`+k+`"`) {
			t.Errorf("%s emptied, yet written back: %s", k, data)
		}
	}
}
