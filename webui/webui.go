// Package webui is the portal's own web UI: a phone-first single page of
// plain JavaScript modules and one style sheet, with no build step and no
// third-party code, that drives the portal through its public HTTP API
// only. Every URL it uses is relative, so it works under a prefix too.
//
// Serve FS with httpapi.WithUI, which sends it with a strict
// Content-Security-Policy (the page holds no inline script or style). The
// page routes by hash: #/ (instances: start, stop, restart, logs),
// #/i/{port} (sessions: create, rename, delete, fork), #/i/{port}/s/{id}
// (a session's conversation, streamed, with its composer), #/i/{port}/changes,
// #/i/{port}/files and #/login (shown when GET api/auth says a sign-in is
// needed, or any call gets 401).
//
// While a route is in an instance the page reads that instance's event
// stream (js/events.js, with fetch, so that its X-Portal-Client header and
// cookie go along), reconnects with backoff and says so in the top bar,
// and reads what the screen shows again after each reconnection and each
// portal.resync; messages and their parts are kept by id, so nothing is
// lost or shown twice. Permission requests and questions of any session of
// the instance raise a badge and a card, answered in one tap.
package webui

import (
	"embed"
	"io/fs"
)

//go:embed static
var static embed.FS

// FS returns the UI's files, rooted at the folder that holds index.html.
func FS() fs.FS {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // "static" is a valid path: fs.Sub cannot fail on it
	}
	return sub
}
