package scanner_test

import (
	"context"
	"errors"
	"math"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/lambdaudit/lambdaudit/logstats"
	"github.com/lambdaudit/lambdaudit/scanner"
	"github.com/lambdaudit/lambdaudit/sim"
	"github.com/lambdaudit/lambdaudit/sim/fleet"
	"github.com/lambdaudit/lambdaudit/sim/simtest"
)

// generated starts the simulated account over a generated fleet.
func generated(t *testing.T, n int, regions []string, opts ...sim.Option) *simtest.Env {
	t.Helper()
	spec := &fleet.Spec{Seed: 5, Generate: &fleet.GeneratorSpec{Functions: n, Regions: regions, Accounts: []string{fleet.DefaultAccount}}}
	if err := spec.Validate(); err != nil {
		t.Fatal(err)
	}
	f, err := fleet.Build(spec, simtest.Now)
	if err != nil {
		t.Fatal(err)
	}
	return simtest.StartFleet(t, f, opts...)
}

// TestLogsBudgetSkipIsCoverage: a budget that skips most log groups is
// coverage, not failure — no function is partial, the scan did not
// fail (exit 0), and the skip is counted and kept in the result.
func TestLogsBudgetSkipIsCoverage(t *testing.T) {
	env := generated(t, 300, []string{fleet.DefaultRegion}, sim.WithQueryTime(sim.QueryTime{Base: time.Millisecond}))
	s, _ := newScanner(t, env, scanner.Targets{}, scanner.Settings{Logs: true, LogsBudgetBytes: 2e6})
	res, err := s.Scan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	c := res.Coverage
	if res.Failed() || c.Partial != 0 || c.Failed != 0 || c.NotCovered != 0 || len(c.Reasons) != 0 {
		t.Errorf("a budget skip made the scan fail: %+v", c)
	}
	if c.LogsSkippedBy[logstats.ReasonLogBudget] == 0 || c.LogsSkipped < c.LogsSkippedBy[logstats.ReasonLogBudget] {
		t.Errorf("budget skips not counted: logsSkipped %d, by reason %v", c.LogsSkipped, c.LogsSkippedBy)
	}
	if res.Logs.Queries == 0 {
		t.Errorf("no group fitted the budget: the test does not test a mix")
	}
	skipped := 0
	for _, sk := range res.Logs.Skipped {
		skipped += len(sk.Functions)
	}
	if skipped != c.LogsSkipped {
		t.Errorf("logsSkipped %d, logs.skipped lists %d functions", c.LogsSkipped, skipped)
	}
}

// TestOneCauseOneReason: GetMetricData denied in one region is one
// cause — one reason key, every function counted once, without request
// IDs or batch text — while each function keeps the full detail.
func TestOneCauseOneReason(t *testing.T) {
	env := generated(t, 600, []string{"us-east-1", "eu-west-1"},
		sim.WithFaults(sim.Fault{Service: "monitoring", API: "GetMetricData", Region: "eu-west-1", AccessDenied: true}))
	s, _ := newScanner(t, env, scanner.Targets{Regions: []string{"us-east-1", "eu-west-1"}}, scanner.Settings{})
	res, err := s.Scan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	inEU := 0
	for _, f := range res.Functions {
		if f.Region != "eu-west-1" {
			if f.Status != scanner.StatusScanned {
				t.Errorf("%s: %s %+v", f.ID, f.Status, f.Failures)
			}
			continue
		}
		inEU++
		if len(f.Failures) != 1 {
			t.Fatalf("%s: failures %+v", f.ID, f.Failures)
		}
		fl := f.Failures[0]
		if fl.Code != "AccessDenied" || fl.API != "cloudwatch:GetMetricData" || fl.Reason != "AccessDenied cloudwatch:GetMetricData" {
			t.Errorf("%s: failure %+v", f.ID, fl)
		}
		if !strings.Contains(fl.Detail, "RequestID") || !strings.Contains(fl.Detail, "not authorized") {
			t.Errorf("%s: the detail lost the original error: %q", f.ID, fl.Detail)
		}
	}
	if inEU == 0 {
		t.Fatal("no function in eu-west-1")
	}
	key := "AccessDenied cloudwatch:GetMetricData in " + fleet.DefaultAccount + "/eu-west-1"
	if len(res.Coverage.Reasons) != 1 || res.Coverage.Reasons[key] != inEU {
		t.Errorf("reasons %v; want only %q: %d", res.Coverage.Reasons, key, inEU)
	}
	if cs := res.Coverage.Causes; len(cs) != 1 || cs[0].Functions != inEU || cs[0].Stage != scanner.StageMetrics || cs[0].Region != "eu-west-1" {
		t.Errorf("causes %+v", cs)
	}
	if !res.Failed() || res.Coverage.NotCovered != inEU {
		t.Errorf("lost data must fail the scan: failed %v, notCovered %d of %d", res.Failed(), res.Coverage.NotCovered, inEU)
	}
}

