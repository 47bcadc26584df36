package metrics_test

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lambdaudit/lambdaudit/metrics"
)

// The -update flag refreshes golden files. It is registered only once
// for the package's test binary, whichever file gets there first.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files in testdata/")
	}
}

func cwUpdate() bool {
	f := flag.Lookup("update")
	v, _ := f.Value.(flag.Getter).Get().(bool)
	return v
}

var cwWindow = metrics.Window{End: time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC), Days: 15}

func cwFn(name string, opt ...string) metrics.Function {
	return metrics.Function{ID: "111111111111/us-east-1/" + name, Name: name, Optional: opt}
}

func cwMetricsOf(qs []metrics.Query, key string) []string {
	var out []string
	for _, q := range qs {
		if q.Key == key {
			out = append(out, q.Metric)
		}
	}
	return out
}

func TestPlanQueries(t *testing.T) {
	base := []string{"Invocations:Sum", "Errors:Sum", "Throttles:Sum", "Duration:Sum", "Duration:Maximum", "Duration:p99", "ConcurrentExecutions:Maximum"}
	insights := []string{"used_memory_max:Maximum", "used_memory_max:p99", "memory_utilization:Maximum",
		"init_duration:Maximum", "init_duration:p95", "init_duration:Sum", "init_duration:SampleCount"}
	tests := []struct {
		name string
		fn   metrics.Function
		want []string
	}{
		{"plain", cwFn("a"), base},
		{"stream consumer", cwFn("a", "IteratorAge"), append(slices.Clone(base), "IteratorAge:Maximum")},
		{"optional in canonical order whatever the input order",
			cwFn("a", "RecursiveInvocationsDropped", "AsyncEventAge", "ProvisionedConcurrencyUtilization", "AsyncEventsReceived"),
			append(slices.Clone(base), "AsyncEventsReceived:Sum", "AsyncEventAge:Maximum", "ProvisionedConcurrencyUtilization:Maximum", "RecursiveInvocationsDropped:Sum")},
		{"every optional metric", cwFn("a", metrics.OptionalMetrics()...), append(slices.Clone(base),
			"IteratorAge:Maximum", "AsyncEventsReceived:Sum", "AsyncEventAge:Maximum", "AsyncEventsDropped:Sum", "DeadLetterErrors:Sum",
			"DestinationDeliveryFailures:Sum", "ProvisionedConcurrencyUtilization:Maximum", "ProvisionedConcurrencyInvocations:Sum",
			"ProvisionedConcurrencySpilloverInvocations:Sum", "RecursiveInvocationsDropped:Sum")},
		{"lambda insights", func() metrics.Function { f := cwFn("a"); f.LambdaInsights = true; return f }(), append(slices.Clone(base), insights...)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := metrics.NewPlan(cwWindow, []metrics.Function{tc.fn})
			if err != nil {
				t.Fatal(err)
			}
			want := []metrics.Query{
				{Key: metrics.RegionKey, Metric: "ConcurrentExecutions:Maximum"},
				{Key: metrics.RegionKey, Metric: "UnreservedConcurrentExecutions:Maximum"},
			}
			for _, m := range tc.want {
				want = append(want, metrics.Query{Key: tc.fn.ID, Name: tc.fn.Name, Metric: m})
			}
			want = append(want, metrics.Query{Key: "/aws/lambda/a", Metric: "IncomingBytes:Sum"})
			if !slices.Equal(p.Queries, want) {
				t.Errorf("queries:\n got %v\nwant %v", p.Queries, want)
			}
			if _, err := metrics.NewBatch(p.Window, p.Queries); err != nil {
				t.Errorf("the plan is not a valid batch: %v", err)
			}
		})
	}
}

