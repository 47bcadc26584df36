package metrics_test

import (
	"context"
	"errors"
	"math"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"

	"github.com/lambdaudit/lambdaudit/metrics"
	"github.com/lambdaudit/lambdaudit/sim"
	"github.com/lambdaudit/lambdaudit/sim/fleet"
	"github.com/lambdaudit/lambdaudit/sim/simtest"
)

// cwSpec is one function per metric family, with idle days, a function
// created three days ago and one never invoked. Its history is 14 days,
// so the first day of a 15-day window has no data anywhere.
const cwSpec = `
seed: 11
days: 14
accounts:
  - id: "111111111111"
    concurrencyLimit: 1000
    regions:
      - name: us-east-1
        functions:
          - name: api
            memoryMB: 512
            timeoutS: 10
            profile:
              invocations: 5000
              hourly: diurnal
              duration: {min: 20, p50: 60, p99: 180, max: 300}
              errors: 10
              throttles: 40
              coldStarts: {rate: 0.01}
          - name: sparse
            profile:
              invocations: [0, 10, 0, 0, 20, 0, 5, 0, 0, 0, 30, 0, 0, 7]
              errors: [0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0]
          - name: insights
            lambdaInsights: true
            memoryMB: 256
            logGroup: /custom/insights
            logFormat: JSON
            profile:
              invocations: 3000
              coldStarts: 25
              memoryUsed: {p50: 100, p99: 150, max: 180}
              initDuration: {p50: 300, p95: 500, max: 650}
          - name: stream
            profile: {invocations: 800, iteratorAgeMs: 5400000}
          - name: async
            async:
              maximumRetryAttempts: 2
              deadLetterTarget: arn:aws:sqs:us-east-1:111111111111:dlq
              onFailureDestination: arn:aws:sqs:us-east-1:111111111111:failed
            profile:
              invocations: 1000
              asyncEventsReceived: {rate: 1}
              asyncEventAgeMs: 1500
              asyncEventsDropped: 2
              deadLetterErrors: 3
              destinationDeliveryFailures: 1
          - name: provisioned
            provisionedConcurrency: 20
            profile: {invocations: 6000, provisionedUtilization: 0.3}
          - name: provisioned-full
            provisionedConcurrency: 2
            profile: {invocations: 6000, provisionedUtilization: 1}
          - name: loop
            profile: {invocations: 3000, recursiveInvocationsDropped: 12}
          - name: young
            createdDaysAgo: 3
            profile: {invocations: 500}
          - name: idle
`

// cwFunctions are a region's functions as the scanner would list them.
func cwFunctions(r *fleet.Region) []metrics.Function {
	out := make([]metrics.Function, len(r.Functions))
	for i, fn := range r.Functions {
		out[i] = metrics.Function{ID: r.Account.ID + "/" + r.Name + "/" + fn.Name, Name: fn.Name, LogGroup: fn.LogGroup, LogFormat: fn.LogFormat}
	}
	return out
}

// cwClient is a CloudWatch client of the real SDK (CBOR) on the sim; with
// patient retries when the test injects throttles. Its connections are
// closed when the test ends: a connection dialled for a retry and never
// used would otherwise hold the sim's graceful shutdown for 5 s.
func cwClient(t testing.TB, env *simtest.Env, patient bool) *cloudwatch.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	return cloudwatch.NewFromConfig(env.Config, func(o *cloudwatch.Options) {
		o.HTTPClient = &http.Client{Transport: tr}
		if patient {
			o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
				so.MaxAttempts = 25
				so.Backoff = retry.NewExponentialJitterBackoff(5 * time.Millisecond)
				so.RateLimiter = ratelimit.None
			})
		}
	})
}

// cwPack is next-fit packing by Plan.Weight into Caps (what fanout.Pack
// does), so the test does not depend on package fanout.
func cwPack(t testing.TB, p *metrics.Plan) []metrics.Batch {
	t.Helper()
	caps := metrics.Caps()
	var out []metrics.Batch
	var cur []metrics.Query
	used := make([]int, len(caps))
	flush := func() {
		b, err := metrics.NewBatch(p.Window, cur)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
		cur, used = nil, make([]int, len(caps))
	}
	for _, q := range p.Queries {
		w := p.Weight(q)
		for i := range caps {
			if used[i]+w[i] > caps[i] {
				flush()
				break
			}
		}
		cur = append(cur, q)
		for i := range caps {
			used[i] += w[i]
		}
	}
	if len(cur) > 0 {
		flush()
	}
	return out
}

