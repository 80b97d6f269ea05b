package httpapi

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/opencode-portal/portal"
)

// embeddedCSP is the Content-Security-Policy of the portal's own web UI:
// its scripts, styles and requests come from the portal alone, and no
// other page may frame it.
const embeddedCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; " +
	"manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// externalCSP is the Content-Security-Policy of a web UI built elsewhere
// (WithExternalUI): no other page may frame it, and nothing more, since
// its build may need inline scripts or styles.
const externalCSP = "frame-ancestors 'none'"

// maxGzipBytes is the largest file of a web UI that is gzipped: larger
// ones (a source map) are sent as they are, rather than spend seconds of
// CPU on each version.
const maxGzipBytes = 8 << 20

// WithUI serves the web UI in fsys at / (GET and HEAD): "/" is
// index.html, a path naming a file is that file, and any other path outside
// /api/ is index.html too, so that a page's own routes can be reloaded;
// but for a name with an extension asked for by other than a navigation
// (a script, a style sheet, an image), which is 404.
// Paths under /api/ never reach it. Directories are not listed, and names
// with a segment starting with "." are not served. Files are sent with an
// ETag (a hash of their content) and Cache-Control: no-cache, so a browser
// asks again each time and gets 304 Not Modified when nothing changed;
// text up to 8 MiB is gzipped for browsers that accept it, once per file
// version (by name, size and modification time). The files are served without
// credentials, as they hold no data: they must be the portal's own UI,
// which asks for the password on its own page (POST /api/auth/login). They
// are sent with a strict Content-Security-Policy (scripts, styles and
// requests from the portal only; no inline script or style), nosniff,
// Referrer-Policy: no-referrer and X-Frame-Options: DENY.
func WithUI(fsys fs.FS) Option {
	return func(h *handler) { h.ui = newUI(fsys, embeddedCSP, false) }
}

// WithExternalUI serves a web UI built elsewhere, such as the original
// Portal's web app (portal serve --ui DIR), as WithUI does, but with the
// credentials the API needs (a browser asks for the password itself), and
// a Content-Security-Policy that only forbids framing, since such a build
// may need inline scripts or styles; nosniff, Referrer-Policy and
// X-Frame-Options stay. Give it a tree that cannot reach outside its
// folder, such as os.Root.FS.
func WithExternalUI(fsys fs.FS) Option {
	return func(h *handler) { h.ui = newUI(fsys, externalCSP, true) }
}

// ui serves a web UI's files.
type ui struct {
	fsys    fs.FS
	csp     string // Content-Security-Policy
	private bool   // needs credentials

	mu    sync.Mutex
	files map[string]*uiFile // what was worked out of each file served, by name
}

func newUI(fsys fs.FS, csp string, private bool) *ui {
	return &ui{fsys: fsys, csp: csp, private: private, files: map[string]*uiFile{}}
}

// uiFile is what is worked out once per version of a file: its ETag and
// its gzipped content. A version is known by size and modification time
// (files of an embed.FS have none, and never change).
type uiFile struct {
	size    int64
	modTime time.Time
	etag    string // quoted hash of the content
	gz      []byte // the content gzipped; nil when not text or not smaller
}

// isAPIPath reports whether a request path is the API's, which the UI
// never answers.
func isAPIPath(p string) bool { return p == "/api" || strings.HasPrefix(p, "/api/") }

// uiName is the name in the UI's tree that a request path asks for: the
// path cleaned (no ".." goes above the top), index.html for "/".
func uiName(urlPath string) string {
	name := strings.TrimPrefix(path.Clean("/"+urlPath), "/")
	if name == "" {
		return "index.html"
	}
	return name
}

// serve answers r with a file of the UI, or with index.html when r's path
// names no file and r asks for a page (pageRequest).
func (u *ui) serve(w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		return portal.Errorf(portal.EMETHOD, "Method %s is not allowed on %s; allowed: GET, HEAD (the web UI's files)", r.Method, r.URL.Path)
	}
	name := uiName(r.URL.Path)
	f, info, err := u.open(name)
	if errors.Is(err, fs.ErrNotExist) {
		if name != "index.html" && !pageRequest(r, name) {
			return portal.Errorf(portal.ENOTFOUND, "The web UI has no file %s; reload the page, as the UI may have changed since it was loaded", r.URL.Path)
		}
		name = "index.html"
		f, info, err = u.open(name)
		if errors.Is(err, fs.ErrNotExist) {
			return portal.Errorf(portal.ENOTFOUND, "The web UI has no index.html: serve the folder of a built web app, one holding index.html")
		}
	}
	if err != nil {
		return uiReadError(name, err)
	}
	defer f.Close()
	file, content, err := u.file(name, f, info)
	if err != nil {
		return uiReadError(name, err)
	}

	hdr := w.Header()
	hdr.Set("Content-Security-Policy", u.csp)
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Referrer-Policy", "no-referrer")
	hdr.Set("X-Frame-Options", "DENY")
	hdr.Set("Cache-Control", "no-cache")
	hdr.Set("Content-Type", uiContentType(name))
	etag := file.etag
	if file.gz != nil {
		hdr.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r.Header.Get("Accept-Encoding")) {
			hdr.Set("Content-Encoding", "gzip")
			etag = strings.TrimSuffix(etag, `"`) + `-gzip"`
			content = bytes.NewReader(file.gz)
		}
	}
	hdr.Set("ETag", etag)
	if content == nil { // not read: the file is its own content
		seeker, ok := f.(io.ReadSeeker)
		if !ok {
			data, err := io.ReadAll(f)
			if err != nil {
				return uiReadError(name, err)
			}
			seeker = bytes.NewReader(data)
		}
		content = seeker
	}
	http.ServeContent(w, r, name, info.ModTime(), content)
	return nil
}

