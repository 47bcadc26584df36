package logsql

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

func run(t *testing.T, query string, recs []Record, limit int) *Result {
	t.Helper()
	q, err := Parse(query)
	if err != nil {
		t.Fatalf("Parse(%q): %v", query, err)
	}
	res, err := q.Run(context.Background(), seqOf(recs), limit)
	if err != nil {
		t.Fatalf("Run(%q): %v", query, err)
	}
	return res
}

func diffLines(t *testing.T, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("rows:\n got  %s\n want %s", strings.Join(got, "\n      "), strings.Join(want, "\n      "))
	}
}

func TestLambdauditQueries(t *testing.T) {
	text, js := textFleet(), jsonFleet()
	tests := []struct {
		name             string
		query            string
		recs             []Record
		want             []string
		scanned, matched float64
	}{
		{"fleet daily by log and day", qFleetDaily, text, []string{
			"@log=" + logA + " bin(1d)=2024-05-01 00:00:00.000 invocations=4 maxMem=70000000 p99Mem=70000000 coldStarts=1 p95Init=150.5 initTotal=150.5 timeouts=0 billed=500",
			"@log=" + logA + " bin(1d)=2024-05-02 00:00:00.000 invocations=2 maxMem=128000000 p99Mem=128000000 coldStarts=0 timeouts=2 billed=6000",
			"@log=" + logB + " bin(1d)=2024-05-01 00:00:00.000 invocations=5 maxMem=30000000 p99Mem=30000000 coldStarts=0 timeouts=0 billed=50",
		}, 21, 11},
		{"json memory by log", qJSONMemory, js, []string{
			"@log=" + logA + " count(*)=5 max(record.metrics.maxMemoryUsedMB)=120",
			"@log=" + logB + " count(*)=7 max(record.metrics.maxMemoryUsedMB)=40",
		}, 16, 12},
		{"timeouts", qTimeouts, text, []string{
			"@timestamp=2024-05-01 11:30:00.000 @message=2024-05-01T11:30:00Z r9 Task timed out after 3.00 seconds",
			"@timestamp=2024-05-01 11:30:00.000 @message=2024-05-01T11:30:00Z r9 Task timed out after 3.00 seconds",
		}, 21, 2},
		{"over-provisioned memory", qOverMemory, text, []string{
			"provisonedMemoryMB=256 smallestMemoryRequestMB=30 avgMemoryUsedMB=" + strconv.FormatFloat(656.0/11, 'f', -1, 64) +
				" maxMemoryUsedMB=128 overProvisionedMB=128",
		}, 21, 11},
		{"json status and duration", `filter record.status = "timeout" | stats count(*) as n, avg(record.metrics.durationMs) as d`, js,
			[]string{"n=1 d=900"}, 16, 1},
		{"json fields of events", "filter `type` = \"platform.report\" and record.metrics.durationMs > 10 | fields record.status, record.metrics.durationMs", js,
			[]string{"record.status=timeout record.metrics.durationMs=900",
				"record.status=success record.metrics.durationMs=12.5", "record.status=success record.metrics.durationMs=12.5",
				"record.status=success record.metrics.durationMs=12.5", "record.status=success record.metrics.durationMs=12.5"}, 16, 5},
		{"cold share", `filter @type = "REPORT" | stats sum(strcontains(@message, "Init Duration"))/count(*) as coldShare by @log`, text,
			[]string{"@log=" + logA + " coldShare=" + strconv.FormatFloat(1.0/6, 'f', -1, 64), "@log=" + logB + " coldShare=0"}, 21, 11},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := run(t, tc.query, tc.recs, 0)
			diffLines(t, render(res.Rows), tc.want)
			if res.RecordsScanned != tc.scanned || res.RecordsMatched != tc.matched {
				t.Errorf("scanned, matched = %v, %v, want %v, %v", res.RecordsScanned, res.RecordsMatched, tc.scanned, tc.matched)
			}
		})
	}
}

