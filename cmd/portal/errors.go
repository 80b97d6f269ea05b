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

// hintCommand is the subcommand that takes the step hint names, or "" when
// the portal command has none: restarting an instance and reading its log
// are the server's, and portal stop names an instance by its folder or name,
// not by the ID an error knows.
func hintCommand(hint portal.Hint) string {
	if hint == portal.HintListInstances {
		return "portal list"
	}
	return ""
}
