// Command mount shows how to embed the portal in an existing server: the
// program's own routes stay where they are and the portal answers under
// /portal/: its web UI at /portal/ (every URL it uses is relative) and its
// API at /portal/api/... (the original web UI's /api/...).
//
//	go run ./examples/mount -addr 127.0.0.1:8080
//	open http://127.0.0.1:8080/portal/
//	curl http://127.0.0.1:8080/portal/api/instances
package main

import (
	"flag"
	"fmt"
	"io/fs"
	"log"
	"net/http"

	"github.com/opencode-portal/portal"
	"github.com/opencode-portal/portal/httpapi"
	"github.com/opencode-portal/portal/webui"
)

// newMux returns the program's routes with the portal and the web UI in ui
// mounted under /portal/.
func newMux(p *portal.Portal, ui fs.FS) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "hello from the host program")
	})
	mux.Handle("/portal/", http.StripPrefix("/portal", httpapi.New(p, httpapi.WithUI(ui))))
	return mux
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	flag.Parse()
	p, err := portal.New(portal.Config{}) // zero value: ~/.portal.json, opencode on PATH
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	log.Printf("listening on http://%s (the portal's web UI at /portal/, its API under /portal/api/)", *addr)
	log.Fatal(http.ListenAndServe(*addr, newMux(p, webui.FS())))
}
