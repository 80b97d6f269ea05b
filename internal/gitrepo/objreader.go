package gitrepo

import (
	"bytes"
	"compress/zlib"
	"container/list"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"golang.org/x/sys/unix"
)

// objectReader reads commits and trees for history walks (log, ahead and
// behind) the way git does: pack indexes and packs are mapped into memory,
// not read or opened per object, and resolved delta bases are kept in a
// cache of bounded size (git's delta base cache). Objects it cannot find in
// the packs and loose objects of the common directory (alternates, for
// example) come from go-git's storage. Close releases everything.
type objectReader struct {
	objects  string // the common directory's objects folder
	packs    []*mappedPack
	fallback storer.EncodedObjectStorer
	inflate  io.ReadCloser
	cache    baseCache
}

// mappedPack is a pack and its version 2 index, mapped read-only.
type mappedPack struct {
	idx, pack []byte
	count     uint32
}

// baseCacheLimit bounds the bytes of objects kept for delta resolution.
const baseCacheLimit = 16 << 20

func newObjectReader(common string, fallback storer.EncodedObjectStorer) (*objectReader, error) {
	o := &objectReader{objects: filepath.Join(common, "objects"), fallback: fallback}
	o.cache.init(baseCacheLimit)
	idxs, _ := filepath.Glob(filepath.Join(o.objects, "pack", "*.idx"))
	for _, name := range idxs {
		p, err := mapPack(name)
		if err != nil {
			o.Close()
			return nil, err
		}
		if p != nil {
			o.packs = append(o.packs, p)
		}
	}
	return o, nil
}

// mapPack maps a pack and its index; it returns nil for an index this
// reader does not read (version 1), whose objects come from the fallback.
func mapPack(idxName string) (*mappedPack, error) {
	idx, err := mapFile(idxName)
	if err != nil || idx == nil {
		return nil, err
	}
	if len(idx) < 8+256*4 || string(idx[:4]) != "\xfftOc" || binary.BigEndian.Uint32(idx[4:]) != 2 {
		unix.Munmap(idx)
		return nil, nil
	}
	p := &mappedPack{idx: idx, count: binary.BigEndian.Uint32(idx[8+255*4:])}
	if len(idx) < 8+256*4+int(p.count)*28 {
		unix.Munmap(idx)
		return nil, fmt.Errorf("read pack index %s: it is truncated; run git fsck", idxName)
	}
	packName := idxName[:len(idxName)-len(".idx")] + ".pack"
	if p.pack, err = mapFile(packName); err != nil || p.pack == nil {
		unix.Munmap(idx)
		return nil, err
	}
	return p, nil
}

// mapFile maps a file read-only; a missing or empty file gives nil.
func mapFile(name string) ([]byte, error) {
	f, err := os.Open(name)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if fi.Size() == 0 {
		return nil, nil
	}
	data, err := unix.Mmap(int(f.Fd()), 0, int(fi.Size()), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("map %s: %w", name, err)
	}
	return data, nil
}

// Close unmaps the packs.
func (o *objectReader) Close() {
	for _, p := range o.packs {
		unix.Munmap(p.idx)
		unix.Munmap(p.pack)
	}
	o.packs = nil
	o.cache.init(0)
}

// find returns the offset of h in the pack, or -1.
func (p *mappedPack) find(h plumbing.Hash) int64 {
	fanout := p.idx[8:]
	lo := uint32(0)
	if h[0] > 0 {
		lo = binary.BigEndian.Uint32(fanout[(int(h[0])-1)*4:])
	}
	hi := binary.BigEndian.Uint32(fanout[int(h[0])*4:])
	names := p.idx[8+256*4:]
	for lo < hi {
		mid := (lo + hi) / 2
		switch c := bytes.Compare(h[:], names[mid*20:mid*20+20]); {
		case c == 0:
			offs := names[p.count*24:]
			off := binary.BigEndian.Uint32(offs[mid*4:])
			if off&0x80000000 == 0 {
				return int64(off)
			}
			large := offs[p.count*4:]
			at := int(off&0x7fffffff) * 8
			if at+8 > len(large) {
				return -1
			}
			return int64(binary.BigEndian.Uint64(large[at:]))
		case c < 0:
			hi = mid
		default:
			lo = mid + 1
		}
	}
	return -1
}

// read returns an object's type and content.
func (o *objectReader) read(h plumbing.Hash) (plumbing.ObjectType, []byte, error) {
	return o.readAt(h, 0)
}

