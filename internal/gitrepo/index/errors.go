package index

import "errors"

// Errors of the codec. Package gitrepo hands them on under the same
// identity (its ErrLocked and ErrUnsupported are these), so callers check
// them with errors.Is at either level.
var (
	// ErrCorrupt means the index file is damaged: short, with a bad
	// checksum, or with entries or extensions that do not parse.
	ErrCorrupt = errors.New("corrupt index file")
	// ErrUnsupported means the index uses a feature this codec does not
	// implement (a sparse index, an unknown required extension or
	// version); the git CLI still handles it.
	ErrUnsupported = errors.New("unsupported repository feature")
	// ErrLocked means another git process holds the index lock.
	ErrLocked = errors.New("index is locked by another git process")
)
