package gitrepo

import "bytes"

// lineDiff computes a line edit script with Myers' O(ND) algorithm in linear
// space (the "middle snake" variant), after trimming the common prefix and
// suffix. For very costly inputs it stops searching for the optimum, like
// git's xdiff, and splits at the furthest-reaching point instead: the script
// stays correct, only not minimal.
type lineDiff struct {
	a, b     []int  // line ids
	del, ins []bool // del[i]: line i of a removed; ins[j]: line j of b added
	vf, vb   []int
}

// maxCost bounds the edit cost searched exactly for one split.
const maxCost = 4096

// splitLines cuts data into lines, each keeping its "\n" (the last may lack it).
func splitLines(data []byte) [][]byte {
	if len(data) == 0 {
		return nil
	}
	lines := make([][]byte, 0, bytes.Count(data, []byte{'\n'})+1)
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			lines = append(lines, data)
			break
		}
		lines = append(lines, data[:i+1])
		data = data[i+1:]
	}
	return lines
}

// diffLines returns, for each line of a and b, whether it is deleted or
// inserted.
func diffLines(a, b [][]byte) (del, ins []bool) {
	ids := make(map[string]int, len(a)+len(b))
	id := func(lines [][]byte) []int {
		out := make([]int, len(lines))
		for i, l := range lines {
			v, ok := ids[string(l)]
			if !ok {
				v = len(ids)
				ids[string(l)] = v
			}
			out[i] = v
		}
		return out
	}
	d := &lineDiff{a: id(a), b: id(b), del: make([]bool, len(a)), ins: make([]bool, len(b))}
	n := len(a) + len(b) + 3
	d.vf, d.vb = make([]int, 2*n+1), make([]int, 2*n+1)
	d.compare(0, len(a), 0, len(b))
	return d.del, d.ins
}

func (d *lineDiff) compare(aLo, aHi, bLo, bHi int) {
	for aLo < aHi && bLo < bHi && d.a[aLo] == d.b[bLo] {
		aLo++
		bLo++
	}
	for aLo < aHi && bLo < bHi && d.a[aHi-1] == d.b[bHi-1] {
		aHi--
		bHi--
	}
	switch {
	case aLo == aHi:
		for j := bLo; j < bHi; j++ {
			d.ins[j] = true
		}
		return
	case bLo == bHi:
		for i := aLo; i < aHi; i++ {
			d.del[i] = true
		}
		return
	}
	x, y := d.split(aLo, aHi, bLo, bHi)
	if (x == aLo && y == bLo) || (x == aHi && y == bHi) {
		for i := aLo; i < aHi; i++ {
			d.del[i] = true
		}
		for j := bLo; j < bHi; j++ {
			d.ins[j] = true
		}
		return
	}
	d.compare(aLo, x, bLo, y)
	d.compare(x, aHi, y, bHi)
}

// split returns a point on an optimal (or, past maxCost, a good) edit path
// of a[aLo:aHi] against b[bLo:bHi].
func (d *lineDiff) split(aLo, aHi, bLo, bHi int) (int, int) {
	a, b := d.a[aLo:aHi], d.b[bLo:bHi]
	n, m := len(a), len(b)
	delta := n - m
	odd := delta&1 != 0
	limit := (n + m + 1) / 2
	off := limit + 1
	vf, vb := d.vf[:2*off+1], d.vb[:2*off+1]
	vf[off+1], vb[off+1] = 0, 0
	for D := 0; D <= limit; D++ {
		for k := -D; k <= D; k += 2 {
			var x int
			if k == -D || (k != D && vf[off+k-1] < vf[off+k+1]) {
				x = vf[off+k+1]
			} else {
				x = vf[off+k-1] + 1
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x++
				y++
			}
			vf[off+k] = x
			if odd && k-delta >= -(D-1) && k-delta <= D-1 && x+vb[off+delta-k] >= n {
				return aLo + x, bLo + y
			}
		}
		for k := -D; k <= D; k += 2 {
			var x int
			if k == -D || (k != D && vb[off+k-1] < vb[off+k+1]) {
				x = vb[off+k+1]
			} else {
				x = vb[off+k-1] + 1
			}
			y := x - k
			for x < n && y < m && a[n-1-x] == b[m-1-y] {
				x++
				y++
			}
			vb[off+k] = x
			if !odd && delta-k >= -D && delta-k <= D && x+vf[off+delta-k] >= n {
				return aLo + n - x, bLo + m - y
			}
		}
		if D >= maxCost {
			// Give up on the optimum: split where the forward search got furthest.
			best, bx := -1, 0
			for k := -D; k <= D; k += 2 {
				x := min(vf[off+k], n)
				y := x - k
				if y < 0 || y > m {
					continue
				}
				if x+y > best {
					best, bx = x+y, x
				}
			}
			return aLo + bx, bLo + best - bx
		}
	}
	return aLo, bLo
}
