package logsql

import (
	"context"
	"encoding/binary"
	"errors"
	"iter"
	"math"
	"slices"
	"strconv"
)

// ctxEvery is how many records pass between checks of the context.
const ctxEvery = 4096

var errTooManyGroups = errors.New("logsql: too many stats groups")

// pass runs the per-record commands; it reports whether the record passed
// every filter.
func (q *Query) pass(e *env) bool {
	for i := range q.steps {
		s := &q.steps[i]
		if s.filter != nil {
			if !s.filter(e).truthy() {
				return false
			}
			continue
		}
		e.slots[s.slot] = s.def(e)
	}
	return true
}

// event is a matched record of a query without stats.
type event struct {
	seq  int64 // position in the scan, for ties and @ptr
	w    int64
	ts   int64
	keys []Value // sort keys
	vals []Value // output columns
}

// compareEvents orders events: by the sort keys, or @timestamp descending
// without a sort command; ties in scan order.
func (q *Query) compareEvents(a, b *event) int {
	if q.sortKeys == nil {
		if a.ts != b.ts {
			if a.ts > b.ts {
				return -1
			}
			return 1
		}
	} else {
		for i, k := range q.sortKeys {
			if c := compareSort(a.keys[i], b.keys[i], k.desc); c != 0 {
				return c
			}
		}
	}
	switch {
	case a.seq < b.seq:
		return -1
	case a.seq > b.seq:
		return 1
	}
	return 0
}

// topEvents sorts evs and keeps the shortest prefix that holds limit
// events; full reports whether that prefix reaches limit.
func (q *Query) topEvents(evs []event, limit int) (kept []event, full bool) {
	slices.SortFunc(evs, func(a, b event) int { return q.compareEvents(&a, &b) })
	var n int64
	for i := range evs {
		n += evs[i].w
		if n >= int64(limit) {
			clear(evs[i+1:])
			return evs[:i+1], true
		}
	}
	return evs, false
}

func (q *Query) runEvents(ctx context.Context, records iter.Seq[Record], limit int) (*Result, error) {
	res := &Result{}
	e := &env{slots: make([]Value, q.nslots)}
	nOut, nKey := len(q.out), len(q.sortKeys)
	var (
		evs     []event
		cutoff  event // the last kept event once evs holds limit events
		haveCut bool
		cand    = event{keys: make([]Value, nKey)}
		pruneAt = 2*limit + 64
		err     error
	)
	var t tally
	for seq, w := range q.matching(ctx, records, e, &t) {
		cand.seq, cand.w, cand.ts = seq, w, e.rec.Timestamp()
		for i, k := range q.sortKeys {
			cand.keys[i] = k.fn(e)
		}
		if haveCut && q.compareEvents(&cutoff, &cand) < 0 {
			continue // cannot be among the first limit events
		}
		buf := make([]Value, nKey+nOut)
		ev := cand
		ev.keys = buf[:nKey:nKey]
		copy(ev.keys, cand.keys)
		ev.vals = buf[nKey:]
		for i, c := range q.out {
			ev.vals[i] = c.fn(e)
		}
		evs = append(evs, ev)
		if len(evs) >= pruneAt {
			evs, haveCut = q.topEvents(evs, limit)
			if haveCut {
				cutoff = evs[len(evs)-1]
			}
		}
	}
	if err == nil {
		err = t.err
	}
	if err != nil {
		return nil, err
	}
	evs, _ = q.topEvents(evs, limit)
	res.RecordsScanned, res.RecordsMatched = t.scanned, t.matched
	res.Rows = make([][]ResultField, 0, min(limit, len(evs)))
	for i := range evs {
		ev := &evs[i]
		fields := make([]ResultField, 0, nOut)
		for j, c := range q.out {
			if v := ev.vals[j]; v.IsPresent() {
				fields = append(fields, ResultField{c.name, v.String()})
			}
		}
		for k := int64(0); k < ev.w && len(res.Rows) < limit; k++ {
			row := make([]ResultField, len(fields), len(fields)+1)
			copy(row, fields)
			res.Rows = append(res.Rows, append(row, ResultField{"@ptr", ptr(ev.seq, k)}))
		}
		if len(res.Rows) >= limit {
			break
		}
	}
	return res, nil
}

// tally is what a scan over the records saw: weighted records scanned and
// matched, and the context's error if it stopped the scan.
type tally struct {
	scanned, matched float64
	err              error
}

// matching yields the scan position and weight of every record that
// passes the query's filters, with e.rec set to it; t counts what was
// scanned and matched. The scan stops when ctx is done (t.err says so).
func (q *Query) matching(ctx context.Context, records iter.Seq[Record], e *env, t *tally) iter.Seq2[int64, int64] {
	return func(yield func(int64, int64) bool) {
		defer func() { e.rec = nil }()
		var seq int64
		for r := range records {
			seq++
			if seq%ctxEvery == 0 {
				if t.err = ctx.Err(); t.err != nil {
					return
				}
			}
			if r == nil {
				continue
			}
			w := r.Weight()
			if w <= 0 {
				continue
			}
			t.scanned += float64(w)
			e.rec = r
			if !q.pass(e) {
				continue
			}
			t.matched += float64(w)
			if !yield(seq, w) {
				return
			}
		}
	}
}

// ptr is the opaque @ptr of copy k of the record at scan position seq.
func ptr(seq, k int64) string {
	b := make([]byte, 0, 24)
	b = append(b, 'p')
	b = strconv.AppendUint(b, uint64(seq), 36)
	b = append(b, '.')
	b = strconv.AppendUint(b, uint64(k), 36)
	return string(b)
}

