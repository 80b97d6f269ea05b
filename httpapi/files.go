package httpapi

import (
	"mime"
	"net/http"
	"net/url"
	"path"
	"strconv"

	"github.com/opencode-portal/portal"
)

// fileRequest returns the instance port of a files route and its query
// string, parsed strictly.
func fileRequest(r *http.Request) (int, url.Values, error) {
	port, err := pathPort(r)
	if err != nil {
		return 0, nil, err
	}
	q, err := parseQuery(r)
	return port, q, err
}

// searchFiles answers GET files/search?q=&limit=&type= with a bare JSON
// array of paths; no or an empty q gives [].
func (h *handler) searchFiles(w http.ResponseWriter, r *http.Request) error {
	port, q, err := fileRequest(r)
	if err != nil {
		return err
	}
	s := portal.FileSearch{Query: q.Get("q"), Type: q.Get("type")}
	if s.Limit, err = queryInt(q.Get("limit"), "limit"); err != nil {
		return err
	}
	found, err := h.p.SearchFiles(r.Context(), port, s)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, found)
}

// listFiles answers GET files/list?path= with a bare JSON array of
// portal.FileEntry; no path lists the instance's folder.
func (h *handler) listFiles(w http.ResponseWriter, r *http.Request) error {
	port, q, err := fileRequest(r)
	if err != nil {
		return err
	}
	entries, err := h.p.ListFiles(r.Context(), port, q.Get("path"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, entries)
}

// fileBody is the JSON answer of files/read. Its type, content, encoding
// and mimeType fields are those of OpenCode's /file/content, except that
// text content is exact (OpenCode trims it) and text has a mimeType too.
type fileBody struct {
	Type string `json:"type"` // "text" or "binary"
	// Content is a string for text, []byte (which encoding/json writes in
	// base64) for binary content.
	Content  any    `json:"content"`
	Encoding string `json:"encoding,omitempty"` // "base64" for binary content
	MimeType string `json:"mimeType"`
	Path     string `json:"path"`
	Size     int64  `json:"size"`
}

// readFile answers GET files/read?path= with a fileBody, or with ?raw=1
// with the file's bytes and content type.
func (h *handler) readFile(w http.ResponseWriter, r *http.Request) error {
	port, q, err := fileRequest(r)
	if err != nil {
		return err
	}
	raw, err := queryBool(q.Get("raw"), "raw")
	if err != nil {
		return err
	}
	f, err := h.p.ReadFile(r.Context(), port, q.Get("path"))
	if err != nil {
		return err
	}
	if raw {
		return writeRaw(w, f)
	}
	body := fileBody{Type: "text", Content: string(f.Data), MimeType: f.MimeType, Path: f.Path, Size: f.Size}
	if f.Binary {
		body.Type, body.Encoding, body.Content = "binary", "base64", f.Data
	}
	return writeJSON(w, http.StatusOK, body)
}

// writeRaw serves a file's bytes as they are. The browser may not guess
// another type, and the sandbox keeps an HTML or SVG file from the project
// from running scripts with the portal's origin.
func writeRaw(w http.ResponseWriter, f *portal.FileContent) error {
	hd := w.Header()
	hd.Set("Content-Type", f.MimeType)
	hd.Set("Content-Length", strconv.FormatInt(f.Size, 10))
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Content-Security-Policy", "sandbox; default-src 'none'; img-src 'self' data:; media-src 'self'; style-src 'unsafe-inline'")
	if cd := mime.FormatMediaType("inline", map[string]string{"filename": path.Base(f.Path)}); cd != "" {
		hd.Set("Content-Disposition", cd)
	}
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(f.Data)
	return err
}

// changedFiles answers GET files/status with a bare JSON array of
// portal.ChangedFile.
func (h *handler) changedFiles(w http.ResponseWriter, r *http.Request) error {
	port, err := pathPort(r)
	if err != nil {
		return err
	}
	changed, err := h.p.ChangedFiles(r.Context(), port)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, changed)
}
