package main

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"

	"github.com/opencode-portal/portal/httpapi"
)

// uiNone is the --ui value that serves no web UI.
const uiNone = "none"

// webUI is the web UI serve's --ui chose.
type webUI struct {
	option httpapi.Option // serves it; nil for none
	root   *os.Root       // the folder of --ui DIR, closed with close
}

// openUI returns the web UI the --ui value asks for: "" the one built into
// the binary (builtin: webui.FS), "none" no UI, anything else a
// folder holding index.html, served with the credentials the API needs
// (see httpapi.WithExternalUI). Files are read from the folder as they are
// asked for, and never from outside it (os.Root).
func openUI(value string, builtin fs.FS) (webUI, error) {
	switch value {
	case "":
		return webUI{option: httpapi.WithUI(builtin)}, nil
	case uiNone:
		return webUI{}, nil
	}
	root, err := os.OpenRoot(value)
	if err != nil {
		return webUI{}, fmt.Errorf("--ui %s: %w; give the folder of a built web app, holding index.html, or --ui none", value, err)
	}
	info, err := root.Stat("index.html")
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		root.Close()
		return webUI{}, fmt.Errorf("--ui %s: cannot read its index.html: %w; give a folder the portal's user can read, whose files link nowhere outside it, or --ui none", value, err)
	}
	if err != nil || !info.Mode().IsRegular() {
		root.Close()
		return webUI{}, fmt.Errorf("--ui %s: the folder has no index.html; give the folder of a built web app (such as the original Portal's build output), or --ui none", value)
	}
	return webUI{option: httpapi.WithExternalUI(root.FS()), root: root}, nil
}

// options returns the httpapi options that serve the UI, if any.
func (u webUI) options() []httpapi.Option {
	if u.option == nil {
		return nil
	}
	return []httpapi.Option{u.option}
}

// close releases the folder of --ui DIR.
func (u webUI) close() {
	if u.root != nil {
		u.root.Close()
	}
}

// url is where a browser finds the UI served on addr with scheme
// ("http://" or "https://"), or "none". An address that listens on every
// interface is given as localhost.
func (u webUI) url(scheme string, addr net.Addr) string {
	if u.option == nil {
		return uiNone
	}
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return scheme + addr.String() + "/"
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "localhost"
	}
	return scheme + net.JoinHostPort(host, port) + "/"
}