// cwTruthSeries is what CloudWatch must answer for one function metric,
// from the fleet's ground truth: the datapoint exists exactly when the
// simulated service has samples that day.
func cwTruthSeries(w metrics.Window, ft fleet.FunctionTruth, metric string) metrics.Series {
	s := metrics.NewSeries(w.Days)
	for _, d := range ft.Days {
		day, err := time.Parse(time.DateOnly, d.Date)
		if err != nil {
			panic(err)
		}
		i := w.DayIndex(day)
		if i < 0 {
			continue
		}
		count := func(n int64) *float64 {
			if n <= 0 {
				return nil
			}
			v := float64(n)
			return &v
		}
		val := func(ok bool, v float64) *float64 {
			if !ok {
				return nil
			}
			return &v
		}
		dur, mem, ini := d.Duration != nil, d.MemoryUsed != nil, d.Init != nil
		var (
			dt fleet.DurationTruth
			mt fleet.MemoryTruth
			it fleet.InitTruth
		)
		if dur {
			dt = *d.Duration
		}
		if mem {
			mt = *d.MemoryUsed
		}
		if ini {
			it = *d.Init
		}
		switch metric {
		case metrics.InvocationsSum:
			s[i] = count(d.Invocations)
		case metrics.ErrorsSum: // one 0/1 sample per invocation: 0 on a day with invocations and no error
			s[i] = val(d.Invocations > 0, float64(d.Errors))
		case metrics.ThrottlesSum:
			s[i] = count(d.Throttles)
		case metrics.DurationSum:
			s[i] = val(dur, dt.Sum)
		case metrics.DurationMaximum:
			s[i] = val(dur, dt.Maximum)
		case metrics.DurationP99:
			s[i] = val(dur, dt.P99)
		case metrics.ConcurrentExecutionsMaximum:
			s[i] = d.ConcurrencyMax
		case metrics.IteratorAgeMaximum:
			s[i] = d.IteratorAgeMax
		case metrics.AsyncEventsReceivedSum:
			s[i] = count(d.AsyncEventsReceived)
		case metrics.AsyncEventAgeMaximum:
			s[i] = d.AsyncEventAgeMax
		case metrics.AsyncEventsDroppedSum:
			s[i] = count(d.AsyncEventsDropped)
		case metrics.DeadLetterErrorsSum:
			s[i] = count(d.DeadLetterErrors)
		case metrics.DestinationDeliveryFailuresSum:
			s[i] = count(d.DestinationDeliveryFailures)
		case metrics.ProvisionedConcurrencyUtilizationMaximum:
			s[i] = d.ProvisionedUtilizationMax
		case metrics.ProvisionedConcurrencyInvocationsSum:
			s[i] = count(d.ProvisionedInvocations)
		case metrics.ProvisionedConcurrencySpilloverInvocationsSum:
			s[i] = count(d.ProvisionedSpillover)
		case metrics.RecursiveInvocationsDroppedSum:
			s[i] = count(d.RecursiveDropped)
		case metrics.UsedMemoryMaxMaximum:
			s[i] = val(mem, mt.Max)
		case metrics.UsedMemoryMaxP99:
			s[i] = val(mem, mt.P99)
		case metrics.MemoryUtilizationMaximum: // per invocation, rounded to 0.01 %
			s[i] = val(mem, math.Round(mt.Max/float64(d.MemorySize)*10000)/100)
		case metrics.InitDurationMaximum:
			s[i] = val(ini, it.Max)
		case metrics.InitDurationP95:
			s[i] = val(ini, it.P95)
		case metrics.InitDurationSum:
			s[i] = val(ini, it.Sum)
		case metrics.InitDurationSampleCount:
			s[i] = val(ini, float64(it.Count))
		case metrics.IncomingBytesSum:
			s[i] = count(d.LogBytes)
		default:
			panic("no truth for " + metric)
		}
	}
	return s
}