// TestDeniedAccountCause: an account that denies AssumeRole fails each
// of its targets with one normalised cause.
func TestDeniedAccountCause(t *testing.T) {
	env := simtest.Start(t, exampleSpec(t))
	targets := scanner.Targets{Regions: []string{"us-east-1", "eu-west-1"}, Accounts: []string{"111111111111", "222222222222"},
		Role: "lambdaudit-member", ExternalID: "wrong"}
	s, _ := newScanner(t, env, targets, scanner.Settings{})
	res, err := s.Scan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, tg := range res.Targets {
		if tg.Account != "222222222222" {
			continue
		}
		n++
		want := scanner.Cause{Code: "AccessDenied", API: "sts:AssumeRole", Account: "222222222222", Region: tg.Region}
		if tg.Status != scanner.StatusFailed || tg.Cause == nil || *tg.Cause != want {
			t.Errorf("target %+v cause %+v; want %+v", tg, tg.Cause, want)
		}
	}
	if n != 2 || res.Coverage.TargetsFailed != 2 || !res.Failed() {
		t.Errorf("targets %+v coverage %+v", res.Targets, res.Coverage)
	}
	// Every region of the account failed alike: one account-wide cause,
	// not a line per region.
	wide := scanner.Cause{Code: "AccessDenied", API: "sts:AssumeRole", Account: "222222222222"}
	if got := res.Coverage.Reasons[wide.String()]; got != 2 || len(res.Coverage.Causes) != 1 || res.Coverage.Causes[0].Cause != wide {
		t.Errorf("reasons %v causes %+v; want one cause %q of 2 account-regions", res.Coverage.Reasons, res.Coverage.Causes, wide)
	}
}

