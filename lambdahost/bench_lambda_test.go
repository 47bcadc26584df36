package lambdahost_test

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/lambdaudit/lambdaudit/bench"
	"github.com/lambdaudit/lambdaudit/fanout"
	"github.com/lambdaudit/lambdaudit/insights"
	"github.com/lambdaudit/lambdaudit/lambdahost"
	"github.com/lambdaudit/lambdaudit/lambdatest"
	"github.com/lambdaudit/lambdaudit/scanner"
	"github.com/lambdaudit/lambdaudit/sim"
	"github.com/lambdaudit/lambdaudit/sim/fleet"
	"github.com/lambdaudit/lambdaudit/sim/simtest"
	"github.com/lambdaudit/lambdaudit/store"
)

// The distributed benchmark's settings (make bench-lambda; see
// docs/lambda-bench.md). It runs only when LAMBDAUDIT_BENCH_LAMBDA is set.
const (
	envBench        = "LAMBDAUDIT_BENCH_LAMBDA"
	envBenchWorkers = "LAMBDAUDIT_BENCH_WORKERS"  // concurrent workers (default 10)
	envBenchAccts   = "LAMBDAUDIT_BENCH_ACCOUNTS" // accounts (default 20)
	envBenchPerPair = "LAMBDAUDIT_BENCH_PER_PAIR" // functions per account-region (default 500)
	envBenchRuns    = "LAMBDAUDIT_BENCH_RUNS"     // variants, comma-separated (default fifo,standard,fifo-kill)
	envBenchOut     = "LAMBDAUDIT_BENCH_OUT"      // also write the table to this file
)

// benchRegions are the fleet's two regions.
var benchRegions = []string{"us-east-1", "eu-west-2"}

// benchRow is one variant's figures.
type benchRow struct {
	Variant         string
	Queue           string
	Workers         int
	Functions       int
	Wall            time.Duration
	Floor           time.Duration
	SlowestPair     string
	PeakRSSMaxMB    float64
	PeakRSSMedianMB float64
	PlanRSSMB       float64
	ReporterRSSMB   float64 // the worker that ran the report unit
	Need            bench.Need
	// Phases: from the plan's invocation to every metrics outcome (the
	// logs plan enqueued), to every logs outcome (the report enqueued),
	// to the report delivered.
	MetricsDone, LogsDone, Reported time.Duration
	Instances                       int
	Units                           int
	Invocations                     int64
	Messages                        int64 // records delivered, redeliveries included
	SQSRequests                     int64 // the functions' own (sends) and the ESM's (receives, deletes)
	Throttles                       int64
	Failed                          int // functions not fully covered (failed, partial, not covered)
	Listed                          int
	DeploymentUSD                   float64
	GBSeconds                       float64
	ScanUSD                         float64
	Killed                          bool
}

