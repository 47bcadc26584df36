package fleet

import (
	"bytes"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/ golden files")

const examplePath = "../../examples/fleet.yaml"

func buildExample(t testing.TB) *Fleet {
	t.Helper()
	s, err := ParseFile(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	f, err := Build(s, time.Now()) // the spec pins now
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// series answers one metric/stat over [start, start+days) by day.
func series(r *Region, ns, name, dim, val, stat string, start time.Time, days int, now time.Time) map[string]float64 {
	st, err := ParseStat(stat)
	if err != nil {
		panic(err)
	}
	var dims []Dim
	if dim != "" {
		dims = []Dim{{dim, val}}
	}
	out := map[string]float64{}
	for _, dp := range r.Datapoints(MetricID{ns, name, dims}, st, start, start.Add(time.Duration(days)*24*time.Hour), 24*time.Hour, now) {
		out[dp.Time.Format(time.DateOnly)] = dp.Value
	}
	return out
}

// compareTruth checks every truth value against Region.Datapoints for the
// same day with period 86400. Counts compare with an absent datapoint as
// 0; optional values (pointers) must be absent exactly when there is no
// datapoint.
func compareTruth(t *testing.T, f *Fleet, now time.Time) {
	t.Helper()
	tr := f.Truth(now)
	start := now.UTC().Truncate(24 * time.Hour).Add(-time.Duration(f.Days) * 24 * time.Hour)
	checked := 0
	k := 0
	for _, a := range f.Accounts {
		for _, r := range a.Regions {
			for _, fn := range r.Functions {
				ft := &tr.Functions[k]
				k++
				if ft.ARN != fn.ARN {
					t.Fatalf("truth order: %s vs %s", ft.ARN, fn.ARN)
				}
				got := func(ns, name, dim, stat string) map[string]float64 {
					val := fn.Name
					if ns == NSLogs {
						val = fn.LogGroup
					}
					return series(r, ns, name, dim, val, stat, start, f.Days, now)
				}
				type check struct {
					ns, name, stat string
					want           func(d *DayTruth) *float64 // nil: no datapoint expected
					count          bool                       // nil want ≡ 0
				}
				cnt := func(v int64) *float64 { x := float64(v); return &x }
				opt := func(p *float64) *float64 { return p }
				dur := func(g func(*DurationTruth) float64) func(*DayTruth) *float64 {
					return func(d *DayTruth) *float64 {
						if d.Duration == nil {
							return nil
						}
						x := g(d.Duration)
						return &x
					}
				}
				checks := []check{
					{NSLambda, "Invocations", "Sum", func(d *DayTruth) *float64 { return cnt(d.Invocations) }, true},
					{NSLambda, "Invocations", "SampleCount", func(d *DayTruth) *float64 { return cnt(d.Invocations) }, true},
					{NSLambda, "Errors", "Sum", func(d *DayTruth) *float64 { return cnt(d.Errors) }, true},
					{NSLambda, "Errors", "SampleCount", func(d *DayTruth) *float64 { return cnt(d.Invocations) }, true},
					{NSLambda, "Errors", "Average", func(d *DayTruth) *float64 {
						if d.Invocations == 0 {
							return nil
						}
						x := float64(d.Errors) / float64(d.Invocations)
						return &x
					}, false},
					{NSLambda, "Throttles", "Sum", func(d *DayTruth) *float64 { return cnt(d.Throttles) }, true},
					{NSLambda, "Duration", "SampleCount", func(d *DayTruth) *float64 { return cnt(d.Invocations) }, true},
					{NSLambda, "Duration", "Sum", dur(func(x *DurationTruth) float64 { return x.Sum }), false},
					{NSLambda, "Duration", "Average", dur(func(x *DurationTruth) float64 { return x.Average }), false},
					{NSLambda, "Duration", "Minimum", dur(func(x *DurationTruth) float64 { return x.Minimum }), false},
					{NSLambda, "Duration", "Maximum", dur(func(x *DurationTruth) float64 { return x.Maximum }), false},
					{NSLambda, "Duration", "p50", dur(func(x *DurationTruth) float64 { return x.P50 }), false},
					{NSLambda, "Duration", "p90", dur(func(x *DurationTruth) float64 { return x.P90 }), false},
					{NSLambda, "Duration", "p95", dur(func(x *DurationTruth) float64 { return x.P95 }), false},
					{NSLambda, "Duration", "p99", dur(func(x *DurationTruth) float64 { return x.P99 }), false},
					{NSLambda, "ConcurrentExecutions", "Maximum", func(d *DayTruth) *float64 { return opt(d.ConcurrencyMax) }, false},
					{NSLambda, "IteratorAge", "Maximum", func(d *DayTruth) *float64 { return opt(d.IteratorAgeMax) }, false},
					{NSLambda, "AsyncEventsReceived", "Sum", func(d *DayTruth) *float64 { return cnt(d.AsyncEventsReceived) }, true},
					{NSLambda, "AsyncEventAge", "Maximum", func(d *DayTruth) *float64 { return opt(d.AsyncEventAgeMax) }, false},
					{NSLambda, "AsyncEventsDropped", "Sum", func(d *DayTruth) *float64 { return cnt(d.AsyncEventsDropped) }, true},
					{NSLambda, "DeadLetterErrors", "Sum", func(d *DayTruth) *float64 { return cnt(d.DeadLetterErrors) }, true},
					{NSLambda, "DestinationDeliveryFailures", "Sum", func(d *DayTruth) *float64 { return cnt(d.DestinationDeliveryFailures) }, true},
					{NSLambda, "RecursiveInvocationsDropped", "Sum", func(d *DayTruth) *float64 { return cnt(d.RecursiveDropped) }, true},
					{NSLambda, "ProvisionedConcurrencyInvocations", "Sum", func(d *DayTruth) *float64 { return cnt(d.ProvisionedInvocations) }, true},
					{NSLambda, "ProvisionedConcurrencySpilloverInvocations", "Sum", func(d *DayTruth) *float64 { return cnt(d.ProvisionedSpillover) }, true},
					{NSLambda, "ProvisionedConcurrencyUtilization", "Maximum", func(d *DayTruth) *float64 { return opt(d.ProvisionedUtilizationMax) }, false},
					{NSLogs, "IncomingBytes", "Sum", func(d *DayTruth) *float64 { return cnt(d.LogBytes) }, true},
					{NSLogs, "IncomingLogEvents", "Sum", func(d *DayTruth) *float64 { return cnt(d.LogEvents) }, true},
				}
				if fn.LambdaInsights {
					mem := func(g func(*MemoryTruth) float64) func(*DayTruth) *float64 {
						return func(d *DayTruth) *float64 {
							if d.MemoryUsed == nil {
								return nil
							}
							x := g(d.MemoryUsed)
							return &x
						}
					}
					ini := func(g func(*InitTruth) float64) func(*DayTruth) *float64 {
						return func(d *DayTruth) *float64 {
							if d.Init == nil {
								return nil
							}
							x := g(d.Init)
							return &x
						}
					}
					checks = append(checks,
						check{NSInsights, "used_memory_max", "Maximum", mem(func(x *MemoryTruth) float64 { return x.Max }), false},
						check{NSInsights, "used_memory_max", "p99", mem(func(x *MemoryTruth) float64 { return x.P99 }), false},
						check{NSInsights, "used_memory_max", "p50", mem(func(x *MemoryTruth) float64 { return x.P50 }), false},
						check{NSInsights, "total_memory", "Maximum", func(d *DayTruth) *float64 {
							if d.Invocations == 0 {
								return nil
							}
							return cnt(int64(d.MemorySize))
						}, false},
						check{NSInsights, "init_duration", "SampleCount", ini(func(x *InitTruth) float64 { return float64(x.Count) }), false},
						check{NSInsights, "init_duration", "Sum", ini(func(x *InitTruth) float64 { return x.Sum }), false},
						check{NSInsights, "init_duration", "p95", ini(func(x *InitTruth) float64 { return x.P95 }), false},
						check{NSInsights, "init_duration", "Maximum", ini(func(x *InitTruth) float64 { return x.Max }), false},
					)
				}
				byDate := map[string]*DayTruth{}
				for i := range ft.Days {
					byDate[ft.Days[i].Date] = &ft.Days[i]
				}
				for _, c := range checks {
					dim := "FunctionName"
					switch c.ns {
					case NSInsights:
						dim = "function_name"
					case NSLogs:
						dim = "LogGroupName"
					}
					served := got(c.ns, c.name, dim, c.stat)
					for date, v := range served {
						if byDate[date] == nil {
							t.Errorf("%s %s %s %s: datapoint %v on a day without truth", fn.Name, c.name, c.stat, date, v)
						}
					}
					for date, d := range byDate {
						w := c.want(d)
						v, ok := served[date]
						switch {
						case c.count && !ok && (w == nil || *w == 0):
						case w == nil && !ok:
						case w == nil:
							t.Errorf("%s %s %s %s: served %v, truth has none", fn.Name, c.name, c.stat, date, v)
						case !ok:
							t.Errorf("%s %s %s %s: truth %v, no datapoint", fn.Name, c.name, c.stat, date, *w)
						case v != *w:
							t.Errorf("%s %s %s %s: served %v, truth %v", fn.Name, c.name, c.stat, date, v, *w)
						}
						checked++
					}
				}
				// GB-s from the billed durations, as documented.
				for _, d := range ft.Days {
					if want := float64(d.BilledDurationSum) * float64(d.MemorySize) / 1024 / 1000; d.GBSeconds != want {
						t.Errorf("%s %s: gbSeconds %v, want %v", fn.Name, d.Date, d.GBSeconds, want)
					}
				}
			}
		}
	}
	// Regions.
	for i := range tr.Regions {
		rt := &tr.Regions[i]
		r := f.Account(rt.Account).Region(rt.Region)
		for _, c := range []struct {
			name, stat string
			want       func(d *RegionDayTruth) *float64
		}{
			{"ConcurrentExecutions", "Maximum", func(d *RegionDayTruth) *float64 { return d.ConcurrentExecutionsMax }},
			{"Invocations", "Sum", func(d *RegionDayTruth) *float64 { x := float64(d.Invocations); return &x }},
			{"Errors", "Sum", func(d *RegionDayTruth) *float64 { x := float64(d.Errors); return &x }},
			{"Throttles", "Sum", func(d *RegionDayTruth) *float64 { x := float64(d.Throttles); return &x }},
		} {
			served := series(r, NSLambda, c.name, "", "", c.stat, start, f.Days, now)
			for j := range rt.Days {
				d := &rt.Days[j]
				w := c.want(d)
				v, ok := served[d.Date]
				if !ok && (w == nil || *w == 0) {
					continue
				}
				if w == nil || !ok || v != *w {
					t.Errorf("region %s/%s %s %s %s: served %v (%v), truth %v", rt.Account, rt.Region, c.name, c.stat, d.Date, v, ok, w)
				}
				checked++
			}
			if len(served) > len(rt.Days) {
				t.Errorf("region %s/%s %s: %d datapoints, %d days of truth", rt.Account, rt.Region, c.name, len(served), len(rt.Days))
			}
		}
	}
	t.Logf("%d functions, %d regions, %d values compared", len(tr.Functions), len(tr.Regions), checked)
}

func TestTruthMatchesDatapoints(t *testing.T) {
	for _, tc := range []struct {
		name  string
		build func(t *testing.T) *Fleet
		now   func(f *Fleet) time.Time
	}{
		{"example", func(t *testing.T) *Fleet { return buildExample(t) }, func(f *Fleet) time.Time { return f.Anchor.Add(6 * time.Hour) }},
		{"example two days later", func(t *testing.T) *Fleet { return buildExample(t) }, func(f *Fleet) time.Time { return f.Anchor.Add(50 * time.Hour) }},
		{"generated 500", func(t *testing.T) *Fleet {
			f := buildGen(t, 99, 500, []string{"111111111111", "222222222222"}, []string{"us-east-1", "eu-west-1"}, mixAll(0.02))
			for _, a := range f.Accounts { // memory and init statistics are served through Lambda Insights
				for _, r := range a.Regions {
					for _, fn := range r.Functions {
						fn.LambdaInsights = true
					}
				}
			}
			return f
		}, func(f *Fleet) time.Time { return f.Anchor.Add(6 * time.Hour) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := tc.build(t)
			compareTruth(t, f, tc.now(f))
		})
	}
}

func TestFunctionTruthAlone(t *testing.T) {
	f := buildExample(t)
	tr := f.Truth(f.Anchor)
	fn := f.Account("111111111111").Region("us-east-1").Function("etl-batch")
	one := fn.Truth()
	var a, b bytes.Buffer
	(&Truth{Functions: []FunctionTruth{one}}).WriteJSON(&a)
	for _, ft := range tr.Functions {
		if ft.Name == "etl-batch" {
			(&Truth{Functions: []FunctionTruth{ft}}).WriteJSON(&b)
		}
	}
	if a.String() != b.String() || a.Len() < 1000 {
		t.Errorf("Function.Truth differs from the fleet's truth:\n%s\n%s", a.String(), b.String())
	}
}

func TestTruthDeterministic(t *testing.T) {
	for _, tc := range []struct {
		name  string
		build func(t *testing.T) *Fleet
	}{
		{"example", func(t *testing.T) *Fleet { return buildExample(t) }},
		{"generated", func(t *testing.T) *Fleet {
			return buildGen(t, 5, 300, nil, []string{"us-east-1", "eu-west-1"}, mixAll(0.01))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var a, b bytes.Buffer
			f1, f2 := tc.build(t), tc.build(t)
			if err := f1.Truth(testNow).WriteJSON(&a); err != nil {
				t.Fatal(err)
			}
			// The second fleet answers some queries first: caches must not matter.
			f2.Accounts[0].Regions[0].ConcurrencyMax(3)
			f2.Accounts[0].Regions[0].Functions[0].Day(2)
			if err := f2.Truth(testNow).WriteJSON(&b); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a.Bytes(), b.Bytes()) {
				t.Error("two builds give different truth JSON")
			}
		})
	}
}

// TestExampleGolden keeps the truth of examples/fleet.yaml in testdata/;
// refresh with go test ./sim/fleet -update.
func TestExampleGolden(t *testing.T) {
	f := buildExample(t)
	var b bytes.Buffer
	if err := f.Truth(f.Anchor.Add(6 * time.Hour)).WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "example-truth.json")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./sim/fleet -update)", err)
	}
	if !bytes.Equal(b.Bytes(), want) {
		t.Errorf("truth of %s differs from %s (run go test ./sim/fleet -update and review the diff)", examplePath, golden)
	}
}

