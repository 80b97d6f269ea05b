package credentials

import (
	"context"
	"fmt"
	"github.com/opencode-portal/portal/internal/atomicfile"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// newStore returns a Store on a token file in a fresh folder.
func newStore(t testing.TB) *Store {
	t.Helper()
	return NewStore(filepath.Join(t.TempDir(), "portal.tokens.json"))
}

// ids returns the ids of tokens, in order.
func ids(tokens []Token) []string {
	var out []string
	for _, t := range tokens {
		out = append(out, t.ID)
	}
	return out
}

func TestCreateListRevoke(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	v := NewVerifier(s.Path())
	if inUse, err := v.InUse(); inUse || err != nil {
		t.Fatalf("InUse before any token = %v, %v; want false, nil", inUse, err)
	}
	phone, phoneSecret, err := s.Create(ctx, "phone")
	if err != nil {
		t.Fatal(err)
	}
	laptop, laptopSecret, err := s.Create(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(phoneSecret, "portal_") || len(phoneSecret) != len("portal_")+43 || phoneSecret == laptopSecret {
		t.Errorf("secrets %q and %q: want two different portal_ + 43 base64url characters", phoneSecret, laptopSecret)
	}
	fi, err := os.Stat(s.Path())
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("token file: %v, %v; want mode 0600", fi, err)
	}
	data, _ := os.ReadFile(s.Path())
	if strings.Contains(string(data), phoneSecret) || strings.Contains(string(data), strings.TrimPrefix(phoneSecret, "portal_")) {
		t.Errorf("the token file holds a secret:\n%s", data)
	}
	list, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{phone.ID, laptop.ID}, ids(list)); diff != "" {
		t.Errorf("List ids (-want +got):\n%s", diff)
	}
	if list[0].Name != "phone" || list[0].Created.IsZero() {
		t.Errorf("first token %+v, want named phone with its creation time", list[0])
	}

	tests := []struct {
		secret string
		want   string // token id, "" for refused
	}{
		{phoneSecret, phone.ID},
		{laptopSecret, laptop.ID},
		{phoneSecret[:len(phoneSecret)-1], ""},
		{"", ""},
		{"portal_", ""},
	}
	check := func(when string) {
		t.Helper()
		for _, tt := range tests {
			tok, ok, err := v.Check(tt.secret)
			if err != nil || ok != (tt.want != "") || tok.ID != tt.want {
				t.Errorf("%s: Check(%q) = %s, %v, %v; want %q", when, tt.secret, tok.ID, ok, err, tt.want)
			}
		}
	}
	check("after create")

	if err := s.Revoke(ctx, phone.ID); err != nil {
		t.Fatal(err)
	}
	tests[0].want = ""
	check("after revoking phone")
	for id, want := range map[string]bool{phone.ID: false, laptop.ID: true, "tok_000000000000": false, "": false} {
		if tok, ok, err := v.Lookup(id); ok != want || err != nil || ok && tok.ID != id {
			t.Errorf("after revoking phone: Lookup(%q) = %s, %v, %v; want %v", id, tok.ID, ok, err, want)
		}
	}
	if err := s.Revoke(ctx, phone.ID); err == nil || !strings.Contains(err.Error(), "portal token list") {
		t.Errorf("revoking twice: %v; want an error pointing at portal token list", err)
	}
	if err := s.Revoke(ctx, "tok_../../x"); err == nil {
		t.Error("revoking a malformed id: no error")
	}
	if err := s.Revoke(ctx, laptop.ID); err != nil {
		t.Fatal(err)
	}
	if inUse, err := v.InUse(); !inUse || err != nil {
		t.Errorf("InUse with every token revoked = %v, %v; want true: the file still exists", inUse, err)
	}
	os.Remove(s.Path())
	if inUse, err := v.InUse(); !inUse || err != nil {
		t.Errorf("InUse after the file was removed = %v, %v; want true until a restart", inUse, err)
	}
}