// TestDistributedBenchmark is the distributed benchmark of the Lambda
// deployment: a simulated organisation (20 accounts × 2 regions × 500
// functions by default) scanned by the real bootstrap under the Runtime
// Interface Emulator — the plan function invoked with a scheduled event,
// N work instances fed by the event source mapping stand-in over
// moto_server's SQS (FIFO and standard), the store in moto_server's S3 —
// until the report lands. It prints wall time against the floor of the
// slowest account-region, per-worker peak RSS, units, SQS traffic,
// throttles, failed functions and the deployment's own cost, and fails
// when a function is lost (the fifo-kill variant kills one worker
// mid-unit). Run it with `make bench-lambda`.
func TestDistributedBenchmark(t *testing.T) {
	if os.Getenv(envBench) == "" {
		t.Skipf("the distributed benchmark runs with %s=1 (make bench-lambda)", envBench)
	}
	workers := benchInt(t, envBenchWorkers, 10)
	accounts := benchInt(t, envBenchAccts, 20)
	perPair := benchInt(t, envBenchPerPair, 500)
	runs := strings.Split(cmp.Or(os.Getenv(envBenchRuns), "fifo,standard,fifo-kill"), ",")

	var ids []string
	for i := range accounts {
		ids = append(ids, fmt.Sprintf("%012d", 210000000000+i))
	}
	spec := &fleet.Spec{Seed: 7, Generate: &fleet.GeneratorSpec{Functions: accounts * len(benchRegions) * perPair, Regions: benchRegions, Accounts: ids}}
	if err := spec.Validate(); err != nil {
		t.Fatal(err)
	}
	f, err := fleet.Build(spec, simtest.Now)
	if err != nil {
		t.Fatal(err)
	}
	rie := lambdatest.BuildRIE(t)
	boot := lambdatest.BuildBootstrap(t, "github.com/lambdaudit/lambdaudit/cmd/lambdaudit-lambda")
	if os.Getenv("LAMBDAUDIT_MOTO_URL") == "" {
		t.Setenv("LAMBDAUDIT_MOTO_URL", simtest.Moto(t))
	}
	var rows []benchRow
	for _, v := range runs {
		v = strings.TrimSpace(v)
		if v != "fifo" && v != "standard" && v != "fifo-kill" && v != "standard-kill" {
			t.Fatalf("%s: variant %q: want fifo, standard, fifo-kill or standard-kill", envBenchRuns, v)
		}
		row := runBenchVariant(t, v, f, ids, workers, rie, boot)
		t.Logf("%s: wall %v, floor %v, failed %d", v, row.Wall, row.Floor, row.Failed)
		rows = append(rows, row)
	}
	table := benchTable(rows)
	fmt.Print(table)
	if out := os.Getenv(envBenchOut); out != "" {
		if err := os.WriteFile(out, []byte(table), 0o644); err != nil {
			t.Error(err)
		}
	}
}

