package httpapi

import (
	"fmt"
	"net/http"
)

// WithoutGuards turns off the Host check, the cross-origin check and the
// JSON body rule, so that tests can show the attacks they stop.
var WithoutGuards = withoutGuards

// HostName is hostName, for the fuzz test.
var HostName = hostName

// Patterns returns the route patterns h registered, in order; h must come
// from New, or wrap such a handler (see inner).
func Patterns(h http.Handler) []string { return inner(h).patterns }

// inner is the handler New built that h is or wraps: a test's wrapper says
// what it wraps with an Unwrap method.
func inner(h http.Handler) *handler {
	for {
		switch v := h.(type) {
		case *handler:
			return v
		case interface{ Unwrap() http.Handler }:
			h = v.Unwrap()
		default:
			panic(fmt.Sprintf("httpapi: %T is not a handler from New, nor wraps one", h))
		}
	}
}

// OpenAPIDocument is the embedded OpenAPI document, as served.
var OpenAPIDocument = openAPIDocument

// Guarded reports whether h runs the request guards (it was not built
// WithoutGuards).
func Guarded(h http.Handler) bool { return !inner(h).unguarded }

// HintRoute is hintRoute, for the test that each hint names a route.
var HintRoute = hintRoute