func TestFilterExpressions(t *testing.T) {
	rec := &mapRecord{ts: 1714557600000, w: 1, fields: map[string]Value{
		"@message": Str("REPORT RequestId: abc\tDuration: 12.5 ms"),
		"n":        Num(10),
		"s":        Str("Hello"),
		"empty":    Str(""),
		"zero":     Num(0),
		"neg":      Num(-3),
		"f":        Num(1.25),
		"u":        Str("Ünïcode"),
	}}
	tests := []struct {
		expr string
		want bool
	}{
		{`n = 10`, true}, {`n != 10`, false}, {`n < 11`, true}, {`n <= 10`, true}, {`n > 10`, false}, {`n >= 10.0`, true},
		{`s = "Hello"`, true}, {`s = 'Hello'`, true}, {`s != "hello"`, true}, {`s < "World"`, true}, {`s > "World"`, false},
		{`n = "10"`, false}, {`n != "10"`, false}, {`missing != 1`, false}, {`missing = 0`, false}, {`s > 1`, false},
		{`s like "ell"`, true}, {`s like "ELL"`, false}, {`s like /(?i)ell/`, true}, {`s not like "xyz"`, true},
		{`s not like "ell"`, false}, {`s =~ /^H.*o$/`, true}, {`n like "1"`, false}, {`missing not like "x"`, true},
		{`@message like /Duration: \d+\.\d ms/`, true}, {`s LIKE "ell"`, true}, {`s NOT LIKE /ell/`, false},
		{`s in ["a", "Hello"]`, true}, {`n in [1, 10]`, true}, {`n not in [1, 2]`, true}, {`n in ["10"]`, false},
		{`neg in [-3]`, true}, {`missing in [0, ""]`, false}, {`s in []`, false}, {`missing not in [1]`, true},
		{`not n = 10`, false}, {`not (n = 1)`, true}, {`n = 1 or s = "Hello"`, true}, {`n = 10 and s = "x"`, false},
		{`n = 1 or n = 10 and s = "Hello"`, true}, {`(n = 1 or n = 10) and s = "x"`, false}, {`NOT n = 1 AND s = "Hello"`, true},
		{`not not n`, true},
		{`strcontains(@message, "Duration")`, true}, {`strcontains(@message, "Init")`, false}, {`strcontains(n, "1")`, true},
		{`ispresent(strcontains(missing, "x"))`, false},
		{`ispresent(n)`, true}, {`ispresent(missing)`, false}, {`ispresent(empty)`, true},
		{`isempty(empty)`, true}, {`isempty(missing)`, true}, {`isempty(s)`, false}, {`isempty(zero)`, false},
		{`abs(neg) = 3`, true}, {`ceil(f) = 2`, true}, {`floor(-1.5) = -2`, true}, {`sqrt(16) = 4`, true},
		{`ispresent(sqrt(-1))`, false}, {`strlen(s) = 5`, true}, {`strlen(u) = 7`, true}, {`strlen(n) = 2`, true},
		{`tolower(s) = "hello"`, true}, {`TOUPPER(s) = "HELLO"`, true}, {`tolower(n) = 10`, true}, {`ispresent(tolower(missing))`, false},
		{`n + 5 = 15`, true}, {`n - 15 = -5`, true}, {`n * 2 = 20`, true}, {`n / 4 = 2.5`, true}, {`n % 3 = 1`, true},
		{`ispresent(n / 0)`, false}, {`ispresent(n % zero)`, false}, {`ispresent(s + 1)`, false}, {`ispresent(missing * 2)`, false},
		{`-n = -10`, true}, {`2 + 3 * 4 = 14`, true}, {`(2 + 3) * 4 = 20`, true}, {`n / 2 / 5 = 1`, true}, {`10 - 2 - 3 = 5`, true},
		{`n`, true}, {`zero`, false}, {`s`, true}, {`empty`, false}, {`missing`, false}, {`n - 10`, false},
		{`@timestamp = 1714557600000`, true}, {`@timestamp > 0 and @timestamp < 2e12`, true},
		{"`n` = 10", true}, {"n = 10 # n is ten", true},
	}
	for _, tc := range tests {
		t.Run(tc.expr, func(t *testing.T) {
			res := run(t, "filter "+tc.expr, []Record{rec}, 0)
			if got := res.RecordsMatched == 1; got != tc.want {
				t.Errorf("filter %s matched = %v, want %v", tc.expr, got, tc.want)
			}
		})
	}
}

