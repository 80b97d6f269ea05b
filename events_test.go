package portal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/opencode-portal/portal/internal/fakeopencode"
	"github.com/opencode-portal/portal/internal/registry"
)

func TestDecodeEvent(t *testing.T) {
	tests := []struct {
		name    string
		data    string
		want    Event
		wantErr bool
	}{
		{
			name: "server.connected",
			data: `{"id":"evt_1","type":"server.connected","properties":{}}`,
			want: Event{ID: "evt_1", Type: "server.connected", Properties: json.RawMessage(`{}`)},
		},
		{
			name: "sessionID in properties",
			data: `{"id":"evt_2","type":"message.part.delta","properties":{"sessionID":"ses_a","messageID":"msg_1","partID":"prt_1","field":"text","delta":"Hel"}}`,
			want: Event{ID: "evt_2", Type: "message.part.delta", SessionID: "ses_a",
				Properties: json.RawMessage(`{"sessionID":"ses_a","messageID":"msg_1","partID":"prt_1","field":"text","delta":"Hel"}`)},
		},
		{
			name: "sessionID in info",
			data: `{"id":"evt_3","type":"message.updated","properties":{"info":{"id":"msg_1","sessionID":"ses_b"}}}`,
			want: Event{ID: "evt_3", Type: "message.updated", SessionID: "ses_b",
				Properties: json.RawMessage(`{"info":{"id":"msg_1","sessionID":"ses_b"}}`)},
		},
		{
			name: "sessionID in part",
			data: `{"id":"evt_4","type":"message.part.updated","properties":{"part":{"id":"prt_1","sessionID":"ses_c"},"time":1}}`,
			want: Event{ID: "evt_4", Type: "message.part.updated", SessionID: "ses_c",
				Properties: json.RawMessage(`{"part":{"id":"prt_1","sessionID":"ses_c"},"time":1}`)},
		},
		{
			name: "properties.sessionID wins over info's",
			data: `{"type":"session.updated","properties":{"sessionID":"ses_d","info":{"id":"ses_d","sessionID":"other"}}}`,
			want: Event{Type: "session.updated", SessionID: "ses_d",
				Properties: json.RawMessage(`{"sessionID":"ses_d","info":{"id":"ses_d","sessionID":"other"}}`)},
		},
		{
			name: "properties not an object",
			data: `{"id":"evt_5","type":"odd","properties":[1,2]}`,
			want: Event{ID: "evt_5", Type: "odd", Properties: json.RawMessage(`[1,2]`)},
		},
		{
			name: "unknown fields kept in Raw",
			data: `{"id":"evt_6","type":"x","properties":{},"future":true}`,
			want: Event{ID: "evt_6", Type: "x", Properties: json.RawMessage(`{}`)},
		},
		{name: "no type", data: `{"id":"evt_7","properties":{}}`, wantErr: true},
		{name: "not JSON", data: `hello`, wantErr: true},
		{name: "not an object", data: `"x"`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeEvent([]byte(tt.data))
			if (err != nil) != tt.wantErr {
				t.Fatalf("error = %v, want error %v", err, tt.wantErr)
			}
			if tt.wantErr {
				return
			}
			tt.want.Raw = json.RawMessage(tt.data)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("event (-want +got):\n%s", diff)
			}
		})
	}
}

