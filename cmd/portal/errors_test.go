package main

import (
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/opencode-portal/portal"
)

func TestErrorText(t *testing.T) {
	list := &portal.Error{Code: portal.ENOTFOUND, Hint: portal.HintListInstances, Message: `No instance "x"; list instances`}
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"list hint", list, `No instance "x"; list instances (portal list)`},
		{"wrapped", fmt.Errorf("stopping: %w", list), `stopping: No instance "x"; list instances (portal list)`},
		{"hint the command cannot take", &portal.Error{Code: portal.ENOTRUNNING, Hint: portal.HintRestartInstance, Instance: "ab12", Message: "The instance is not running; restart it"},
			"The instance is not running; restart it"},
		{"limit hint", &portal.Error{Code: portal.ECONFLICT, Hint: portal.HintMaxInstances, Message: "2 instances run already, the most allowed; stop one first, or raise the limit"},
			"2 instances run already, the most allowed; stop one first, or raise the limit (the --max-instances flag)"},
		{"executable hint", &portal.Error{Code: portal.EINTERNAL, Hint: portal.HintOpenCodeBin, Message: "Starting OpenCode for /p failed; check which opencode executable the portal runs"},
			"Starting OpenCode for /p failed; check which opencode executable the portal runs (the --opencode flag, or OPENCODE_BIN)"},
		{"no hint", portal.Errorf(portal.EINVALID, "Invalid port"), "Invalid port"},
		{"plain error", errors.New("flag provided but not defined"), "flag provided but not defined"},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, errorText(tt.err)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
}
