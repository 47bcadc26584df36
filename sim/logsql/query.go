package logsql

import (
	"context"
	"fmt"
	"iter"
	"slices"
	"time"
	"unicode/utf8"
)

// Record is one log event, standing for Weight() identical events.
type Record interface {
	// Field returns a field of the event: "@timestamp" (ms since the
	// epoch, a number), "@message", "@log", "@logStream", "@type",
	// "@duration", … and JSON-discovered dotted names such as
	// "record.metrics.durationMs". The evaluator reads @timestamp through
	// Timestamp, not Field.
	Field(name string) (Value, bool)
	// Weight is how many identical events the record stands for; records
	// of weight 0 or less are skipped.
	Weight() int64
	// Timestamp is the event time in ms since the epoch, used for
	// @timestamp, bin() and the default sort.
	Timestamp() int64
}

// Query is a parsed query. It is immutable, and Run may be called from
// several goroutines at once.
type Query struct {
	text   string
	nslots int    // computed-field slots of the record phase
	steps  []step // filters and computed fields, in query order

	// Queries without stats.
	out      []column  // output columns (fields, display, or the default)
	sortKeys []sortKey // nil: @timestamp descending
	limit    int       // smallest limit command, 0 if none

	// Queries with stats.
	stats *statsPlan
	post  []postCmd // commands after stats, over the result rows

	minBin int64 // smallest bin() period in ms
	read   []string
}

// step is one per-record command: a filter, or the definition of a
// computed field.
type step struct {
	filter evalFn
	slot   int
	def    evalFn
}

type column struct {
	name string
	fn   evalFn
}

type sortKey struct {
	fn   evalFn
	desc bool
}

type statsPlan struct {
	groups []column // by clause, in record scope
	items  []column // stats items, in stats scope
	aggs   []aggSpec
}

type postKind uint8

const (
	postFilter postKind = iota
	postSort
	postLimit
	postProject
)

// postCmd is a command after stats, applied to the result rows.
type postCmd struct {
	kind   postKind
	filter evalFn
	sort   []sortKey
	limit  int
	cols   []column
}

// Result is the outcome of a query.
type Result struct {
	Rows           [][]ResultField // in output order
	RecordsScanned float64         // total weight seen
	RecordsMatched float64         // total weight that passed all filter commands
}

// ResultField is one field of a result row.
type ResultField struct{ Field, Value string }

// MaxQueryLen is the longest query, in characters, that Parse accepts:
// the StartQuery limit.
const MaxQueryLen = 10000

// MaxRows is the most rows a query returns: the largest StartQuery limit
// (100,000 in the cloudwatchlogs v1.92 docs, paged by GetQueryResults).
// The limit command keeps its own cap of 10,000.
const MaxRows = 100000

// Parse parses and compiles a query. Its error is a *SyntaxError naming
// the offending token.
func Parse(query string) (*Query, error) {
	toks, err := lex(query)
	if err != nil {
		return nil, err
	}
	if n := utf8.RuneCountInString(query); n > MaxQueryLen {
		// Name the first token that ends past the limit.
		for _, t := range toks {
			if utf8.RuneCountInString(query[:t.end]) > MaxQueryLen {
				return nil, errAt(t, "query too long at", fmt.Sprintf("a query has at most %d characters, this one has %d", MaxQueryLen, n))
			}
		}
	}
	p := &parser{src: query, toks: toks}
	cmds, err := p.parseQuery()
	if err != nil {
		return nil, err
	}
	b := &builder{c: compiler{src: query, read: map[string]bool{}}}
	q, serr := b.build(query, cmds)
	if serr != nil {
		return nil, serr
	}
	return q, nil
}

// String returns the query text as given to Parse.
func (q *Query) String() string { return q.text }

// MinBin returns the smallest bin() period of the query, 0 if it has none,
// so that a record source can choose its time resolution.
func (q *Query) MinBin() time.Duration { return time.Duration(q.minBin) * time.Millisecond }