// group is one group of a stats query.
type group struct {
	id  int32 // index in creation order
	key []Value
	st  []aggState
}

func appendKey(b []byte, v Value) []byte {
	b = append(b, byte(v.k))
	switch v.k {
	case kindNum, kindTime:
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v.f))
	case kindStr:
		b = binary.AppendUvarint(b, uint64(len(v.s)))
		b = append(b, v.s...)
	}
	return b
}

func compareGroups(a, b *group) int {
	for i := range a.key {
		if c := compareSort(a.key[i], b.key[i], false); c != 0 {
			return c
		}
		if c := int(a.key[i].k) - int(b.key[i].k); c != 0 {
			return c
		}
	}
	return 0
}

func (q *Query) runStats(ctx context.Context, records iter.Seq[Record], limit int) (*Result, error) {
	sp := q.stats
	nG, nI, nA := len(sp.groups), len(sp.items), len(sp.aggs)
	e := &env{slots: make([]Value, q.nslots)}
	var (
		groups  map[string]*group
		byID    []*group
		single  *group
		keyVals = make([]Value, nG)
		keyBuf  []byte
		pcts    = make([][]pctEntry, nA) // values of each pct aggregate
		err     error
	)
	if nG == 0 {
		single = &group{st: make([]aggState, nA)}
		byID = []*group{single}
	} else {
		groups = map[string]*group{}
	}
	var t tally
	for _, w := range q.matching(ctx, records, e, &t) {
		g := single
		if g == nil {
			keyBuf = keyBuf[:0]
			for i, c := range sp.groups {
				keyVals[i] = c.fn(e)
				keyBuf = appendKey(keyBuf, keyVals[i])
			}
			if g = groups[string(keyBuf)]; g == nil {
				if len(byID) == math.MaxInt32 {
					err = errTooManyGroups
					break
				}
				g = &group{id: int32(len(byID)), key: slices.Clone(keyVals), st: make([]aggState, nA)}
				groups[string(keyBuf)] = g
				byID = append(byID, g)
			}
		}
		for i := range sp.aggs {
			a := &sp.aggs[i]
			if a.kind == aggPct {
				if v := a.arg(e); v.IsNum() {
					pcts[i] = appendPct(pcts[i], g.id, v.f, w)
				}
				continue
			}
			a.update(&g.st[i], e, w)
		}
	}
	if err == nil {
		err = t.err
	}
	if err != nil {
		return nil, err
	}
	for i := range sp.aggs {
		if sp.aggs[i].kind == aggPct {
			sp.aggs[i].finishPct(i, pcts[i], byID)
			pcts[i] = nil
		}
	}

	list := byID // finishPct is done with the id order
	if nG > 0 {
		slices.SortFunc(list, compareGroups)
	}
	fe := &env{slots: make([]Value, nG+nI+nA)}
	rows := make([][]Value, 0, len(list))
	for _, g := range list {
		copy(fe.slots, g.key)
		for i := range sp.aggs {
			fe.slots[nG+nI+i] = sp.aggs[i].result(&g.st[i])
		}
		for i, it := range sp.items {
			fe.slots[nG+i] = it.fn(fe)
		}
		rows = append(rows, slices.Clone(fe.slots[:nG+nI]))
	}
	names := make([]string, 0, nG+nI)
	for _, c := range sp.groups {
		names = append(names, c.name)
	}
	for _, c := range sp.items {
		names = append(names, c.name)
	}
	rows, names = q.applyPost(rows, names)

	res := &Result{RecordsScanned: t.scanned, RecordsMatched: t.matched}
	res.Rows = make([][]ResultField, 0, min(limit, len(rows)))
	for _, row := range rows[:min(limit, len(rows))] {
		fields := make([]ResultField, 0, len(row))
		for i, v := range row {
			if v.IsPresent() {
				fields = append(fields, ResultField{names[i], v.String()})
			}
		}
		res.Rows = append(res.Rows, fields)
	}
	return res, nil
}

// applyPost runs the commands after stats over the result rows.
func (q *Query) applyPost(rows [][]Value, names []string) ([][]Value, []string) {
	e := &env{}
	for _, pc := range q.post {
		switch pc.kind {
		case postFilter:
			rows = slices.DeleteFunc(rows, func(row []Value) bool {
				e.slots = row
				return !pc.filter(e).truthy()
			})
		case postSort:
			type keyed struct {
				keys []Value
				row  []Value
			}
			ks := make([]keyed, len(rows))
			for i, row := range rows {
				e.slots = row
				keys := make([]Value, len(pc.sort))
				for j, k := range pc.sort {
					keys[j] = k.fn(e)
				}
				ks[i] = keyed{keys, row}
			}
			slices.SortStableFunc(ks, func(a, b keyed) int {
				for j, k := range pc.sort {
					if c := compareSort(a.keys[j], b.keys[j], k.desc); c != 0 {
						return c
					}
				}
				return 0
			})
			for i := range ks {
				rows[i] = ks[i].row
			}
		case postLimit:
			rows = rows[:min(pc.limit, len(rows))]
		case postProject:
			next := make([][]Value, len(rows))
			for i, row := range rows {
				e.slots = row
				out := make([]Value, len(pc.cols))
				for j, c := range pc.cols {
					out[j] = c.fn(e)
				}
				next[i] = out
			}
			rows = next
			names = names[:0:0]
			for _, c := range pc.cols {
				names = append(names, c.name)
			}
		}
	}
	return rows, names
}
