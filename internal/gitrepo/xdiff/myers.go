package xdiff

// The line diff follows git's xdiff (xdiffi.c, xprepare.c) step by step, so
// that hunks fall where `git diff` puts them: lines are classified, the
// common ends trimmed, lines without a match (and runs of lines with too
// many) discarded, the rest compared with Myers' algorithm in linear space
// with xdiff's cost heuristics, and the changes slid by compactChanges.

// Constants of xdiff's Myers search.
const (
	xdMaxCostMin  = 256 // XDL_MAX_COST_MIN: the least cost searched exactly
	xdHeurMinCost = 256 // XDL_HEUR_MIN_COST: cost above which snakes are sampled
	xdSnakeCnt    = 20  // XDL_SNAKE_CNT: a "good" snake is longer than this
	xdKHeur       = 4   // XDL_K_HEUR: how far a sampled diagonal must reach
)

// xdFile is one side of a line diff.
type xdFile struct {
	recs [][]byte // the lines, each with its "\n" (the last may lack it)
	ha   []int    // class of each line: equal lines share a class
	// chg marks changed lines; chg[i+1] is line i, so chg[0] and
	// chg[len(recs)+1] are always-false sentinels.
	chg    []bool
	rindex []int // lines kept for the Myers search, by position in it
	rha    []int // their classes
}

func (f *xdFile) changed(i int) bool { return f.chg[i+1] }
func (f *xdFile) mark(i int, v bool) { f.chg[i+1] = v }

// markRange marks count lines changed from line, counted from 1 as the
// histogram and patience diffs count.
func (f *xdFile) markRange(line, count int) {
	for i := range count {
		f.mark(line-1+i, true)
	}
}

// myers runs xdiff's Myers search (xdl_do_diff) over the kept lines.
func (x1 *xdFile) myers(x2 *xdFile, minimal bool) {
	n1, n2 := len(x1.rha), len(x2.rha)
	ndiags := n1 + n2 + 3
	s := &myersSearch{
		x1: x1, x2: x2,
		kvdf: make([]int, ndiags+1), kvdb: make([]int, ndiags+1),
		koff:   n2 + 1,
		mxcost: max(bogoSqrt(ndiags), xdMaxCostMin),
	}
	s.compare(0, n1, 0, n2, minimal)
}

// bogoSqrt is xdiff's rough integer square root (xdl_bogosqrt).
func bogoSqrt(n int) int {
	i := 1
	for ; n > 0; n >>= 2 {
		i <<= 1
	}
	return i
}

type myersSearch struct {
	x1, x2     *xdFile
	kvdf, kvdb []int // furthest reach per diagonal, forward and backward
	koff       int   // index of diagonal 0 in kvdf and kvdb
	mxcost     int
}

// compare marks the changed lines of the kept ranges [off1,lim1) and
// [off2,lim2) (xdl_recs_cmp).
func (s *myersSearch) compare(off1, lim1, off2, lim2 int, needMin bool) {
	ha1, ha2 := s.x1.rha, s.x2.rha
	for off1 < lim1 && off2 < lim2 && ha1[off1] == ha2[off2] {
		off1++
		off2++
	}
	for off1 < lim1 && off2 < lim2 && ha1[lim1-1] == ha2[lim2-1] {
		lim1--
		lim2--
	}
	switch {
	case off1 == lim1:
		for ; off2 < lim2; off2++ {
			s.x2.mark(s.x2.rindex[off2], true)
		}
	case off2 == lim2:
		for ; off1 < lim1; off1++ {
			s.x1.mark(s.x1.rindex[off1], true)
		}
	default:
		i1, i2, minLo, minHi := s.split(off1, lim1, off2, lim2, needMin)
		s.compare(off1, i1, off2, i2, minLo)
		s.compare(i1, lim1, i2, lim2, minHi)
	}
}

