package logstats_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/lambdaudit/lambdaudit/logstats"
	"github.com/lambdaudit/lambdaudit/metrics"
	"github.com/lambdaudit/lambdaudit/sim"
	"github.com/lambdaudit/lambdaudit/sim/fleet"
	"github.com/lambdaudit/lambdaudit/sim/simtest"
)

// lgSpec has Text and JSON functions with cold starts, timeouts,
// out-of-memory ends and memory at known values, one created yesterday,
// one never invoked, one with LambdaInsights, one with a custom group.
const lgSpec = `
seed: 11
days: 14
defaults:
  memoryMB: 512
  timeoutS: 10
accounts:
- id: "111111111111"
  regions:
  - name: us-east-1
    functions:
    - name: text-api
      timeoutS: 6
      profile:
        invocations: 2000
        duration: {p50: 100, p99: 900, max: 5600}
        memoryUsed: {p50: 200, p99: 400, max: 480}
        timeouts: 4
        outOfMemory: 1
        coldStarts: 50
        initDuration: {p50: 300, p95: 1200, max: 1500}
    - name: text-old
      runtime: python3.13
      handler: app.handler
      timeoutS: 30
      profile:
        invocations: [10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140]
        timeouts: [0, 0, 1, 0, 0, 2, 0, 0, 0, 0, 0, 3, 0, 1]
        duration: {p50: 2000, max: 9000}
    - name: json-api
      logFormat: JSON
      logGroup: /custom/json-api
      memoryMB: 256
      profile:
        invocations: 1000
        memoryUsed: {p50: 100, p99: 180, max: 200}
        coldStarts: {rate: 0.05}
        timeouts: 3
        outOfMemory: 2
    - name: json-new
      logFormat: JSON
      createdDaysAgo: 1
      profile:
        invocations: 500
    - name: text-insights
      lambdaInsights: true
      profile:
        invocations: 300
        coldStarts: 3
    - name: text-idle
`

var lgSettings = logstats.Settings{InitialPoll: 5 * time.Millisecond, MaxPoll: 20 * time.Millisecond}

// lgFakeQueries serves the sim's Logs Insights queries (10 ms each) on a
// fake clock that only the runner's sleeps move, and returns the runner
// settings that share it: a test waits on no real polling time. The
// sim's per-second StartQuery and GetQueryResults quotas, which count
// real time, are off: polls that take no time would only be throttled
// and wait out the SDK's jittered retry (throttling is the limiters'
// and the scanner's tests' concern, not what the runner reads).
func lgFakeQueries() (sim.Option, logstats.Settings) {
	ft := newFakeTime()
	q := sim.DefaultQuotas()
	q.StartQuery, q.GetQueryResults = 0, 0
	opt := func(s *sim.Server) error {
		for _, o := range []sim.Option{sim.WithQuotas(q), sim.WithQueryTime(sim.QueryTime{Base: 10 * time.Millisecond}), sim.WithQueryClock(ft.Now)} {
			if err := o(s); err != nil {
				return err
			}
		}
		return nil
	}
	return opt, ft.settings(lgSettings)
}

// lgFunctions is what the inventory would hand the metrics stage.
func lgFunctions(f *fleet.Fleet) []metrics.Function {
	var out []metrics.Function
	for _, a := range f.Accounts {
		for _, r := range a.Regions {
			for _, fn := range r.Functions {
				out = append(out, metrics.Function{ID: a.ID + "/" + r.Name + "/" + fn.Name, Name: fn.Name,
					LogGroup: fn.LogGroup, LogFormat: fn.LogFormat, LambdaInsights: fn.LambdaInsights})
			}
		}
	}
	return out
}

// lgTruths are the functions' ground truth by function ID.
func lgTruths(f *fleet.Fleet) map[string]fleet.FunctionTruth {
	out := map[string]fleet.FunctionTruth{}
	for _, ft := range f.Truth(simtest.Now).Functions {
		out[ft.Account+"/"+ft.Region+"/"+ft.Name] = ft
	}
	return out
}