// cwRegionTruth is the region's no-dimension metric: ConcurrentExecutions
// from the truth, UnreservedConcurrentExecutions from the fleet model.
func cwRegionTruth(w metrics.Window, f *fleet.Fleet, r *fleet.Region, metric string) metrics.Series {
	s := metrics.NewSeries(w.Days)
	if metric == metrics.ConcurrentExecutionsMaximum {
		for _, rt := range f.Truth(simtest.Now).Regions {
			if rt.Account != r.Account.ID || rt.Region != r.Name {
				continue
			}
			for _, d := range rt.Days {
				day, _ := time.Parse(time.DateOnly, d.Date)
				if i := w.DayIndex(day); i >= 0 {
					s[i] = d.ConcurrentExecutionsMax
				}
			}
		}
		return s
	}
	st, _ := fleet.ParseStat("Maximum")
	for _, dp := range r.Datapoints(fleet.MetricID{Namespace: fleet.NSLambda, Name: "UnreservedConcurrentExecutions"}, st, w.Start(), w.End, metrics.Day, simtest.Now) {
		if i := w.DayIndex(dp.Time); i >= 0 {
			v := dp.Value
			s[i] = &v
		}
	}
	return s
}

// cwCheckTruth compares every planned (key, metric) of a result with the
// truth and returns how many had data on at least one day, per metric key.
func cwCheckTruth(t *testing.T, env *simtest.Env, r *fleet.Region, p *metrics.Plan, res *metrics.Result) map[string]int {
	t.Helper()
	if len(res.Failed) != 0 {
		t.Fatalf("failed: %v", res.FailedKeys())
	}
	truth := map[string]fleet.FunctionTruth{}
	logs := map[string]fleet.FunctionTruth{}
	for _, fn := range r.Functions {
		ft := fn.TruthAt(simtest.Now)
		truth[r.Account.ID+"/"+r.Name+"/"+fn.Name] = ft
		logs[fn.LogGroup] = ft
	}
	withData := map[string]int{}
	errs := 0
	for _, q := range p.Queries {
		var want metrics.Series
		switch {
		case q.Key == metrics.RegionKey:
			want = cwRegionTruth(p.Window, env.Fleet, r, q.Metric)
		case q.Name == "":
			want = cwTruthSeries(p.Window, logs[q.Key], q.Metric)
		default:
			want = cwTruthSeries(p.Window, truth[q.Key], q.Metric)
		}
		got, ok := res.Get(q.Key, q.Metric)
		if !ok || !cwSeriesEqual(got, want) {
			if errs++; errs <= 10 {
				t.Errorf("%s %s:\n got %s\nwant %s", q.Key, q.Metric, cwFmt(got), cwFmt(want))
			}
		}
		if slices.ContainsFunc(got, func(v *float64) bool { return v != nil }) {
			withData[q.Metric]++
		}
	}
	if errs > 10 {
		t.Errorf("... %d mismatches in all", errs)
	}
	return withData
}