// split finds where to divide the box (xdl_split): the middle snake of an
// optimal path, or, once the cost passes the heuristics' limits, a good
// enough point. minLo and minHi say whether each half must be searched
// exactly.
func (s *myersSearch) split(off1, lim1, off2, lim2 int, needMin bool) (int, int, bool, bool) {
	ha1, ha2 := s.x1.rha, s.x2.rha
	kf, kb, o := s.kvdf, s.kvdb, s.koff
	dmin, dmax := off1-lim2, lim1-off2
	fmid, bmid := off1-off2, lim1-lim2
	odd := (fmid-bmid)&1 != 0
	fmin, fmax, bmin, bmax := fmid, fmid, bmid, bmid
	const lineMax = int(^uint(0) >> 1)

	kf[o+fmid] = off1
	kb[o+bmid] = lim1
	for ec := 1; ; ec++ {
		gotSnake := false
		if fmin > dmin {
			fmin--
			kf[o+fmin-1] = -1
		} else {
			fmin++
		}
		if fmax < dmax {
			fmax++
			kf[o+fmax+1] = -1
		} else {
			fmax--
		}
		for d := fmax; d >= fmin; d -= 2 {
			var i1 int
			if kf[o+d-1] >= kf[o+d+1] {
				i1 = kf[o+d-1] + 1
			} else {
				i1 = kf[o+d+1]
			}
			prev1 := i1
			i2 := i1 - d
			for i1 < lim1 && i2 < lim2 && ha1[i1] == ha2[i2] {
				i1++
				i2++
			}
			if i1-prev1 > xdSnakeCnt {
				gotSnake = true
			}
			kf[o+d] = i1
			if odd && bmin <= d && d <= bmax && kb[o+d] <= i1 {
				return i1, i2, true, true
			}
		}

		if bmin > dmin {
			bmin--
			kb[o+bmin-1] = lineMax
		} else {
			bmin++
		}
		if bmax < dmax {
			bmax++
			kb[o+bmax+1] = lineMax
		} else {
			bmax--
		}
		for d := bmax; d >= bmin; d -= 2 {
			var i1 int
			if kb[o+d-1] < kb[o+d+1] {
				i1 = kb[o+d-1]
			} else {
				i1 = kb[o+d+1] - 1
			}
			prev1 := i1
			i2 := i1 - d
			for i1 > off1 && i2 > off2 && ha1[i1-1] == ha2[i2-1] {
				i1--
				i2--
			}
			if prev1-i1 > xdSnakeCnt {
				gotSnake = true
			}
			kb[o+d] = i1
			if !odd && fmin <= d && d <= fmax && i1 <= kf[o+d] {
				return i1, i2, true, true
			}
		}

		if needMin {
			continue
		}

		// Past the heuristic trigger, with a good snake seen, take a
		// diagonal that got far along (measured from its corner, less its
		// distance from the middle diagonal) and ends in a long snake.
		if gotSnake && ec > xdHeurMinCost {
			best, b1, b2 := 0, 0, 0
			for d := fmax; d >= fmin; d -= 2 {
				dd := abs(d - fmid)
				i1 := kf[o+d]
				i2 := i1 - d
				v := (i1 - off1) + (i2 - off2) - dd
				if v > xdKHeur*ec && v > best &&
					off1+xdSnakeCnt <= i1 && i1 < lim1 &&
					off2+xdSnakeCnt <= i2 && i2 < lim2 {
					for k := 1; ha1[i1-k] == ha2[i2-k]; k++ {
						if k == xdSnakeCnt {
							best, b1, b2 = v, i1, i2
							break
						}
					}
				}
			}
			if best > 0 {
				return b1, b2, true, false
			}
			for d := bmax; d >= bmin; d -= 2 {
				dd := abs(d - bmid)
				i1 := kb[o+d]
				i2 := i1 - d
				v := (lim1 - i1) + (lim2 - i2) - dd
				if v > xdKHeur*ec && v > best &&
					off1 < i1 && i1 <= lim1-xdSnakeCnt &&
					off2 < i2 && i2 <= lim2-xdSnakeCnt {
					for k := 0; ha1[i1+k] == ha2[i2+k]; k++ {
						if k == xdSnakeCnt-1 {
							best, b1, b2 = v, i1, i2
							break
						}
					}
				}
			}
			if best > 0 {
				return b1, b2, false, true
			}
		}

		// Enough: split at the furthest reaching point (by i1+i2).
		if ec >= s.mxcost {
			fbest, fbest1 := -1, -1
			for d := fmax; d >= fmin; d -= 2 {
				i1 := min(kf[o+d], lim1)
				i2 := i1 - d
				if lim2 < i2 {
					i1, i2 = lim2+d, lim2
				}
				if fbest < i1+i2 {
					fbest, fbest1 = i1+i2, i1
				}
			}
			bbest, bbest1 := lineMax, lineMax
			for d := bmax; d >= bmin; d -= 2 {
				i1 := max(off1, kb[o+d])
				i2 := i1 - d
				if i2 < off2 {
					i1, i2 = off2+d, off2
				}
				if i1+i2 < bbest {
					bbest, bbest1 = i1+i2, i1
				}
			}
			if (lim1+lim2)-bbest < fbest-(off1+off2) {
				return fbest1, fbest - fbest1, true, false
			}
			return bbest1, bbest - bbest1, false, true
		}
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
