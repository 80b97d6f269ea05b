// Package credentials holds what the portal accepts as proof of who may use
// it: the password rules and the file of access tokens.
//
// An access token is 256 random bits, shown once when it is made. The token
// file keeps only each token's SHA-256 digest, with an id, a name and the
// time it was made. A fast hash is enough here: slow password hashes exist
// because people choose guessable passwords, and nobody can enumerate 2^256
// tokens, so the digest gives away nothing useful even if the file leaks,
// while the server can check a token on every request at no cost.
package credentials

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// tokenPrefix starts every token, so that secret scanners and people can
// tell one apart.
const tokenPrefix = "portal_"

// maxNameLength bounds a token's name, in characters.
const maxNameLength = 64

// UsedGranularity is how stale Token.LastUsed may be: a server records a
// token's use in the file at most this often, so that a busy client does
// not make it rewrite the file on every request.
const UsedGranularity = time.Hour

// Token describes one access token. The token itself is never stored.
type Token struct {
	ID      string    // "tok_" and 12 hex digits: names the token in list and revoke
	Name    string    // what the token is for, as its maker said; may be empty
	Created time.Time // when it was made
	// LastUsed is when a server last accepted it, to within UsedGranularity;
	// zero if never.
	LastUsed time.Time
	hash     [32]byte // SHA-256 of the token
}

// newToken returns a new token named name and its secret.
func newToken(name string, now time.Time) (Token, string) {
	var secret [32]byte
	var id [6]byte
	rand.Read(secret[:]) // never fails: see crypto/rand.Read
	rand.Read(id[:])
	text := tokenPrefix + base64.RawURLEncoding.EncodeToString(secret[:])
	return Token{
		ID:      "tok_" + hex.EncodeToString(id[:]),
		Name:    name,
		Created: now.UTC().Truncate(time.Second),
		hash:    sha256.Sum256([]byte(text)),
	}, text
}

// CheckName returns an error unless name can name a token: at most 64
// printable characters. It is the one place the rule is checked.
func CheckName(name string) error {
	if !utf8.ValidString(name) || utf8.RuneCountInString(name) > maxNameLength {
		return fmt.Errorf("invalid token name %q: use at most %d characters of UTF-8 text", name, maxNameLength)
	}
	if strings.IndexFunc(name, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
		return fmt.Errorf("invalid token name %q: use printable characters only (no tabs, newlines or control characters)", name)
	}
	return nil
}

// checkID returns an error unless id has the form of a token id.
func checkID(id string) error {
	hexPart, ok := strings.CutPrefix(id, "tok_")
	if _, err := hex.DecodeString(hexPart); !ok || err != nil || len(hexPart) != 12 || strings.ToLower(hexPart) != hexPart {
		return fmt.Errorf("invalid token id %q: ids look like tok_0123456789ab (see portal token list)", id)
	}
	return nil
}

// DefaultPath returns the token file that goes with the registry at
// registryPath: the same name with .tokens.json for .json.
func DefaultPath(registryPath string) string {
	return strings.TrimSuffix(registryPath, ".json") + ".tokens.json"
}
