package supervisor

import (
	"bytes"
	"errors"
	"io"
	"os"
)

// maxLineBytes caps one captured line; longer lines are cut.
const maxLineBytes = 8 << 10

// lineSplitter turns chunks of output into lines. A trailing "\r" is dropped
// and lines longer than maxLineBytes are cut.
type lineSplitter struct {
	partial []byte
	cut     bool // the current line was already cut; drop its remainder
}

func (s *lineSplitter) write(chunk []byte) []string {
	var lines []string
	for len(chunk) > 0 {
		i := bytes.IndexByte(chunk, '\n')
		part := chunk
		if i >= 0 {
			part = chunk[:i]
			chunk = chunk[i+1:]
		} else {
			chunk = nil
		}
		if !s.cut {
			room := maxLineBytes - len(s.partial)
			if len(part) > room {
				s.partial = append(s.partial, part[:room]...)
				lines = append(lines, string(s.partial)+" [line cut]")
				s.partial = s.partial[:0]
				s.cut = true
			} else {
				s.partial = append(s.partial, part...)
			}
		}
		if i >= 0 {
			if !s.cut {
				lines = append(lines, string(bytes.TrimSuffix(s.partial, []byte("\r"))))
			}
			s.partial = s.partial[:0]
			s.cut = false
		}
	}
	return lines
}

// tailer follows the log file a process writes its stdout and stderr to.
// It is used by one goroutine at a time.
type tailer struct {
	f     *os.File
	split lineSplitter
	buf   []byte
}

// openTailer opens path for following; it starts at most back bytes before
// the end (at the next line start), or at the end when back is 0.
func openTailer(path string, back int64) (*tailer, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	t := &tailer{f: f, buf: make([]byte, 32<<10)}
	size, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		f.Close()
		return nil, err
	}
	start := max(size-back, 0)
	if _, err := f.Seek(start, io.SeekStart); err != nil {
		f.Close()
		return nil, err
	}
	if start > 0 {
		// Drop the line we started in the middle of, unless we start
		// right after a line's end (say, at the end of an earlier run's
		// output, where the next run's first line begins).
		prev := make([]byte, 1)
		if _, err := f.ReadAt(prev, start-1); err != nil || prev[0] != '\n' {
			t.split.cut = true
		}
	}
	return t, nil
}

// poll reads what was written since the last call and returns the new
// complete lines. A nil tailer has none.
func (t *tailer) poll() []string {
	if t == nil {
		return nil
	}
	var lines []string
	for {
		n, err := t.f.Read(t.buf)
		lines = append(lines, t.split.write(t.buf[:n])...)
		if err != nil || n < len(t.buf) {
			if err != nil && !errors.Is(err, io.EOF) {
				lines = append(lines, "[portal: reading output failed: "+err.Error()+"]")
			}
			return lines
		}
	}
}

// flush returns the unfinished last line, if any, once the writer is gone.
func (t *tailer) flush() []string {
	if t == nil || t.split.cut || len(t.split.partial) == 0 {
		return nil
	}
	l := string(bytes.TrimSuffix(t.split.partial, []byte("\r")))
	t.split.partial = t.split.partial[:0]
	return []string{l}
}

func (t *tailer) close() error {
	if t == nil {
		return nil
	}
	return t.f.Close()
}

// TailFile returns up to n of the last lines of a log file (all of its last
// 256 KiB for n <= 0), for a process that is not supervised here.
func TailFile(path string, n int) ([]string, error) {
	t, err := openTailer(path, 256<<10)
	if err != nil {
		return nil, err
	}
	defer t.close()
	lines := append(t.poll(), t.flush()...)
	if n > 0 && len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return lines, nil
}
