package gitrepo

import (
	"sync"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
)

// blobReader reads blobs for the conversions of one operation from
// goroutines of its own: it opens its own storage on first use (go-git's
// caches are not safe for concurrent use) and serializes reads.
type blobReader struct {
	r   *Repo
	mu  sync.Mutex
	g   *git.Repository
	err error
}

// read returns the content of blob h.
func (b *blobReader) read(h plumbing.Hash) ([]byte, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.g == nil && b.err == nil {
		b.g, b.err = b.r.open()
	}
	if b.err != nil {
		return nil, b.err
	}
	return readBlob(b.g.Storer, h)
}
