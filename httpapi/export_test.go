package httpapi

import "net/http"

// WithoutGuards turns off the Host check, the cross-origin check and the
// JSON body rule, so that tests can show the attacks they stop.
var WithoutGuards = withoutGuards

// HostName is hostName, for the fuzz test.
var HostName = hostName

// Patterns returns the route patterns h registered, in order; h must come
// from New.
func Patterns(h http.Handler) []string { return h.(*handler).patterns }

// HintRoute is hintRoute, for the test that each hint names a route.
var HintRoute = hintRoute