// scannerGoroutines lists the goroutines still running scanner, fanout or
// metrics code, after giving them a moment to end.
func scannerGoroutines(t *testing.T) []string {
	t.Helper()
	var left []string
	for try := 0; try < 40; try++ {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		left = left[:0]
		for _, g := range strings.Split(string(buf), "\n\n") {
			if strings.Contains(g, "TestScanInterrupted") || strings.Contains(g, "scannerGoroutines") {
				continue
			}
			for _, pkg := range []string{"lambdaudit/scanner.", "lambdaudit/fanout.", "lambdaudit/metrics."} {
				if strings.Contains(g, pkg) {
					left = append(left, g)
					break
				}
			}
		}
		if len(left) == 0 {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return left
}

// TestScanInterrupted cancels scans at different stages: the scan stops,
// returns a result with everything that finished and every listed
// function in it (the unfinished ones failed "interrupted" at their
// stage), the context's error, and leaves no goroutine behind.
func TestScanInterrupted(t *testing.T) {
	for _, tc := range []struct {
		name string
		logs bool
		// cancelWhen reads the simulated account's accounting.
		cancelWhen func(sim.Snapshot) bool
		stage      string
		opts       []sim.Option
	}{
		// us-east-1 answers at once, eu-west-1's GetMetricData takes
		// 400 ms a call.
		{name: "during metrics", opts: []sim.Option{
			sim.WithLatency(sim.Latency{PerAPI: map[string]time.Duration{"GetMetricData": 400 * time.Millisecond}}),
			sim.WithFaults(sim.Fault{Region: "us-east-1", Service: "monitoring", LatencyMultiplier: 0.001}),
		}, cancelWhen: func(s sim.Snapshot) bool {
			return s.API("monitoring", "GetMetricData").OK >= 2
		}, stage: scanner.StageMetrics},
		{name: "during logs", logs: true, cancelWhen: func(s sim.Snapshot) bool {
			// Queries whose IDs the runner has (it polls them): a query
			// cancelled while its StartQuery answer is on the wire has no
			// ID to stop.
			return s.API("logs", "GetQueryResults").OK >= 2
		}, stage: scanner.StageLogs, opts: []sim.Option{sim.WithQueryTime(sim.QueryTime{Base: 5 * time.Second})}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := generated(t, 1200, []string{"us-east-1", "eu-west-1"}, tc.opts...)
			s, _ := newScanner(t, env, scanner.Targets{Regions: []string{"us-east-1", "eu-west-1"}}, scanner.Settings{Logs: tc.logs, Workers: 1})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go func() {
				for ctx.Err() == nil && !tc.cancelWhen(env.Server.Accounting()) {
					time.Sleep(5 * time.Millisecond)
				}
				cancel()
			}()
			start := time.Now()
			res, err := s.Scan(ctx)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("err %v; want context.Canceled", err)
			}
			if res == nil {
				t.Fatal("nil result for an interrupted scan")
			}
			if d := time.Since(start); d > 30*time.Second {
				t.Errorf("the scan took %v to stop", d)
			}
			if left := scannerGoroutines(t); len(left) > 0 {
				t.Errorf("%d goroutines left:\n%s", len(left), strings.Join(left, "\n\n"))
			}
			listed := map[string]bool{}
			interrupted, scannedMetrics := 0, 0
			for _, f := range res.Functions {
				listed[f.ID] = true
				if f.Metrics != nil && !hasFailure(f, scanner.StageMetrics) {
					scannedMetrics++
				}
				for _, fl := range f.Failures {
					if fl.Code != scanner.CodeInterrupted {
						t.Errorf("%s: failure %+v beside the interruption", f.ID, fl)
					}
					if fl.Stage == tc.stage {
						interrupted++
					}
				}
				if f.Status == scanner.StatusScanned && tc.logs && f.Logs == nil && !skippedLogs(res, f.ID) {
					t.Errorf("%s: scanned without logs in an interrupted scan", f.ID)
				}
			}
			// Every function the sim lists that the scan listed is there;
			// the targets that did not finish listing say so.
			for _, tg := range res.Targets {
				if tg.Status != scanner.StatusOK && (tg.Cause == nil || tg.Cause.Code != scanner.CodeInterrupted) {
					t.Errorf("target %s/%s: %+v", tg.Account, tg.Region, tg.Cause)
				}
				if tg.Status == scanner.StatusOK && tg.Functions != len(env.Fleet.Accounts[0].Region(tg.Region).Functions) {
					t.Errorf("target %s: %d of %d functions", tg.Region, tg.Functions, len(env.Fleet.Accounts[0].Region(tg.Region).Functions))
				}
			}
			if scannedMetrics == 0 || interrupted == 0 {
				t.Errorf("want a partial result: %d functions with metrics, %d interrupted at %s", scannedMetrics, interrupted, tc.stage)
			}
			if len(listed) != res.Coverage.Listed || !res.Failed() {
				t.Errorf("coverage %+v", res.Coverage)
			}
			if tc.logs {
				// The meter counts what the scan sent (the simulated
				// account may answer late while it computes a query).
				if n := res.API.Calls["CloudWatch Logs:StopQuery"]; n == 0 {
					t.Errorf("running queries were not stopped (StopQuery %d)", n)
				}
			}
		})
	}
	t.Run("before it starts", func(t *testing.T) {
		env := generated(t, 10, []string{fleet.DefaultRegion})
		s, _ := newScanner(t, env, scanner.Targets{}, scanner.Settings{Logs: true})
		ctx, cancel := context.WithTimeout(context.Background(), time.Nanosecond)
		defer cancel()
		<-ctx.Done()
		res, err := s.Scan(ctx)
		if !errors.Is(err, context.DeadlineExceeded) || res == nil {
			t.Fatalf("res %v err %v; want a result and context.DeadlineExceeded", res, err)
		}
		if res.Coverage.Scanned != 0 || !res.Failed() && res.Coverage.Targets > 0 {
			t.Errorf("coverage %+v", res.Coverage)
		}
	})
}