// TestExampleInsights: each function of examples/fleet.yaml shows the
// insight its comment promises, and nothing else.
func TestExampleInsights(t *testing.T) {
	f := buildExample(t)
	now := f.Anchor.Add(6 * time.Hour)
	tr := f.Truth(now)
	want := map[string]string{
		"orders-api": "{}", "orders-history": "{}", "user-profile": "{}", "feature-flags": "{}", "thumbnailer-image": "{}",
		"long-calculation":     "{near-timeout:warning}",
		"report-builder":       "{near-timeout:critical timeouts:warning}",
		"massive-calculation":  "{memory-near-limit:warning}",
		"legacy-admin":         "{memory-overprovisioned:info}",
		"search-indexer":       "{cold-starts:warning}",
		"etl-batch":            "{cost-spike:warning}",
		"payments-webhook":     "{error-rate:warning}",
		"notify-sender":        "{throttles:warning}",
		"legacy-cron":          "{deprecated-runtime:critical}",
		"pdf-render":           "{arm64-candidate:info}",
		"clickstream-consumer": "{iterator-age:warning}",
		"email-async":          "{async-failures:warning}",
		"checkout-api":         "{provisioned-concurrency-idle:info}",
		"fanout-relay":         "{recursive-loop:warning}",
		"orders-api-eu":        "{}", "orders-api-staging": "{}",
	}
	for i := range tr.Functions {
		ft := &tr.Functions[i]
		w, ok := want[ft.Name]
		if !ok {
			t.Errorf("%s: not in the table", ft.Name)
			continue
		}
		if got := checkFunction(ft, now, 1).String(); got != w {
			t.Errorf("%s: %s, want %s", ft.Name, got, w)
		}
	}
	if len(tr.Functions) != len(want) {
		t.Errorf("%d functions, want %d", len(tr.Functions), len(want))
	}
	for i := range tr.Regions {
		rt := &tr.Regions[i]
		got := checkRegion(rt, now, 1).String()
		w := "{}"
		if rt.Region == "eu-west-1" {
			w = "{concurrency-near-limit:critical}"
		}
		if got != w {
			t.Errorf("region %s/%s: %s, want %s", rt.Account, rt.Region, got, w)
		}
	}
	// Facts the example promises.
	ff := map[string]*FunctionTruth{}
	for i := range tr.Functions {
		ff[tr.Functions[i].Name] = &tr.Functions[i]
	}
	if d := ff["feature-flags"].Days; len(d) != 1 || d[0].DaysAgo != 1 {
		t.Errorf("feature-flags: %d days", len(d))
	}
	if d := ff["user-profile"].Days; d[0].MemorySize != 1024 || d[len(d)-1].MemorySize != 512 {
		t.Errorf("user-profile memory %d → %d", d[0].MemorySize, d[len(d)-1].MemorySize)
	}
	if c := ff["orders-history"].Config; c.LogGroup != "/custom/orders/history" {
		t.Errorf("orders-history log group %q", c.LogGroup)
	}
	if a := f.Account("222222222222"); a.ExternalID == "" {
		t.Error("staging has no external ID")
	}
	if r := f.Account("111111111111").Region("ap-east-1"); r == nil || !r.Disabled {
		t.Error("ap-east-1 not disabled")
	}
}