// lgTruthDay is the truth of window day i, or nil.
func lgTruthDay(ft fleet.FunctionTruth, w metrics.Window, i int) *fleet.DayTruth {
	date := w.DayStart(i).Format(time.DateOnly)
	for k := range ft.Days {
		if ft.Days[k].Date == date {
			return &ft.Days[k]
		}
	}
	return nil
}

// lgIncomingBytes is the AWS/Logs IncomingBytes estimate the GetMetricData
// half would return: the day's bytes, nil when the group got nothing.
func lgIncomingBytes(tr map[string]fleet.FunctionTruth, w metrics.Window) map[string]metrics.Series {
	out := map[string]metrics.Series{}
	for id, ft := range tr {
		s := metrics.NewSeries(w.Days)
		for i := range s {
			if d := lgTruthDay(ft, w, i); d != nil && d.LogBytes > 0 {
				s[i] = aws.Float64(float64(d.LogBytes))
			}
		}
		out[id] = s
	}
	return out
}

func lgWindowBytes(ft fleet.FunctionTruth, w metrics.Window) float64 {
	var t float64
	for i := 0; i < w.Days; i++ {
		if d := lgTruthDay(ft, w, i); d != nil {
			t += float64(d.LogBytes)
		}
	}
	return t
}

func lgF64(v float64) *float64 { return &v }

// lgWantDay is the truth of one function-day as Stats would carry it.
func lgWantDay(d *fleet.DayTruth) map[string]*float64 {
	if d == nil || d.Invocations == 0 {
		return map[string]*float64{}
	}
	m := map[string]*float64{
		"invocations": lgF64(float64(d.Invocations)), "coldStarts": lgF64(float64(d.ColdStarts)),
		"timeouts": lgF64(float64(d.Timeouts)), "outOfMemory": lgF64(float64(d.OutOfMemory)),
		"memoryMaxMB": lgF64(d.MemoryUsed.Max), "memoryP99MB": lgF64(d.MemoryUsed.P99),
		"initTotalMs": lgF64(0), "billedDurationMs": lgF64(float64(d.BilledDurationSum)),
		"memorySizeMB": lgF64(float64(d.MemorySize)),
	}
	if d.Init != nil {
		m["initP95Ms"], m["initTotalMs"] = lgF64(d.Init.P95), lgF64(d.Init.Sum)
	}
	return m
}

func lgGotDay(s *logstats.Stats, i int) map[string]*float64 {
	m := map[string]*float64{}
	for k, ser := range map[string]metrics.Series{
		"invocations": s.Invocations, "coldStarts": s.ColdStarts, "timeouts": s.Timeouts,
		"outOfMemory": s.OutOfMemory, "memoryMaxMB": s.MemoryMaxMB, "memoryP99MB": s.MemoryP99MB,
		"initP95Ms": s.InitP95Ms, "initTotalMs": s.InitTotalMs, "billedDurationMs": s.BilledDurationMs,
		"memorySizeMB": s.MemorySizeMB,
	} {
		if ser[i] != nil {
			m[k] = ser[i]
		}
	}
	return m
}

// lgCheckTruth compares every day of every stat with the ground truth,
// exactly; no data must stay nil. It returns the days compared that had
// data.
func lgCheckTruth(t *testing.T, id string, ft fleet.FunctionTruth, w metrics.Window, s *logstats.Stats) int {
	t.Helper()
	if s == nil {
		t.Errorf("%s: no stats", id)
		return 0
	}
	withData := 0
	for i := 0; i < w.Days; i++ {
		want, got := lgWantDay(lgTruthDay(ft, w, i)), lgGotDay(s, i)
		if len(want) > 0 {
			withData++
		}
		for k := range lgMergeKeys(want, got) {
			switch {
			case want[k] == nil:
				t.Errorf("%s day %d %s: got %v, want no data", id, i, k, *got[k])
			case got[k] == nil:
				t.Errorf("%s day %d %s: got no data, want %v", id, i, k, *want[k])
			case *got[k] != *want[k]:
				t.Errorf("%s day %d %s: got %v, want %v", id, i, k, *got[k], *want[k])
			}
		}
	}
	return withData
}