func TestComputedFields(t *testing.T) {
	recs := []Record{
		&mapRecord{ts: 3000, w: 1, fields: map[string]Value{"a": Num(1), "b": Num(4), "m": Str("x")}},
		&mapRecord{ts: 2000, w: 1, fields: map[string]Value{"a": Num(6), "b": Num(3), "m": Str("y")}},
		&mapRecord{ts: 1000, w: 1, fields: map[string]Value{"a": Num(2)}},
	}
	tests := []struct {
		name, query string
		want        []string
	}{
		{"define, filter and select", `fields a + b as s | filter s > 4 | fields m`, []string{"s=5 m=x", "s=9 m=y"}},
		{"redefine a name", `fields a * 2 as x | fields x + 1 as x`, []string{"x=3", "x=13", "x=5"}},
		{"absent fields are left out", `fields m, b`, []string{"m=x b=4", "m=y b=3", ""}},
		{"alias of a field", `fields m as msg | filter ispresent(msg)`, []string{"msg=x", "msg=y"}},
		{"display overrides fields", `fields a, b, m | display m`, []string{"m=x", "m=y", ""}},
		{"sort on a computed field", `fields a - b as d | sort d`, []string{"d=-3", "d=3", ""}},
		{"default fields", `filter a = 2`, []string{"@timestamp=1970-01-01 00:00:01.000"}},
		{"computed fields feed stats", `fields a * 10 as t | stats sum(t) as s, count(m) as c`, []string{"s=90 c=2"}},
		{"expression text names a column", `fields a+b, strlen(m)`, []string{"a+b=5 strlen(m)=1", "a+b=9 strlen(m)=1", ""}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			diffLines(t, render(run(t, tc.query, recs, 0).Rows), tc.want)
		})
	}
}

// bruteStats computes, over the records expanded to one event per unit
// of weight, the aggregates of TestWeightedAggregation's query, grouped by
// log and hour.
func bruteStats(recs []Record) []string {
	type key struct {
		log  string
		hour int64
	}
	type acc struct {
		n, ni int
		durs  []int64
		init  []int64
		cold  int
	}
	groups := map[key]*acc{}
	for _, ev := range expand(recs) {
		r := ev.(*lambdaRecord)
		if r.typ != "REPORT" {
			continue
		}
		k := key{r.log, r.ts / 3600000 * 3600000}
		a := groups[k]
		if a == nil {
			a = &acc{}
			groups[k] = a
		}
		a.n++
		a.durs = append(a.durs, int64(r.dur))
		if r.initMs > 0 {
			a.ni++
			a.init = append(a.init, int64(r.initMs))
		}
		if strings.Contains(r.msg, "Init Duration") {
			a.cold++
		}
	}
	keys := make([]key, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b key) int {
		if c := strings.Compare(a.log, b.log); c != 0 {
			return c
		}
		return int(a.hour - b.hour)
	})
	// rank is ceil(num/den × N) in integers, at least 1.
	pick := func(vals []int64, num, den int64) string {
		v := slices.Clone(vals)
		slices.Sort(v)
		n := int64(len(v))
		r := max((num*n+den-1)/den, 1)
		return strconv.FormatInt(v[r-1], 10)
	}
	var out []string
	for _, k := range keys {
		a := groups[k]
		var sum int64
		for _, d := range a.durs {
			sum += d
		}
		line := fmt.Sprintf("@log=%s bin(1h)=%s n=%d ni=%d s=%d a=%s mn=%d mx=%d p0=%s p50=%s p90=%s p995=%s p100=%s cold=%d",
			k.log, Timestamp(k.hour).String(), a.n, a.ni, sum,
			strconv.FormatFloat(float64(sum)/float64(a.n), 'f', -1, 64),
			slices.Min(a.durs), slices.Max(a.durs),
			pick(a.durs, 0, 100), pick(a.durs, 50, 100), pick(a.durs, 90, 100), pick(a.durs, 995, 1000), pick(a.durs, 100, 100), a.cold)
		if len(a.init) > 0 {
			line += " p95i=" + pick(a.init, 95, 100)
		}
		out = append(out, line)
	}
	return out
}

