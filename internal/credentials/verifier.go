package credentials

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"io/fs"
	"os"
	"sync"
	"time"
)

// Verifier checks tokens against a token file, reading it again whenever it
// changes (a write renames a new file over it, so its identity changes), so
// that a running server honours tokens made or revoked since it started.
// It is safe for concurrent use.
type Verifier struct {
	path string

	mu      sync.Mutex
	loaded  fs.FileInfo // the file as last read; nil before or when missing
	existed bool        // the file has existed at some point since NewVerifier
	tokens  []Token
	err     error                // why the file could not be read as it is now
	marked  map[string]time.Time // when MarkUsed last tried to record each token's use
}

// NewVerifier returns a Verifier of the token file at path, which need not
// exist yet.
func NewVerifier(path string) *Verifier { return &Verifier{path: path} }

// Path returns the token file's path.
func (v *Verifier) Path() string { return v.path }

// InUse reports whether tokens are in use: the file exists, or has existed
// since the Verifier was made (removing the file does not lift the need for
// credentials; only a restart does). It returns an error, and true, when the
// file exists but cannot be read or is not a valid token file.
func (v *Verifier) InUse() (bool, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.refresh()
	return v.existed, v.err
}

// Check returns the token whose secret is secret. Every token's digest is
// compared, in constant time, whatever matches. It returns an error when
// the file cannot be read as it is now: then no token is accepted.
func (v *Verifier) Check(secret string) (Token, bool, error) {
	sum := sha256.Sum256([]byte(secret))
	v.mu.Lock()
	defer v.mu.Unlock()
	v.refresh()
	if v.err != nil {
		return Token{}, false, v.err
	}
	var found Token
	ok := 0
	for _, t := range v.tokens {
		if subtle.ConstantTimeCompare(sum[:], t.hash[:]) == 1 {
			found, ok = t, 1
		}
	}
	return found, ok == 1, nil
}

// Lookup returns the token with ID id, as the file holds it now, and
// whether it is there: a server checks that a sign-in made with a token
// still stands, as revoking the token ends it. It returns an error when the
// file cannot be read as it is now: then no token is accepted.
func (v *Verifier) Lookup(id string) (Token, bool, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.refresh()
	if v.err != nil {
		return Token{}, false, v.err
	}
	for _, t := range v.tokens {
		if t.ID == id {
			return t, true, nil
		}
	}
	return Token{}, false, nil
}

// MarkUsed records in the file that tok was accepted at time at, if its
// last recorded use is older than UsedGranularity. It tries at most once per
// UsedGranularity per token, also when writing fails (a read-only folder).
func (v *Verifier) MarkUsed(ctx context.Context, tok Token, at time.Time) error {
	v.mu.Lock()
	due := at.Sub(tok.LastUsed) >= UsedGranularity && at.Sub(v.marked[tok.ID]) >= UsedGranularity
	if due {
		if v.marked == nil {
			v.marked = map[string]time.Time{}
		}
		v.marked[tok.ID] = at
	}
	v.mu.Unlock()
	if !due {
		return nil
	}
	return NewStore(v.path).markUsed(ctx, tok.ID, at)
}

// refresh reads the file again if it changed since it was last read.
func (v *Verifier) refresh() {
	fi, err := os.Stat(v.path)
	if errors.Is(err, fs.ErrNotExist) {
		v.loaded, v.tokens, v.err = nil, nil, nil
		return
	}
	v.existed = true
	if err != nil {
		v.loaded, v.tokens, v.err = nil, nil, err
		return
	}
	if old := v.loaded; old != nil && os.SameFile(old, fi) && old.ModTime().Equal(fi.ModTime()) && old.Size() == fi.Size() && old.Mode() == fi.Mode() {
		return
	}
	v.loaded = fi
	v.tokens, v.err = load(v.path)
}