// pageRequest reports whether r, for the UI's file name that is not
// there, asks for a page, which index.html answers: the browser navigates
// to it (it accepts HTML), or its last segment has no extension, as the
// page's own routes have none. A missing script, style sheet, image or
// font gets a 404, not an HTML page in its place.
func pageRequest(r *http.Request, name string) bool {
	return path.Ext(name) == "" || strings.Contains(r.Header.Get("Accept"), "text/html")
}

// open opens the UI's file name. A name that is not valid in an fs.FS,
// has a segment starting with ".", or names a directory is reported as
// fs.ErrNotExist.
func (u *ui) open(name string) (fs.File, fs.FileInfo, error) {
	if !fs.ValidPath(name) || strings.HasPrefix(name, ".") || strings.Contains(name, "/.") {
		return nil, nil, fs.ErrNotExist
	}
	f, err := u.fsys.Open(name)
	if err != nil {
		if errors.Is(err, fs.ErrInvalid) {
			err = fs.ErrNotExist
		}
		return nil, nil, err
	}
	info, err := f.Stat()
	if err == nil && !info.Mode().IsRegular() {
		err = fs.ErrNotExist
	}
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, info, nil
}

// file returns what is worked out of f, the file name of the given info:
// as kept when this version was seen before; else it reads f, works it out
// and keeps it, and returns the content read as well.
func (u *ui) file(name string, f fs.File, info fs.FileInfo) (*uiFile, io.ReadSeeker, error) {
	u.mu.Lock()
	kept := u.files[name]
	u.mu.Unlock()
	if kept != nil && kept.size == info.Size() && kept.modTime.Equal(info.ModTime()) {
		return kept, nil, nil
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, nil, err
	}
	sum := sha256.Sum256(data)
	file := &uiFile{size: info.Size(), modTime: info.ModTime(), etag: `"` + hex.EncodeToString(sum[:16]) + `"`}
	if len(data) <= maxGzipBytes && compressible(uiContentType(name)) {
		file.gz = gzipped(data)
	}
	u.mu.Lock()
	u.files[name] = file
	u.mu.Unlock()
	return file, bytes.NewReader(data), nil
}

// gzipped returns data gzipped, or nil when that is not smaller.
func gzipped(data []byte) []byte {
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression) // a valid level
	zw.Write(data)                                         // a bytes.Buffer does not fail
	zw.Close()
	if b.Len() >= len(data) {
		return nil
	}
	return b.Bytes()
}

// acceptsGzip reports whether an Accept-Encoding header value accepts
// gzip: it names gzip (or *) with a weight above zero, or none.
func acceptsGzip(header string) bool {
	for part := range strings.SplitSeq(header, ",") {
		coding, params, _ := strings.Cut(part, ";")
		coding = strings.ToLower(strings.TrimSpace(coding))
		if coding != "gzip" && coding != "*" {
			continue
		}
		for param := range strings.SplitSeq(params, ";") {
			k, v, _ := strings.Cut(strings.TrimSpace(param), "=")
			if strings.EqualFold(k, "q") {
				q, err := strconv.ParseFloat(v, 64)
				return err == nil && q > 0
			}
		}
		return true
	}
	return false
}

// uiContentType is the content type of the UI's file name, by its
// extension: those a web UI holds, else application/octet-stream.
func uiContentType(name string) string {
	switch strings.ToLower(path.Ext(name)) {
	case ".html":
		return "text/html; charset=utf-8"
	case ".js", ".mjs":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".txt":
		return "text/plain; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	case ".json", ".map":
		return "application/json"
	case ".webmanifest":
		return "application/manifest+json"
	case ".png":
		return "image/png"
	case ".jpg", ".jpeg":
		return "image/jpeg"
	case ".gif":
		return "image/gif"
	case ".webp":
		return "image/webp"
	case ".avif":
		return "image/avif"
	case ".ico":
		return "image/x-icon"
	case ".woff":
		return "font/woff"
	case ".woff2":
		return "font/woff2"
	case ".wasm":
		return "application/wasm"
	}
	return "application/octet-stream"
}

// compressible reports whether content of type t is worth gzipping: text,
// not images or fonts, which are compressed already.
func compressible(t string) bool {
	mt, _, _ := strings.Cut(t, ";")
	switch mt {
	case "image/svg+xml", "application/json", "application/manifest+json":
		return true
	}
	return strings.HasPrefix(mt, "text/")
}

// uiReadError says that reading the UI file name failed, and what to do.
func uiReadError(name string, err error) error {
	return portal.Errorf(portal.EINTERNAL, "Reading the web UI's %s failed: %v; check that the portal's user can read the UI's folder, then reload the page", name, err)
}
