package credentials

import (
	"context"
	"errors"
	"fmt"
	"github.com/opencode-portal/portal/internal/atomicfile"
	"io/fs"
	"os"
	"slices"
	"time"

	"golang.org/x/sys/unix"
)

// Store is a token file on disk. Changes are read-modify-writes under an
// exclusive lock (flock on FILE.lock, released by the kernel if its holder
// dies), and every write is atomic: a private temporary file, flushed, then
// renamed over the file. A missing file holds no tokens.
type Store struct {
	path string
}

// NewStore returns the token store in the file at path, which need not exist.
func NewStore(path string) *Store { return &Store{path: path} }

// Path returns the token file's path.
func (s *Store) Path() string { return s.path }

// List returns the tokens, oldest first.
func (s *Store) List() ([]Token, error) {
	tokens, err := load(s.path)
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(tokens, func(a, b Token) int { return a.Created.Compare(b.Created) })
	return tokens, nil
}

// Create makes a new token named name and returns it with its secret, which
// exists nowhere else: the file keeps only its digest.
func (s *Store) Create(ctx context.Context, name string) (Token, string, error) {
	if err := CheckName(name); err != nil {
		return Token{}, "", err
	}
	var tok Token
	var secret string
	err := s.update(ctx, func(tokens []Token) ([]Token, error) {
		for {
			tok, secret = newToken(name, time.Now())
			if indexOf(tokens, tok.ID) < 0 {
				return append(tokens, tok), nil
			}
		}
	})
	return tok, secret, err
}

// Revoke removes the token with this id; it stops working at once.
func (s *Store) Revoke(ctx context.Context, id string) error {
	if err := checkID(id); err != nil {
		return err
	}
	return s.update(ctx, func(tokens []Token) ([]Token, error) {
		i := indexOf(tokens, id)
		if i < 0 {
			return nil, fmt.Errorf("no token %s in %s: portal token list shows the ids", id, s.path)
		}
		return slices.Delete(tokens, i, i+1), nil
	})
}

// markUsed records that the token id was accepted at time at. It writes
// nothing if the token is gone (revoked meanwhile) or its use is already
// recorded to within UsedGranularity.
func (s *Store) markUsed(ctx context.Context, id string, at time.Time) error {
	return s.update(ctx, func(tokens []Token) ([]Token, error) {
		i := indexOf(tokens, id)
		if i < 0 || at.Sub(tokens[i].LastUsed) < UsedGranularity {
			return nil, errUnchanged
		}
		tokens[i].LastUsed = at.UTC().Truncate(time.Second)
		return tokens, nil
	})
}

// indexOf returns the index of the token id in tokens, or -1.
func indexOf(tokens []Token, id string) int {
	return slices.IndexFunc(tokens, func(t Token) bool { return t.ID == id })
}

// errUnchanged, from an update's change function, leaves the file as it is.
var errUnchanged = errors.New("unchanged")

// update replaces the tokens with change(tokens) under the lock.
func (s *Store) update(ctx context.Context, change func([]Token) ([]Token, error)) error {
	unlock, err := lock(ctx, s.path+".lock")
	if err != nil {
		return fmt.Errorf("locking the token file %s: %w", s.path, err)
	}
	defer unlock()
	tokens, err := load(s.path)
	if err != nil {
		return err
	}
	if tokens, err = change(tokens); err != nil {
		if err == errUnchanged {
			return nil
		}
		return err
	}
	if err := (atomicfile.Writer{}).Write(s.path, encode(tokens)); err != nil {
		return fmt.Errorf("writing the token file %s (left unchanged): %w", s.path, err)
	}
	return nil
}

// load reads and decodes the token file; a missing one holds no tokens.
func load(path string) ([]Token, error) {
	data, err := readPrivate(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the token file: %w", err)
	}
	tokens, err := decode(data)
	if err != nil {
		return nil, fmt.Errorf("the token file %s: %w; fix or remove it", path, err)
	}
	return tokens, nil
}

// lock takes an exclusive flock on the file at path, creating it, polling
// until ctx ends. unlock releases it.
func lock(ctx context.Context, path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	for wait := time.Millisecond; ; wait = min(2*wait, 50*time.Millisecond) {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			return func() { f.Close() }, nil // closing releases the lock
		}
		if !errors.Is(err, unix.EWOULDBLOCK) && !errors.Is(err, unix.EINTR) {
			f.Close()
			return nil, err
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, context.Cause(ctx)
		case <-time.After(wait):
		}
	}
}
