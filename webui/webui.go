// Package webui is the portal's own web UI: a phone-first single page of
// plain JavaScript modules and one style sheet, with no build step, that
// drives the portal through its public HTTP API only (every URL it uses is
// relative, so it works under a prefix too).
//
// Serve FS at the root of the same origin as the API (httpapi serves it
// with WithUI). The page uses hash routes (#/, #/i/{port},
// #/i/{port}/s/{sessionID}, #/i/{port}/changes, #/i/{port}/files,
// #/login), so the server only ever sends index.html and its assets.
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
