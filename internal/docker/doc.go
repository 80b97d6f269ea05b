// Package docker is the one place the portal uses the Docker Engine API,
// through the Engine's official Go client (github.com/moby/moby/client):
// a Client connects to an engine and negotiates the API version with it,
// builds the portal's offline OpenCode image, and runs the containers of
// docker instances. Its errors are *Error values that say, in the portal's
// words, what failed and what to do.
package docker
