package confine

import (
	"cmp"
	"context"
	"io/fs"
	"slices"
	"strings"
)

// Entry types.
const (
	TypeFile      = "file"
	TypeDirectory = "directory"
	TypeSymlink   = "symlink"
	TypeOther     = "other" // device, named pipe or socket
)

// Entry is one item of a folder.
type Entry struct {
	Name string // base name
	// Path is slash-separated and relative to the project folder, through
	// the folder as it was asked for (a symbolic link stays in the path).
	Path string
	// Type is TypeFile, TypeDirectory, TypeSymlink or TypeOther: what the
	// entry itself is. A symbolic link is not followed for Type.
	Type string
	// Target is, for a symbolic link that leads to a file or folder inside
	// the project, TypeFile or TypeDirectory; it is empty otherwise
	// (leads outside, dangling, loops, or the entry is no link).
	Target  string
	Size    int64 // bytes, for files; 0 for the others
	Ignored bool  // git ignores it (see ignorer)
}

// checkEvery is how many entries List handles between two looks at its
// context.
const checkEvery = 256

// List returns the entries of the folder name (see Resolve for what name may
// be): folders first, then by name compared without case, then byte by byte.
func (r *Root) List(ctx context.Context, name string) ([]Entry, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	clean, real, fi, err := r.resolve(name)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return nil, &PathError{Path: name, Err: ErrNotDir, Reason: "is not a folder; read it instead of listing it"}
	}
	f, _, err := r.open(name, real)
	if err != nil {
		return nil, err
	}
	// A folder opened in an os.Root reads each entry's Lstat along with
	// its name, relative to the folder: Info below costs nothing more.
	des, err := f.ReadDir(-1)
	f.Close()
	if err != nil {
		return nil, osError(name, err)
	}

	prefix := "" // of the entries' paths
	if clean != "." {
		prefix = clean + "/"
	}
	ignored := r.ignorer(split(real))
	entries := make([]Entry, 0, len(des))
	for i, de := range des {
		if i%checkEvery == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		e := Entry{Name: de.Name(), Path: prefix + de.Name()}
		switch t := de.Type(); {
		case t.IsDir():
			e.Type = TypeDirectory
		case t&fs.ModeSymlink != 0:
			e.Type = TypeSymlink
			e.Target = r.target(e.Path)
		case t.IsRegular():
			e.Type = TypeFile
			info, err := de.Info()
			if err != nil {
				return nil, osError(e.Path, err)
			}
			e.Size = info.Size()
		default:
			e.Type = TypeOther
		}
		e.Ignored = ignored(e.Name, e.Type == TypeDirectory)
		entries = append(entries, e)
	}
	sortEntries(entries)
	return entries, nil
}

// target returns the type of what the symbolic link at p leads to inside
// the project, or "" when it leads nowhere inside.
func (r *Root) target(p string) string {
	_, _, fi, err := r.resolve(p)
	switch {
	case err != nil:
		return ""
	case fi.IsDir():
		return TypeDirectory
	case fi.Mode().IsRegular():
		return TypeFile
	}
	return TypeOther
}

// sortEntries puts folders first, then orders names without case, then
// byte by byte.
func sortEntries(entries []Entry) {
	type keyed struct {
		key string
		e   Entry
	}
	ks := make([]keyed, len(entries))
	for i, e := range entries {
		ks[i] = keyed{strings.ToLower(e.Name), e}
	}
	slices.SortFunc(ks, func(a, b keyed) int {
		ad, bd := a.e.Type == TypeDirectory, b.e.Type == TypeDirectory
		if ad != bd {
			if ad {
				return -1
			}
			return 1
		}
		return cmp.Or(strings.Compare(a.key, b.key), strings.Compare(a.e.Name, b.e.Name))
	})
	for i := range ks {
		entries[i] = ks[i].e
	}
}
