package sse

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Writer writes events to an HTTP response, flushing after each one.
type Writer struct {
	w  http.ResponseWriter
	rc *http.ResponseController
	// WriteTimeout bounds each write so a client that stops reading cannot
	// hold the handler forever; zero means no bound.
	WriteTimeout time.Duration
}

// Start sets the event-stream headers (no caching, no proxy buffering),
// sends the 200 status and flushes it so the client sees the stream open.
// It fails when the response cannot be flushed.
func Start(w http.ResponseWriter) (*Writer, error) {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	sw := &Writer{w: w, rc: http.NewResponseController(w)}
	if err := sw.rc.Flush(); err != nil {
		return nil, fmt.Errorf("sse: the response cannot stream: %w", err)
	}
	return sw, nil
}

// Write sends one event: an "event:" line when typ is not empty, one "data:"
// line per line of data (CRLF, CR and LF all split lines), a blank line, and
// flushes. typ must not contain a line break.
func (sw *Writer) Write(typ string, data []byte) error {
	if strings.ContainsAny(typ, "\r\n") {
		return fmt.Errorf("sse: event type %q contains a line break", typ)
	}
	var b bytes.Buffer
	b.Grow(len(typ) + len(data) + 16)
	if typ != "" {
		b.WriteString("event: ")
		b.WriteString(typ)
		b.WriteByte('\n')
	}
	for {
		i := bytes.IndexAny(data, "\r\n")
		if i < 0 {
			break
		}
		b.WriteString("data: ")
		b.Write(data[:i])
		b.WriteByte('\n')
		if data[i] == '\r' && i+1 < len(data) && data[i+1] == '\n' {
			i++
		}
		data = data[i+1:]
	}
	b.WriteString("data: ")
	b.Write(data)
	b.WriteString("\n\n")
	return sw.send(b.Bytes())
}

func (sw *Writer) send(p []byte) error {
	if sw.WriteTimeout > 0 {
		err := sw.rc.SetWriteDeadline(time.Now().Add(sw.WriteTimeout))
		if err != nil && !errors.Is(err, http.ErrNotSupported) {
			return err
		}
	}
	if _, err := sw.w.Write(p); err != nil {
		return err
	}
	return sw.rc.Flush()
}
