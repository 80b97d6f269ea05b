package httpapi

import "github.com/opencode-portal/portal"

// notBuilt is the answer of a route whose feature is not built yet.
func notBuilt(feature string) error {
	return portal.Errorf(portal.ENOTIMPLEMENTED, "This server does not support %s yet", feature)
}