func TestWeightedAggregation(t *testing.T) {
	const query = `filter @type = "REPORT" | stats count(*) as n, count(@initDuration) as ni, sum(@duration) as s, avg(@duration) as a, ` +
		`min(@duration) as mn, max(@duration) as mx, pct(@duration, 0) as p0, pct(@duration, 50) as p50, percentile(@duration, 90) as p90, ` +
		`pct(@duration, 99.5) as p995, pct(@duration, 100) as p100, sum(strcontains(@message, "Init Duration")) as cold, pct(@initDuration, 95) as p95i ` +
		`by @log, bin(1h)`
	for _, seed := range []uint64{1, 2, 3, 42} {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			recs := randomFleet(seed, 400)
			weighted := run(t, query, recs, 10000)
			diffLines(t, render(weighted.Rows), bruteStats(recs))
			var total float64
			for _, r := range recs {
				total += float64(r.Weight())
			}
			if weighted.RecordsScanned != total {
				t.Errorf("RecordsScanned = %v, want %v", weighted.RecordsScanned, total)
			}
		})
	}
}

// TestWeightEquivalence runs queries over weighted records and over the
// same records expanded to weight 1: the answers must be the same.
func TestWeightEquivalence(t *testing.T) {
	queries := []string{
		qFleetDaily,
		qOverMemory,
		`stats count(*), count(@initDuration), avg(@billedDuration), pct(@duration, 75) by @type`,
		`filter @duration > 250 | stats sum(@duration) / count(*) as mean, max(@maxMemoryUsed) - min(@maxMemoryUsed) as spread by bin(30m) | sort mean desc | limit 7`,
		`filter @type = "REPORT" and @duration > 490 | fields @log, @duration | sort @duration desc, @log`,
		`filter @type = "START" | fields @message | limit 15`,
	}
	recs := randomFleet(7, 300)
	flat := expand(recs)
	for _, query := range queries {
		t.Run(query, func(t *testing.T) {
			w, f := run(t, query, recs, 10000), run(t, query, flat, 10000)
			diffLines(t, render(w.Rows), render(f.Rows))
			if w.RecordsScanned != f.RecordsScanned || w.RecordsMatched != f.RecordsMatched {
				t.Errorf("weighted scanned/matched %v/%v, expanded %v/%v", w.RecordsScanned, w.RecordsMatched, f.RecordsScanned, f.RecordsMatched)
			}
		})
	}
}

type wv struct{ v, w int64 }

func TestPercentileBoundaries(t *testing.T) {
	tests := []struct {
		name string
		vals []wv
		p    string
		want string
	}{
		{"halves, p50 is the lower", []wv{{1, 50}, {2, 50}}, "50", "1"},
		{"halves, just above p50", []wv{{1, 50}, {2, 50}}, "50.5", "2"},
		{"halves, p51", []wv{{2, 50}, {1, 50}}, "51", "2"},
		{"p0 is the minimum", []wv{{5, 3}, {1, 2}, {9, 1}}, "0", "1"},
		{"p100 is the maximum", []wv{{5, 3}, {1, 2}, {9, 1}}, "100", "9"},
		{"one record", []wv{{10, 1}}, "99", "10"},
		{"one heavy record", []wv{{10, 1000000}}, "0.0001", "10"},
		{"hundred values p99", seqVals(100), "99", "99"},
		{"hundred values p99.5", seqVals(100), "99.5", "100"},
		{"hundred values p1", seqVals(100), "1", "1"},
		{"hundred values p1.01", seqVals(100), "1.01", "2"},
		{"heavy body, p99.9 stays in it", []wv{{1, 999}, {1000, 1}}, "99.9", "1"},
		{"heavy body, p99.91 reaches the tail", []wv{{1, 999}, {1000, 1}}, "99.91", "1000"},
		{"cumulative weight reaches rank exactly", []wv{{1, 3}, {2, 1}, {3, 6}}, "40", "2"},
		{"rank one past a boundary", []wv{{1, 3}, {2, 1}, {3, 6}}, "41", "3"},
		{"weight 0 records are skipped", []wv{{1, 0}, {7, 2}}, "0", "7"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var recs []Record
			for i, x := range tc.vals {
				recs = append(recs, &mapRecord{ts: int64(i), w: x.w, fields: map[string]Value{"v": Num(float64(x.v))}})
			}
			res := run(t, "stats pct(v, "+tc.p+") as p", recs, 0)
			diffLines(t, render(res.Rows), []string{"p=" + tc.want})
		})
	}
}

