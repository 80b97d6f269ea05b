package supervisor

import (
	"context"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestMergeEnv(t *testing.T) {
	got := mergeEnv([]string{"A=1", "B=2", "junk", "C=3"}, "B=20", "D=4", "A=10")
	if diff := cmp.Diff([]string{"A=10", "B=20", "C=3", "D=4"}, got); diff != "" {
		t.Errorf("mergeEnv (-want +got):\n%s", diff)
	}
	if v := lookupEnv(got, "B"); v != "20" {
		t.Errorf("lookupEnv(B) = %q", v)
	}
	if v := lookupEnv(got, "E"); v != "" {
		t.Errorf("lookupEnv(E) = %q", v)
	}
}

func TestExitStatusString(t *testing.T) {
	tests := []struct {
		e    ExitStatus
		want string
	}{
		{ExitStatus{Code: 0}, "exit status 0"},
		{ExitStatus{Code: 3}, "exit status 3"},
		{ExitStatus{Code: -1, Signal: syscall.SIGKILL}, "signal: killed"},
		{ExitStatus{Code: -1}, "exited"},
	}
	for _, tt := range tests {
		if got := tt.e.String(); got != tt.want {
			t.Errorf("%+v.String() = %q, want %q", tt.e, got, tt.want)
		}
	}
}

func TestServes(t *testing.T) {
	opts := fakeOptions(t)
	port, err := FreePort("127.0.0.1", 20000, nil)
	if err != nil {
		t.Fatal(err)
	}
	opts.Port = port
	p := startFake(t, opts)
	st := p.Status()
	if !Serves(st.PID, st.Port) {
		t.Errorf("Serves(%d, %d) = false for the fake opencode", st.PID, st.Port)
	}
	if Serves(st.PID, st.Port+1) {
		t.Errorf("Serves on another port = true")
	}
	if Serves(os.Getpid(), st.Port) {
		t.Errorf("Serves(test process) = true")
	}
	p.Stop(context.Background())
	if Serves(st.PID, st.Port) {
		t.Errorf("Serves of a stopped process = true")
	}
}

// lookupEnv returns the value of key in env.
func lookupEnv(env []string, key string) string {
	for i := len(env) - 1; i >= 0; i-- {
		if v, ok := strings.CutPrefix(env[i], key+"="); ok {
			return v
		}
	}
	return ""
}
