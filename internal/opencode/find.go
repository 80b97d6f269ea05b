package opencode

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
)

// FindService searches the server's project.
type FindService service

// Files returns up to limit paths whose path matches query fuzzily (GET
// /find/file), relative to the folder the server serves; typ, when set, is
// "file" or "directory" and keeps only that kind.
func (s *FindService) Files(ctx context.Context, query, typ string, limit int) ([]string, error) {
	q := url.Values{"query": {query}, "limit": {strconv.Itoa(limit)}}
	if typ != "" {
		q.Set("type", typ)
	}
	var found []string
	err := s.client.Call(ctx, http.MethodGet, "/find/file", q, nil, &found)
	return found, err
}