// seqVals is n, n-1, …, 1, each of weight 1.
func seqVals(n int) []wv {
	out := make([]wv, n)
	for i := range out {
		out[i] = wv{int64(n - i), 1}
	}
	return out
}

func TestBin(t *testing.T) {
	at := func(s string, w int64) Record {
		return &mapRecord{ts: ms(s), w: w, fields: map[string]Value{"x": Num(1)}}
	}
	recs := []Record{
		at("2024-05-01T10:04:59.999Z", 1),
		at("2024-05-01T10:00:00Z", 2),
		at("2024-05-01T10:05:00Z", 4),
		at("2024-05-01T09:59:59Z", 8),
		at("2024-04-30T23:59:59Z", 16),
	}
	tests := []struct {
		name, query string
		want        []string
	}{
		{"5m", `stats count(*) as n by bin(5m)`, []string{
			"bin(5m)=2024-04-30 23:55:00.000 n=16", "bin(5m)=2024-05-01 09:55:00.000 n=8",
			"bin(5m)=2024-05-01 10:00:00.000 n=3", "bin(5m)=2024-05-01 10:05:00.000 n=4"}},
		{"1h with alias", `stats sum(x) as n by bin(1h) as hour`, []string{
			"hour=2024-04-30 23:00:00.000 n=16", "hour=2024-05-01 09:00:00.000 n=8", "hour=2024-05-01 10:00:00.000 n=7"}},
		{"1d", `stats count(*) as n by bin(1d)`, []string{
			"bin(1d)=2024-04-30 00:00:00.000 n=16", "bin(1d)=2024-05-01 00:00:00.000 n=15"}},
		{"1w starts on the epoch's weekday", `stats count(*) as n by bin(1w)`, []string{"bin(1w)=2024-04-25 00:00:00.000 n=31"}},
		{"500ms", `filter @timestamp >= 1714557900000 - 1 | stats count(*) as n by bin(500ms)`, []string{
			"bin(500ms)=2024-05-01 10:04:59.500 n=1", "bin(500ms)=2024-05-01 10:05:00.000 n=4"}},
		{"sorted descending", `stats count(*) as n by bin(1d) | sort bin(1d) desc`, []string{
			"bin(1d)=2024-05-01 00:00:00.000 n=15", "bin(1d)=2024-04-30 00:00:00.000 n=16"}},
		{"bin as a computed field", `fields bin(1h) as h | filter h = 1714554000000 | stats count(*) as n`, []string{"n=8"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			diffLines(t, render(run(t, tc.query, recs, 0).Rows), tc.want)
		})
	}
	// Before the epoch, bins still round down.
	res := run(t, `stats count(*) as n by bin(1s)`, []Record{&mapRecord{ts: -1, w: 1}}, 0)
	diffLines(t, render(res.Rows), []string{"bin(1s)=1969-12-31 23:59:59.000 n=1"})
}

func TestAbsentVersusZero(t *testing.T) {
	recs := []Record{
		&mapRecord{ts: 1, w: 5, fields: map[string]Value{"g": Str("a"), "z": Num(0)}},
		&mapRecord{ts: 2, w: 5, fields: map[string]Value{"g": Str("b")}},
	}
	tests := []struct {
		name, query string
		want        []string
	}{
		{"nothing matched, no by: one row of zero counts", `filter g = "none" | stats count(*) as n, count(z) as c, sum(z) as s, avg(z) as a, min(z) as mn, max(z) as mx, pct(z, 50) as p`,
			[]string{"n=0 c=0"}},
		{"nothing matched, with by: no rows", `filter g = "none" | stats count(*) as n by g`, []string{}},
		{"zeros are present", `filter g = "a" | stats sum(z) as s, avg(z) as a, min(z) as mn, max(z) as mx, pct(z, 50) as p`,
			[]string{"s=0 a=0 mn=0 mx=0 p=0"}},
		{"group without the field", `stats sum(z) as s, count(z) as c by g`, []string{"g=a s=0 c=5", "g=b c=0"}},
		{"absent group value", `stats count(*) as n by z`, []string{"z=0 n=5", "n=5"}},
		{"arithmetic on absent is absent", `filter g = "b" | stats sum(z) + 1 as s1, count(*) + 1 as n1`, []string{"n1=6"}},
		{"division by a zero count", `filter g = "none" | stats sum(z) / count(*) as r, count(*) as n`, []string{"n=0"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			diffLines(t, render(run(t, tc.query, recs, 0).Rows), tc.want)
		})
	}
	res := run(t, `stats count(*) as n`, nil, 0)
	diffLines(t, render(res.Rows), []string{"n=0"})
	if res.RecordsScanned != 0 || res.RecordsMatched != 0 {
		t.Errorf("empty scan: %+v", res)
	}
}

