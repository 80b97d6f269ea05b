package confine

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime"
	"net/http"
	"path"
	"strings"
	"unicode/utf8"
)

// SniffLen is how much of the start of a file is searched for a NUL byte
// to tell binary from text, as git does.
const SniffLen = 8 << 10

// File is the content of one regular file.
type File struct {
	Path string // slash-separated, relative to the project folder, as asked for
	Size int64
	// Binary is true when Data has a NUL byte in its first SniffLen bytes
	// or is not valid UTF-8; text files are UTF-8 and can go into JSON
	// strings unchanged.
	Binary bool
	// MimeType comes from the file name's extension, else, for binary
	// files, from the content (http.DetectContentType); text files with an
	// unknown extension are "text/plain; charset=utf-8".
	MimeType string
	Data     []byte // the exact bytes of the file
}

// Read returns the content of the regular file name (see Resolve for what
// name may be). A file over limit bytes, which must be positive, is refused
// with ErrTooLarge.
func (r *Root) Read(ctx context.Context, name string, limit int64) (*File, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	clean, real, fi, err := r.resolve(name)
	if err != nil {
		return nil, err
	}
	if err := regular(name, fi.Mode().IsDir(), fi.Mode().IsRegular()); err != nil {
		return nil, err
	}
	if fi.Size() > limit {
		return nil, tooLarge(name, fi.Size(), limit)
	}
	f, fi, err := r.open(name, real)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if err := regular(name, fi.Mode().IsDir(), fi.Mode().IsRegular()); err != nil {
		return nil, err
	}
	if fi.Size() > limit {
		return nil, tooLarge(name, fi.Size(), limit)
	}
	buf := bytes.NewBuffer(make([]byte, 0, fi.Size()+bytes.MinRead))
	if _, err := buf.ReadFrom(io.LimitReader(f, limit+1)); err != nil {
		return nil, osError(name, err)
	}
	data := buf.Bytes()
	if int64(len(data)) > limit {
		return nil, tooLarge(name, int64(len(data)), limit) // grew while read
	}
	binary := isBinary(data)
	return &File{
		Path:     clean,
		Size:     int64(len(data)),
		Binary:   binary,
		MimeType: mimeType(clean, data, binary),
		Data:     data,
	}, nil
}

// regular refuses what is not a regular file.
func regular(name string, isDir, isRegular bool) error {
	switch {
	case isDir:
		return &PathError{Path: name, Err: ErrNotFile, Reason: "is a folder; list it instead of reading it"}
	case !isRegular:
		return &PathError{Path: name, Err: ErrNotFile, Reason: "is not a regular file (a device, pipe or socket) and cannot be read"}
	}
	return nil
}

// tooLarge says how large the file is and what the limit is.
func tooLarge(name string, size, limit int64) error {
	return &PathError{Path: name, Err: ErrTooLarge,
		Reason: fmt.Sprintf("is %d bytes, over the read limit of %s", size, formatSize(limit))}
}

// formatSize writes n bytes the way people read them, exactly: "512 bytes",
// "1 MiB", "1536 KiB", "1048577 bytes".
func formatSize(n int64) string {
	const kib, mib, gib = 1 << 10, 1 << 20, 1 << 30
	for _, u := range []struct {
		size int64
		name string
	}{{gib, "GiB"}, {mib, "MiB"}, {kib, "KiB"}} {
		if n >= u.size && n%u.size == 0 {
			return fmt.Sprintf("%d %s", n/u.size, u.name)
		}
	}
	return fmt.Sprintf("%d bytes", n)
}

// isBinary tells binary content from UTF-8 text.
func isBinary(data []byte) bool {
	return bytes.IndexByte(data[:min(len(data), SniffLen)], 0) >= 0 || !utf8.Valid(data)
}

// mimeType names the type of a file's content.
func mimeType(name string, data []byte, binary bool) string {
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		if !binary && strings.HasPrefix(t, "text/") && !strings.Contains(t, "charset") {
			t += "; charset=utf-8" // checked: the content is UTF-8
		}
		return t
	}
	if !binary {
		return "text/plain; charset=utf-8"
	}
	t := http.DetectContentType(data)
	if strings.HasPrefix(t, "text/plain") {
		return "text/plain" // not UTF-8: the charset is unknown
	}
	return t
}
