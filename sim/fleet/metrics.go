package fleet

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Namespaces served.
const (
	NSLambda   = "AWS/Lambda"
	NSInsights = "LambdaInsights"
	NSLogs     = "AWS/Logs"
)

// Dim is a metric dimension.
type Dim struct{ Name, Value string }

// MetricID names one metric series.
type MetricID struct {
	Namespace, Name string
	Dims            []Dim
}

// Stat is a parsed CloudWatch statistic.
type Stat struct {
	Name string  // as given: "Sum", "p99", "p99.9"
	Kind string  // SampleCount, Average, Sum, Minimum, Maximum, p
	Q    float64 // percentile, 0–100, for Kind "p"
}

// ParseStat parses a statistic name; extended statistics other than
// pNN.NN are refused (the simulator does not serve tm/wm/tc/ts/PR/IQM).
func ParseStat(s string) (Stat, error) {
	switch s {
	case "SampleCount", "Average", "Sum", "Minimum", "Maximum":
		return Stat{Name: s, Kind: s}, nil
	}
	if len(s) > 1 && s[0] == 'p' {
		q, err := strconv.ParseFloat(s[1:], 64)
		if err == nil && q >= 0 && q <= 100 && !strings.ContainsAny(s[1:], "eE+-") {
			if i := strings.IndexByte(s, '.'); i < 0 || len(s)-i-1 <= 2 {
				return Stat{Name: s, Kind: "p", Q: q}, nil
			}
		}
	}
	return Stat{}, fmt.Errorf("the statistic %q is not valid (SampleCount, Average, Sum, Minimum, Maximum or pNN.NN)", s)
}

// Datapoint is one aggregated period.
type Datapoint struct {
	Time  time.Time
	Value float64
	// Count is the sample count behind the value.
	Count float64
}

// source kinds of a metric.
type metricKind int

const (
	kBlocks  metricKind = iota // one sample per invocation from the blocks
	kCount                     // one sample of 1 per event
	kZeroOne                   // one 0/1 sample per invocation (Errors)
	kGauge                     // hourly values, 60 samples an hour while active
	// kSumBlocks: per-invocation values emitted as one summed sample per
	// minute (log bytes); treated like blocks with sample weight 1.
	kSumBlocks
)

type metricDef struct {
	kind  metricKind
	block func(b *Invocation) (float64, bool)
	count func(d *Day) int64
	gauge func(fn *Function, d *Day) float64
	// has reports whether the function emits the metric at all.
	has func(fn *Function) bool
	// capped: the count is a subset of invocations (split within them).
	capped bool
	// durationOnly: block reads only Duration, so whole days can use
	// Day.DurationBlocks.
	durationOnly bool
}

func always(*Function) bool { return true }

var lambdaMetrics = map[string]metricDef{
	"Invocations": {kind: kCount, count: func(d *Day) int64 { return d.Invocations }, has: always},
	"Errors":      {kind: kZeroOne, count: func(d *Day) int64 { return d.Errors }, has: always, capped: true},
	"Throttles":   {kind: kCount, count: func(d *Day) int64 { return d.Throttles }, has: always},
	"Duration":    {kind: kBlocks, durationOnly: true, block: func(b *Invocation) (float64, bool) { return b.Duration, true }, has: always},
	"ConcurrentExecutions": {kind: kGauge, has: always,
		gauge: func(_ *Function, d *Day) float64 { return d.ConcurrencyMax }},
	"IteratorAge": {kind: kGauge, has: func(fn *Function) bool { return fn.Profile.IteratorAgeMs != nil },
		gauge: func(_ *Function, d *Day) float64 { return d.IteratorAgeMax }},
	"AsyncEventsReceived": {kind: kCount, has: isAsync, count: func(d *Day) int64 { return d.AsyncReceived }},
	"AsyncEventAge": {kind: kGauge, has: isAsync,
		gauge: func(_ *Function, d *Day) float64 { return d.AsyncEventAgeMax }},
	"AsyncEventsDropped": {kind: kCount, has: isAsync, count: func(d *Day) int64 { return d.AsyncDropped }},
	"DeadLetterErrors": {kind: kCount, has: func(fn *Function) bool {
		return fn.Async != nil && fn.Async.DeadLetterTarget != "" || fn.Profile.DeadLetterErrors != nil
	}, count: func(d *Day) int64 { return d.DeadLetterErrors }},
	"DestinationDeliveryFailures": {kind: kCount, has: func(fn *Function) bool {
		return fn.Async != nil && fn.Async.OnFailureDestination != "" || fn.Profile.DestinationDeliveryFailures != nil
	}, count: func(d *Day) int64 { return d.DestinationFailures }},
	"RecursiveInvocationsDropped":                {kind: kCount, has: func(fn *Function) bool { return fn.Profile.RecursiveInvocationsDropped != nil }, count: func(d *Day) int64 { return d.RecursiveDropped }},
	"ProvisionedConcurrencyInvocations":          {kind: kCount, capped: true, has: hasPC, count: func(d *Day) int64 { return d.PCInvocations }},
	"ProvisionedConcurrencySpilloverInvocations": {kind: kCount, capped: true, has: hasPC, count: func(d *Day) int64 { return d.PCSpillover }},
	"ProvisionedConcurrencyUtilization": {kind: kGauge, has: hasPC,
		gauge: func(_ *Function, d *Day) float64 { return d.PCUtilizationMax }},
	"ProvisionedConcurrentExecutions": {kind: kGauge, has: hasPC,
		gauge: func(fn *Function, d *Day) float64 {
			return math.Round(d.PCUtilizationMax * float64(fn.ProvisionedConcurrency))
		}},
}