func TestEventsSortAndLimit(t *testing.T) {
	recs := []Record{
		&mapRecord{ts: 1000, w: 3, fields: map[string]Value{"@message": Str("a"), "d": Num(5)}},
		&mapRecord{ts: 3000, w: 2, fields: map[string]Value{"@message": Str("b"), "d": Num(1)}},
		&mapRecord{ts: 2000, w: 1, fields: map[string]Value{"@message": Str("c")}},
		&mapRecord{ts: 3000, w: 1, fields: map[string]Value{"@message": Str("d"), "d": Num(5)}},
	}
	tests := []struct {
		name, query string
		limit       int
		want        []string
	}{
		{"default order is @timestamp descending, weights expand", `fields @message`, 0,
			[]string{"@message=b", "@message=b", "@message=d", "@message=c", "@message=a", "@message=a", "@message=a"}},
		{"run limit cuts through a record", `fields @message`, 4, []string{"@message=b", "@message=b", "@message=d", "@message=c"}},
		{"limit command", `fields @message | limit 3`, 0, []string{"@message=b", "@message=b", "@message=d"}},
		{"smaller of limit command and run limit", `fields @message | limit 3`, 2, []string{"@message=b", "@message=b"}},
		{"smallest limit command", `limit 5 | fields @message | limit 1`, 0, nil},
		{"sort ascending is the default", `fields @message, d | sort d`, 0,
			[]string{"@message=b d=1", "@message=b d=1", "@message=a d=5", "@message=a d=5", "@message=a d=5", "@message=d d=5", "@message=c"}},
		{"sort descending, absent last, ties in scan order", `fields @message, d | sort d desc`, 0,
			[]string{"@message=a d=5", "@message=a d=5", "@message=a d=5", "@message=d d=5", "@message=b d=1", "@message=b d=1", "@message=c"}},
		{"two keys", `fields @message | sort d desc, @timestamp desc | limit 2`, 0, []string{"@message=d", "@message=a"}},
		{"sort by timestamp ascending", `sort @timestamp asc | limit 2`, 0,
			[]string{"@timestamp=1970-01-01 00:00:01.000 @message=a", "@timestamp=1970-01-01 00:00:01.000 @message=a"}},
		{"last sort wins", `sort d | fields @message | sort @message desc | limit 3`, 0, []string{"@message=d", "@message=c", "@message=b"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.want == nil {
				_, err := Parse(tc.query)
				if err == nil {
					t.Fatalf("expected a refusal")
				}
				return
			}
			diffLines(t, render(run(t, tc.query, recs, tc.limit).Rows), tc.want)
		})
	}
}

func TestPtr(t *testing.T) {
	recs := randomFleet(9, 200)
	res := run(t, `filter @type = "REPORT" | fields @duration`, recs, 10000)
	seen := map[string]bool{}
	for _, row := range res.Rows {
		last := row[len(row)-1]
		if last.Field != "@ptr" || last.Value == "" {
			t.Fatalf("row does not end with @ptr: %v", row)
		}
		if seen[last.Value] {
			t.Fatalf("@ptr %q repeated", last.Value)
		}
		seen[last.Value] = true
	}
	again := run(t, `filter @type = "REPORT" | fields @duration`, recs, 10000)
	if !slices.EqualFunc(res.Rows, again.Rows, slices.Equal) {
		t.Errorf("two runs differ")
	}
}