// TestExactness: the spec's numbers are served exactly.
func TestExactness(t *testing.T) {
	spec := `
seed: 1
now: "2026-11-21T06:00:00Z"
accounts:
  - id: "111111111111"
    regions:
      - name: us-east-1
        functions:
`
	type fnCase struct {
		name      string
		inv       int
		hourly    string
		timeouts  int
		cold      int
		exactPcts bool // m ≥ 100: p50 and p99 have their own ranks
	}
	cases := []fnCase{
		{"one", 1, "steady", 0, 0, false},
		{"seven", 7, "diurnal", 0, 1, false},
		{"ninety-nine", 99, "steady", 0, 0, false},
		{"hundred", 100, "steady", 0, 20, true},
		{"thousand", 1000, "diurnal", 0, 30, true},
		{"big", 123457, "diurnal", 0, 2000, true},
		{"with-timeouts", 5000, "steady", 40, 100, true},
	}
	for _, c := range cases {
		spec += fmt.Sprintf(`          - name: %s
            memoryMB: 1024
            timeoutS: 10
            lambdaInsights: true
            profile:
              invocations: %d
              hourly: %s
              timeouts: %d
              coldStarts: %d
              duration: {min: 3.5, p50: 41.25, p99: 812.5, max: 2345.67}
              memoryUsed: {min: 100, p50: 400, p99: 700, max: 777}
              initDuration: {min: 100, p50: 300, p95: 900, max: 1234.56}
`, c.name, c.inv, c.hourly, c.timeouts, c.cold)
	}
	s, err := Parse([]byte(spec))
	if err != nil {
		t.Fatal(err)
	}
	f, err := Build(s, testNow)
	if err != nil {
		t.Fatal(err)
	}
	r := f.Accounts[0].Regions[0]
	day := f.Anchor.Add(-24 * time.Hour)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			get := func(ns, metric, dim, stat string) float64 {
				v, ok := series(r, ns, metric, dim, c.name, stat, day, 1, testNow)[day.Format(time.DateOnly)]
				if !ok {
					t.Fatalf("%s %s: no datapoint", metric, stat)
				}
				return v
			}
			eq := func(what string, got, want float64) {
				t.Helper()
				if got != want {
					t.Errorf("%s = %v, want %v", what, got, want)
				}
			}
			eq("Invocations", get(NSLambda, "Invocations", "FunctionName", "Sum"), float64(c.inv))
			maxDur := 2345.67
			if c.timeouts > 0 {
				maxDur = 10000
			}
			eq("Duration max", get(NSLambda, "Duration", "FunctionName", "Maximum"), maxDur)
			eq("Duration min", get(NSLambda, "Duration", "FunctionName", "Minimum"), map[bool]float64{true: 3.5, false: 2345.67}[c.inv > 1])
			eq("memory max", get(NSInsights, "used_memory_max", "function_name", "Maximum"), 777)
			if c.cold >= 20 {
				eq("init p95", get(NSInsights, "init_duration", "function_name", "p95"), 900)
			}
			if c.cold > 0 {
				eq("init max", get(NSInsights, "init_duration", "function_name", "Maximum"), 1234.56)
				eq("cold starts", get(NSInsights, "init_duration", "function_name", "SampleCount"), float64(c.cold))
			}
			// Percentiles over the successful invocations (the blocks).
			d := r.Function(c.name).Day(1)
			var dur, mem []wsample
			for _, b := range d.Blocks() {
				if b.Status == StatusOK {
					dur = append(dur, wsample{b.Duration, float64(b.W)})
					mem = append(mem, wsample{float64(b.MemUsed), float64(b.W)})
				}
			}
			if c.exactPcts {
				eq("successful p50", WeightedPercentile(dur, 50), 41.25)
				eq("successful p99", WeightedPercentile(dur, 99), 812.5)
				eq("memory p50", WeightedPercentile(mem, 50), 400)
				eq("memory p99", WeightedPercentile(mem, 99), 700)
				if c.timeouts == 0 {
					eq("Duration p50", get(NSLambda, "Duration", "FunctionName", "p50"), 41.25)
					eq("Duration p99", get(NSLambda, "Duration", "FunctionName", "p99"), 812.5)
					eq("memory p99 served", get(NSInsights, "used_memory_max", "function_name", "p99"), 700)
				}
			} else if c.inv > 1 {
				// Fewer than 100: p99's rank is max's, and max wins.
				eq("p99 of few", get(NSLambda, "Duration", "FunctionName", "p99"), 2345.67)
			}
		})
	}
}

