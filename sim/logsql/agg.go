package logsql

import (
	"cmp"
	"math"
	"slices"
)

type aggKind uint8

const (
	aggNone     aggKind = iota
	aggCountAll         // count(*), count()
	aggCount            // count(expr)
	aggSum
	aggAvg
	aggMin
	aggMax
	aggPct
)

// aggSpec is one aggregate call of a stats command.
type aggSpec struct {
	kind aggKind
	arg  evalFn
	p    float64 // percentile, for aggPct
}

// weighted is one value seen by pct with the weight of its record.
type weighted struct {
	v float64
	w int64
}

// pctEntry is a value seen by a pct aggregate, tagged with its group: the
// values of all groups share one list per pct aggregate, so that the scan
// allocates only as that list doubles.
type pctEntry struct {
	g int32
	weighted
}

func appendPct(list []pctEntry, g int32, v float64, w int64) []pctEntry {
	if k := len(list) - 1; k >= 0 && list[k].g == g && list[k].v == v {
		list[k].w += w
		return list
	}
	return append(list, pctEntry{g, weighted{v, w}})
}

// aggState accumulates one aggregate of one group.
type aggState struct {
	n   float64 // weight counted (count), or weight of the numbers seen (sum, avg)
	sum float64 // Σ value × weight
	v   Value   // min or max so far; for pct, the result once computed
}

func (a *aggSpec) update(s *aggState, e *env, w int64) {
	fw := float64(w)
	switch a.kind {
	case aggCountAll:
		s.n += fw
	case aggCount:
		if v := a.arg(e); v.IsNum() || v.k == kindStr && v.s != "" {
			s.n += fw
		}
	case aggSum, aggAvg:
		if v := a.arg(e); v.IsNum() {
			s.sum += v.f * fw
			s.n += fw
		}
	case aggMin:
		if v := a.arg(e); v.IsNum() && (s.v.k == kindAbsent || v.f < s.v.f) {
			s.v = v
		}
	case aggMax:
		if v := a.arg(e); v.IsNum() && (s.v.k == kindAbsent || v.f > s.v.f) {
			s.v = v
		}
	}
	// aggPct: see appendPct and finishPct.
}

// result is the aggregate's value: counts are numbers even when zero,
// every other aggregate is absent when it saw no number.
func (a *aggSpec) result(s *aggState) Value {
	switch a.kind {
	case aggCountAll, aggCount:
		return Num(s.n)
	case aggSum:
		if s.n > 0 {
			return Num(s.sum)
		}
	case aggAvg:
		if s.n > 0 {
			return Num(s.sum / s.n)
		}
	case aggMin, aggMax, aggPct:
		return s.v
	}
	return Value{}
}

// finishPct stores each group's percentile for pct aggregate i in its
// state: it buckets the values by group (a counting sort, linear), then
// sorts each group's values.
func (a *aggSpec) finishPct(i int, list []pctEntry, groups []*group) {
	off := make([]int, len(groups)+1)
	for _, x := range list {
		off[x.g+1]++
	}
	for g := range groups {
		off[g+1] += off[g]
	}
	next := slices.Clone(off[:len(groups)])
	vals := make([]weighted, len(list))
	for _, x := range list {
		vals[next[x.g]] = x.weighted
		next[x.g]++
	}
	for g, grp := range groups {
		sub := vals[off[g]:off[g+1]]
		slices.SortFunc(sub, func(x, y weighted) int { return cmp.Compare(x.v, y.v) })
		if v, ok := percentileSorted(sub, a.p); ok {
			grp.st[i].v = Num(v)
		}
	}
}

// percentileSorted is the weighted nearest-rank percentile of values in
// ascending order: with W their total weight, the value at which the
// cumulative weight first reaches rank r = ceil(p/100 × W), r ≥ 1.
func percentileSorted(vals []weighted, p float64) (float64, bool) {
	if len(vals) == 0 {
		return 0, false
	}
	var total int64
	for _, x := range vals {
		total += x.w
	}
	r := percentileRank(p, total)
	var cum int64
	for _, x := range vals {
		cum += x.w
		if cum >= r {
			return x.v, true
		}
	}
	return vals[len(vals)-1].v, true
}

// percentileRank is ceil(p/100 × total), at least 1 and at most total. A
// product within 1e-9 above a whole number counts as that number, so that
// float rounding (0.99 × 100 = 99.00000000000001) does not move the rank.
func percentileRank(p float64, total int64) int64 {
	x := p * float64(total) / 100
	r := int64(math.Ceil(x - 1e-9))
	return min(max(r, 1), total)
}
