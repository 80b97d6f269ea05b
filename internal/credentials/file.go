package credentials

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// fileJSON is the token file: {"tokens": [...]}.
type fileJSON struct {
	Tokens []tokenJSON `json:"tokens"`
}

// tokenJSON is one token in the file.
type tokenJSON struct {
	ID       string    `json:"id"`
	Name     string    `json:"name,omitempty"`
	Created  time.Time `json:"created"`
	LastUsed time.Time `json:"lastUsed,omitzero"`
	SHA256   string    `json:"sha256"` // hex
}

// decode parses a token file. Every token must be well formed and its id
// unique: a file that is not is refused whole, never half used.
func decode(data []byte) ([]Token, error) {
	var f *fileJSON
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("not a token file: %w", err)
	}
	if err := dec.Decode(new(json.RawMessage)); err != io.EOF || f == nil || f.Tokens == nil {
		return nil, fmt.Errorf(`not a token file: want one JSON object {"tokens": [...]}`)
	}
	tokens := make([]Token, 0, len(f.Tokens))
	seen := map[string]bool{}
	for i, t := range f.Tokens {
		if err := checkID(t.ID); err != nil {
			return nil, fmt.Errorf("token %d: %w", i+1, err)
		}
		if seen[t.ID] {
			return nil, fmt.Errorf("token %d: id %s is used twice", i+1, t.ID)
		}
		seen[t.ID] = true
		if err := CheckName(t.Name); err != nil {
			return nil, fmt.Errorf("token %s: %w", t.ID, err)
		}
		sum, err := hex.DecodeString(t.SHA256)
		if err != nil || len(sum) != 32 {
			return nil, fmt.Errorf("token %s: sha256 is not 64 hex digits", t.ID)
		}
		tok := Token{ID: t.ID, Name: t.Name, Created: t.Created, LastUsed: t.LastUsed}
		copy(tok.hash[:], sum)
		tokens = append(tokens, tok)
	}
	return tokens, nil
}

// encode returns the token file holding tokens.
func encode(tokens []Token) []byte {
	f := fileJSON{Tokens: make([]tokenJSON, 0, len(tokens))}
	for _, t := range tokens {
		f.Tokens = append(f.Tokens, tokenJSON{ID: t.ID, Name: t.Name, Created: t.Created, LastUsed: t.LastUsed, SHA256: hex.EncodeToString(t.hash[:])})
	}
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		panic(err) // strings and times always encode
	}
	return append(data, '\n')
}