// TestTopKPruning checks the bounded top-k against a plain sort of many
// more matches than the limit.
func TestTopKPruning(t *testing.T) {
	recs := randomFleet(11, 5000)
	for _, limit := range []int{1, 10, 100, 1000} {
		got := run(t, `filter @type = "REPORT" | fields @duration, @log | sort @duration desc`, recs, limit)
		all := run(t, `filter @type = "REPORT" | fields @duration, @log | sort @duration desc`, recs, 10000)
		if len(all.Rows) < 10000 {
			t.Fatalf("fixture too small: %d rows", len(all.Rows))
		}
		if !slices.EqualFunc(got.Rows, all.Rows[:limit], slices.Equal) {
			t.Errorf("limit %d: top rows differ from the first %d of the full sort", limit, limit)
		}
		if got.RecordsMatched != all.RecordsMatched {
			t.Errorf("limit %d: matched %v, want %v", limit, got.RecordsMatched, all.RecordsMatched)
		}
	}
}

func TestStatsPostCommands(t *testing.T) {
	recs := textFleet()
	tests := []struct {
		name, query string
		limit       int
		want        []string
	}{
		{"sort by alias descending", `stats count(*) as n by @type | sort n desc`, 0,
			[]string{"@type=REPORT n=11", "@type=END n=5", "@type=START n=3", "n=2"}},
		{"sort by expression text", `stats count(*) by @type | sort count(*) asc | limit 2`, 0,
			[]string{"count(*)=2", "@type=START count(*)=3"}},
		{"filter groups", `stats count(*) as n by @type | filter n > 3 and ispresent(@type)`, 0,
			[]string{"@type=END n=5", "@type=REPORT n=11"}},
		{"run limit caps groups", `stats count(*) as n by @type`, 2, []string{"@type=END n=5", "@type=REPORT n=11"}},
		{"display after stats", `stats count(*) as n, max(@duration) as m by @log | display m`, 0, []string{"m=3000", "m=10"}},
		{"fields computes over columns", `stats sum(@billedDuration) as b, count(*) as n by @log | fields @log, b / n as perCall`, 0,
			[]string{"@log=" + logA + " perCall=" + strconv.FormatFloat(6500.0/11, 'f', -1, 64), "@log=" + logB + " perCall=5"}},
		{"items use groups and earlier items", `filter @type = "REPORT" | stats count(*) as n, n * 2 as twice, strlen(l) as len by @log as l`, 0,
			[]string{"l=" + logA + " n=6 twice=12 len=30", "l=" + logB + " n=5 twice=10 len=29"}},
		{"sort before stats is ignored", `sort @duration desc | stats count(*) as n`, 0, []string{"n=21"}},
		{"min and max of timestamps render as timestamps", `stats min(@timestamp) as first, max(@timestamp) as last`, 0,
			[]string{"first=2024-05-01 10:00:00.000 last=2024-05-02 01:00:00.000"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			diffLines(t, render(run(t, tc.query, recs, tc.limit).Rows), tc.want)
		})
	}
}

func TestMixedKindSort(t *testing.T) {
	var recs []Record
	for i, v := range []Value{Str("b"), Num(10), {}, Str("a"), Num(-1), Timestamp(5)} {
		recs = append(recs, &mapRecord{ts: int64(i), w: 1, fields: map[string]Value{"v": v}})
	}
	diffLines(t, render(run(t, `fields v | sort v`, recs, 0).Rows), []string{"v=-1", "v=1970-01-01 00:00:00.005", "v=10", "v=a", "v=b", ""})
	diffLines(t, render(run(t, `fields v | sort v desc`, recs, 0).Rows), []string{"v=b", "v=a", "v=10", "v=1970-01-01 00:00:00.005", "v=-1", ""})
	diffLines(t, render(run(t, `stats count(*) as n by v`, recs, 0).Rows),
		[]string{"v=-1 n=1", "v=1970-01-01 00:00:00.005 n=1", "v=10 n=1", "v=a n=1", "v=b n=1", "n=1"})
}