func lgMergeKeys(a, b map[string]*float64) map[string]bool {
	out := map[string]bool{}
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}

func lgClient(env *simtest.Env, region string) *cloudwatchlogs.Client {
	return cloudwatchlogs.NewFromConfig(env.Config, func(o *cloudwatchlogs.Options) { o.Region = region })
}

// lgRunAll runs every batch of the plan concurrently, as the pool would.
func lgRunAll(t *testing.T, env *simtest.Env, r *logstats.Runner, plan *logstats.Plan) []*logstats.Result {
	t.Helper()
	out := make([]*logstats.Result, len(plan.Batches))
	var wg sync.WaitGroup
	for i, b := range plan.Batches {
		wg.Go(func() {
			res, err := r.Run(context.Background(), lgClient(env, b.Region), b)
			if err != nil {
				t.Errorf("batch %d (%s %s, %d groups): %v", i, b.Region, b.Format, len(b.Groups), err)
				return
			}
			out[i] = res
		})
	}
	wg.Wait()
	return out
}

func TestLogsRunMatchesTruth(t *testing.T) {
	qopt, set := lgFakeQueries()
	env := simtest.Start(t, lgSpec, qopt)
	w := metrics.LastCompleteDay(simtest.Now)
	tr := lgTruths(env.Fleet)
	plan, err := logstats.NewPlan(lgFunctions(env.Fleet), w, nil, logstats.PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Batches) != 2 || len(plan.Skipped) != 0 {
		t.Fatalf("want one Text and one JSON batch and nothing skipped, got %d batches, skipped %v", len(plan.Batches), plan.Skipped)
	}
	var bytes, wantBytes float64
	for _, res := range lgRunAll(t, env, logstats.NewRunner(set), plan) {
		if res == nil {
			continue
		}
		if len(res.Failed) != 0 || res.Queries != 1 {
			t.Errorf("failed %v, queries %d", res.Failed, res.Queries)
		}
		bytes += res.BytesScanned
		for id, s := range res.Stats {
			lgCheckTruth(t, id, tr[id], w, s)
			wantBytes += lgWindowBytes(tr[id], w)
		}
	}
	if bytes != wantBytes || bytes == 0 {
		t.Errorf("bytes scanned %v, want the groups' IncomingBytes over the window %v", bytes, wantBytes)
	}
	if got := env.Server.Accounting().API("logs", "StartQuery").BytesScanned; float64(got) != bytes {
		t.Errorf("the sim billed %d bytes, the results said %v", got, bytes)
	}
}

