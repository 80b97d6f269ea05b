package httpapi_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/opencode-portal/portal/httpapi"
)

// BenchmarkUIFile serves a 60 KB script of an embedded-like UI: through
// WithUI plain and gzipped (compressed once, then kept), and through
// http.FileServerFS (plain), the reference; it reports the bytes sent per
// request.
func BenchmarkUIFile(b *testing.B) {
	var script strings.Builder
	for i := range 2000 {
		fmt.Fprintf(&script, "export const name%d = document.createElement('div');\n", i)
	}
	fsys := fstest.MapFS{"index.html": {Data: []byte("<!doctype html>")}, "js/main.js": {Data: []byte(script.String()[:60_000])}}
	portalUI := newEmptyHandler(b, httpapi.WithUI(fsys))
	for _, c := range []struct {
		name     string
		h        http.Handler
		encoding string
	}{
		{"portal/plain", portalUI, ""},
		{"portal/gzip", portalUI, "gzip"},
		{"FileServerFS/plain", http.FileServerFS(fsys), ""},
	} {
		b.Run(c.name, func(b *testing.B) {
			var sent int
			for b.Loop() {
				req := httptest.NewRequest("GET", "http://127.0.0.1:3000/js/main.js", nil)
				req.Header.Set("Accept-Encoding", c.encoding)
				rec := httptest.NewRecorder()
				c.h.ServeHTTP(rec, req)
				if rec.Code != 200 {
					b.Fatalf("status %d", rec.Code)
				}
				sent = rec.Body.Len()
			}
			b.ReportMetric(float64(sent), "bytes/op-sent")
		})
	}
}