func FuzzDecodeEvent(f *testing.F) {
	f.Add([]byte(`{"id":"evt_1","type":"message.part.delta","properties":{"sessionID":"ses_a","delta":"x"}}`))
	f.Add([]byte(`{"type":"message.updated","properties":{"info":{"sessionID":"s"}}}`))
	f.Add([]byte(`{"type":"t","properties":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ev, err := decodeEvent(data)
		if err != nil {
			return
		}
		if ev.Type == "" {
			t.Fatal("decoded an event without a type")
		}
		if string(ev.Raw) != string(data) {
			t.Fatalf("Raw = %q, want the input %q", ev.Raw, data)
		}
	})
}

func TestPortalEvents(t *testing.T) {
	tests := []struct {
		ev   Event
		want string
	}{
		{resyncEvent("reconnect"), `{"type":"portal.resync","properties":{"reason":"reconnect"}}`},
		{heartbeatEvent(), `{"type":"portal.heartbeat","properties":{}}`},
	}
	for _, tt := range tests {
		if string(tt.ev.Raw) != tt.want {
			t.Errorf("Raw = %s, want %s", tt.ev.Raw, tt.want)
		}
		// What the portal sends decodes like an OpenCode event.
		back, err := decodeEvent(tt.ev.Raw)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tt.ev, back); diff != "" {
			t.Errorf("decoded again (-want +got):\n%s", diff)
		}
	}
}

// newEventPortal returns a Portal whose registry holds one instance served
// by h, that instance's port, and the registry's path.
func newEventPortal(t *testing.T, h http.Handler) (*Portal, int, string) {
	t.Helper()
	port := ServeStandIn(t, h)
	p := NewTestPortal(t, Config{}, StandIn{ID: "events", Port: port})
	return p, port, p.Config().RegistryPath
}

func receiveEvent(t *testing.T, ch <-chan Event) Event {
	t.Helper()
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				t.Fatal("event channel closed")
			}
			if ev.Type == "server.connected" {
				continue
			}
			return ev
		case <-time.After(10 * time.Second):
			t.Fatal("no event within 10s")
		}
	}
}

func TestSubscribe(t *testing.T) {
	srv := &fakeopencode.Server{}
	p, port, _ := newEventPortal(t, srv)
	all, err := p.Subscribe(t.Context(), port, EventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	onlyA, err := p.Subscribe(t.Context(), port, EventFilter{SessionID: "ses_a"})
	if err != nil {
		t.Fatal(err)
	}
	srv.Send(`{"id":"evt_1","type":"session.status","properties":{"sessionID":"ses_b","status":{"type":"busy"}}}`)
	srv.Send(`{"id":"evt_2","type":"message.part.delta","properties":{"sessionID":"ses_a","delta":"hi"}}`)

	var got []string
	for range 2 {
		ev := receiveEvent(t, all)
		got = append(got, ev.ID+" "+ev.SessionID)
	}
	ev := receiveEvent(t, onlyA)
	got = append(got, ev.ID+" "+ev.SessionID+" "+string(ev.Raw))
	want := []string{"evt_1 ses_b", "evt_2 ses_a",
		`evt_2 ses_a {"id":"evt_2","type":"message.part.delta","properties":{"sessionID":"ses_a","delta":"hi"}}`}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if opened := srv.StreamsOpened(); opened != 1 {
		t.Errorf("OpenCode /event opened %d times, want 1", opened)
	}

	// Close ends every subscription.
	p.Close()
	for _, ch := range []<-chan Event{all, onlyA} {
		for range ch {
		}
	}
	if _, err := p.Subscribe(t.Context(), port, EventFilter{}); ErrorCode(err) != EUNAVAILABLE {
		t.Errorf("Subscribe after Close: %v, want %s", err, EUNAVAILABLE)
	}
}

func TestSubscribeErrors(t *testing.T) {
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close() // nothing listens on its port any more
	notStream := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<html></html>")
	})
	p, htmlPort, _ := newEventPortal(t, notStream)

	tests := []struct {
		name string
		port int
		code string
	}{
		{"invalid port", 0, EINVALID},
		{"unregistered port", 1, ENOTFOUND},
		{"answers HTML", htmlPort, EUNAVAILABLE},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := p.Subscribe(t.Context(), tt.port, EventFilter{})
			if ErrorCode(err) != tt.code {
				t.Fatalf("error %v (code %s), want code %s", err, ErrorCode(err), tt.code)
			}
			if ErrorMessage(err) == "" {
				t.Error("error without a message")
			}
		})
	}

	_, downPort, _ := net.SplitHostPort(down.Listener.Addr().String())
	port, _ := strconv.Atoi(downPort)
	path := filepath.Join(t.TempDir(), "registry.json")
	pid := os.Getpid()
	err := registry.New(path).Update(context.Background(), func(f *registry.File) error {
		f.Instances = append(f.Instances, registry.Entry{ID: "down", Directory: t.TempDir(), OpencodePort: port, Hostname: "127.0.0.1", OpencodePID: &pid})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	p2 := NewTestPortal(t, Config{RegistryPath: path})
	_, err = p2.Subscribe(t.Context(), port, EventFilter{})
	if ErrorCode(err) != ENOTRUNNING || !errors.Is(err, ErrNotRunning) {
		t.Fatalf("OpenCode down: %v, want %s", err, ENOTRUNNING)
	}
}

func TestSubscribeEndsWhenInstanceRemoved(t *testing.T) {
	srv := &fakeopencode.Server{}
	p, port, path := newEventPortal(t, srv)
	ch, err := p.Subscribe(t.Context(), port, EventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	err = registry.New(path).Update(context.Background(), func(f *registry.File) error {
		f.Instances = nil
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	srv.Send("") // the instance's stream ends, and it is not registered any more
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				return
			}
			if ev.Type == EventResync {
				t.Fatalf("got %s: the portal reconnected to an instance no longer registered", ev.Type)
			}
		case <-timeout:
			t.Fatal("subscription still open 10s after the instance was removed")
		}
	}
}

// TestRemovedInstanceEndsSubscriptionsAtOnce checks that removing an
// instance (as StopInstance does) has closed its subscriptions by the time
// it returns, rather than at the hub's next reconnection attempt.
func TestRemovedInstanceEndsSubscriptionsAtOnce(t *testing.T) {
	p, port, _ := newEventPortal(t, &fakeopencode.Server{})
	ch, err := p.Subscribe(t.Context(), port, EventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.life.Remove("events"); err != nil {
		t.Fatal(err)
	}
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				return
			}
		default:
			t.Fatal("the subscription is still open after the instance was removed")
		}
	}
}