func TestFetchSimMatchesTruth(t *testing.T) {
	env := simtest.Start(t, cwSpec)
	r := env.Fleet.Accounts[0].Regions[0]
	cl := cwClient(t, env, false)
	ctx := context.Background()
	w := metrics.LastCompleteDay(simtest.Now)

	d, err := metrics.Discover(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	wantOpt := map[string][]string{
		"stream":           {"IteratorAge"},
		"async":            {"AsyncEventsReceived", "AsyncEventAge", "AsyncEventsDropped", "DeadLetterErrors", "DestinationDeliveryFailures"},
		"provisioned":      {"ProvisionedConcurrencyUtilization", "ProvisionedConcurrencyInvocations", "ProvisionedConcurrencySpilloverInvocations"},
		"provisioned-full": {"ProvisionedConcurrencyUtilization", "ProvisionedConcurrencyInvocations", "ProvisionedConcurrencySpilloverInvocations"},
		"loop":             {"RecursiveInvocationsDropped"},
	}
	if len(d.Optional) != len(wantOpt) {
		t.Errorf("optional metrics found for %v, want %v", d.Optional, wantOpt)
	}
	for fn, want := range wantOpt {
		if !slices.Equal(d.Optional[fn], want) {
			t.Errorf("%s: optional %v, want %v", fn, d.Optional[fn], want)
		}
	}
	if len(d.LambdaInsights) != 1 || !d.LambdaInsights["insights"] {
		t.Errorf("LambdaInsights = %v, want only insights", d.LambdaInsights)
	}
	if n := env.Server.Accounting().API("monitoring", "ListMetrics").Calls; n != 11 || d.Pages != 11 {
		t.Errorf("ListMetrics calls = %d, pages = %d, want 11 (one per metric name)", n, d.Pages)
	}

	fns := cwFunctions(r)
	d.Apply(fns)
	p, err := metrics.NewPlan(w, fns)
	if err != nil {
		t.Fatal(err)
	}
	b, err := metrics.NewBatch(w, p.Queries)
	if err != nil {
		t.Fatal(err)
	}
	env.Server.ResetAccounting()
	res, err := metrics.Fetch(ctx, cl, b)
	if err != nil {
		t.Fatal(err)
	}
	withData := cwCheckTruth(t, env, r, p, res)
	// The fixture exercises every metric key.
	for _, k := range metrics.MetricKeys() {
		if withData[k] == 0 {
			t.Errorf("no data for %s anywhere: the fixture does not exercise it", k)
		}
	}
	if res.Pages != 1 || env.Server.Accounting().API("monitoring", "GetMetricData").Calls != 1 {
		t.Errorf("pages = %d, want one call", res.Pages)
	}

	// Spot checks of the slots: the window's first day predates the fleet,
	// idle days are nil (not 0), a day with invocations and no errors is 0.
	fid := func(name string) string { return "111111111111/us-east-1/" + name }
	cases := []struct {
		name      string
		key, m    string
		day       int
		want      *float64
		wantValue float64
	}{
		{"before the fleet's history", fid("api"), metrics.InvocationsSum, 0, nil, 0},
		{"yesterday's invocations", fid("api"), metrics.InvocationsSum, 14, cwPtr(5000), 5000},
		{"sparse: idle day is no data", fid("sparse"), metrics.InvocationsSum, 1, nil, 0},
		{"sparse: idle day has no errors datapoint", fid("sparse"), metrics.ErrorsSum, 1, nil, 0},
		{"sparse: invoked day without errors is zero", fid("sparse"), metrics.ErrorsSum, 5, cwPtr(0), 0},
		{"sparse: invoked day with errors", fid("sparse"), metrics.ErrorsSum, 2, cwPtr(1), 1},
		{"young: before creation", fid("young"), metrics.InvocationsSum, 11, nil, 0},
		{"young: created", fid("young"), metrics.InvocationsSum, 12, cwPtr(500), 500},
		{"duration max exact", fid("api"), metrics.DurationMaximum, 14, cwPtr(300), 300},
		{"duration p99 exact", fid("api"), metrics.DurationP99, 14, cwPtr(180), 180},
		{"iterator age", fid("stream"), metrics.IteratorAgeMaximum, 14, cwPtr(5400000), 5400000},
		{"dead letters", fid("async"), metrics.DeadLetterErrorsSum, 14, cwPtr(3), 3},
		{"recursion", fid("loop"), metrics.RecursiveInvocationsDroppedSum, 14, cwPtr(12), 12},
		{"utilisation", fid("provisioned"), metrics.ProvisionedConcurrencyUtilizationMaximum, 14, cwPtr(0.3), 0.3},
		{"spillover", fid("provisioned-full"), metrics.ProvisionedConcurrencySpilloverInvocationsSum, 14, cwPtr(300), 300},
		{"insights memory", fid("insights"), metrics.UsedMemoryMaxMaximum, 14, cwPtr(180), 180},
		{"insights cold starts", fid("insights"), metrics.InitDurationSampleCount, 14, cwPtr(25), 25},
		{"idle function", fid("idle"), metrics.InvocationsSum, 14, nil, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, ok := res.Get(tc.key, tc.m)
			if !ok {
				t.Fatalf("%s %s missing", tc.key, tc.m)
			}
			switch {
			case tc.want == nil && s[tc.day] != nil:
				t.Errorf("day %d = %v, want no data", tc.day, *s[tc.day])
			case tc.want != nil && (s[tc.day] == nil || *s[tc.day] != tc.wantValue):
				t.Errorf("day %d = %s, want %v", tc.day, cwFmt(s[tc.day:tc.day+1]), tc.wantValue)
			}
		})
	}
}