// Fields returns the names of the record fields the query may read, sorted
// (a superset: a field named by a fields command before stats is listed
// even though it does not affect the result). "@timestamp" is listed when
// the query names it; the evaluator reads it through Record.Timestamp.
func (q *Query) Fields() []string { return slices.Clone(q.read) }

// HasStats reports whether the query has a stats command.
func (q *Query) HasStats() bool { return q.stats != nil }

// IsStats is a synonym of HasStats.
func (q *Query) IsStats() bool { return q.HasStats() }

type builder struct {
	c compiler
}

func newRowScope(cols []string) *scope {
	sc := &scope{mode: modeRow, names: map[string]int{}, texts: map[string]int{}}
	for i, name := range cols {
		if _, dup := sc.names[name]; !dup {
			sc.names[name] = i
		}
		if t := normText(name); t != "" {
			if _, dup := sc.texts[t]; !dup {
				sc.texts[t] = i
			}
		}
	}
	return sc
}

func (b *builder) build(text string, cmds []*command) (*Query, *SyntaxError) {
	q := &Query{text: text}
	rec := &scope{mode: modeRecord, names: map[string]int{}}
	var (
		limitCmd    *command // first limit command before stats
		fieldsCols  []column
		haveFields  bool
		displayCols []column
		row         *scope   // after stats
		schema      []string // result columns after stats
	)
	for _, cmd := range cmds {
		if q.stats != nil {
			cols, err := b.postCommand(q, cmd, row, schema)
			if err != nil {
				return nil, err
			}
			if cols != nil {
				schema = cols
				row = newRowScope(schema)
			}
			continue
		}
		switch cmd.kind {
		case cmdFilter:
			if limitCmd != nil {
				return nil, errAt(cmd.tok, "misplaced command", "filter after limit is not supported")
			}
			fn, err := b.compile(cmd.expr, rec)
			if err != nil {
				return nil, err
			}
			q.steps = append(q.steps, step{filter: fn})
		case cmdFields:
			if limitCmd != nil {
				return nil, errAt(cmd.tok, "misplaced command", "fields after limit is not supported")
			}
			haveFields = true
			for _, it := range cmd.items {
				var col column
				if it.e.op == nField && (it.alias == "" || it.alias == it.e.str) {
					fn, err := b.compile(it.e, rec)
					if err != nil {
						return nil, err
					}
					col = column{it.name, fn}
				} else {
					fn, err := b.compile(it.e, rec)
					if err != nil {
						return nil, err
					}
					slot := q.nslots
					q.nslots++
					q.steps = append(q.steps, step{slot: slot, def: fn})
					rec.names[it.name] = slot
					col = column{it.name, slotFn(slot)}
				}
				if i := slices.IndexFunc(fieldsCols, func(c column) bool { return c.name == col.name }); i >= 0 {
					fieldsCols[i] = col
				} else {
					fieldsCols = append(fieldsCols, col)
				}
			}
		case cmdDisplay:
			displayCols = displayCols[:0:0]
			for _, it := range cmd.items {
				fn, err := b.compile(it.e, rec)
				if err != nil {
					return nil, err
				}
				displayCols = append(displayCols, column{it.name, fn})
			}
		case cmdSort:
			if limitCmd != nil {
				return nil, errAt(cmd.tok, "misplaced command", "sort after limit is not supported")
			}
			keys, err := b.sortKeys(cmd, rec)
			if err != nil {
				return nil, err
			}
			q.sortKeys = keys
		case cmdLimit:
			if limitCmd == nil {
				limitCmd = cmd
			}
			if q.limit == 0 || cmd.limit < q.limit {
				q.limit = cmd.limit
			}
		case cmdStats:
			if limitCmd != nil {
				return nil, errAt(limitCmd.tok, "misplaced command", "limit before stats is not supported")
			}
			sp, err := b.compileStats(cmd, rec)
			if err != nil {
				return nil, err
			}
			q.stats = sp
			for _, g := range sp.groups {
				schema = append(schema, g.name)
			}
			for _, it := range sp.items {
				schema = append(schema, it.name)
			}
			row = newRowScope(schema)
		}
	}
	if q.stats != nil {
		// Sorting or displaying events before stats does not change it.
		q.sortKeys, q.out = nil, nil
	} else {
		switch {
		case displayCols != nil:
			q.out = displayCols
		case haveFields:
			q.out = fieldsCols
		default:
			b.c.read["@timestamp"], b.c.read["@message"] = true, true
			q.out = []column{{"@timestamp", timestampFn}, {"@message", fieldFn("@message")}}
		}
	}
	q.minBin = b.c.minBin
	for name := range b.c.read {
		q.read = append(q.read, name)
	}
	slices.Sort(q.read)
	return q, nil
}