func TestPlanLogGroupsAndAdjacency(t *testing.T) {
	a, b, c := cwFn("a"), cwFn("b"), cwFn("c")
	a.LogGroup, b.LogGroup = "/shared", "/shared"
	p, err := metrics.NewPlan(cwWindow, []metrics.Function{a, b, c})
	if err != nil {
		t.Fatal(err)
	}
	if got := cwMetricsOf(p.Queries, "/shared"); !slices.Equal(got, []string{"IncomingBytes:Sum"}) {
		t.Errorf("shared log group queried %v, want once", got)
	}
	if got := cwMetricsOf(p.Queries, "/aws/lambda/c"); len(got) != 1 {
		t.Errorf("default log group of c: %v", got)
	}
	// Each key's queries are one run, and each metric's statistics are adjacent.
	seenKey := map[string]bool{}
	seenMetric := map[string]bool{}
	for i, q := range p.Queries {
		if i > 0 && q.Key == p.Queries[i-1].Key {
			if prev := strings.Split(p.Queries[i-1].Metric, ":")[0]; prev != strings.Split(q.Metric, ":")[0] && seenMetric[q.Key+" "+strings.Split(q.Metric, ":")[0]] {
				t.Errorf("q%d: statistics of %s not adjacent", i, q.Metric)
			}
		} else if seenKey[q.Key] {
			t.Errorf("q%d: key %s not adjacent", i, q.Key)
		}
		seenKey[q.Key] = true
		seenMetric[q.Key+" "+strings.Split(q.Metric, ":")[0]] = true
	}
}