// readAt reads an object depth deltas down a chain.
func (o *objectReader) readAt(h plumbing.Hash, depth int) (plumbing.ObjectType, []byte, error) {
	for i, p := range o.packs {
		if off := p.find(h); off >= 0 {
			t, data, err := o.unpack(i, off, depth)
			if err != nil {
				return 0, nil, fmt.Errorf("read object %s: %w", h, err)
			}
			return t, data, nil
		}
	}
	if t, data, err := o.readLoose(h); err == nil || !errors.Is(err, os.ErrNotExist) {
		return t, data, err
	}
	obj, err := o.fallback.EncodedObject(plumbing.AnyObject, h)
	if err != nil {
		return 0, nil, fmt.Errorf("read object %s: %w", h, err)
	}
	rd, err := obj.Reader()
	if err != nil {
		return 0, nil, fmt.Errorf("read object %s: %w", h, err)
	}
	defer rd.Close()
	data, err := io.ReadAll(rd)
	if err != nil {
		return 0, nil, fmt.Errorf("read object %s: %w", h, err)
	}
	return obj.Type(), data, nil
}

// readTyped reads an object that must be of type want.
func (o *objectReader) readTyped(h plumbing.Hash, want plumbing.ObjectType) ([]byte, error) {
	t, data, err := o.read(h)
	if err != nil {
		return nil, err
	}
	if t != want {
		return nil, fmt.Errorf("object %s is a %s, not a %s", h, t, want)
	}
	return data, nil
}

func (o *objectReader) readLoose(h plumbing.Hash) (plumbing.ObjectType, []byte, error) {
	hex := h.String()
	raw, err := os.ReadFile(filepath.Join(o.objects, hex[:2], hex[2:]))
	if err != nil {
		return 0, nil, err
	}
	data, err := o.inflateAll(raw, -1)
	if err != nil {
		return 0, nil, fmt.Errorf("read loose object %s: %w", h, err)
	}
	hdr, body, ok := bytes.Cut(data, []byte{0})
	typ, size, ok2 := bytes.Cut(hdr, []byte{' '})
	n, err := strconv.Atoi(string(size))
	t, terr := plumbing.ParseObjectType(string(typ))
	if !ok || !ok2 || err != nil || n != len(body) || terr != nil {
		return 0, nil, fmt.Errorf("read loose object %s: bad header; run git fsck", h)
	}
	return t, body, nil
}

// inflateAll decompresses a zlib stream; size is the expected length, or
// -1 when unknown.
func (o *objectReader) inflateAll(src []byte, size int) ([]byte, error) {
	br := bytes.NewReader(src)
	if o.inflate == nil {
		zr, err := zlib.NewReader(br)
		if err != nil {
			return nil, err
		}
		o.inflate = zr
	} else if err := o.inflate.(zlib.Resetter).Reset(br, nil); err != nil {
		return nil, err
	}
	if size < 0 {
		return io.ReadAll(o.inflate)
	}
	if size > maxObjectSize {
		return nil, fmt.Errorf("object of %d bytes is larger than the %d this reader reads", size, maxObjectSize)
	}
	out := make([]byte, size)
	if _, err := io.ReadFull(o.inflate, out); err != nil {
		return nil, err
	}
	return out, nil
}

// Pack object types (git's OBJ_OFS_DELTA and OBJ_REF_DELTA).
const (
	packOfsDelta = 6
	packRefDelta = 7
)

// maxDeltaDepth stops resolving a chain of deltas that loops.
const maxDeltaDepth = 10000

// maxObjectSize bounds the commits and trees (and their delta bases) this
// reader inflates, whatever a damaged pack says their size is.
const maxObjectSize = 1 << 30