func TestConcurrentCreatesKeepEveryToken(t *testing.T) {
	path := newStore(t).Path()
	const n = 8
	var wg sync.WaitGroup
	created := make([]string, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			// A Store each, as separate portal token commands would have.
			tok, _, err := NewStore(path).Create(context.Background(), fmt.Sprint("t", i))
			created[i], errs[i] = tok.ID, err
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	list, err := NewStore(path).List()
	if err != nil {
		t.Fatal(err)
	}
	got := ids(list)
	if len(got) != n {
		t.Fatalf("%d tokens in the file after %d concurrent creates: %v", len(got), n, got)
	}
	for _, id := range created {
		if !strings.Contains(strings.Join(got, " "), id) {
			t.Errorf("token %s lost", id)
		}
	}
}

func TestVerifierRefusesEverythingWhileTheFileIsBroken(t *testing.T) {
	s := newStore(t)
	tok, secret, err := s.Create(context.Background(), "x")
	if err != nil {
		t.Fatal(err)
	}
	v := NewVerifier(s.Path())
	if _, ok, err := v.Check(secret); !ok || err != nil {
		t.Fatalf("Check = %v, %v; want accepted", ok, err)
	}
	good, _ := os.ReadFile(s.Path())
	tests := []struct {
		name    string
		change  func()
		wantErr string
	}{
		{"readable by others", func() { os.Chmod(s.Path(), 0o644) }, "chmod 600 " + s.Path()},
		{"corrupt", func() { (atomicfile.Writer{}).Write(s.Path(), []byte(`{"tokens": [`)) }, "fix or remove it"},
		{"fixed again", func() { (atomicfile.Writer{}).Write(s.Path(), good) }, ""},
	}
	for _, tt := range tests {
		tt.change()
		_, ok, err := v.Check(secret)
		if tt.wantErr == "" {
			if !ok || err != nil {
				t.Errorf("%s: Check = %v, %v; want accepted", tt.name, ok, err)
			}
			continue
		}
		if ok || err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("%s: Check = %v, %v; want refused with an error saying %q", tt.name, ok, err, tt.wantErr)
		}
		if _, ok, err := v.Lookup(tok.ID); ok || err == nil {
			t.Errorf("%s: Lookup = %v, %v; want refused with an error", tt.name, ok, err)
		}
		if inUse, _ := v.InUse(); !inUse {
			t.Errorf("%s: InUse false; want true", tt.name)
		}
	}
}

func TestPrivateFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string, mode os.FileMode) string {
		path := filepath.Join(dir, name)
		os.WriteFile(path, []byte(content), 0o600)
		os.Chmod(path, mode)
		return path
	}
	tests := []struct {
		name    string
		path    string
		want    string
		wantErr string
	}{
		{"private", write("ok", "  correct horse battery \nsecond line\n", 0o600), "correct horse battery", ""},
		{"owner read only", write("ro", "correct horse battery\n", 0o400), "correct horse battery", ""},
		{"group readable", write("g", "correct horse battery\n", 0o640), "", "chmod 600 " + filepath.Join(dir, "g")},
		{"world readable", write("w", "correct horse battery\n", 0o644), "", "(mode 0644): run chmod 600"},
		{"group writable", write("gw", "correct horse battery\n", 0o620), "", "chmod 600"},
		{"too short", write("short", "a\n", 0o600), "", "the password has 1 characters; use at least 12"},
		{"11 characters", write("eleven", "hunter2hunt\n", 0o600), "", "has 11 characters"},
		{"12 multibyte characters", write("runes", "éééééééééééé\n", 0o600), "éééééééééééé", ""},
		{"empty", write("empty", "\n", 0o600), "", "is empty"},
		{"missing", filepath.Join(dir, "missing"), "", "no such file"},
		{"a folder", dir, "", "not a regular file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadPasswordFile(tt.path)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("error %v, want one saying %q", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("password %q, want %q", got, tt.want)
			}
		})
	}
	// The token file is held to the same rule.
	tokens := write("tokens.json", `{"tokens": []}`, 0o604)
	if _, err := NewStore(tokens).List(); err == nil || !strings.Contains(err.Error(), "chmod 600 "+tokens) {
		t.Errorf("listing a token file others can read: %v; want a chmod 600 error", err)
	}
	if _, _, err := NewStore(tokens).Create(context.Background(), "x"); err == nil {
		t.Error("creating a token in a file others can read: no error")
	}
}

func TestCheckName(t *testing.T) {
	for name, ok := range map[string]bool{
		"": true, "phone": true, "Ana's phone (Pixel 9)": true, "téléphone": true, strings.Repeat("x", 64): true,
		strings.Repeat("x", 65): false, "a\tb": false, "a\nb": false, "\x1b[31m": false, "\xff": false,
	} {
		if err := CheckName(name); (err == nil) != ok {
			t.Errorf("CheckName(%q) = %v, want ok %v", name, err, ok)
		}
	}
}