func TestValueString(t *testing.T) {
	tenth := 0.1 // a variable, so that 0.1 + 0.2 is float64 arithmetic
	tests := []struct {
		v    Value
		want string
	}{
		{Num(5), "5"}, {Num(math.Copysign(0, -1)), "0"}, {Num(2.5), "2.5"}, {Num(1e21), "1000000000000000000000"}, {Num(tenth + 2*tenth), "0.30000000000000004"},
		{Num(128e6), "128000000"}, {Str("x y"), "x y"}, {Value{}, ""}, {Timestamp(1714557600123), "2024-05-01 10:00:00.123"},
	}
	for _, tc := range tests {
		if got := tc.v.String(); got != tc.want {
			t.Errorf("String() = %q, want %q", got, tc.want)
		}
	}
	if v := Num(0); !v.IsNum() || !v.IsPresent() {
		t.Errorf("Num(0) should be a present number")
	}
	if f, ok := Timestamp(7).Float(); !ok || f != 7 {
		t.Errorf("Timestamp(7).Float() = %v, %v", f, ok)
	}
	if _, ok := Str("7").Float(); ok {
		t.Errorf("Str is not a number")
	}
	if v := Num(0 / func() float64 { return 0 }()); v.IsPresent() {
		t.Errorf("Num(NaN) should be absent")
	}
}

func TestRunContext(t *testing.T) {
	q, err := Parse(qFleetDaily)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := q.Run(ctx, seqOf(textFleet()), 0); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run on a canceled context: %v", err)
	}
	// Cancelled mid-scan: the scan stops soon after.
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	var seen int
	endless := iter.Seq[Record](func(yield func(Record) bool) {
		r := &mapRecord{ts: 1, w: 1}
		for {
			seen++
			if seen == 10000 {
				cancel()
			}
			if !yield(r) {
				return
			}
		}
	})
	for _, query := range []string{qFleetDaily, qTimeouts} {
		seen = 0
		q := mustParse(t, query)
		if _, err := q.Run(ctx, endless, 0); !errors.Is(err, context.Canceled) {
			t.Fatalf("%s: Run = %v", query, err)
		}
		if seen > 10000+2*ctxEvery {
			t.Errorf("%s: scanned %d records after cancel", query, seen)
		}
		ctx, cancel = context.WithCancel(context.Background())
		defer cancel()
	}
}

func mustParse(t testing.TB, query string) *Query {
	t.Helper()
	q, err := Parse(query)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func TestNilAndZeroWeightRecords(t *testing.T) {
	recs := []Record{nil, &mapRecord{ts: 1, w: 0}, &mapRecord{ts: 2, w: -5}, &mapRecord{ts: 3, w: 2}}
	res := run(t, `stats count(*) as n`, recs, 0)
	diffLines(t, render(res.Rows), []string{"n=2"})
	res = run(t, `fields @timestamp`, recs, 0)
	if len(res.Rows) != 2 || res.RecordsScanned != 2 {
		t.Errorf("rows %d scanned %v, want 2 and 2", len(res.Rows), res.RecordsScanned)
	}
}

func TestConcurrentRuns(t *testing.T) {
	q := mustParse(t, qFleetDaily)
	recs := randomFleet(5, 2000)
	want, err := q.Run(context.Background(), seqOf(recs), 0)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			got, err := q.Run(context.Background(), seqOf(recs), 0)
			if err != nil || !slices.EqualFunc(got.Rows, want.Rows, slices.Equal) {
				t.Errorf("concurrent run differs: %v", err)
			}
		})
	}
	wg.Wait()
}

// TestStatsPathAllocations checks that the stats scan allocates nothing
// per record: splitting every record into four of a quarter of the weight
// gives the same answer, and must not add allocations beyond the growth of
// the pct value lists.
func TestStatsPathAllocations(t *testing.T) {
	q := mustParse(t, qFleetDaily)
	small := benchFleet(5000, 20)
	var split []Record
	for _, r := range small {
		for range 4 {
			c := *r.(*lambdaRecord)
			c.w = 5
			split = append(split, &c)
		}
	}
	allocs := func(recs []Record) (float64, []string) {
		var rows []string
		n := testing.AllocsPerRun(3, func() {
			res, err := q.Run(context.Background(), seqOf(recs), 10000)
			if err != nil {
				t.Fatal(err)
			}
			rows = render(res.Rows)
		})
		return n, rows
	}
	a, rowsA := allocs(small)
	b, rowsB := allocs(split)
	diffLines(t, rowsB, rowsA)
	if b-a > 20 {
		t.Errorf("allocations grow with records: %v for %d records, %v for %d", a, len(small), b, len(split))
	}
}