var insightsMetrics = map[string]metricDef{
	"memory_utilization": {kind: kBlocks, has: always, block: func(b *Invocation) (float64, bool) {
		return math.Round(float64(b.MemUsed)/float64(b.MemSize)*10000) / 100, true
	}},
	"used_memory_max": {kind: kBlocks, has: always, block: func(b *Invocation) (float64, bool) { return float64(b.MemUsed), true }},
	"total_memory":    {kind: kBlocks, has: always, block: func(b *Invocation) (float64, bool) { return float64(b.MemSize), true }},
	"init_duration":   {kind: kBlocks, has: always, block: func(b *Invocation) (float64, bool) { return b.Init, b.Init > 0 }},
	"cpu_total_time":  {kind: kBlocks, has: always, block: func(b *Invocation) (float64, bool) { return math.Round(b.Duration * 0.4), true }},
	"rx_bytes":        {kind: kBlocks, has: always, block: func(b *Invocation) (float64, bool) { return 2048, true }},
	"tx_bytes":        {kind: kBlocks, has: always, block: func(b *Invocation) (float64, bool) { return 1024, true }},
}

var logsMetrics = map[string]metricDef{
	"IncomingBytes":     {kind: kBlocks, has: always, block: nil},
	"IncomingLogEvents": {kind: kBlocks, has: always, block: nil},
}

// regionMetrics are served without dimensions.
var regionMetrics = []string{"ConcurrentExecutions", "UnreservedConcurrentExecutions", "Invocations", "Errors", "Throttles"}

func isAsync(fn *Function) bool {
	return fn.Async != nil || fn.Profile.AsyncEventsReceived != nil
}

func hasPC(fn *Function) bool { return fn.ProvisionedConcurrency > 0 }

// LambdaMetricNames lists the AWS/Lambda metrics the simulator serves per function.
func LambdaMetricNames() []string { return sortedKeys(lambdaMetrics) }

// InsightsMetricNames lists the LambdaInsights metrics served.
func InsightsMetricNames() []string { return sortedKeys(insightsMetrics) }

func sortedKeys(m map[string]metricDef) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// resolve finds what serves a metric; ok is false for a metric that does
// not exist in the region (CloudWatch then returns no datapoints).
func (r *Region) resolve(m MetricID) (fn *Function, def metricDef, region bool, ok bool) {
	dim := func(name string) (string, bool) {
		if len(m.Dims) != 1 || m.Dims[0].Name != name {
			return "", false
		}
		return m.Dims[0].Value, true
	}
	switch m.Namespace {
	case NSLambda:
		if len(m.Dims) == 0 {
			for _, n := range regionMetrics {
				if n == m.Name {
					return nil, metricDef{}, true, true
				}
			}
			return nil, metricDef{}, false, false
		}
		name, ok1 := dim("FunctionName")
		def, ok2 := lambdaMetrics[m.Name]
		if !ok1 || !ok2 {
			return nil, metricDef{}, false, false
		}
		fn = r.byName[name]
		if fn == nil || !def.has(fn) {
			return nil, metricDef{}, false, false
		}
		return fn, def, false, true
	case NSInsights:
		name, ok1 := dim("function_name")
		def, ok2 := insightsMetrics[m.Name]
		if !ok1 || !ok2 {
			return nil, metricDef{}, false, false
		}
		fn = r.byName[name]
		if fn == nil || !fn.LambdaInsights {
			return nil, metricDef{}, false, false
		}
		return fn, def, false, true
	case NSLogs:
		name, ok1 := dim("LogGroupName")
		def, ok2 := logsMetrics[m.Name]
		if !ok1 || !ok2 {
			return nil, metricDef{}, false, false
		}
		fn = r.byLog[name]
		if fn == nil {
			return nil, metricDef{}, false, false
		}
		ev := m.Name == "IncomingLogEvents"
		def.block = func(b *Invocation) (float64, bool) {
			bytes, events := fn.eventBytes(b)
			if ev {
				return float64(events), true
			}
			return float64(bytes), true
		}
		def.kind = kSumBlocks
		return fn, def, false, true
	}
	return nil, metricDef{}, false, false
}

