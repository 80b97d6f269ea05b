package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestListHidesDownInstances: GET /api/instances leaves a crashed instance
// out, as the original Portal does; ?all=1 shows it; DELETE removes it.
func TestListHidesDownInstances(t *testing.T) {
	t.Setenv("FAKE_CRASH_MS", "100")
	srv := fakeInstanceServer(t)
	status, got := getJSON(t, "POST", srv.URL+"/api/instances", strings.NewReader(`{"directory":"`+t.TempDir()+`"}`))
	if status != http.StatusCreated {
		t.Fatalf("POST: %d %v", status, got)
	}
	id := got.(map[string]any)["id"].(string)
	total := func(query string) float64 {
		t.Helper()
		status, got := getJSON(t, "GET", srv.URL+"/api/instances"+query, nil)
		if status != http.StatusOK {
			t.Fatalf("GET %s: %d %v", query, status, got)
		}
		return got.(map[string]any)["total"].(float64)
	}
	for deadline := time.Now().Add(30 * time.Second); total("") != 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the crashed instance is still listed")
		}
	}
	if n := total("?all=1"); n != 1 {
		t.Errorf("?all=1 lists %v instances, want the crashed one", n)
	}
	if status, got := getJSON(t, "GET", srv.URL+"/api/instances?all=maybe", nil); status != http.StatusBadRequest {
		t.Errorf("?all=maybe: %d %v, want 400", status, got)
	}
	req, _ := http.NewRequest("DELETE", srv.URL+"/api/instances/"+id, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("DELETE: %v %v", resp, err)
	}
	resp.Body.Close()
	if n := total("?all=true"); n != 0 {
		t.Errorf("after DELETE ?all=true lists %v instances", n)
	}
}
