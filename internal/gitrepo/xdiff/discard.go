package xdiff

// Constants of xdiff's line preparation (xprepare.c).
const (
	xdKeepDiscardRun = 4    // XDL_KPDIS_RUN
	xdMaxEqLimit     = 1024 // XDL_MAX_EQLIMIT
	xdSimScanWindow  = 100  // XDL_SIMSCAN_WINDOW
)

// prepareLines classifies the lines of a and b, trims their common ends and
// chooses which lines the Myers search looks at (xdl_prepare_env): a line
// with no equal line on the other side is marked changed at once, and so is
// a line with very many equals that sits among such lines.
func prepareLines(a, b [][]byte) (*xdFile, *xdFile) {
	x1, x2, count1, count2 := classifyLines(a, b)

	// Trim the common head and tail (xdl_trim_ends).
	lim := min(len(a), len(b))
	start := 0
	for start < lim && x1.ha[start] == x2.ha[start] {
		start++
	}
	tail := 0
	for tail < lim-start && x1.ha[len(a)-1-tail] == x2.ha[len(b)-1-tail] {
		tail++
	}
	x1.keep(start, len(a)-tail-1, count2)
	x2.keep(start, len(b)-tail-1, count1)
	return x1, x2
}

// classifyLines gives equal lines of a and b the same class, and counts
// each class's lines in a and in b.
func classifyLines(a, b [][]byte) (x1, x2 *xdFile, count1, count2 []int) {
	classes := make(map[string]int, len(a)+len(b))
	classify := func(lines [][]byte, counts *[]int) []int {
		ha := make([]int, len(lines))
		for i, l := range lines {
			c, ok := classes[string(l)]
			if !ok {
				c = len(classes)
				classes[string(l)] = c
				count1 = append(count1, 0)
				count2 = append(count2, 0)
			}
			(*counts)[c]++
			ha[i] = c
		}
		return ha
	}
	x1 = &xdFile{recs: a, chg: make([]bool, len(a)+2)}
	x2 = &xdFile{recs: b, chg: make([]bool, len(b)+2)}
	x1.ha = classify(a, &count1)
	x2.ha = classify(b, &count2)
	return x1, x2, count1, count2
}

// keep fills rindex and rha with the lines of [dstart, dend] worth
// searching and marks the others changed (xdl_cleanup_records). other
// counts each class's lines on the other side.
func (f *xdFile) keep(dstart, dend int, other []int) {
	mlim := min(bogoSqrt(len(f.recs)), xdMaxEqLimit)
	// dis: 0 no match on the other side, 1 some, 2 too many.
	dis := make([]byte, len(f.recs))
	for i := dstart; i <= dend; i++ {
		switch nm := other[f.ha[i]]; {
		case nm == 0:
			dis[i] = 0
		case nm >= mlim:
			dis[i] = 2
		default:
			dis[i] = 1
		}
	}
	for i := dstart; i <= dend; i++ {
		if dis[i] == 1 || (dis[i] == 2 && !discardMultimatch(dis, i, dstart, dend)) {
			f.rindex = append(f.rindex, i)
			f.rha = append(f.rha, f.ha[i])
		} else {
			f.mark(i, true)
		}
	}
}

// discardMultimatch reports whether line i, which has too many matches, is
// among enough lines without a match to be discarded too (xdl_clean_mmatch).
func discardMultimatch(dis []byte, i, s, e int) bool {
	s = max(s, i-xdSimScanWindow)
	e = min(e, i+xdSimScanWindow)
	rdis0, rpdis0 := 0, 1
	for r := 1; i-r >= s; r++ {
		if dis[i-r] == 0 {
			rdis0++
		} else if dis[i-r] == 2 {
			rpdis0++
		} else {
			break
		}
	}
	if rdis0 == 0 {
		return false
	}
	rdis1, rpdis1 := 0, 1
	for r := 1; i+r <= e; r++ {
		if dis[i+r] == 0 {
			rdis1++
		} else if dis[i+r] == 2 {
			rpdis1++
		} else {
			break
		}
	}
	if rdis1 == 0 {
		return false
	}
	rdis1 += rdis0
	rpdis1 += rpdis0
	return rpdis1*xdKeepDiscardRun < rpdis1+rdis1
}
