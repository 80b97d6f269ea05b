package xdiff

// git's indent heuristic (xdiffi.c, on by default since git 2.14) scores
// each position a group of added or deleted lines can slide to by the
// indentation and blank lines around its two ends, and keeps the best.

// Limits and weights of the heuristic, as git sets them.
const (
	maxIndent = 200 // indentation counted at most
	maxBlanks = 20  // blank lines counted at most

	startOfFilePenalty              = 1
	endOfFilePenalty                = 21
	totalBlankWeight                = -30
	postBlankWeight                 = 6
	relativeIndentPenalty           = -4
	relativeIndentWithBlankPenalty  = 10
	relativeOutdentPenalty          = 24
	relativeOutdentWithBlankPenalty = 17
	relativeDedentPenalty           = 23
	relativeDedentWithBlankPenalty  = 17
	indentWeight                    = 60
)

// lineIndent is the indentation of line, TAB stops every 8 columns, at most
// maxIndent; -1 for a line of only white space.
func lineIndent(line []byte) int {
	ret := 0
	for _, c := range line {
		switch c {
		case ' ':
			ret++
		case '\t':
			ret += 8 - ret%8
		case '\n', '\r':
		default:
			return ret
		}
		if ret >= maxIndent {
			return maxIndent
		}
	}
	return -1
}

// splitMeasure describes the lines around a split above line split.
type splitMeasure struct {
	endOfFile  bool
	indent     int // of the line after the split, -1 if blank
	preBlank   int // blank lines just above the split
	preIndent  int // of the nearest non-blank line above, -1 if none
	postBlank  int // blank lines after the line after the split
	postIndent int // of the nearest non-blank line after those, -1 if none
}

func (f *xdFile) measureSplit(split int) splitMeasure {
	var m splitMeasure
	n := len(f.recs)
	if split >= n {
		m.endOfFile, m.indent = true, -1
	} else {
		m.indent = lineIndent(f.recs[split])
	}
	m.preIndent, m.preBlank = f.nearestIndent(split-1, -1)
	m.postIndent, m.postBlank = f.nearestIndent(split+1, 1)
	return m
}

// nearestIndent walks from line i by step (-1 up, 1 down) over blank
// lines and returns the indentation of the first non-blank line (-1 if the
// file ends first, 0 after maxBlanks blank lines) and the blank lines
// passed.
func (f *xdFile) nearestIndent(i, step int) (indent, blanks int) {
	for ; i >= 0 && i < len(f.recs); i += step {
		if indent = lineIndent(f.recs[i]); indent != -1 {
			return indent, blanks
		}
		if blanks++; blanks == maxBlanks {
			return 0, blanks
		}
	}
	return -1, blanks
}

// splitScore sums the badness of a group's two splits; lower is better.
type splitScore struct{ effectiveIndent, penalty int }

func (s *splitScore) add(m splitMeasure) {
	if m.preIndent == -1 && m.preBlank == 0 {
		s.penalty += startOfFilePenalty
	}
	if m.endOfFile {
		s.penalty += endOfFilePenalty
	}
	postBlank := 0
	if m.indent == -1 {
		postBlank = 1 + m.postBlank
	}
	totalBlank := m.preBlank + postBlank
	s.penalty += totalBlankWeight*totalBlank + postBlankWeight*postBlank
	indent := m.indent
	if indent == -1 {
		indent = m.postIndent
	}
	anyBlanks := totalBlank != 0
	s.effectiveIndent += indent
	pick := func(withBlank, without int) int {
		if anyBlanks {
			return withBlank
		}
		return without
	}
	switch {
	case indent == -1, m.preIndent == -1, indent == m.preIndent:
	case indent > m.preIndent:
		s.penalty += pick(relativeIndentWithBlankPenalty, relativeIndentPenalty)
	case m.postIndent != -1 && m.postIndent > indent:
		// Less indented than the line before, more after: a block starts.
		s.penalty += pick(relativeOutdentWithBlankPenalty, relativeOutdentPenalty)
	default:
		// Probably the end of a block.
		s.penalty += pick(relativeDedentWithBlankPenalty, relativeDedentPenalty)
	}
}

// cmp is negative when s is the better score, positive when t is.
func (s splitScore) cmp(t splitScore) int {
	c := 0
	if s.effectiveIndent > t.effectiveIndent {
		c = 1
	} else if s.effectiveIndent < t.effectiveIndent {
		c = -1
	}
	return indentWeight*c + s.penalty - t.penalty
}
