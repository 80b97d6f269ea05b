package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencode-portal/portal/internal/fakeopencode"
	"github.com/opencode-portal/portal/internal/procfs"
	"github.com/opencode-portal/portal/internal/registry"
	"github.com/opencode-portal/portal/internal/supervisor"
)

// init lets the test binary play `opencode serve` when re-executed by the
// instance commands (see fakeopencode).
func init() { fakeopencode.Main() }

// portalCmd runs the portal command with args and returns its exit code and
// output.
func portalCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestInstanceCommands(t *testing.T) {
	exe, err := fakeopencode.Bin()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(fakeopencode.EnvVar, "1") // for the instances started
	reg := filepath.Join(t.TempDir(), "portal.json")
	flags := []string{"--registry", reg, "--opencode", exe}
	dir := t.TempDir()

	code, out, errOut := portalCmd(t, append([]string{"run", dir, "--opencode-port", "70000"}, flags...)...)
	if code != 1 || !strings.Contains(errOut, "Invalid port 70000") {
		t.Fatalf("run with port 70000: %d %s %s", code, out, errOut)
	}
	code, out, errOut = portalCmd(t, append([]string{"run", dir, "--name", "demo"}, flags...)...)
	if code != 0 || !strings.Contains(out, "OpenCode API at http://127.0.0.1:") || !strings.Contains(errOut, "ready in") {
		t.Fatalf("run: %d\n%s\n%s", code, out, errOut)
	}
	entries, err := registry.New(reg).Read()
	if err != nil || len(entries.Instances) != 1 {
		t.Fatalf("registry after run: %+v, %v", entries, err)
	}
	pid := *entries.Instances[0].OpencodePID
	t.Cleanup(func() { supervisor.Terminate(context.Background(), pid, 0) })
	if !procfs.Alive(pid) {
		t.Fatal("the instance did not outlive the run command")
	}

	code, out, _ = portalCmd(t, append([]string{"list", "--json"}, flags...)...)
	var list struct {
		Total     int
		Instances []struct{ Name, Directory, State string }
	}
	if err := json.Unmarshal([]byte(out), &list); code != 0 || err != nil || list.Total != 1 ||
		list.Instances[0].Name != "demo" || list.Instances[0].Directory != dir || list.Instances[0].State != "running" {
		t.Fatalf("list --json: %d %v\n%s", code, err, out)
	}
	code, out, _ = portalCmd(t, append([]string{"list"}, flags...)...)
	if code != 0 || !strings.Contains(out, "demo") || !strings.Contains(out, "running") {
		t.Errorf("list: %d\n%s", code, out)
	}

	code, out, _ = portalCmd(t, append([]string{"stop", "-d", dir}, flags...)...)
	if code != 0 || !strings.Contains(out, "Stopped demo") {
		t.Fatalf("stop -d: %d\n%s", code, out)
	}
	if procfs.Alive(pid) {
		t.Errorf("pid %d alive after stop", pid)
	}
	code, _, errOut = portalCmd(t, append([]string{"stop", "--name", "demo"}, flags...)...)
	if code != 1 || !strings.Contains(errOut, `no running instance is named "demo"`) {
		t.Errorf("second stop: %d %s", code, errOut)
	}

	dead := 2147483646
	registry.New(reg).Update(context.Background(), func(f *registry.File) error {
		f.Instances = append(f.Instances, registry.Entry{ID: "deadbeef", Name: "gone", Directory: "/gone", OpencodePID: &dead})
		return nil
	})
	code, out, _ = portalCmd(t, append([]string{"clean"}, flags...)...)
	if code != 0 || !strings.Contains(out, "Removed stale entry: gone") {
		t.Errorf("clean: %d\n%s", code, out)
	}
	code, out, _ = portalCmd(t, append([]string{"clean"}, flags...)...)
	if code != 0 || !strings.Contains(out, "Nothing to clean.") {
		t.Errorf("second clean: %d\n%s", code, out)
	}
}