func runBenchVariant(t *testing.T, variant string, f *fleet.Fleet, accounts []string, workers int, rie, boot string) benchRow {
	t.Helper()
	ctx := context.Background()
	fifo := strings.HasPrefix(variant, "fifo")
	kill := strings.HasSuffix(variant, "-kill")
	const (
		workTimeout = 30 * time.Second
		visibility  = 32 * time.Second // above the function timeout, as Lambda requires
	)
	env := simtest.StartFleet(t, f, sim.WithLatency(sim.DefaultLatency()))
	motoURL := os.Getenv("LAMBDAUDIT_MOTO_URL")
	sqsc, queue, _ := simtest.MotoSQS(t, simtest.MotoQueue{FIFO: fifo, MaxReceiveCount: 5, VisibilityTimeout: visibility})
	s3c, bucket := simtest.MotoS3(t)
	base := map[string]string{
		"LAMBDAUDIT_STORE":     "s3://" + bucket + "/lambdaudit",
		"LAMBDAUDIT_QUEUE_URL": queue,
		"LAMBDAUDIT_REGIONS":   strings.Join(benchRegions, ","),
		"LAMBDAUDIT_ACCOUNTS":  strings.Join(accounts, ","),
		"LAMBDAUDIT_ROLE":      "lambdaudit-member",
		"LAMBDAUDIT_DAY":       "2026-11-20",
		// The tests' budget: about 10 GB of Logs Insights over the scan,
		// at the sim's 2 s a GB (a unit must fit in the function timeout).
		"LAMBDAUDIT_LOGS_BUDGET_USD": "0.05",
		"LAMBDAUDIT_SAFETY_MARGIN":   "2s",
		"LAMBDAUDIT_MAX_CONCURRENCY": strconv.Itoa(workers),
		"AWS_ACCESS_KEY_ID":          sim.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY":      sim.SecretAccessKey,
		"AWS_ENDPOINT_URL":           env.URL,
		"AWS_ENDPOINT_URL_SQS":       motoURL,
		"AWS_ENDPOINT_URL_S3":        motoURL,
		"AWS_ENDPOINT_URL_SSM":       motoURL,
	}
	fn := func(handler string, timeout time.Duration, memory int) lambdatest.Function {
		e := map[string]string{"LAMBDAUDIT_HANDLER": handler}
		for k, v := range base {
			e[k] = v
		}
		return lambdatest.Function{RIE: rie, Bootstrap: boot, Env: e, Timeout: timeout, MemoryMB: memory, Name: "lambdaudit-" + handler}
	}
	work := fn("work", workTimeout, 256)
	plan := lambdatest.Start(t, fn("plan", 120*time.Second, 1024))
	var instances []*lambdatest.Instance
	for range workers {
		instances = append(instances, lambdatest.Start(t, work))
	}
	var killed atomic.Bool
	var reporter atomic.Pointer[lambdatest.Instance]
	esm := &lambdatest.ESM{
		Client: sqsc, QueueURL: queue, BatchSize: 10, MaximumConcurrency: workers, ReportBatchItemFailures: true,
		Instances: instances,
		// Idle this long with nothing in the queue and no report: a unit
		// was lost (the loop below fails).
		IdleTimeout: visibility + 8*time.Second,
		NewInstance: func() (*lambdatest.Instance, error) { return lambdatest.TryStart(t, work) },
	}
	esm.OnInvoke = func(in *lambdatest.Instance, ev events.SQSEvent) {
		for _, r := range ev.Records {
			u, err := fanout.DecodeMessage(r.MessageId, 1, r.Body)
			if err != nil {
				continue
			}
			if u.Kind == lambdahost.KindReport {
				reporter.Store(in) // its peak RSS is reported apart
			}
			// kill: the first batch holding a metrics unit; its worker
			// dies 300 ms into the invocation, mid-unit.
			if kill && u.Kind == scanner.KindMetrics && killed.CompareAndSwap(false, true) {
				go func() { time.Sleep(300 * time.Millisecond); in.Kill() }()
			}
		}
	}
	esmCtx, stopESM := context.WithCancel(ctx)
	esmDone := make(chan error, 1)
	go func() { esmDone <- esm.Run(esmCtx) }()

	start := time.Now()
	out, err := plan.Invoke(ctx, []byte(`{"kind":"plan","scheduledTime":"`+simtest.Now.Format(time.RFC3339)+`"}`))
	if err != nil {
		stopESM()
		t.Fatalf("%s: plan: %v\n%s", variant, err, plan.Logs())
	}
	var p struct{ Scan string }
	if err := json.Unmarshal(out, &p); err != nil || p.Scan == "" {
		stopESM()
		t.Fatalf("%s: plan answered %s (%v)", variant, out, err)
	}
	done := "lambdaudit/" + scanner.ScanKey(p.Scan, "report-done.json")
	deadline := time.Now().Add(15 * time.Minute)
	for {
		_, err := s3c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(done)})
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			stopESM()
			<-esmDone
			t.Fatalf("%s: no report after 15 minutes (ESM %+v)", variant, esm.Stats())
		}
		select {
		case err := <-esmDone:
			t.Fatalf("%s: the queue went idle without a report (a unit lost?): %v; ESM %+v", variant, err, esm.Stats())
		case <-time.After(100 * time.Millisecond):
		}
	}
	wall := time.Since(start)
	stopESM()
	if err := <-esmDone; err != nil && !errors.Is(err, context.Canceled) {
		t.Errorf("%s: event source mapping: %v", variant, err)
	}
	if kill && !killed.Load() {
		t.Errorf("%s: no worker was killed", variant)
	}

	row := benchRow{Variant: variant, Queue: map[bool]string{true: "FIFO", false: "standard"}[fifo], Workers: workers, Wall: wall, Killed: kill}
	st := esm.Stats()
	row.Invocations, row.Messages, row.SQSRequests = st.Invocations, st.Messages, st.Requests
	var rss []float64
	for _, in := range esm.Used() {
		mb := float64(in.PeakRSS()) / (1 << 20)
		if in == reporter.Load() {
			row.ReporterRSSMB = mb
			continue
		}
		rss = append(rss, mb)
	}
	sort.Float64s(rss)
	row.Instances = len(rss)
	if len(rss) > 0 {
		row.PeakRSSMaxMB, row.PeakRSSMedianMB = rss[len(rss)-1], rss[len(rss)/2]
	}
	row.PlanRSSMB = float64(plan.PeakRSS()) / (1 << 20)

	// The report and the scan's progress, as the store holds them.
	var rep insights.Report
	obj, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("lambdaudit/reports/2026-11-20/report.json")})
	if err != nil {
		t.Fatalf("%s: report.json: %v", variant, err)
	}
	b, _ := io.ReadAll(obj.Body)
	obj.Body.Close()
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatalf("%s: report.json: %v", variant, err)
	}
	c := rep.Coverage
	row.Listed, row.Functions = c.Listed, f.NumFunctions()
	// Not fully covered: the functions never listed (a listing cut
	// short) and those listed that lost data (NotCovered: failed and
	// partial ones, and the units with no outcome).
	row.Failed = (row.Functions - c.Listed) + c.NotCovered
	row.ScanUSD = rep.Scan.CostUSD
	if d := rep.Scan.Deployment; d != nil {
		row.DeploymentUSD, row.GBSeconds = d.CostUSD, d.GBSeconds
		for _, n := range d.SQSRequests {
			row.SQSRequests += int64(n)
		}
	}
	stt, err := store.NewS3(s3c, bucket, "lambdaudit")
	if err != nil {
		t.Fatal(err)
	}
	m, err := scanner.LoadManifest(ctx, stt, p.Scan)
	if err != nil {
		t.Fatal(err)
	}
	status, err := scanner.ReadStatus(ctx, stt, m)
	if err != nil {
		t.Fatal(err)
	}
	at := func(key string) time.Duration {
		b, err := stt.Get(ctx, scanner.ScanKey(p.Scan, key))
		var v struct{ At time.Time }
		if err != nil || json.Unmarshal(b, &v) != nil || v.At.IsZero() {
			return 0
		}
		return v.At.Sub(start)
	}
	row.MetricsDone, row.LogsDone, row.Reported = at("claims/enqueued-logs-plan"), at("claims/enqueued-report"), at("report-done.json")
	row.Units = status.Inventory + status.Metrics + status.Logs
	if status.LogsPlanned {
		row.Units++ // the logs plan
	}
	row.Units++ // the report
	// No function lost: every unit has its outcome. A killed worker's
	// units come back: the coverage is complete too.
	lost := 0
	for _, cc := range c.Causes {
		if cc.Code == scanner.CodeNoOutcome {
			lost += cc.Functions
		}
	}
	if !status.Complete() || lost != 0 {
		t.Errorf("%s: %d functions lost (no outcome for their unit); status %+v: want every unit's outcome in", variant, lost, status)
	}
	if kill && row.Failed != 0 {
		t.Errorf("%s: %d of %d functions not fully covered after a worker was killed (coverage %+v): want 0", variant, row.Failed, row.Functions, c)
	}

	// The floor of the slowest account-region, from the calls the
	// simulated account answered for it.
	snap := env.Server.Accounting()
	for _, a := range accounts {
		for _, r := range benchRegions {
			fl, need := pairFloor(snap, a, r, scanner.DefaultRateFraction)
			if fl > row.Floor {
				row.Floor, row.SlowestPair, row.Need = fl, a+"/"+r, need
			}
		}
	}
	for _, cs := range snap.Calls {
		row.Throttles += cs.Throttled
	}
	return row
}