func hasFailure(f scanner.Function, stage string) bool {
	for _, fl := range f.Failures {
		if fl.Stage == stage {
			return true
		}
	}
	return false
}

func skippedLogs(res *scanner.Result, id string) bool {
	for _, sk := range res.Logs.Skipped {
		for _, f := range sk.Functions {
			if f == id {
				return true
			}
		}
	}
	return false
}

// TestMeterAgreesWithSim: the scan's meter and the simulated account
// bill the same scan alike — GetMetricData billed metrics (up to five
// statistics of a metric in one response are one), ListMetrics requests
// and Logs Insights bytes in GB of 2^30 bytes.
func TestMeterAgreesWithSim(t *testing.T) {
	env := simtest.Start(t, exampleSpec(t))
	targets := scanner.Targets{Regions: []string{"us-east-1", "eu-west-1"}, Accounts: []string{"111111111111", "222222222222"},
		Role: "lambdaudit-member", ExternalID: "lambdaudit-staging-7f3a"}
	s, _ := newScanner(t, env, targets, scanner.Settings{Logs: true, Tags: true})
	res, err := s.Scan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	snap := env.Server.Accounting()
	gmd := snap.API("monitoring", "GetMetricData")
	if int64(res.API.MetricsRequested) != gmd.MetricsRequested || gmd.MetricsRequested == 0 {
		t.Errorf("billed metrics: meter %d, sim %d", res.API.MetricsRequested, gmd.MetricsRequested)
	}
	if res.API.MetricQueries <= res.API.MetricsRequested {
		t.Errorf("%d queries for %d billed metrics: several statistics of a metric should share one", res.API.MetricQueries, res.API.MetricsRequested)
	}
	if tot := snap.Total().BytesScanned; float64(tot) != res.Logs.ScannedBytes || tot == 0 {
		t.Errorf("bytes scanned: scan %v, sim %d", res.Logs.ScannedBytes, tot)
	}
	if d := math.Abs(res.API.EstimatedCostUSD - snap.EstimatedCostUSD); d > 1e-12 || snap.EstimatedCostUSD == 0 {
		t.Errorf("estimated cost: meter $%.10f, sim $%.10f", res.API.EstimatedCostUSD, snap.EstimatedCostUSD)
	}
	// One GB everywhere: the budget a dollar buys is 1/0.005 GB of 2^30.
	if got, want := logstats.BudgetBytes(0.005), float64(scanner.LogsBytesPerGB); got != want {
		t.Errorf("logstats.BudgetBytes($0.005) = %v bytes, want one GB of %v", got, want)
	}
}

// TestLogGroupDeniedIsAFailure: StartQuery denied on one log group loses
// that function's logs — a failure with its own cause — while the other
// functions are scanned whole.
func TestLogGroupDeniedIsAFailure(t *testing.T) {
	env := simtest.Start(t, goldenSpec, sim.WithQueryTime(sim.QueryTime{Base: time.Millisecond}),
		sim.WithFaults(sim.Fault{Service: "logs", Function: "api", AccessDenied: true}))
	s, _ := newScanner(t, env, scanner.Targets{}, scanner.Settings{Logs: true})
	res, err := s.Scan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range res.Functions {
		switch f.Name {
		case "api":
			if len(f.Failures) != 1 || f.Failures[0].Code != "AccessDeniedException" || f.Failures[0].API != "logs:StartQuery" || f.Status != scanner.StatusPartial {
				t.Errorf("api: %s %+v", f.Status, f.Failures)
			}
		default:
			if f.Status != scanner.StatusScanned {
				t.Errorf("%s: %s %+v", f.Name, f.Status, f.Failures)
			}
		}
	}
	if !res.Failed() || res.Coverage.Reasons["AccessDeniedException logs:StartQuery in 111111111111/us-east-1"] != 1 {
		t.Errorf("failed %v, reasons %v", res.Failed(), res.Coverage.Reasons)
	}
}