// TestLogsStatsShape pins what "no data" and zero look like for a few
// known function-days, independently of checkTruth.
func TestLogsStatsShape(t *testing.T) {
	qopt, set := lgFakeQueries()
	env := simtest.Start(t, lgSpec, qopt)
	w := metrics.LastCompleteDay(simtest.Now)
	plan, err := logstats.NewPlan(lgFunctions(env.Fleet), w, nil, logstats.PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	stats := map[string]*logstats.Stats{}
	for _, res := range lgRunAll(t, env, logstats.NewRunner(set), plan) {
		if res != nil {
			for id, s := range res.Stats {
				stats[id] = s
			}
		}
	}
	last := w.Days - 1
	p := "111111111111/us-east-1/"
	for _, tc := range []struct {
		name string
		s    metrics.Series
		day  int
		want *float64
	}{
		{"day before the fleet's history is no data", stats[p+"text-api"].Invocations, 0, nil},
		{"text timeouts from Status: timeout", stats[p+"text-api"].Timeouts, last, lgF64(4)},
		{"text out-of-memory", stats[p+"text-api"].OutOfMemory, last, lgF64(1)},
		{"text max memory MB", stats[p+"text-api"].MemoryMaxMB, last, lgF64(512)}, // an OOM end uses it all
		{"text p95 init", stats[p+"text-api"].InitP95Ms, last, lgF64(1200)},
		{"text cold starts", stats[p+"text-api"].ColdStarts, last, lgF64(50)},
		{"no cold start: zero init total", stats[p+"text-old"].InitTotalMs, last, lgF64(0)},
		{"no cold start: no p95", stats[p+"text-old"].InitP95Ms, last, nil},
		{"no timeout that day is zero", stats[p+"text-old"].Timeouts, last - 1, lgF64(0)},
		{"JSON timeouts from record.status", stats[p+"json-api"].Timeouts, last, lgF64(3)},
		{"JSON out-of-memory from record.errorType", stats[p+"json-api"].OutOfMemory, last, lgF64(2)},
		{"JSON cold starts", stats[p+"json-api"].ColdStarts, last, lgF64(50)},
		{"created yesterday: nothing before", stats[p+"json-new"].Invocations, last - 1, nil},
		{"created yesterday: yesterday", stats[p+"json-new"].Invocations, last, lgF64(500)},
		{"never invoked is no data, not zero", stats[p+"text-idle"].Invocations, last, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			switch got := tc.s[tc.day]; {
			case tc.want == nil && got != nil:
				t.Errorf("got %v, want no data", *got)
			case tc.want != nil && got == nil:
				t.Errorf("got no data, want %v", *tc.want)
			case tc.want != nil && *got != *tc.want:
				t.Errorf("got %v, want %v", *got, *tc.want)
			}
		})
	}
}

func TestLogsBudgetSkipsInDocumentedOrder(t *testing.T) {
	qopt, set := lgFakeQueries()
	env := simtest.Start(t, lgSpec, qopt)
	w := metrics.LastCompleteDay(simtest.Now)
	tr := lgTruths(env.Fleet)
	est := lgIncomingBytes(tr, w)
	p := "111111111111/us-east-1/"
	size := func(name string) float64 { return lgWindowBytes(tr[p+name], w) }
	// Busiest first: json-api is the largest group and fits; text-api does
	// not fit in what is left, nor does json-new; text-old, smaller, does.
	// The LambdaInsights function comes last and finds no room; text-idle
	// has no data.
	if !(size("json-api") > size("text-api") && size("text-api") > size("json-new") && size("json-new") > size("text-old")) {
		t.Fatalf("the spec's sizes changed: json-api %v text-api %v json-new %v text-old %v",
			size("json-api"), size("text-api"), size("json-new"), size("text-old"))
	}
	budget := size("json-api") + size("text-old")
	plan, err := logstats.NewPlan(lgFunctions(env.Fleet), w, est, logstats.PlanOptions{BudgetBytes: budget})
	if err != nil {
		t.Fatal(err)
	}
	skipped := map[string]string{}
	for _, s := range plan.Skipped {
		skipped[strings.TrimPrefix(s.ID, p)] = s.Reason
	}
	want := map[string]string{"text-api": logstats.ReasonLogBudget, "json-new": logstats.ReasonLogBudget,
		"text-insights": logstats.ReasonLogBudget, "text-idle": logstats.ReasonNoLogData}
	if fmt.Sprint(skipped) != fmt.Sprint(want) {
		t.Errorf("skipped %v, want %v", skipped, want)
	}
	if plan.EstimatedBytes != budget {
		t.Errorf("estimated %v, want %v", plan.EstimatedBytes, budget)
	}
	var scanned float64
	for _, res := range lgRunAll(t, env, logstats.NewRunner(set), plan) {
		if res == nil {
			continue
		}
		scanned += res.BytesScanned
		for id, s := range res.Stats {
			lgCheckTruth(t, id, tr[id], w, s)
		}
	}
	if scanned != budget {
		t.Errorf("scanned %v bytes, the estimate and budget were %v", scanned, budget)
	}
}