func cwPtr(v float64) *float64 { return &v }

// Pagination: a MaxDatapoints far below the answer's size makes the
// service page with NextToken and PartialData; the merged values equal
// the one-page answer.
func TestFetchSimPagination(t *testing.T) {
	// Quotas off: this test is about pages, not rates.
	env := simtest.Start(t, cwSpec, sim.WithQuotas(sim.Quotas{}))
	r := env.Fleet.Accounts[0].Regions[0]
	cl := cwClient(t, env, false)
	ctx := context.Background()
	w := metrics.LastCompleteDay(simtest.Now)
	d, err := metrics.Discover(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	fns := cwFunctions(r)
	d.Apply(fns)
	p, err := metrics.NewPlan(w, fns)
	if err != nil {
		t.Fatal(err)
	}
	b, err := metrics.NewBatch(w, p.Queries)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		max  int
	}{{"7 datapoints a page (queries split across pages)", 7}, {"1 datapoint a page", 1}, {"100 datapoints a page", 100}} {
		t.Run(tc.name, func(t *testing.T) {
			env.Server.ResetAccounting()
			res, err := metrics.Fetch(ctx, cl, b, metrics.WithMaxDatapoints(tc.max))
			if err != nil {
				t.Fatal(err)
			}
			want := (res.Datapoints + tc.max - 1) / tc.max
			if res.Pages < want || res.Pages < 2 {
				t.Errorf("%d pages for %d datapoints at %d a page, want at least %d", res.Pages, res.Datapoints, tc.max, want)
			}
			if c := env.Server.Accounting().API("monitoring", "GetMetricData"); c.Calls != int64(res.Pages) || c.OK != c.Calls {
				t.Errorf("%d calls (%d ok), %d pages", c.Calls, c.OK, res.Pages)
			}
			cwCheckTruth(t, env, r, p, res)
		})
	}
}