// Retention of CloudWatch data by period (AWS-FACTS.md).
const (
	retain60   = 15 * 24 * time.Hour
	retain300  = 63 * 24 * time.Hour
	retain3600 = 455 * 24 * time.Hour
)

// RoundStart rounds a GetMetricData StartTime down by the age band:
// within 15 days to the minute, within 63 days to 5 minutes, else to the hour.
func RoundStart(start, now time.Time) time.Time {
	age := now.Sub(start)
	switch {
	case age <= retain60:
		return start.Truncate(time.Minute)
	case age <= retain300:
		return start.Truncate(5 * time.Minute)
	default:
		return start.Truncate(time.Hour)
	}
}

// Datapoints answers one metric and statistic over [start, end) in
// buckets of period from start (already rounded by the caller), with data
// up to now. Periods without samples have no datapoint. Results are in
// ascending time order.
func (r *Region) Datapoints(m MetricID, st Stat, start, end time.Time, period time.Duration, now time.Time) []Datapoint {
	fn, def, region, ok := r.resolve(m)
	if !ok || period <= 0 {
		return nil
	}
	dataEnd := now.Truncate(time.Minute)
	dataStart := r.fleet.Anchor.Add(-time.Duration(r.fleet.Days) * 24 * time.Hour)
	if fn != nil {
		dataStart = fn.Created()
	}
	var out []Datapoint
	var a acc
	for t := start; t.Before(end); t = t.Add(period) {
		be := t.Add(period)
		if be.After(end) {
			be = end
		}
		if p := period; (p < 5*time.Minute && now.Sub(t) > retain60) || (p < time.Hour && now.Sub(t) > retain300) || now.Sub(t) > retain3600 {
			continue
		}
		s, e := maxTime(t, dataStart), minTime(be, dataEnd)
		if !s.Before(e) {
			continue
		}
		a.reset(st.Kind == "p")
		decompose(s, e, func(res time.Duration, at time.Time) {
			daysAgo := int(r.fleet.Anchor.Sub(at.Truncate(24*time.Hour)) / (24 * time.Hour))
			if region {
				r.addRegion(&a, m.Name, daysAgo, res, at)
				return
			}
			d := fn.Day(daysAgo)
			if d == nil {
				return
			}
			addFunction(&a, fn, def, d, res, at)
		})
		if a.n == 0 {
			continue
		}
		out = append(out, Datapoint{Time: t, Value: a.value(st), Count: a.n})
	}
	return out
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// decompose splits [s, e) (minute-aligned or not) into whole days, whole
// hours and minutes, calling f with each piece's resolution and start.
// Partial minutes count as the minute containing them when they include
// its start.
func decompose(s, e time.Time, f func(res time.Duration, at time.Time)) {
	t := s.Truncate(time.Minute)
	if t.Before(s) {
		t = t.Add(time.Minute)
	}
	for t.Before(e) {
		switch {
		case t.Equal(t.Truncate(24*time.Hour)) && !t.Add(24*time.Hour).After(e):
			f(24*time.Hour, t)
			t = t.Add(24 * time.Hour)
		case t.Equal(t.Truncate(time.Hour)) && !t.Add(time.Hour).After(e):
			f(time.Hour, t)
			t = t.Add(time.Hour)
		default:
			f(time.Minute, t)
			t = t.Add(time.Minute)
		}
	}
}

// blocksAt returns the blocks of a piece: the whole day (res 24h), hour h
// (1h) or minute mi of hour h (1m).
func (d *Day) blocksAt(res time.Duration, h, mi int) []Invocation {
	switch res {
	case 24 * time.Hour:
		return d.Blocks()
	case time.Hour:
		return d.Hour(h)
	}
	return d.Minute(h, mi)
}

// shareAt is a daily count's share of a piece; capped counts are split
// within the piece's invocations.
func (d *Day) shareAt(n int64, capped bool, res time.Duration, h, mi int) int64 {
	switch res {
	case 24 * time.Hour:
		return n
	case time.Hour:
		return d.countHour(n, capped)[h]
	}
	hn := d.countHour(n, capped)[h]
	if capped {
		return splitCount(hn, apportion(d.hourCaps[h], uniform60), uniform60)[mi]
	}
	return apportion(hn, uniform60)[mi]
}

// addGauge adds a gauge's samples of a piece: 60 a minute-less hour
// while the function is active, one per active minute.
func (d *Day) addGauge(a *acc, g float64, res time.Duration, h, mi int) {
	switch res {
	case 24 * time.Hour:
		for hh := 0; hh < 24; hh++ {
			if d.hourCaps[hh] > 0 {
				a.add(d.gaugeAt(g, hh), 60)
			}
		}
	case time.Hour:
		if d.hourCaps[h] > 0 {
			a.add(d.gaugeAt(g, h), 60)
		}
	default:
		if apportion(d.hourCaps[h], uniform60)[mi] > 0 {
			a.add(d.gaugeAt(g, h), 1)
		}
	}
}

func (d *Day) countHour(n int64, capped bool) []int64 {
	if capped {
		return splitCount(n, d.hourCaps, d.hourW)
	}
	return apportion(n, d.hourW)
}

// gaugeAt is a gauge's value in hour h: the daily maximum in the busiest
// hour, scaled by the hourly shape elsewhere.
func (d *Day) gaugeAt(max float64, h int) float64 {
	return math.Round(max*d.hourW[h]/d.hourWMax*100) / 100
}

func addFunction(a *acc, fn *Function, def metricDef, d *Day, res time.Duration, at time.Time) {
	h, mi := at.Hour(), at.Minute()
	switch def.kind {
	case kBlocks:
		blocks := d.DurationBlocks() // the same durations, far cheaper
		if !def.durationOnly || res != 24*time.Hour {
			blocks = d.blocksAt(res, h, mi)
		}
		for i := range blocks {
			if v, ok := def.block(&blocks[i]); ok {
				a.add(v, float64(blocks[i].W))
			}
		}
	case kSumBlocks:
		blocks := d.blocksAt(res, h, mi)
		var sum float64
		for i := range blocks {
			v, _ := def.block(&blocks[i])
			sum += v * float64(blocks[i].W)
		}
		if sum > 0 {
			a.add(sum, 1)
		}
	case kCount:
		if n := d.shareAt(def.count(d), def.capped, res, h, mi); n > 0 {
			a.add(1, float64(n))
		}
	case kZeroOne:
		inv := d.shareAt(d.Invocations, false, res, h, mi)
		if inv == 0 {
			return
		}
		e := d.shareAt(def.count(d), true, res, h, mi)
		if inv-e > 0 {
			a.add(0, float64(inv-e))
		}
		if e > 0 {
			a.add(1, float64(e))
		}
	case kGauge:
		d.addGauge(a, def.gauge(fn, d), res, h, mi)
	}
}

// acc accumulates weighted samples.
type acc struct {
	n, sum, min, max float64
	keep             bool
	samples          []wsample
}

type wsample struct{ v, w float64 }

func (a *acc) reset(keep bool) {
	a.n, a.sum, a.min, a.max, a.keep = 0, 0, math.Inf(1), math.Inf(-1), keep
	a.samples = a.samples[:0]
}

func (a *acc) add(v, w float64) {
	if w <= 0 {
		return
	}
	a.n += w
	a.sum += v * w
	a.min = math.Min(a.min, v)
	a.max = math.Max(a.max, v)
	if a.keep {
		a.samples = append(a.samples, wsample{v, w})
	}
}

func (a *acc) value(st Stat) float64 {
	switch st.Kind {
	case "SampleCount":
		return a.n
	case "Sum":
		return a.sum
	case "Average":
		return a.sum / a.n
	case "Minimum":
		return a.min
	case "Maximum":
		return a.max
	}
	return WeightedPercentile(a.samples, st.Q)
}

// WeightedPercentile is the nearest-rank percentile (q in 0–100) of
// weighted samples: the smallest value whose cumulative weight reaches
// ceil(q/100 × total), at least rank 1. The ground truth, the metrics and
// the Logs Insights pct() all use this definition.
func WeightedPercentile(s []wsample, q float64) float64 {
	if len(s) == 0 {
		return math.NaN()
	}
	slices.SortFunc(s, func(x, y wsample) int { return cmp.Compare(x.v, y.v) })
	var total float64
	for _, x := range s {
		total += x.w
	}
	rank := math.Max(1, math.Ceil(q/100*total-1e-9))
	var cum float64
	for _, x := range s {
		cum += x.w
		if cum >= rank {
			return x.v
		}
	}
	return s[len(s)-1].v
}