// unpack returns the object at off in pack i, resolving deltas.
func (o *objectReader) unpack(i int, off int64, depth int) (plumbing.ObjectType, []byte, error) {
	if e := o.cache.get(i, off); e != nil {
		return e.typ, e.data, nil
	}
	if depth > maxDeltaDepth {
		return 0, nil, errors.New("delta chain too deep; run git fsck")
	}
	p := o.packs[i]
	if off < 12 || off >= int64(len(p.pack)) {
		return 0, nil, errors.New("pack offset out of range; run git fsck")
	}
	buf := p.pack[off:]
	c := buf[0]
	typ := int(c>>4) & 7
	size := int(c & 15)
	n := 1
	for shift := 4; c&0x80 != 0; shift += 7 {
		if n >= len(buf) || shift > 56 {
			return 0, nil, errors.New("bad pack entry header; run git fsck")
		}
		c = buf[n]
		size |= int(c&0x7f) << shift
		n++
	}
	var baseType plumbing.ObjectType
	var base []byte
	var err error
	switch typ {
	case packOfsDelta:
		if n >= len(buf) {
			return 0, nil, errors.New("bad delta offset; run git fsck")
		}
		c = buf[n]
		n++
		rel := int64(c & 0x7f)
		for c&0x80 != 0 {
			if n >= len(buf) || rel > 1<<48 {
				return 0, nil, errors.New("bad delta offset; run git fsck")
			}
			c = buf[n]
			n++
			rel = (rel+1)<<7 | int64(c&0x7f)
		}
		baseType, base, err = o.unpack(i, off-rel, depth+1)
	case packRefDelta:
		if n+20 > len(buf) {
			return 0, nil, errors.New("bad delta base; run git fsck")
		}
		var bh plumbing.Hash
		copy(bh[:], buf[n:n+20])
		n += 20
		baseType, base, err = o.readAt(bh, depth+1)
	}
	if err != nil {
		return 0, nil, err
	}
	data, err := o.inflateAll(buf[n:], size)
	if err != nil {
		return 0, nil, fmt.Errorf("inflate pack entry: %w", err)
	}
	t := plumbing.ObjectType(typ)
	if typ == packOfsDelta || typ == packRefDelta {
		if data, err = applyDelta(base, data); err != nil {
			return 0, nil, err
		}
		t = baseType
	}
	if t == plumbing.CommitObject || t == plumbing.TreeObject {
		o.cache.put(i, off, t, data)
	}
	return t, data, nil
}

// applyDelta applies a git delta to base.
func applyDelta(base, delta []byte) ([]byte, error) {
	bad := errors.New("bad delta; run git fsck")
	varint := func() (int, bool) {
		v, shift := 0, 0
		for len(delta) > 0 && shift < 63 {
			c := delta[0]
			delta = delta[1:]
			v |= int(c&0x7f) << shift
			if c&0x80 == 0 {
				return v, true
			}
			shift += 7
		}
		return 0, false
	}
	srcSize, ok1 := varint()
	dstSize, ok2 := varint()
	if !ok1 || !ok2 || srcSize != len(base) || dstSize > maxObjectSize {
		return nil, bad
	}
	out := make([]byte, 0, dstSize)
	for len(delta) > 0 {
		op := delta[0]
		delta = delta[1:]
		switch {
		case op&0x80 != 0:
			var off, size int
			for b := 0; b < 7; b++ {
				if op&(1<<b) == 0 {
					continue
				}
				if len(delta) == 0 {
					return nil, bad
				}
				if b < 4 {
					off |= int(delta[0]) << (8 * b)
				} else {
					size |= int(delta[0]) << (8 * (b - 4))
				}
				delta = delta[1:]
			}
			if size == 0 {
				size = 0x10000
			}
			if off+size > len(base) || len(out)+size > dstSize {
				return nil, bad
			}
			out = append(out, base[off:off+size]...)
		case op != 0:
			if int(op) > len(delta) || len(out)+int(op) > dstSize {
				return nil, bad
			}
			out = append(out, delta[:op]...)
			delta = delta[op:]
		default:
			return nil, bad
		}
	}
	if len(out) != dstSize {
		return nil, bad
	}
	return out, nil
}

// baseCache keeps recently resolved commits and trees, the bases of the
// next deltas, within a byte limit, evicting the least recently used.
type baseCache struct {
	limit, size int
	entries     map[cacheKey]*list.Element
	order       list.List
}

type cacheKey struct {
	pack int
	off  int64
}

type cacheEntry struct {
	key  cacheKey
	typ  plumbing.ObjectType
	data []byte
}

func (c *baseCache) init(limit int) {
	c.limit, c.size = limit, 0
	c.entries = map[cacheKey]*list.Element{}
	c.order.Init()
}

func (c *baseCache) get(pack int, off int64) *cacheEntry {
	el := c.entries[cacheKey{pack, off}]
	if el == nil {
		return nil
	}
	c.order.MoveToFront(el)
	return el.Value.(*cacheEntry)
}

func (c *baseCache) put(pack int, off int64, t plumbing.ObjectType, data []byte) {
	if len(data) > c.limit/4 {
		return
	}
	k := cacheKey{pack, off}
	if c.entries[k] != nil {
		return
	}
	c.entries[k] = c.order.PushFront(&cacheEntry{key: k, typ: t, data: data})
	c.size += len(data)
	for c.size > c.limit {
		el := c.order.Back()
		e := el.Value.(*cacheEntry)
		c.order.Remove(el)
		delete(c.entries, e.key)
		c.size -= len(e.data)
	}
}
