package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/opencode-portal/portal/internal/registry"
)

// TestListJSON pins what portal list --json prints, field by field, for a
// crashed instance and one whose original web UI still runs: the answer of
// GET /api/instances, indented.
func TestListJSON(t *testing.T) {
	t.Setenv("TZ", "UTC")
	reg := filepath.Join(t.TempDir(), "portal.json")
	gone, web, self := 1<<30, 3200, os.Getpid()
	container := "c0ffee"
	err := registry.New(reg).Update(context.Background(), func(f *registry.File) error {
		f.Instances = append(f.Instances,
			registry.Entry{ID: "gone1234", Name: "old", Directory: "/srv/old", OpencodePort: 3100, Hostname: "127.0.0.1",
				OpencodePID: &gone, StartedAt: "2026-01-02T03:04:05Z", State: "crashed", LastExit: "exit status 1", Restarts: 2},
			registry.Entry{ID: "web12345", Name: "web", Directory: "/srv/web", Port: &web, OpencodePort: 3101, Hostname: "0.0.0.0",
				OpencodePID: &gone, WebPID: &self, ContainerID: &container, StartedAt: "2026-01-02T03:04:05Z", State: "stopped"})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	code, out, errOut := portalCmd(t, "list", "--json", "--all", "--registry", reg)
	if code != 0 {
		t.Fatalf("portal list --json --all: %d %s", code, errOut)
	}
	want := fmt.Sprintf(`{
  "total": 2,
  "instances": [
    {
      "id": "gone1234",
      "name": "old",
      "directory": "/srv/old",
      "port": 3100,
      "hostname": "127.0.0.1",
      "opencodePid": null,
      "webPid": null,
      "startedAt": "2026-01-02T03:04:05Z",
      "instanceType": "process",
      "containerId": null,
      "state": "crashed",
      "status": "crashed",
      "restarts": 2,
      "lastExit": "exit status 1",
      "url": "http://127.0.0.1:3100"
    },
    {
      "id": "web12345",
      "name": "web",
      "directory": "/srv/web",
      "port": 3101,
      "hostname": "0.0.0.0",
      "opencodePid": 1073741824,
      "webPid": %d,
      "startedAt": "2026-01-02T03:04:05Z",
      "instanceType": "process",
      "containerId": "c0ffee",
      "state": "running",
      "status": "Running since 1/2/2026, 3:04:05 AM",
      "restarts": 0,
      "url": "http://127.0.0.1:3101"
    }
  ]
}
`, self)
	if diff := cmp.Diff(want, out); diff != "" {
		t.Errorf("portal list --json --all (-want +got):\n%s", diff)
	}
}
