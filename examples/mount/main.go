// Command mount shows how to embed the portal in an existing server: the
// program's own routes stay where they are and the portal answers under
// /portal/: its API at /portal/api/... (the original web UI's /api/...),
// and with -ui a web UI at /portal/, whose URLs are all relative.
//
//	go run ./examples/mount -addr 127.0.0.1:8080 -ui path/to/web/ui
//	curl http://127.0.0.1:8080/portal/api/instances
package main

import (
	"flag"
	"fmt"
	"io/fs"
	"log"
	"net/http"
	"os"

	"github.com/opencode-portal/portal"
	"github.com/opencode-portal/portal/httpapi"
)

// newMux returns the program's routes with the portal mounted under
// /portal/, serving the web UI in ui there if ui is not nil.
func newMux(p *portal.Portal, ui fs.FS) *http.ServeMux {
	var opts []httpapi.Option
	if ui != nil {
		opts = append(opts, httpapi.WithUI(ui))
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "hello from the host program")
	})
	mux.Handle("/portal/", http.StripPrefix("/portal", httpapi.New(p, opts...)))
	return mux
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	uiDir := flag.String("ui", "", "folder of a web UI to serve at /portal/ (none by default)")
	flag.Parse()
	var ui fs.FS
	if *uiDir != "" {
		root, err := os.OpenRoot(*uiDir) // no request reaches outside the folder
		if err != nil {
			log.Fatal(err)
		}
		defer root.Close()
		ui = root.FS()
	}
	p, err := portal.New(portal.Config{}) // zero value: ~/.portal.json, opencode on PATH
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	log.Printf("listening on http://%s (portal under /portal/, its API under /portal/api/)", *addr)
	log.Fatal(http.ListenAndServe(*addr, newMux(p, ui)))
}
