package xdiff

// compactChanges slides each group of changed lines of f up and down as git
// does (xdl_change_compact): a group whose first line equals the line after
// it can move down, one whose last line equals the line before it can move
// up. Groups that touch merge; a group that can line up with a change on the
// other side o does so; otherwise the indent heuristic, when on, picks the
// position (else the group stays at its lowest). f and o move in step:
// their groups of changes correspond one to one.
func compactChanges(f, o *xdFile, indentHeuristic bool) {
	g, og := f.firstGroup(), o.firstGroup()
	for {
		if g.end != g.start {
			f.compactGroup(o, &g, &og, indentHeuristic)
		}
		if !f.nextGroup(&g) {
			break
		}
		o.nextGroup(&og)
	}
}

// xdGroup is a run of changed lines [start, end); empty groups sit between
// any two unchanged lines.
type xdGroup struct{ start, end int }

func (f *xdFile) firstGroup() xdGroup {
	g := xdGroup{}
	for f.changed(g.end) {
		g.end++
	}
	return g
}

// nextGroup moves g to the next group, or reports false at the end.
func (f *xdFile) nextGroup(g *xdGroup) bool {
	if g.end == len(f.recs) {
		return false
	}
	g.start = g.end + 1
	for g.end = g.start; f.changed(g.end); g.end++ {
	}
	return true
}

// prevGroup moves g to the previous group, or reports false at the start.
func (f *xdFile) prevGroup(g *xdGroup) bool {
	if g.start == 0 {
		return false
	}
	g.end = g.start - 1
	for g.start = g.end; f.changed(g.start - 1); g.start-- {
	}
	return true
}

// slideDown moves g one line down, merging with a group it reaches.
func (f *xdFile) slideDown(g *xdGroup) bool {
	if g.end >= len(f.recs) || f.ha[g.start] != f.ha[g.end] {
		return false
	}
	f.mark(g.start, false)
	f.mark(g.end, true)
	g.start++
	g.end++
	for f.changed(g.end) {
		g.end++
	}
	return true
}

// slideUp moves g one line up, merging with a group it reaches.
func (f *xdFile) slideUp(g *xdGroup) bool {
	if g.start == 0 || f.ha[g.start-1] != f.ha[g.end-1] {
		return false
	}
	g.start--
	g.end--
	f.mark(g.start, true)
	f.mark(g.end, false)
	for f.changed(g.start - 1) {
		g.start--
	}
	return true
}

// The indent heuristic's limit on how far it slides a group.
const indentMaxSliding = 100

func (f *xdFile) compactGroup(o *xdFile, g, og *xdGroup, indentHeuristic bool) {
	var earliestEnd, endMatchingOther, groupSize int
	for {
		groupSize = g.end - g.start
		endMatchingOther = -1
		for f.slideUp(g) {
			o.prevGroup(og)
		}
		earliestEnd = g.end
		if og.end > og.start {
			endMatchingOther = g.end
		}
		for f.slideDown(g) {
			o.nextGroup(og)
			if og.end > og.start {
				endMatchingOther = g.end
			}
		}
		if groupSize == g.end-g.start {
			break
		}
	}
	// The group is as far down as it goes; choose how far back up it moves.
	switch {
	case g.end == earliestEnd:
		// It cannot move.
	case endMatchingOther != -1:
		// Line up with the last change on the other side it can reach.
		for og.end == og.start {
			f.slideUp(g)
			o.prevGroup(og)
		}
	case indentHeuristic:
		shift := max(earliestEnd, g.end-groupSize-1, g.end-indentMaxSliding)
		bestShift := -1
		var best splitScore
		for ; shift <= g.end; shift++ {
			var s splitScore
			s.add(f.measureSplit(shift))
			s.add(f.measureSplit(shift - groupSize))
			if bestShift == -1 || s.cmp(best) <= 0 {
				best, bestShift = s, shift
			}
		}
		for g.end > bestShift {
			f.slideUp(g)
			o.prevGroup(og)
		}
	}
}