func TestDecode(t *testing.T) {
	const sum = `"sha256":"` + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" + `"`
	tests := []struct {
		name    string
		data    string
		wantIDs []string
		wantErr string
	}{
		{"empty list", `{"tokens":[]}`, []string{}, ""},
		{"one", `{"tokens":[{"id":"tok_0123456789ab","name":"x","created":"2026-01-02T03:04:05Z",` + sum + `}]}`, []string{"tok_0123456789ab"}, ""},
		{"unknown fields ignored", `{"tokens":[{"id":"tok_0123456789ab","extra":1,` + sum + `}],"v":2}`, []string{"tok_0123456789ab"}, ""},
		{"empty file", ``, nil, "not a token file"},
		{"null", `null`, nil, "not a token file"},
		{"no tokens field", `{}`, nil, "not a token file"},
		{"two objects", `{"tokens":[]}{"tokens":[]}`, nil, "not a token file"},
		{"trailing bracket", `{"tokens":[]}]`, nil, "not a token file"},
		{"bad id", `{"tokens":[{"id":"x",` + sum + `}]}`, nil, "invalid token id"},
		{"upper-case id", `{"tokens":[{"id":"tok_0123456789AB",` + sum + `}]}`, nil, "invalid token id"},
		{"duplicate id", `{"tokens":[{"id":"tok_0123456789ab",` + sum + `},{"id":"tok_0123456789ab",` + sum + `}]}`, nil, "used twice"},
		{"short digest", `{"tokens":[{"id":"tok_0123456789ab","sha256":"00"}]}`, nil, "64 hex digits"},
		{"control character in name", `{"tokens":[{"id":"tok_0123456789ab","name":"a\u0007",` + sum + `}]}`, nil, "printable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decode([]byte(tt.data))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one saying %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.wantIDs, append([]string{}, ids(got)...)); diff != "" {
				t.Errorf("ids (-want +got):\n%s", diff)
			}
		})
	}
}

// FuzzDecode checks that any token file either is refused or decodes into
// tokens that encode and decode again to the same tokens.
func FuzzDecode(f *testing.F) {
	tok, _ := newToken("phone", time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	f.Add(encode([]Token{tok}))
	f.Add([]byte(`{"tokens":[]}`))
	f.Add([]byte(`{"tokens":[{"id":"tok_0123456789ab","name":"\u00e9","created":"2026-01-02T03:04:05+02:00","sha256":"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tokens, err := decode(data)
		if err != nil {
			return
		}
		again, err := decode(encode(tokens))
		if err != nil {
			t.Fatalf("re-decoding what decode accepted: %v", err)
		}
		if diff := cmp.Diff(tokens, again, cmp.AllowUnexported(Token{})); diff != "" {
			t.Errorf("round trip (-first +second):\n%s", diff)
		}
	})
}

func TestMarkUsed(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	_, secret, err := s.Create(ctx, "phone")
	if err != nil {
		t.Fatal(err)
	}
	v := NewVerifier(s.Path())
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	lastUsed := func() time.Time {
		t.Helper()
		list, err := s.List()
		if err != nil {
			t.Fatal(err)
		}
		return list[0].LastUsed
	}
	use := func(at time.Time) {
		t.Helper()
		tok, ok, err := v.Check(secret)
		if !ok || err != nil {
			t.Fatalf("Check = %v, %v", ok, err)
		}
		if err := v.MarkUsed(ctx, tok, at); err != nil {
			t.Fatal(err)
		}
	}
	if !lastUsed().IsZero() {
		t.Fatal("a new token has a last use")
	}
	steps := []struct {
		at   time.Time
		want time.Time
	}{
		{t0.Add(500 * time.Millisecond), t0},
		{t0.Add(UsedGranularity / 2), t0}, // recorded to within the granularity only
		{t0.Add(UsedGranularity + time.Minute), t0.Add(UsedGranularity + time.Minute)},
	}
	for i, step := range steps {
		use(step.at)
		if got := lastUsed(); !got.Equal(step.want) {
			t.Errorf("step %d: last used %v, want %v", i, got, step.want)
		}
	}
	// A token revoked meanwhile is not brought back.
	tok, _, _ := v.Check(secret)
	if err := s.Revoke(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	if err := v.MarkUsed(ctx, tok, t0.Add(10*UsedGranularity)); err != nil {
		t.Fatal(err)
	}
	if list, _ := s.List(); len(list) != 0 {
		t.Errorf("recording the use of a revoked token brought it back: %v", ids(list))
	}
}

func TestMarkUsedWhenTheFileCannotBeWritten(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	_, secret, _ := s.Create(ctx, "")
	// A folder where the lock file goes: no update can take the lock, even
	// as root, as when the server may read the file but not write there.
	os.Remove(s.Path() + ".lock")
	os.Mkdir(s.Path()+".lock", 0o700)
	v := NewVerifier(s.Path())
	tok, ok, err := v.Check(secret)
	if !ok || err != nil {
		t.Fatalf("Check = %v, %v; want the token accepted", ok, err)
	}
	now := time.Now()
	if err := v.MarkUsed(ctx, tok, now); err == nil {
		t.Error("MarkUsed with the file locked away: no error")
	}
	if err := v.MarkUsed(ctx, tok, now.Add(time.Minute)); err != nil {
		t.Errorf("MarkUsed again within the granularity: %v; want no new try", err)
	}
}
