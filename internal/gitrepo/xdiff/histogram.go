package xdiff

// git's histogram diff (xhistogram.c, diff.algorithm=histogram): find the
// longest run of common lines whose lines are rarest in the old side, split
// there and recurse on both sides of it; a range whose common lines are all
// too frequent goes to the Myers diff. Line numbers are 1-based, as in git.

// histMaxChain is the occurrence count above which a line is too frequent
// to anchor a split.
const histMaxChain = 64

// histRecord is one class of lines of the old side's range: its first
// occurrence and how many there are.
type histRecord struct{ ptr, cnt int }

// histRegion is a run of common lines [begin1, end1] ~ [begin2, end2].
type histRegion struct{ begin1, end1, begin2, end2 int }

type histIndex struct {
	x1, x2    *xdFile
	records   map[int]*histRecord // by class
	lineMap   []*histRecord       // per old line, at ptr-ptrShift
	nextPtrs  []int               // next occurrence of the same class, 0 for none
	ptrShift  int
	cnt       int
	hasCommon bool
}

func (x1 *xdFile) histogram(x2 *xdFile, line1, count1, line2, count2 int) {
	for {
		switch {
		case count1 <= 0 && count2 <= 0:
			return
		case count1 == 0:
			x2.markRange(line2, count2)
			return
		case count2 == 0:
			x1.markRange(line1, count1)
			return
		}
		var lcs histRegion
		if x1.findLCS(x2, &lcs, line1, count1, line2, count2) {
			x1.classicRange(x2, line1, count1, line2, count2)
			return
		}
		if lcs.begin1 == 0 && lcs.begin2 == 0 {
			x1.markRange(line1, count1)
			x2.markRange(line2, count2)
			return
		}
		x1.histogram(x2, line1, lcs.begin1-line1, line2, lcs.begin2-line2)
		end1, end2 := line1+count1-1, line2+count2-1
		count1, line1 = end1-lcs.end1, lcs.end1+1
		count2, line2 = end2-lcs.end2, lcs.end2+1
	}
}

// classicRange diffs a range with Myers' algorithm, prepared afresh as git's
// xdl_fall_back_diff does.
func (x1 *xdFile) classicRange(x2 *xdFile, line1, count1, line2, count2 int) {
	s1, s2 := prepareLines(x1.recs[line1-1:line1-1+count1], x2.recs[line2-1:line2-1+count2])
	s1.myers(s2, false)
	copy(x1.chg[line1:line1+count1], s1.chg[1:count1+1])
	copy(x2.chg[line2:line2+count2], s2.chg[1:count2+1])
}

// findLCS fills lcs with the best split of the range; it reports true when
// the range has common lines but all are too frequent (find_lcs).
func (x1 *xdFile) findLCS(x2 *xdFile, lcs *histRegion, line1, count1, line2, count2 int) bool {
	idx := &histIndex{
		x1: x1, x2: x2,
		records:  make(map[int]*histRecord),
		lineMap:  make([]*histRecord, count1),
		nextPtrs: make([]int, count1),
		ptrShift: line1,
	}
	for ptr := line1 + count1 - 1; ptr >= line1; ptr-- {
		c := x1.ha[ptr-1]
		if rec, ok := idx.records[c]; ok {
			idx.nextPtrs[ptr-idx.ptrShift] = rec.ptr
			rec.ptr = ptr
			rec.cnt++
			idx.lineMap[ptr-idx.ptrShift] = rec
			continue
		}
		rec := &histRecord{ptr: ptr, cnt: 1}
		idx.records[c] = rec
		idx.lineMap[ptr-idx.ptrShift] = rec
	}
	idx.cnt = histMaxChain + 1
	for bPtr := line2; bPtr <= line2+count2-1; {
		bPtr = idx.tryLCS(lcs, bPtr, line1, count1, line2, count2)
	}
	return idx.hasCommon && histMaxChain < idx.cnt
}

// tryLCS extends every occurrence in the old range of new line bPtr into
// a run of common lines, keeps the best, and returns the next new line to
// try (try_lcs).
func (idx *histIndex) tryLCS(lcs *histRegion, bPtr, line1, count1, line2, count2 int) int {
	bNext := bPtr + 1
	rec := idx.records[idx.x2.ha[bPtr-1]]
	if rec == nil {
		return bNext
	}
	if rec.cnt > idx.cnt {
		idx.hasCommon = true
		return bNext
	}
	eq := func(l1, l2 int) bool { return idx.x1.ha[l1-1] == idx.x2.ha[l2-1] }
	end1, end2 := line1+count1-1, line2+count2-1
	idx.hasCommon = true
	for as := rec.ptr; ; {
		np := idx.nextPtrs[as-idx.ptrShift]
		bs, ae := bPtr, as
		be, rc := bs, rec.cnt
		for line1 < as && line2 < bs && eq(as-1, bs-1) {
			as--
			bs--
			if 1 < rc {
				rc = min(rc, idx.lineMap[as-idx.ptrShift].cnt)
			}
		}
		for ae < end1 && be < end2 && eq(ae+1, be+1) {
			ae++
			be++
			if 1 < rc {
				rc = min(rc, idx.lineMap[ae-idx.ptrShift].cnt)
			}
		}
		if bNext <= be {
			bNext = be + 1
		}
		if lcs.end1-lcs.begin1 < ae-as || rc < idx.cnt {
			*lcs = histRegion{begin1: as, end1: ae, begin2: bs, end2: be}
			idx.cnt = rc
		}
		if np == 0 {
			return bNext
		}
		for np <= ae {
			if np = idx.nextPtrs[np-idx.ptrShift]; np == 0 {
				return bNext
			}
		}
		as = np
	}
}
