package portal

import (
	"testing"

	"github.com/opencode-portal/portal/internal/registry"
)

func TestClientsAreKeptOnePerAddress(t *testing.T) {
	p := NewTestPortal(t, Config{})
	e := registry.Entry{OpencodePort: 4100, Hostname: "127.0.0.1", Password: "first"}
	first, _ := p.clientFor(e)
	if again, _ := p.clientFor(e); again != first {
		t.Error("the same address and password got a new client")
	}
	e.Password = "second" // a restart's new password
	second, _ := p.clientFor(e)
	if second == first {
		t.Error("a new password got the client of the old one")
	}
	other := e
	other.OpencodePort = 4101
	p.clientFor(other)
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.clients) != 2 || p.clients["127.0.0.1:4100"].client != second {
		t.Errorf("cached clients %v, want the second password's for 4100 and one for 4101", p.clients)
	}
}