func (b *builder) compile(n *node, sc *scope) (evalFn, *SyntaxError) {
	return b.c.compile(n, sc)
}

func (b *builder) sortKeys(cmd *command, sc *scope) ([]sortKey, *SyntaxError) {
	keys := make([]sortKey, 0, len(cmd.sorts))
	for _, s := range cmd.sorts {
		fn, err := b.compile(s.e, sc)
		if err != nil {
			return nil, err
		}
		keys = append(keys, sortKey{fn, s.desc})
	}
	return keys, nil
}

// compileStats lays out the slots of a group's final evaluation as
// [by groups][stats items][aggregates]; the result row is the first two
// parts.
func (b *builder) compileStats(cmd *command, rec *scope) (*statsPlan, *SyntaxError) {
	sp := &statsPlan{}
	st := &scope{mode: modeStats, names: map[string]int{}, rec: rec, aggs: &sp.aggs, aggBase: len(cmd.by) + len(cmd.items)}
	for i, g := range cmd.by {
		fn, err := b.compile(g.e, rec)
		if err != nil {
			return nil, err
		}
		sp.groups = append(sp.groups, column{g.name, fn})
		st.names[g.name] = i
	}
	for i, it := range cmd.items {
		fn, err := b.compile(it.e, st)
		if err != nil {
			return nil, err
		}
		sp.items = append(sp.items, column{it.name, fn})
		st.names[it.name] = len(cmd.by) + i
	}
	return sp, nil
}

// postCommand compiles a command after stats. For fields and display it
// returns the new result columns.
func (b *builder) postCommand(q *Query, cmd *command, row *scope, schema []string) ([]string, *SyntaxError) {
	switch cmd.kind {
	case cmdStats:
		return nil, errAt(cmd.tok, "misplaced command", "only one stats command is supported")
	case cmdFilter:
		fn, err := b.compile(cmd.expr, row)
		if err != nil {
			return nil, err
		}
		q.post = append(q.post, postCmd{kind: postFilter, filter: fn})
	case cmdSort:
		keys, err := b.sortKeys(cmd, row)
		if err != nil {
			return nil, err
		}
		q.post = append(q.post, postCmd{kind: postSort, sort: keys})
	case cmdLimit:
		q.post = append(q.post, postCmd{kind: postLimit, limit: cmd.limit})
	case cmdFields, cmdDisplay:
		cols := make([]column, 0, len(cmd.items))
		names := make([]string, 0, len(cmd.items))
		for _, it := range cmd.items {
			fn, err := b.compile(it.e, row)
			if err != nil {
				return nil, err
			}
			cols = append(cols, column{it.name, fn})
			names = append(names, it.name)
		}
		q.post = append(q.post, postCmd{kind: postProject, cols: cols})
		return names, nil
	}
	return nil, nil
}

// Run evaluates the query over records. limit is the largest number of
// rows to return (the StartQuery limit): 0 or less means the default of
// 1000, and it is capped at MaxRows; a limit command can lower it. ctx is
// checked every few thousand records. Run does not keep records after it
// returns, and reads each one only while the iteration is on it.
func (q *Query) Run(ctx context.Context, records iter.Seq[Record], limit int) (*Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = 1000
	}
	limit = min(limit, MaxRows)
	if q.stats != nil {
		return q.runStats(ctx, records, limit)
	}
	if q.limit > 0 {
		limit = min(limit, q.limit)
	}
	return q.runEvents(ctx, records, limit)
}
