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
// # Web UI and signing in
//
// [WithUI] serves a web UI's files at / beside the API (any path outside
// /api/ that names no file answers with index.html, but a missing script,
// style sheet or image asked for as such: 404), without credentials
// and under a strict Content-Security-Policy; [WithExternalUI] serves a UI
// built elsewhere, behind the API's credentials. GET /api/auth says whether
// credentials are needed; POST /api/auth/login takes the password or a
// token and sets an HttpOnly, SameSite=Strict session cookie that
// authenticates every route, until POST /api/auth/logout, [SessionIdle]
// without use or [SessionMaxAge]. A 401 to a request with X-Portal-Client:
// web, or with a session cookie, carries no WWW-Authenticate, so the
// browser shows no dialog of its own.
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
// every route but the sign-in routes and [WithUI]'s files, with failed
// attempts, sign-ins included, limited per address
// ([WithFailedAuthLimit]). Bodies are limited in size ([WithMaxBodyBytes],
// [WithMaxPromptBytes]) and, with [LimitBodyReads], in time.
package httpapi
