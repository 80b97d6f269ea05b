package httpapi_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/opencode-portal/portal/httpapi"
)

// echoLength answers with the length of the body it read, or 400 and the
// read error.
var echoLength = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	data, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	fmt.Fprint(w, len(data))
})

// bodyServer serves h behind LimitBodyReads with t.
func bodyServer(t *testing.T, h http.Handler, bt httpapi.BodyTimeouts) string {
	t.Helper()
	srv := httptest.NewServer(httpapi.LimitBodyReads(h, bt))
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String()
}

// sendSlowly writes a POST with a body of n bytes, one byte every gap, and
// returns the connection to read the answer from.
func sendSlowly(t *testing.T, addr string, n int, gap time.Duration) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	fmt.Fprintf(c, "POST / HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n\r\n", addr, n)
	go func() {
		for range n {
			if _, err := c.Write([]byte("x")); err != nil {
				return
			}
			time.Sleep(gap)
		}
	}()
	return c
}

// answer reads the status and body of the answer on c, failing after a
// generous time (a hang is the failure).
func answer(t *testing.T, c net.Conn) (int, string) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(body))
}

func TestLimitBodyReads(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		size       int
		gap        time.Duration
		timeouts   httpapi.BodyTimeouts
		wantStatus int
		wantBody   string // a prefix
	}{
		// 10 bytes over ~1.5 s: longer than Idle in all, never idle for it.
		{"slow but steady", 10, 150 * time.Millisecond, httpapi.BodyTimeouts{Idle: time.Second, Total: time.Minute}, 200, "10"},
		{"stalled", 100000, time.Hour, httpapi.BodyTimeouts{Idle: 200 * time.Millisecond}, 400, "the request body stopped arriving (no bytes for 200ms, or not all within 2m0s)"},
		{"trickled past the total", 1000, 50 * time.Millisecond, httpapi.BodyTimeouts{Idle: time.Second, Total: 300 * time.Millisecond}, 400, "the request body stopped arriving"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := bodyServer(t, echoLength, tt.timeouts)
			status, body := answer(t, sendSlowly(t, addr, tt.size, tt.gap))
			if status != tt.wantStatus || !strings.HasPrefix(body, tt.wantBody) {
				t.Errorf("answer %d %q, want %d %q…", status, body, tt.wantStatus, tt.wantBody)
			}
		})
	}
}

// TestLimitBodyReadsSparesStreams checks that a request whose body was read
// (a prompt waiting for its answer) and one without a body (an event
// stream) outlive the body deadlines many times over.
func TestLimitBodyReadsSparesStreams(t *testing.T) {
	t.Parallel()
	const ticks = 10
	stream := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(r.Body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		rc := http.NewResponseController(w)
		for i := range ticks {
			select {
			case <-r.Context().Done():
				return // the client would see a short stream
			case <-time.After(100 * time.Millisecond):
			}
			fmt.Fprintf(w, "%d\n", i)
			rc.Flush()
		}
	})
	addr := bodyServer(t, stream, httpapi.BodyTimeouts{Idle: 50 * time.Millisecond, Total: 100 * time.Millisecond})
	want := "0\n1\n2\n3\n4\n5\n6\n7\n8\n9"
	for _, body := range []string{"", `{"parts":[]}`} {
		resp, err := http.Post("http://"+addr, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || strings.TrimSpace(string(got)) != want {
			t.Errorf("body %q: stream %q, %v; want all %d ticks", body, got, err, ticks)
		}
	}
}
