// Package httpapi serves a [portal.Portal] over HTTP: the original OpenCode
// Portal's JSON API, wire-compatible, plus instances, sessions, git, files
// and live events. README.md lists every route.
//
// # Serving
//
// [New] returns an http.Handler that serves the API under /api/. It can be
// mounted under a prefix in any ServeMux:
//
//	mux.Handle("/portal/", http.StripPrefix("/portal", httpapi.New(p)))
//
// Routes that act in an instance name it by its OpenCode port,
// /api/opencode/{port}/...; the portal relays only to registered instances
// whose own process holds that port.
//
// # Errors
//
// Every error, unknown routes and wrong methods included, is one JSON
// envelope, {"statusCode", "statusMessage", "message", "code"}: code is the
// [portal.Error] code, mapped to an HTTP status in one place. The message is
// the Portal's, followed, when it advises a step ([portal.Error.Hint]), by
// the route that takes it: `No instance "x"; list instances (GET
// /api/instances)`.
//
// # Safety
//
// Whoever can call the API can run code as the portal's user, so the handler
// guards every route. It answers only requests addressed to localhost, to an
// IP address or to a name given to [WithAllowedHosts], which stops DNS
// rebinding; it refuses requests that change things from pages of other
// origins ([WithAllowedOrigins] trusts more) and bodies not sent as
// application/json. [WithPassword] and [WithTokens] require credentials on
// every route, with failed attempts limited per address
// ([WithFailedAuthLimit]). Bodies are limited in size ([WithMaxBodyBytes],
// [WithMaxPromptBytes]) and, with [LimitBodyReads], in time.
package httpapi