// A cancelled context stops the fetch with the context's error.
func TestFetchSimCancelled(t *testing.T) {
	env := simtest.Start(t, cwSpec)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	b, err := metrics.NewBatch(metrics.LastCompleteDay(simtest.Now), []metrics.Query{{Key: "111111111111/us-east-1/api", Name: "api", Metric: metrics.InvocationsSum}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := metrics.Fetch(ctx, cwClient(t, env, false), b)
	if !errors.Is(err, context.Canceled) || res != nil {
		t.Errorf("err = %v, result %v; want context.Canceled and no result", err, res)
	}
	if _, err := metrics.Discover(ctx, cwClient(t, env, false)); !errors.Is(err, context.Canceled) {
		t.Errorf("Discover: err = %v, want context.Canceled", err)
	}
}

// Throttles injected on GetMetricData are retried by the SDK (here a
// patient retryer, as cmd/ configures one) and the values still come back
// complete.
func TestFetchSimThrottled(t *testing.T) {
	env := simtest.Start(t, cwSpec, sim.WithSeed(5), sim.WithFaults(sim.Fault{Service: "monitoring", API: "GetMetricData", ThrottlePct: 40}))
	r := env.Fleet.Accounts[0].Regions[0]
	cl := cwClient(t, env, true)
	ctx := context.Background()
	w := metrics.LastCompleteDay(simtest.Now)
	d, err := metrics.Discover(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	fns := cwFunctions(r)
	d.Apply(fns)
	p, err := metrics.NewPlan(w, fns)
	if err != nil {
		t.Fatal(err)
	}
	b, err := metrics.NewBatch(w, p.Queries)
	if err != nil {
		t.Fatal(err)
	}
	res, err := metrics.Fetch(ctx, cl, b, metrics.WithMaxDatapoints(50))
	if err != nil {
		t.Fatal(err)
	}
	c := env.Server.Accounting().API("monitoring", "GetMetricData")
	if c.InjectedThrottles == 0 {
		t.Fatalf("no throttle injected in %d calls: the test proves nothing", c.Calls)
	}
	if c.OK != int64(res.Pages) || c.Calls != c.OK+c.Throttled {
		t.Errorf("calls %d, ok %d, throttled %d, pages %d", c.Calls, c.OK, c.Throttled, res.Pages)
	}
	t.Logf("%d pages, %d throttles absorbed by SDK retries", res.Pages, c.Throttled)
	cwCheckTruth(t, env, r, p, res)

	// Without retries the throttle is a whole-call error, returned.
	noRetry := cloudwatch.New(cwClient(t, env, false).Options(), func(o *cloudwatch.Options) { o.Retryer = aws.NopRetryer{} })
	var failed error
	for range 20 {
		if _, failed = metrics.Fetch(ctx, noRetry, b, metrics.WithMaxDatapoints(50)); failed != nil {
			break
		}
	}
	if failed == nil {
		t.Fatal("20 fetches at 40 % throttling without retries all succeeded")
	}
	t.Logf("without retries: %v", failed)
}

// A generated fleet of 1,000 functions packs into exactly
// ceil(queries/500) batches, one GetMetricData call each, and every
// function's values match the fleet's truth.
func TestFetchSimGeneratedFleet(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 functions")
	}
	spec := `
seed: 21
generate:
  functions: 1000
  mix: {iterator-age: 0.02, async-failures: 0.02, provisioned-concurrency-idle: 0.01, recursive-loop: 0.01, memory-near-limit: 0.02, cold-starts: 0.02}
`
	env := simtest.Start(t, spec)
	r := env.Fleet.Accounts[0].Regions[0]
	cl := cwClient(t, env, false)
	ctx := context.Background()
	w := metrics.LastCompleteDay(simtest.Now)
	d, err := metrics.Discover(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	fns := cwFunctions(r)
	d.Apply(fns)
	p, err := metrics.NewPlan(w, fns)
	if err != nil {
		t.Fatal(err)
	}
	batches := cwPack(t, p)
	want := (len(p.Queries) + metrics.MaxQueries - 1) / metrics.MaxQueries
	if len(batches) != want {
		t.Fatalf("%d queries packed into %d batches, want %d", len(p.Queries), len(batches), want)
	}
	env.Server.ResetAccounting()
	all := metrics.NewResult(w)
	for i, b := range batches {
		res, err := metrics.Fetch(ctx, cl, b)
		if err != nil {
			t.Fatalf("batch %d: %v", i, err)
		}
		if err := all.Merge(res); err != nil {
			t.Fatal(err)
		}
	}
	acct := env.Server.Accounting()
	gmd := acct.API("monitoring", "GetMetricData")
	if gmd.Calls != int64(len(batches)) {
		t.Errorf("%d GetMetricData calls for %d batches", gmd.Calls, len(batches))
	}
	withData := cwCheckTruth(t, env, r, p, all)
	for _, k := range []string{metrics.IteratorAgeMaximum, metrics.DeadLetterErrorsSum, metrics.ProvisionedConcurrencyUtilizationMaximum,
		metrics.RecursiveInvocationsDroppedSum, metrics.UsedMemoryMaxMaximum, metrics.IncomingBytesSum} {
		if withData[k] == 0 {
			t.Errorf("no function with %s data: the generated fleet does not exercise it", k)
		}
	}
	t.Logf("1,000 functions: %d queries, %d batches, %d calls, %d billed metrics, %d datapoints, ListMetrics pages %d, optional on %d functions, LambdaInsights on %d",
		len(p.Queries), len(batches), gmd.Calls, gmd.MetricsRequested, gmd.Datapoints, d.Pages, len(d.Optional), len(d.LambdaInsights))
}