// pairFloor is the floor (bench.Floor) of one account-region: the
// shortest time any client could take for the data the scan fetched
// there — its ListFunctions pages (a chain), its other control-plane and
// tagging calls, its metric queries packed 500 to a GetMetricData call,
// its Logs Insights queries, each running the sim's query time for its
// mean bytes — at the sim's latencies and AWS's default
// quotas times the rate fraction. Billed metrics stand for the queries
// (five statistics of one metric are one billed metric, so this
// undercounts the calls: the floor stays a lower bound).
func pairFloor(snap sim.Snapshot, account, region string, fraction float64) (time.Duration, bench.Need) {
	ok := map[string]int{}
	var metrics, queries, scanned int64
	for _, cs := range snap.Calls {
		if cs.Account != account || cs.Region != region {
			continue
		}
		ok[cs.Service+":"+cs.API] += int(cs.OK)
		metrics += cs.MetricsRequested
		queries += cs.QueriesStarted
		scanned += cs.BytesScanned
	}
	need := bench.Need{
		ListFunctionsPages: ok["lambda:ListFunctions"],
		LambdaOther:        ok["lambda:GetAccountSettings"] + ok["lambda:ListProvisionedConcurrencyConfigs"],
		TaggingPages:       ok["tagging:GetResources"],
		ListMetricsCalls:   ok["monitoring:ListMetrics"],
		ListMetricsChain:   min(1, ok["monitoring:ListMetrics"]),
		Queries:            int(metrics),
		LogQueries:         int(queries),
	}
	if queries > 0 {
		// The sim's query time: 300 ms plus 2 s a GB scanned, at the
		// pair's mean bytes a query.
		need.LogQueryTime = 300*time.Millisecond + time.Duration(2*float64(time.Second)*float64(scanned)/float64(queries)/(1<<30))
	}
	q := sim.DefaultQuotas()
	for _, r := range []*float64{&q.GetMetricData, &q.GetMetricStatistics, &q.ListMetrics, &q.LambdaControl, &q.LambdaGetFunction,
		&q.StartQuery, &q.GetQueryResults, &q.StopQuery, &q.DescribeLogGroups, &q.STS, &q.Tagging} {
		*r *= fraction
	}
	return bench.Floor(need, q, sim.DefaultLatency()), need
}