func TestLogsMissingLogGroup(t *testing.T) {
	for _, tc := range []struct {
		name string
		// hide removes the group name from AWS's message, so the runner
		// has to find the missing group by splitting.
		hide bool
	}{
		{"named by AWS", false},
		{"found by splitting", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			qopt, set := lgFakeQueries()
			env := simtest.Start(t, lgSpec, qopt)
			w := metrics.LastCompleteDay(simtest.Now)
			tr := lgTruths(env.Fleet)
			fns := lgFunctions(env.Fleet)
			ghost := metrics.Function{ID: "111111111111/us-east-1/ghost", Name: "ghost"}
			ghost2 := metrics.Function{ID: "111111111111/us-east-1/ghost2", Name: "ghost2", LogGroup: "/gone/ghost2"}
			fns = append([]metrics.Function{ghost}, append(fns, ghost2)...)
			plan, err := logstats.NewPlan(fns, w, nil, logstats.PlanOptions{})
			if err != nil {
				t.Fatal(err)
			}
			var api logstats.API = lgClient(env, "us-east-1")
			if tc.hide {
				api = lgAnonymousNotFound{api}
			}
			failed := map[string]string{}
			ok := 0
			r := logstats.NewRunner(set)
			for _, b := range plan.Batches {
				res, err := r.Run(context.Background(), api, b)
				if err != nil {
					t.Fatalf("%s batch: %v", b.Format, err)
				}
				for _, f := range res.Failed {
					failed[f.ID] = f.Reason + " " + f.LogGroup
				}
				for id, s := range res.Stats {
					lgCheckTruth(t, id, tr[id], w, s)
					ok++
				}
			}
			want := map[string]string{ghost.ID: "no log group /aws/lambda/ghost", ghost2.ID: "no log group /gone/ghost2"}
			if fmt.Sprint(failed) != fmt.Sprint(want) {
				t.Errorf("failed %v, want %v", failed, want)
			}
			if ok != len(fns)-2 {
				t.Errorf("%d functions with stats, want %d", ok, len(fns)-2)
			}
		})
	}
}

// lgAnonymousNotFound rewrites ResourceNotFoundException so it names no
// log group.
type lgAnonymousNotFound struct{ logstats.API }

func (a lgAnonymousNotFound) StartQuery(ctx context.Context, in *cloudwatchlogs.StartQueryInput, opts ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.StartQueryOutput, error) {
	out, err := a.API.StartQuery(ctx, in, opts...)
	var nf *types.ResourceNotFoundException
	if errors.As(err, &nf) {
		return nil, &types.ResourceNotFoundException{Message: aws.String("The specified log group does not exist.")}
	}
	return out, err
}

// lgStartSignal closes started once a StartQuery succeeded.
type lgStartSignal struct {
	logstats.API
	once    sync.Once
	started chan struct{}
}

func (s *lgStartSignal) StartQuery(ctx context.Context, in *cloudwatchlogs.StartQueryInput, opts ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.StartQueryOutput, error) {
	out, err := s.API.StartQuery(ctx, in, opts...)
	if err == nil {
		s.once.Do(func() { close(s.started) })
	}
	return out, err
}

