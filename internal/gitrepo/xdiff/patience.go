package xdiff

// git's patience diff (xpatience.c, diff.algorithm=patience): the lines
// that occur once in each side of a range are matched by their longest
// increasing sequence, the common lines around each match are taken too,
// and the gaps between recurse; a range with common lines but no unique
// ones goes to the Myers diff. Line numbers are 1-based, as in git.

// patienceEntry is a class of lines of the old range, in the order of its
// first occurrence.
type patienceEntry struct {
	line1, line2 int // line2: 0 when not in the new range, -1 when not unique
	next, prev   *patienceEntry
}

func (x1 *xdFile) patience(x2 *xdFile, line1, count1, line2, count2 int) {
	switch {
	case count1 == 0:
		x2.markRange(line2, count2)
		return
	case count2 == 0:
		x1.markRange(line1, count1)
		return
	}
	byClass := make(map[int]*patienceEntry, count1)
	var order []*patienceEntry
	for l := line1; l < line1+count1; l++ {
		if e, ok := byClass[x1.ha[l-1]]; ok {
			e.line2 = -1
			continue
		}
		e := &patienceEntry{line1: l}
		byClass[x1.ha[l-1]] = e
		order = append(order, e)
	}
	hasMatches := false
	for l := line2; l < line2+count2; l++ {
		e, ok := byClass[x2.ha[l-1]]
		if !ok {
			continue
		}
		hasMatches = true
		if e.line2 != 0 {
			e.line2 = -1
		} else {
			e.line2 = l
		}
	}
	if !hasMatches {
		x1.markRange(line1, count1)
		x2.markRange(line2, count2)
		return
	}
	if first := longestUniqueSequence(order); first != nil {
		x1.walkCommon(x2, first, line1, count1, line2, count2)
		return
	}
	x1.classicRange(x2, line1, count1, line2, count2)
}

// longestUniqueSequence links the longest run of unique common lines
// increasing on both sides (find_longest_common_sequence) and returns its
// first entry, nil when there is none.
func longestUniqueSequence(order []*patienceEntry) *patienceEntry {
	seq := make([]*patienceEntry, 0, len(order))
	for _, e := range order {
		if e.line2 <= 0 {
			continue
		}
		left, right := -1, len(seq)
		for left+1 < right {
			mid := left + (right-left)/2
			if seq[mid].line2 > e.line2 {
				right = mid
			} else {
				left = mid
			}
		}
		e.prev = nil
		if left >= 0 {
			e.prev = seq[left]
		}
		if left+1 == len(seq) {
			seq = append(seq, e)
		} else {
			seq[left+1] = e
		}
	}
	if len(seq) == 0 {
		return nil
	}
	e := seq[len(seq)-1]
	e.next = nil
	for e.prev != nil {
		e.prev.next = e
		e = e.prev
	}
	return e
}

// walkCommon diffs the gaps between the matched lines (walk_common_sequence).
func (x1 *xdFile) walkCommon(x2 *xdFile, first *patienceEntry, line1, count1, line2, count2 int) {
	end1, end2 := line1+count1, line2+count2
	match := func(l1, l2 int) bool { return x1.ha[l1-1] == x2.ha[l2-1] }
	for {
		next1, next2 := end1, end2
		if first != nil {
			next1, next2 = first.line1, first.line2
			for next1 > line1 && next2 > line2 && match(next1-1, next2-1) {
				next1--
				next2--
			}
		}
		for line1 < next1 && line2 < next2 && match(line1, line2) {
			line1++
			line2++
		}
		if next1 > line1 || next2 > line2 {
			x1.patience(x2, line1, next1-line1, line2, next2-line2)
		}
		if first == nil {
			return
		}
		for first.next != nil && first.next.line1 == first.line1+1 && first.next.line2 == first.line2+1 {
			first = first.next
		}
		line1, line2 = first.line1+1, first.line2+1
		first = first.next
	}
}