// TestCountsAddUp: hourly datapoints add up to the day, minutes to the
// hour, and errors never exceed invocations in any hour or minute.
func TestCountsAddUp(t *testing.T) {
	f := buildExample(t)
	now := f.Anchor.Add(6 * time.Hour)
	day := f.Anchor.Add(-24 * time.Hour)
	st := func(s string) Stat { x, _ := ParseStat(s); return x }
	sum := func(dps []Datapoint) (n float64) {
		for _, d := range dps {
			n += d.Value
		}
		return n
	}
	byTime := func(dps []Datapoint) map[time.Time]float64 {
		m := map[time.Time]float64{}
		for _, d := range dps {
			m[d.Time] = d.Value
		}
		return m
	}
	r := f.Account("111111111111").Region("us-east-1")
	for _, name := range []string{"orders-api", "payments-webhook", "notify-sender", "etl-batch", "report-builder", "legacy-cron", ""} {
		t.Run(cmpOr(name, "region"), func(t *testing.T) {
			var dims []Dim
			if name != "" {
				dims = []Dim{{"FunctionName", name}}
			}
			for _, metric := range []string{"Invocations", "Errors", "Throttles"} {
				m := MetricID{NSLambda, metric, dims}
				daily := sum(r.Datapoints(m, st("Sum"), day, f.Anchor, 24*time.Hour, now))
				hourly := r.Datapoints(m, st("Sum"), day, f.Anchor, time.Hour, now)
				if got := sum(hourly); got != daily {
					t.Errorf("%s: Σ hourly = %v, daily %v", metric, got, daily)
				}
				for _, h := range []int{0, 2, 13, 14, 23} {
					hs := day.Add(time.Duration(h) * time.Hour)
					minutes := r.Datapoints(m, st("Sum"), hs, hs.Add(time.Hour), time.Minute, now)
					if got, want := sum(minutes), byTime(hourly)[hs]; got != want {
						t.Errorf("%s hour %d: Σ minutes = %v, hourly %v", metric, h, got, want)
					}
				}
			}
			for _, p := range []struct {
				res   time.Duration
				start time.Time
			}{{time.Hour, day}, {time.Minute, day.Add(14 * time.Hour)}, {time.Minute, day.Add(3 * time.Hour)}} {
				end := p.start.Add(24 * time.Hour)
				if p.res == time.Minute {
					end = p.start.Add(time.Hour)
				}
				inv := byTime(r.Datapoints(MetricID{NSLambda, "Invocations", dims}, st("Sum"), p.start, end, p.res, now))
				errs := byTime(r.Datapoints(MetricID{NSLambda, "Errors", dims}, st("Sum"), p.start, end, p.res, now))
				for ts, e := range errs {
					if e > inv[ts] {
						t.Errorf("%v: errors %v > invocations %v", ts, e, inv[ts])
					}
				}
			}
			if name != "" { // Duration samples add up too.
				m := MetricID{NSLambda, "Duration", dims}
				daily := sum(r.Datapoints(m, st("SampleCount"), day, f.Anchor, 24*time.Hour, now))
				if got := sum(r.Datapoints(m, st("SampleCount"), day, f.Anchor, time.Hour, now)); got != daily || math.IsNaN(got) {
					t.Errorf("Duration SampleCount: Σ hourly %v, daily %v", got, daily)
				}
			}
		})
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// TestConcurrentReads: the endpoints read a fleet from many goroutines.
func TestConcurrentReads(t *testing.T) {
	f := buildExample(t)
	now := f.Anchor.Add(6 * time.Hour)
	want := new(bytes.Buffer)
	if err := f.Truth(now).WriteJSON(want); err != nil {
		t.Fatal(err)
	}
	f = buildExample(t)
	r := f.Account("111111111111").Region("us-east-1")
	st, _ := ParseStat("p99")
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		go func() {
			if g%2 == 0 {
				var b bytes.Buffer
				f.Truth(now).WriteJSON(&b)
				if !bytes.Equal(b.Bytes(), want.Bytes()) {
					errs <- fmt.Errorf("goroutine %d: truth differs", g)
					return
				}
				errs <- nil
				return
			}
			for _, fn := range r.Functions {
				r.Datapoints(MetricID{NSLambda, "Duration", []Dim{{"FunctionName", fn.Name}}}, st, f.Anchor.Add(-72*time.Hour), now, time.Hour, now)
			}
			r.Datapoints(MetricID{NSLambda, "ConcurrentExecutions", nil}, Stat{Name: "Maximum", Kind: "Maximum"}, f.Anchor.Add(-72*time.Hour), now, time.Hour, now)
			errs <- nil
		}()
	}
	for g := 0; g < 8; g++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
