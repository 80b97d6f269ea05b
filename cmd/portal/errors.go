package main

import (
	"errors"

	"github.com/opencode-portal/portal"
)

// errorText is err as the portal command prints it: the message, then the
// subcommand that takes the step its hint names, when there is one.
func errorText(err error) string {
	var e *portal.Error
	if errors.As(err, &e) {
		if cmd := hintCommand(e.Hint); cmd != "" {
			return err.Error() + " (" + cmd + ")"
		}
	}
	return err.Error()
}

// hintCommand is the subcommand or flag that takes the step hint names, or
// "" when the portal command has none: restarting an instance and reading
// its log are the server's, portal stop names an instance by its folder or
// name, not by the ID an error knows, and no flag sets the start timeout.
func hintCommand(hint portal.Hint) string {
	switch hint {
	case portal.HintListInstances:
		return "portal list"
	case portal.HintMaxInstances:
		return "the --max-instances flag"
	case portal.HintOpenCodeBin:
		return "the --opencode flag, or OPENCODE_BIN"
	}
	return ""
}