func TestPlanErrors(t *testing.T) {
	dupName := cwFn("a")
	dupName.ID = "222222222222/us-east-1/a"
	tests := []struct {
		name string
		w    metrics.Window
		fns  []metrics.Function
		want string
	}{
		{"bad window", metrics.Window{End: cwWindow.End.Add(time.Hour), Days: 15}, nil, "not a UTC midnight"},
		{"no days", metrics.Window{End: cwWindow.End}, nil, "days must be at least 1"},
		{"missing ID", cwWindow, []metrics.Function{{Name: "a"}}, "ID and Name are required"},
		{"duplicate ID", cwWindow, []metrics.Function{cwFn("a"), cwFn("a")}, "appears twice"},
		{"two regions", cwWindow, []metrics.Function{cwFn("a"), dupName}, "one account-region"},
		{"unknown optional", cwWindow, []metrics.Function{cwFn("a", "IteratorAgee")}, `unknown optional metric "IteratorAgee"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := metrics.NewPlan(tc.w, tc.fns)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestPlannerStreamsPages(t *testing.T) {
	// Planning page by page gives the same queries as planning at once.
	fns := []metrics.Function{cwFn("a"), cwFn("b", "IteratorAge"), cwFn("c")}
	fns[2].LogGroup = "/aws/lambda/a"
	whole, err := metrics.NewPlan(cwWindow, fns)
	if err != nil {
		t.Fatal(err)
	}
	p := metrics.NewPlanner()
	qs := p.Region(nil)
	for _, page := range [][]metrics.Function{fns[:1], fns[1:]} {
		for _, fn := range page {
			if qs, err = p.Function(qs, fn); err != nil {
				t.Fatal(err)
			}
		}
	}
	if !slices.Equal(qs, whole.Queries) {
		t.Errorf("streamed %v\nwhole    %v", qs, whole.Queries)
	}
}

func TestMetricKeysUnique(t *testing.T) {
	keys := metrics.MetricKeys()
	consts := []string{metrics.InvocationsSum, metrics.ErrorsSum, metrics.ThrottlesSum, metrics.DurationSum, metrics.DurationMaximum,
		metrics.DurationP99, metrics.ConcurrentExecutionsMaximum, metrics.UnreservedConcurrentExecutionsMaximum, metrics.IteratorAgeMaximum,
		metrics.AsyncEventsReceivedSum, metrics.AsyncEventAgeMaximum, metrics.AsyncEventsDroppedSum, metrics.DeadLetterErrorsSum,
		metrics.DestinationDeliveryFailuresSum, metrics.ProvisionedConcurrencyUtilizationMaximum, metrics.ProvisionedConcurrencyInvocationsSum,
		metrics.ProvisionedConcurrencySpilloverInvocationsSum, metrics.RecursiveInvocationsDroppedSum, metrics.UsedMemoryMaxMaximum,
		metrics.UsedMemoryMaxP99, metrics.MemoryUtilizationMaximum, metrics.InitDurationMaximum, metrics.InitDurationP95,
		metrics.InitDurationSum, metrics.InitDurationSampleCount, metrics.IncomingBytesSum}
	if len(keys) != len(consts) {
		t.Errorf("MetricKeys has %d keys, the constants %d", len(keys), len(consts))
	}
	for _, c := range consts {
		if !slices.Contains(keys, c) {
			t.Errorf("constant %q is not in MetricKeys", c)
		}
	}
}

func TestBatchJSON(t *testing.T) {
	a, b := cwFn("orders-api", "IteratorAge"), cwFn("orders-history")
	b.LambdaInsights, b.LogGroup = true, "/custom/orders/history"
	p, err := metrics.NewPlan(cwWindow, []metrics.Function{a, b})
	if err != nil {
		t.Fatal(err)
	}
	batch, err := metrics.NewBatch(p.Window, p.Queries)
	if err != nil {
		t.Fatal(err)
	}
	if ids := batch.FunctionIDs(); !slices.Equal(ids, []string{a.ID, b.ID}) {
		t.Errorf("FunctionIDs = %v", ids)
	}
	got, err := json.MarshalIndent(batch, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "batch.golden.json")
	if cwUpdate() {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("batch JSON differs from %s (go test -update):\n%s", golden, got)
	}
	var back metrics.Batch
	if err := json.Unmarshal(got, &back); err != nil {
		t.Fatal(err)
	}
	if !back.Window.End.Equal(batch.Window.End) || back.Window.Days != batch.Window.Days || !slices.Equal(back.Queries, batch.Queries) {
		t.Errorf("round trip:\n got %+v\nwant %+v", back, batch)
	}
}

func TestBatchValidate(t *testing.T) {
	q := metrics.Query{Key: "k/r/a", Name: "a", Metric: metrics.InvocationsSum}
	many := func(n int) []metrics.Query {
		qs := make([]metrics.Query, n)
		for i := range qs {
			qs[i] = metrics.Query{Key: fmt.Sprintf("k/r/f%d", i), Name: fmt.Sprintf("f%d", i), Metric: metrics.InvocationsSum}
		}
		return qs
	}
	tests := []struct {
		name string
		w    metrics.Window
		qs   []metrics.Query
		want string
	}{
		{"empty", cwWindow, nil, "no queries"},
		{"501 queries", cwWindow, many(501), "501 queries, at most 500"},
		{"datapoints", metrics.Window{End: cwWindow.End, Days: 455}, many(300), "datapoints, at most 100800"},
		{"unknown metric", cwWindow, []metrics.Query{{Key: "k/r/a", Name: "a", Metric: "Invocations:Average"}}, "not a function metric key"},
		{"log group metric on a function", cwWindow, []metrics.Query{{Key: "k/r/a", Name: "a", Metric: metrics.IncomingBytesSum}}, "not a function metric key"},
		{"function metric without a name", cwWindow, []metrics.Query{{Key: "k/r/a", Metric: metrics.DurationP99}}, "not a log group metric key"},
		{"region metric", cwWindow, []metrics.Query{{Key: metrics.RegionKey, Metric: metrics.ThrottlesSum}}, "not a region metric key"},
		{"duplicate", cwWindow, []metrics.Query{q, q}, "appears twice"},
		{"bad window", metrics.Window{End: cwWindow.End.Add(time.Minute), Days: 15}, []metrics.Query{q}, "not a UTC midnight"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := metrics.NewBatch(tc.w, tc.qs)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			body, _ := json.Marshal(metrics.Batch{Window: tc.w, Queries: tc.qs})
			var b metrics.Batch
			if err := json.Unmarshal(body, &b); err == nil {
				t.Errorf("UnmarshalJSON accepted an invalid batch")
			}
		})
	}
}

// A batch of 500 queries with the longest names AWS allows (64-character
// function names, 12-digit account, a long region, default log groups)
// and the fewest queries per function (the most names per batch) stays
// far below SQS's 256 KiB.
func TestBatchSize(t *testing.T) {
	var fns []metrics.Function
	for i := range 100 {
		name := strings.Repeat("n", 60) + string(rune('a'+i/26)) + string(rune('a'+i%26)) + "zz"
		fns = append(fns, metrics.Function{ID: "123456789012/ap-southeast-5/" + name, Name: name})
	}
	p, err := metrics.NewPlan(cwWindow, fns)
	if err != nil {
		t.Fatal(err)
	}
	b, err := metrics.NewBatch(p.Window, p.Queries[:metrics.MaxQueries])
	if err != nil {
		t.Fatal(err)
	}
	body, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("500 queries of %d functions: %d bytes", len(b.FunctionIDs()), len(body))
	if len(body) > 64<<10 {
		t.Errorf("500 queries encode to %d bytes, want ≤ 64 KiB", len(body))
	}
}