func TestLogsCancelStopsQuery(t *testing.T) {
	env := simtest.Start(t, lgSpec, sim.WithQueryTime(sim.QueryTime{Base: 10 * time.Minute}))
	w := metrics.LastCompleteDay(simtest.Now)
	plan, err := logstats.NewPlan(lgFunctions(env.Fleet), w, nil, logstats.PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	api := &lgStartSignal{API: lgClient(env, "us-east-1"), started: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-api.started
		cancel()
	}()
	_, err = logstats.NewRunner(lgSettings).Run(ctx, api, plan.Batches[0])
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	snap := env.Server.Accounting()
	if st := snap.API("logs", "StopQuery"); st.OK != 1 {
		t.Errorf("StopQuery %+v, want one successful call", st)
	}
	if st := snap.API("logs", "StartQuery"); st.OK != 1 {
		t.Errorf("StartQuery %+v, want one", st)
	}
}

func TestLogsQueryEndsBadly(t *testing.T) {
	for _, tc := range []struct {
		name   string
		fault  sim.Fault
		status string
	}{
		{"failed", sim.Fault{Service: "logs", QueryFailPct: 100}, "Failed"},
		{"timed out", sim.Fault{Service: "logs", QueryTimeout: true}, "Timeout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			qopt, set := lgFakeQueries()
			env := simtest.Start(t, lgSpec, qopt, sim.WithFaults(tc.fault))
			w := metrics.LastCompleteDay(simtest.Now)
			plan, err := logstats.NewPlan(lgFunctions(env.Fleet), w, nil, logstats.PlanOptions{})
			if err != nil {
				t.Fatal(err)
			}
			b := plan.Batches[0]
			_, err = logstats.NewRunner(set).Run(context.Background(), lgClient(env, "us-east-1"), b)
			var qe *logstats.QueryError
			if !errors.As(err, &qe) || qe.Status != tc.status || qe.Account != "111111111111" || qe.Region != "us-east-1" || qe.Groups != len(b.Groups) {
				t.Fatalf("err = %#v, want a QueryError with status %s", err, tc.status)
			}
			if msg := err.Error(); !strings.Contains(msg, qe.QueryID) || !strings.Contains(msg, "ended "+tc.status) {
				t.Errorf("message %q should name the query and its status", msg)
			}
			if st := env.Server.Accounting().API("logs", "StopQuery"); st.Calls != 0 {
				t.Errorf("a query that ended by itself needs no StopQuery, got %+v", st)
			}
		})
	}
}

func TestLogsConcurrentQueryLimit(t *testing.T) {
	for _, tc := range []struct {
		name         string
		simLimit     int
		runnerLimit  int
		wantPeak     int
		wantRefusals bool
	}{
		{"the runner's limit keeps below AWS's", 30, 2, 2, false},
		{"LimitExceededException is waited out", 2, 30, 2, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := sim.DefaultQuotas()
			q.ConcurrentQueries = tc.simLimit
			q.StartQuery, q.GetQueryResults = 0, 0
			env := simtest.Start(t, lgSpec, sim.WithQuotas(q), sim.WithQueryTime(sim.QueryTime{Base: 50 * time.Millisecond}))
			w := metrics.LastCompleteDay(simtest.Now)
			tr := lgTruths(env.Fleet)
			plan, err := logstats.NewPlan(lgFunctions(env.Fleet), w, nil, logstats.PlanOptions{})
			if err != nil {
				t.Fatal(err)
			}
			// Six copies of the plan's batches, all at once.
			var many logstats.Plan
			for range 3 {
				many.Batches = append(many.Batches, plan.Batches...)
			}
			set := lgSettings
			set.MaxConcurrentQueries = tc.runnerLimit
			for _, res := range lgRunAll(t, env, logstats.NewRunner(set), &many) {
				if res != nil {
					for id, s := range res.Stats {
						lgCheckTruth(t, id, tr[id], w, s)
					}
				}
			}
			snap := env.Server.Accounting()
			if peak := snap.PeakConcurrentQueries["111111111111/us-east-1"]; peak > tc.wantPeak || peak < 1 {
				t.Errorf("peak concurrent queries %d, want 1..%d", peak, tc.wantPeak)
			}
			st := snap.API("logs", "StartQuery")
			if st.QueriesStarted != 6 {
				t.Errorf("queries completed %d, want 6", st.QueriesStarted)
			}
			if refused := st.ClientErrors > 0; refused != tc.wantRefusals {
				t.Errorf("StartQuery refusals %d, want some: %v", st.ClientErrors, tc.wantRefusals)
			}
		})
	}
}

