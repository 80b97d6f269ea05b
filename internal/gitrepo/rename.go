package gitrepo

import (
	"bytes"
	"path"
	"sort"

	"github.com/go-git/go-git/v5/plumbing"
)

// Rename detection as git's diffcore-rename does it: exact renames (same
// blob) first, preferring the same base name; then, among regular files,
// pairs whose content similarity reaches 50%, best scores first, each source
// and destination used once. Similarity is git's: files are cut into chunks
// (lines, or 64 bytes), chunks are hashed, and the score is the number of
// source bytes found in the destination over the larger size.

const (
	maxScore     = 60000
	minimumScore = maxScore / 2
	renameLimit  = 1000 // git's default diff.renameLimit
)

// renameSide is a deleted (source) or added (destination) file.
type renameSide struct {
	path string
	mode uint32
	hash plumbing.Hash
	load func() ([]byte, error) // the content, loaded only when needed
}

// renamePair pairs sources[src] with destinations[dst].
type renamePair struct {
	src, dst int
	score    int // 0..maxScore
}

func detectRenames(srcs, dsts []renameSide) []renamePair {
	if len(srcs) == 0 || len(dsts) == 0 {
		return nil
	}
	srcUsed := make([]bool, len(srcs))
	dstUsed := make([]bool, len(dsts))
	var pairs []renamePair

	bySrcHash := make(map[plumbing.Hash][]int, len(srcs))
	for i, s := range srcs {
		bySrcHash[s.hash] = append(bySrcHash[s.hash], i)
	}
	for d, dst := range dsts {
		best, bestScore := -1, 0
		for _, s := range bySrcHash[dst.hash] {
			src := srcs[s]
			if srcUsed[s] || (!isRegular(src.mode) || !isRegular(dst.mode)) && src.mode != dst.mode {
				continue
			}
			score := 1
			if path.Base(src.path) == path.Base(dst.path) {
				score++
			}
			if score > bestScore {
				best, bestScore = s, score
			}
		}
		if best >= 0 {
			srcUsed[best], dstUsed[d] = true, true
			pairs = append(pairs, renamePair{src: best, dst: d, score: maxScore})
		}
	}

	var srcLeft, dstLeft []int
	for i := range srcs {
		if !srcUsed[i] && isRegular(srcs[i].mode) {
			srcLeft = append(srcLeft, i)
		}
	}
	for i := range dsts {
		if !dstUsed[i] && isRegular(dsts[i].mode) {
			dstLeft = append(dstLeft, i)
		}
	}
	if len(srcLeft) == 0 || len(dstLeft) == 0 || len(srcLeft)*len(dstLeft) > renameLimit*renameLimit {
		return pairs
	}
	srcData := make([][]byte, len(srcs))
	srcSpans := make([]map[uint32]int, len(srcs))
	for _, s := range srcLeft {
		srcData[s], _ = srcs[s].load()
	}
	type cand struct {
		renamePair
		sameName bool
	}
	var cands []cand
	for _, d := range dstLeft {
		data, err := dsts[d].load()
		if err != nil {
			continue
		}
		var dstSpans map[uint32]int
		for _, s := range srcLeft {
			if srcData[s] == nil && srcs[s].hash != emptyBlob {
				continue
			}
			maxSize, baseSize := len(srcData[s]), len(data)
			if baseSize > maxSize {
				maxSize, baseSize = baseSize, maxSize
			}
			if maxSize == 0 || maxSize*(maxScore-minimumScore) < (maxSize-baseSize)*maxScore {
				continue
			}
			if srcSpans[s] == nil {
				srcSpans[s] = spanHashes(srcData[s])
			}
			if dstSpans == nil {
				dstSpans = spanHashes(data)
			}
			copied := 0
			for h, n := range srcSpans[s] {
				copied += min(n, dstSpans[h])
			}
			score := int(int64(copied) * maxScore / int64(maxSize))
			if score >= minimumScore {
				cands = append(cands, cand{renamePair{src: s, dst: d, score: score},
					path.Base(srcs[s].path) == path.Base(dsts[d].path)})
			}
		}
	}
	sort.SliceStable(cands, func(i, j int) bool {
		if cands[i].score != cands[j].score {
			return cands[i].score > cands[j].score
		}
		return cands[i].sameName && !cands[j].sameName
	})
	for _, c := range cands {
		if srcUsed[c.src] || dstUsed[c.dst] {
			continue
		}
		srcUsed[c.src], dstUsed[c.dst] = true, true
		pairs = append(pairs, c.renamePair)
	}
	return pairs
}

var emptyBlob = blobHash(nil)

func isRegular(mode uint32) bool { return mode&0o170000 == 0o100000 }

// spanHashes cuts data into git's similarity chunks and sums the bytes of
// each chunk hash.
func spanHashes(data []byte) map[uint32]int {
	const hashBase = 107927
	text := !isBinary(data)
	out := make(map[uint32]int)
	var acc1, acc2 uint32
	n := 0
	for i := 0; i < len(data); i++ {
		c := uint32(data[i])
		if text && c == '\r' && i+1 < len(data) && data[i+1] == '\n' {
			continue
		}
		old1 := acc1
		acc1 = (acc1 << 7) ^ (acc2 >> 25)
		acc2 = (acc2 << 7) ^ (old1 >> 25)
		acc1 += c
		n++
		if n < 64 && c != '\n' {
			continue
		}
		out[(acc1+acc2*0x61)%hashBase] += n
		n, acc1, acc2 = 0, 0, 0
	}
	if n > 0 {
		out[(acc1+acc2*0x61)%hashBase] += n
	}
	return out
}

// isBinary applies git's test: a NUL byte in the first 8000 bytes.
func isBinary(data []byte) bool {
	return bytes.IndexByte(data[:min(len(data), 8000)], 0) >= 0
}
