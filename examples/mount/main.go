// Command mount shows how to embed the portal API in an existing server: the
// program's own routes stay where they are and the portal answers under
// /portal/ (so the original web UI's /api/... becomes /portal/api/...).
//
//	go run ./examples/mount -addr 127.0.0.1:8080
//	curl http://127.0.0.1:8080/portal/api/instances
package main

import (
	"flag"
	"fmt"
	"log"
	"net/http"

	"github.com/opencode-portal/portal"
	"github.com/opencode-portal/portal/httpapi"
)

// newMux returns the program's routes with the portal mounted under /portal/.
func newMux(p *portal.Portal) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "hello from the host program")
	})
	mux.Handle("/portal/", http.StripPrefix("/portal", httpapi.New(p)))
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
	log.Printf("listening on http://%s (portal API under /portal/api/)", *addr)
	log.Fatal(http.ListenAndServe(*addr, newMux(p)))
}