func TestLogsGeneratedFleet(t *testing.T) {
	spec, err := fleet.Parse([]byte("seed: 5\ngenerate: {functions: 200, regions: [us-east-1, eu-west-1]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := fleet.Build(spec, simtest.Now)
	if err != nil {
		t.Fatal(err)
	}
	qopt, set := lgFakeQueries()
	env := simtest.StartFleet(t, f, qopt)
	w := metrics.LastCompleteDay(simtest.Now)
	tr := lgTruths(f)
	fns := lgFunctions(f)
	plan, err := logstats.NewPlan(fns, w, lgIncomingBytes(tr, w), logstats.PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Dense: ceil(groups / 50) queries per account-region and format.
	per := map[string]int{}
	for _, fn := range fns {
		if lgWindowBytes(tr[fn.ID], w) > 0 {
			per[strings.Join(strings.Split(fn.ID, "/")[:2], "/")+"/"+fn.LogFormat]++
		}
	}
	wantBatches := 0
	for _, n := range per {
		wantBatches += (n + 49) / 50
	}
	if len(plan.Batches) != wantBatches || len(per) != 4 {
		t.Errorf("%d batches for %v, want %d", len(plan.Batches), per, wantBatches)
	}
	for _, s := range plan.Skipped {
		if s.Reason != logstats.ReasonNoLogData || lgWindowBytes(tr[s.ID], w) != 0 {
			t.Errorf("skipped %+v", s)
		}
	}
	r := logstats.NewRunner(set)
	got, days := 0, 0
	var bytes float64
	for _, res := range lgRunAll(t, env, r, plan) {
		if res == nil {
			continue
		}
		bytes += res.BytesScanned
		for id, s := range res.Stats {
			days += lgCheckTruth(t, id, tr[id], w, s)
			got++
		}
	}
	if got+len(plan.Skipped) != len(fns) {
		t.Errorf("%d functions with stats + %d skipped, want %d", got, len(plan.Skipped), len(fns))
	}
	if bytes != plan.EstimatedBytes {
		t.Errorf("scanned %v bytes, estimated %v", bytes, plan.EstimatedBytes)
	}
	if st := env.Server.Accounting().API("logs", "StartQuery"); st.Calls != int64(wantBatches) {
		t.Errorf("StartQuery calls %d, want %d", st.Calls, wantBatches)
	}
	t.Logf("200 functions: %d queries, %d function-days compared, %.1f MB scanned ($%.6f)", len(plan.Batches), days, bytes/1e6, logstats.CostUSD(bytes))
}

func TestLogsBatchJSON(t *testing.T) {
	w := metrics.LastCompleteDay(simtest.Now)
	b := logstats.Batch{Account: "123456789012", Region: "ap-southeast-2", Format: logstats.LogFormatJSON, Window: w}
	for i := range logstats.MaxLogGroupsPerQuery {
		name := fmt.Sprintf("%s-%03d", strings.Repeat("x", 490), i) // log group names reach 512
		b.Groups = append(b.Groups, logstats.GroupRef{Name: "/" + name, Functions: []string{"123456789012/ap-southeast-2/" + name[:60]}, EstimatedBytes: 1e12})
	}
	if err := b.Validate(); err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) > 256<<10 {
		t.Errorf("a full batch is %d bytes of JSON; a unit must stay well under SQS's 1 MiB", len(raw))
	}
	var back logstats.Batch
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	again, _ := json.Marshal(back)
	if string(again) != string(raw) || !back.Window.End.Equal(w.End) {
		t.Errorf("round trip changed the batch")
	}
	if got := len(back.Items()); got != logstats.MaxLogGroupsPerQuery {
		t.Errorf("items %d", got)
	}
}

func TestLogsBudgetConversion(t *testing.T) {
	if got := logstats.BudgetBytes(0.005); got != 1<<30 {
		t.Errorf("$0.005 buys %v bytes, want 2^30", got)
	}
	if got := logstats.CostUSD(10 << 30); math.Abs(got-0.05) > 1e-12 {
		t.Errorf("10 GB cost $%v, want $0.05", got)
	}
}