// benchTable renders the rows as a Markdown table.
func benchTable(rows []benchRow) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n| variant | queue | workers | functions | wall | floor (slowest pair) | wall ÷ floor | unit workers' peak RSS max / median (instances) | reporter's peak RSS | units | invocations | SQS messages / requests | throttles | failed | deployment cost | scan cost |\n")
	fmt.Fprintf(&b, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range rows {
		ratio := "—"
		if r.Floor > 0 {
			ratio = fmt.Sprintf("%.1f×", r.Wall.Seconds()/r.Floor.Seconds())
		}
		fmt.Fprintf(&b, "| %s | %s | %d | %d | %.1f s | %.2f s (%s) | %s | %.0f / %.0f MB (%d) | %.0f MB | %d | %d | %d / %d | %d | %d | $%.4f (%.0f GB-s) | $%.4f |\n",
			r.Variant, r.Queue, r.Workers, r.Functions, r.Wall.Seconds(), r.Floor.Seconds(), r.SlowestPair, ratio,
			r.PeakRSSMaxMB, r.PeakRSSMedianMB, r.Instances, r.ReporterRSSMB, r.Units, r.Invocations, r.Messages, r.SQSRequests,
			r.Throttles, r.Failed, r.DeploymentUSD, r.GBSeconds, r.ScanUSD)
	}
	if len(rows) > 0 {
		fmt.Fprintf(&b, "\n| variant | every metrics outcome in | every logs outcome in | report delivered | plan function's peak RSS |\n|---|---:|---:|---:|---:|\n")
		for _, r := range rows {
			fmt.Fprintf(&b, "| %s | %.1f s | %.1f s | %.1f s | %.0f MB |\n", r.Variant, r.MetricsDone.Seconds(), r.LogsDone.Seconds(), r.Reported.Seconds(), r.PlanRSSMB)
		}
		fmt.Fprintf(&b, "\nslowest pair's need (floor inputs):\n")
		for _, r := range rows {
			fmt.Fprintf(&b, "- %s %s: %+v\n", r.Variant, r.SlowestPair, r.Need)
		}
	}
	return b.String()
}

func benchInt(t *testing.T, name string, def int) int {
	t.Helper()
	raw := os.Getenv(name)
	if raw == "" {
		return def
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 {
		t.Fatalf("%s=%q: want a whole number of at least 1", name, raw)
	}
	return n
}
