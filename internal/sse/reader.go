// Package sse reads and writes server-sent events (text/event-stream) as the
// WHATWG HTML standard defines them (§9.2 "Server-sent events").
package sse

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"
)

// DefaultMaxEventSize bounds one event (and one line) when ReaderOptions.MaxEventSize is 0.
const DefaultMaxEventSize = 8 << 20

// ErrEventTooLarge is returned by Reader.Next when an event or a line is over
// the size limit. The event is dropped; the Reader stays usable and the next
// call to Next skips the rest of that event.
var ErrEventTooLarge = errors.New("sse: event over the size limit")

// Event is one dispatched server-sent event.
type Event struct {
	// ID is the stream's last event ID when the event was dispatched
	// (it persists across events, as the standard says).
	ID string
	// Type is the "event" field; "message" when the event had none.
	Type string
	// Data is the "data" lines joined with "\n".
	Data []byte
}

// ReaderOptions configure a Reader. The zero value is usable.
type ReaderOptions struct {
	// MaxEventSize bounds the bytes of one line and of one event's data.
	// Zero means DefaultMaxEventSize.
	MaxEventSize int
}

// Reader parses a text/event-stream. It is not safe for concurrent use.
type Reader struct {
	br    *bufio.Reader
	max   int
	retry time.Duration

	started bool // the byte-order mark has been checked
	skipLF  bool // the previous line ended with CR: a following LF belongs to it
	discard bool // skip lines until the end of the current (oversized) event

	line      []byte
	data      []byte
	hasData   bool
	eventType string
	lastID    string
}

// NewReader returns a Reader that parses r.
func NewReader(r io.Reader, opts ReaderOptions) *Reader {
	max := opts.MaxEventSize
	if max <= 0 {
		max = DefaultMaxEventSize
	}
	return &Reader{br: bufio.NewReaderSize(r, 16<<10), max: max}
}

// Retry is the reconnection time the stream last asked for with a "retry"
// field, or 0 if it never did.
func (r *Reader) Retry() time.Duration { return r.retry }

// Next returns the next event. At the end of the stream it returns io.EOF
// (an event not yet ended by a blank line is discarded, as the standard says);
// other read errors are returned as they are. ErrEventTooLarge drops one event
// and leaves the Reader usable.
func (r *Reader) Next() (Event, error) {
	for {
		line, tooLong, err := r.readLine()
		if err != nil {
			return Event{}, err
		}
		if r.discard {
			if len(line) == 0 && !tooLong {
				r.discard = false
			}
			continue
		}
		if tooLong {
			r.reset()
			r.discard = true
			return Event{}, fmt.Errorf("%w (a line over %d bytes)", ErrEventTooLarge, r.max)
		}
		if len(line) == 0 {
			if ev, ok := r.dispatch(); ok {
				return ev, nil
			}
			continue
		}
		if err := r.field(line); err != nil {
			r.reset()
			r.discard = true
			return Event{}, err
		}
	}
}

// field processes one non-empty line.
func (r *Reader) field(line []byte) error {
	if line[0] == ':' {
		return nil // comment
	}
	name, value := line, []byte(nil)
	if i := bytes.IndexByte(line, ':'); i >= 0 {
		name, value = line[:i], line[i+1:]
		if len(value) > 0 && value[0] == ' ' {
			value = value[1:]
		}
	}
	switch string(name) {
	case "event":
		r.eventType = string(value)
	case "data":
		if len(r.data)+len(value)+1 > r.max {
			return fmt.Errorf("%w (data over %d bytes)", ErrEventTooLarge, r.max)
		}
		if r.hasData {
			r.data = append(r.data, '\n')
		}
		r.data = append(r.data, value...)
		r.hasData = true
	case "id":
		if bytes.IndexByte(value, 0) < 0 {
			r.lastID = string(value)
		}
	case "retry":
		if ms, ok := digits(value); ok {
			r.retry = time.Duration(ms) * time.Millisecond
		}
	}
	return nil
}

// digits parses a non-empty string of ASCII digits.
func digits(b []byte) (int64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil || n > int64(time.Duration(1<<63-1)/time.Millisecond) {
		return 0, false
	}
	return n, true
}

// dispatch ends the current event; ok is false when it had no data.
func (r *Reader) dispatch() (Event, bool) {
	defer r.reset()
	if !r.hasData {
		return Event{}, false
	}
	typ := r.eventType
	if typ == "" {
		typ = "message"
	}
	return Event{ID: r.lastID, Type: typ, Data: append([]byte{}, r.data...)}, true
}

// reset clears the data and event type buffers (not the last event ID).
func (r *Reader) reset() {
	r.data = r.data[:0]
	r.hasData = false
	r.eventType = ""
}

// readLine returns the next line without its terminator (CRLF, LF or CR).
// A line over the limit is consumed but not kept: tooLong is true and line is
// empty. A line cut short by the end of the stream is not a line: the error
// is returned instead.
func (r *Reader) readLine() (line []byte, tooLong bool, err error) {
	if !r.started {
		r.started = true
		if b, err := r.br.Peek(3); err == nil && bytes.Equal(b, []byte{0xEF, 0xBB, 0xBF}) {
			_, _ = r.br.Discard(3)
		}
	}
	if r.skipLF {
		r.skipLF = false
		b, err := r.br.Peek(1)
		if err != nil {
			return nil, false, err
		}
		if b[0] == '\n' {
			_, _ = r.br.Discard(1)
		}
	}
	r.line = r.line[:0]
	for {
		if r.br.Buffered() == 0 {
			if _, err := r.br.Peek(1); err != nil {
				return nil, false, err
			}
		}
		buf, _ := r.br.Peek(r.br.Buffered())
		i := bytes.IndexAny(buf, "\r\n")
		chunk := buf
		if i >= 0 {
			chunk = buf[:i]
		}
		if !tooLong && len(r.line)+len(chunk) > r.max {
			tooLong = true
			r.line = r.line[:0]
		}
		if !tooLong {
			r.line = append(r.line, chunk...)
		}
		if i < 0 {
			_, _ = r.br.Discard(len(buf))
			continue
		}
		r.skipLF = buf[i] == '\r'
		_, _ = r.br.Discard(i + 1)
		return r.line, tooLong, nil
	}
}
