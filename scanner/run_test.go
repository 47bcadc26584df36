package scanner_test

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambdaudit/lambdaudit/logstats"
	"github.com/lambdaudit/lambdaudit/metrics"
	"github.com/lambdaudit/lambdaudit/scanner"
	"github.com/lambdaudit/lambdaudit/scanner/scantest"
	"github.com/lambdaudit/lambdaudit/sim"
	"github.com/lambdaudit/lambdaudit/sim/fleet"
	"github.com/lambdaudit/lambdaudit/sim/simtest"
)

// newScanner builds a scanner over env as cmd/lambdaudit does.
func newScanner(t *testing.T, env *simtest.Env, targets scanner.Targets, set scanner.Settings) (*scanner.Scanner, *scanner.Meter) {
	t.Helper()
	// Poll the sim's 300 ms queries a few times, not dozens (its
	// GetQueryResults quota is 10 a second).
	set.LogsSettings.InitialPoll = 20 * time.Millisecond
	return scantest.New(t, env, targets, set)
}

func exampleSpec(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../examples/fleet.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestScanExampleFleet scans the hand-written example fleet — two
// accounts (one entered with AssumeRole and an external ID), two
// regions and a disabled one — and compares what the scan found with
// the fleet's ground truth.
func TestScanExampleFleet(t *testing.T) {
	env := simtest.Start(t, exampleSpec(t))
	targets := scanner.Targets{
		Regions:    []string{"us-east-1", "eu-west-1", "ap-east-1"},
		Accounts:   []string{"111111111111", "222222222222"},
		Role:       "lambdaudit-member",
		ExternalID: "lambdaudit-staging-7f3a",
	}
	s, meter := newScanner(t, env, targets, scanner.Settings{Logs: true, Tags: true})
	res, err := s.Scan(context.Background())
	if err != nil {
		t.Fatal(err)
	}

	// Targets: ap-east-1 is disabled in account 111…, absent in 222….
	failedTargets := map[string]string{}
	for _, tg := range res.Targets {
		if tg.Status != scanner.StatusOK {
			failedTargets[tg.Account+"/"+tg.Region] = tg.Error
		}
	}
	for k, why := range failedTargets {
		if !strings.HasSuffix(k, "/ap-east-1") {
			t.Errorf("target %s failed: %s", k, why)
		}
	}
	if len(failedTargets) == 0 {
		t.Errorf("the disabled region ap-east-1 did not fail")
	}

	// Every function of the fleet is in the result, scanned, with the
	// values the fleet served.
	byID := map[string]*scanner.Function{}
	for i := range res.Functions {
		byID[res.Functions[i].ID] = &res.Functions[i]
	}
	w := res.Window
	n := 0
	for _, a := range env.Fleet.Accounts {
		for _, r := range a.Regions {
			for _, fn := range r.Functions {
				n++
				id := a.ID + "/" + r.Name + "/" + fn.Name
				got := byID[id]
				if got == nil {
					t.Errorf("%s: not in the scan result", id)
					continue
				}
				if got.Status != scanner.StatusScanned {
					t.Errorf("%s: status %s: %+v", id, got.Status, got.Failures)
					continue
				}
				truth := fn.TruthAt(simtest.Now)
				checkFunction(t, id, w, got, truth)
			}
		}
	}
	if res.Coverage.Listed != n || res.Coverage.Scanned != n {
		t.Errorf("coverage %+v, fleet has %d functions", res.Coverage, n)
	}

	// The scan's own meter counts the GetMetricData calls the simulated
	// account served (density is TestScanGeneratedFleetUnderFaults').
	snap := env.Server.Accounting()
	calls := snap.API("monitoring", "GetMetricData").Calls
	if u := res.API; u.MetricsRequested == 0 || u.Calls["CloudWatch:GetMetricData"] != int(calls) {
		t.Errorf("GetMetricData: meter %d calls, sim %d", u.Calls["CloudWatch:GetMetricData"], calls)
	}
	if meter.Throttles() != 0 {
		t.Errorf("%d throttles at default quotas", meter.Throttles())
	}
	if res.Logs.Queries == 0 || res.Logs.ScannedBytes <= 0 {
		t.Errorf("logs stage: %+v", res.Logs)
	}
	if res.API.EstimatedCostUSD <= 0 {
		t.Errorf("estimated cost %v", res.API.EstimatedCostUSD)
	}
}

// checkFunction compares one function's scan with its truth: config,
// tags, daily invocations, errors and duration maxima from CloudWatch,
// and the REPORT statistics from Logs Insights.
func checkFunction(t *testing.T, id string, w metrics.Window, got *scanner.Function, truth fleet.FunctionTruth) {
	t.Helper()
	c := truth.Config
	if got.MemoryMB != c.MemoryMB || got.TimeoutS != c.TimeoutS || got.Architecture != c.Architecture || got.LogGroup != c.LogGroup || got.LogFormat != c.LogFormat {
		t.Errorf("%s: config %d MB %d s %s %s %s, truth %+v", id, got.MemoryMB, got.TimeoutS, got.Architecture, got.LogGroup, got.LogFormat, c)
	}
	for k, v := range c.Tags {
		if got.Tags[k] != v {
			t.Errorf("%s: tag %s = %q, truth %q", id, k, got.Tags[k], v)
		}
	}
	if c.ProvisionedConcurrency > 0 && (got.ProvisionedConcurrency == nil || *got.ProvisionedConcurrency != c.ProvisionedConcurrency) {
		t.Errorf("%s: provisioned concurrency %v, truth %d", id, got.ProvisionedConcurrency, c.ProvisionedConcurrency)
	}
	inv := got.Metrics["Invocations:Sum"]
	errs := got.Metrics["Errors:Sum"]
	dmax := got.Metrics["Duration:Maximum"]
	if len(inv) != w.Days {
		t.Fatalf("%s: Invocations:Sum has %d days, window %d", id, len(inv), w.Days)
	}
	seen := map[int]bool{}
	for _, d := range truth.Days {
		day, err := time.Parse("2006-01-02", d.Date)
		if err != nil {
			t.Fatal(err)
		}
		i := w.DayIndex(day)
		if i < 0 {
			continue
		}
		seen[i] = true
		if d.Invocations == 0 {
			if inv[i] != nil {
				t.Errorf("%s %s: no invocations, scan says %v", id, d.Date, *inv[i])
			}
			continue
		}
		if inv[i] == nil || *inv[i] != float64(d.Invocations) {
			t.Errorf("%s %s: invocations %v, truth %d", id, d.Date, deref(inv[i]), d.Invocations)
		}
		if errs[i] == nil || *errs[i] != float64(d.Errors) {
			t.Errorf("%s %s: errors %v, truth %d", id, d.Date, deref(errs[i]), d.Errors)
		}
		if d.Duration != nil && (dmax[i] == nil || *dmax[i] != d.Duration.Maximum) {
			t.Errorf("%s %s: duration max %v, truth %v", id, d.Date, deref(dmax[i]), d.Duration.Maximum)
		}
		if got.Logs == nil {
			t.Errorf("%s: no log stats", id)
			continue
		}
		if v := got.Logs.Invocations[i]; v == nil || *v != float64(d.Invocations) {
			t.Errorf("%s %s: REPORT records %v, truth %d", id, d.Date, deref(v), d.Invocations)
		}
		if v := got.Logs.Timeouts[i]; v == nil || *v != float64(d.Timeouts) {
			t.Errorf("%s %s: timeouts %v, truth %d", id, d.Date, deref(v), d.Timeouts)
		}
		if v := got.Logs.ColdStarts[i]; v == nil || *v != float64(d.ColdStarts) {
			t.Errorf("%s %s: cold starts %v, truth %d", id, d.Date, deref(v), d.ColdStarts)
		}
		if d.MemoryUsed != nil {
			if v := got.Logs.MemoryMaxMB[i]; v == nil || *v != d.MemoryUsed.Max {
				t.Errorf("%s %s: max memory %v MB, truth %v", id, d.Date, deref(v), d.MemoryUsed.Max)
			}
		}
	}
	// Days the fleet has no history for stay "no data".
	for i := range inv {
		if !seen[i] && inv[i] != nil {
			t.Errorf("%s: day %d outside the fleet's history has %v invocations", id, i, *inv[i])
		}
	}
}

func deref(p *float64) any {
	if p == nil {
		return "no data"
	}
	return *p
}

// TestScanAccessDeniedAccount: one member account denies everything; its
// targets fail with the reason and the other account is scanned whole.
func TestScanAccessDeniedAccount(t *testing.T) {
	env := simtest.Start(t, exampleSpec(t), sim.WithFaults(sim.Fault{Account: "222222222222", Service: "lambda", AccessDenied: true}))
	targets := scanner.Targets{
		Regions:    []string{"us-east-1"},
		Accounts:   []string{"111111111111", "222222222222"},
		Role:       "lambdaudit-member",
		ExternalID: "lambdaudit-staging-7f3a",
	}
	s, _ := newScanner(t, env, targets, scanner.Settings{})
	res, err := s.Scan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var denied, ok int
	for _, tg := range res.Targets {
		switch {
		case tg.Account == "222222222222":
			if tg.Status != scanner.StatusFailed || !strings.Contains(tg.Error, "AccessDenied") {
				t.Errorf("denied target: %+v", tg)
			}
			denied++
		case tg.Status == scanner.StatusOK:
			ok++
		}
	}
	if denied != 1 || ok != 1 {
		t.Errorf("targets %+v", res.Targets)
	}
	if !res.Failed() {
		t.Errorf("a failed target must make the scan 'completed with failures'")
	}
	for _, f := range res.Functions {
		if f.Account == "222222222222" {
			t.Errorf("function %s listed in a denied account", f.ID)
		}
		if f.Status != scanner.StatusScanned {
			t.Errorf("%s: %s %+v", f.ID, f.Status, f.Failures)
		}
	}
}

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// goldenSpec is a tiny fleet whose scan result pins the JSON format.
const goldenSpec = `
seed: 3
days: 14
now: "2026-11-21T06:00:00Z"
accounts:
  - id: "111111111111"
    regions:
      - name: us-east-1
        functions:
          - name: api
            memoryMB: 256
            timeoutS: 6
            tags: {team: "=cmd|' /C calc'!A0"}
            profile:
              invocations: [90, 95, 100, 105, 110, 115, 120, 125, 130, 135, 140, 100, 0, 120]
              duration: {p50: 40, p99: 900, max: 5600}
              errors: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 2]
          - name: worker
            runtime: python3.13
            logFormat: JSON
            profile:
              invocations: 50
              duration: {p50: 200, max: 700}
`

// fakeQueryTime is a clock only Sleep moves: Sleep advances it by d and
// returns at once (or ctx's error when ctx has ended).
type fakeQueryTime struct {
	mu  sync.Mutex
	now time.Time
}

func (f *fakeQueryTime) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeQueryTime) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
	return nil
}

// TestScanResultGolden pins the scan result's JSON (schema version 1) for
// a tiny fleet; run with -update after a deliberate format change, and
// bump scanner.SchemaVersion when a field changes meaning.
//
// Logs Insights runs on a fake clock that the sim's queries and the
// scan's runner share and only the runner's sleeps move, one query at a
// time, so the GetQueryResults count in the file is 4 a query (waits of
// 25, 50, 100 and 200 ms against the sim's 300 ms queries) however fast
// the machine is.
func TestScanResultGolden(t *testing.T) {
	qt := &fakeQueryTime{now: simtest.Now}
	env := simtest.Start(t, goldenSpec, sim.WithQueryClock(qt.Now))
	set := scanner.Settings{Logs: true, Tags: true, Window: metrics.Window{End: simtest.Now.Truncate(24 * time.Hour), Days: 4}}
	set.LogsSettings = logstats.Settings{InitialPoll: 25 * time.Millisecond, MaxConcurrentQueries: 1, Clock: qt.Now, Sleep: qt.Sleep}
	s, _ := scantest.New(t, env, scanner.Targets{}, set)
	res, err := s.Scan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	res.StartedAt, res.FinishedAt = time.Time{}, time.Time{}
	var b bytes.Buffer
	if err := res.Encode(&b); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "scan-result.golden.json")
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
		t.Fatalf("%v (run go test -run TestScanResultGolden -update)", err)
	}
	if !bytes.Equal(b.Bytes(), want) {
		t.Errorf("scan result differs from %s (rerun with -update if deliberate):\n%s", golden, b.String())
	}
	// And it reads back.
	if _, err := scanner.Decode(bytes.NewReader(want)); err != nil {
		t.Error(err)
	}
}

func TestDecodeRefusesOtherVersions(t *testing.T) {
	for _, tc := range []struct{ name, doc string }{
		{"future version", `{"schema":"lambdaudit/scan","version":2}`},
		{"other schema", `{"schema":"something/else","version":1}`},
		{"not JSON", `REPORT RequestId`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := scanner.Decode(strings.NewReader(tc.doc)); err == nil {
				t.Errorf("accepted %s", tc.doc)
			}
		})
	}
}

// TestScanGeneratedFleetUnderFaults scans 1,000 generated functions while
// the simulated account throttles 20 % of all calls and fails 2 % with
// HTTP 5xx, on top of AWS's quotas: no function may be lost, and
// GetMetricData stays densely packed — ceil(queries/500) successful calls.
func TestScanGeneratedFleetUnderFaults(t *testing.T) {
	spec := &fleet.Spec{Seed: 5, Generate: &fleet.GeneratorSpec{Functions: 1000, Regions: []string{fleet.DefaultRegion}, Accounts: []string{fleet.DefaultAccount}}}
	if err := spec.Validate(); err != nil {
		t.Fatal(err)
	}
	f, err := fleet.Build(spec, simtest.Now)
	if err != nil {
		t.Fatal(err)
	}
	env := simtest.StartFleet(t, f, sim.WithFaults(sim.Fault{ThrottlePct: 20}, sim.Fault{ErrorPct: 2}))
	env.Config.Retryer = scanner.Retryer(0)
	s, meter := newScanner(t, env, scanner.Targets{}, scanner.Settings{Tags: true})
	res, err := s.Scan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Coverage.Listed != 1000 || res.Coverage.Scanned != 1000 {
		t.Fatalf("coverage %+v under faults: want all 1000 scanned", res.Coverage)
	}
	snap := env.Server.Accounting()
	gmd := snap.API("monitoring", "GetMetricData")
	queries := res.API.MetricQueries
	if want := int64((queries + 499) / 500); gmd.OK != want {
		t.Errorf("%d successful GetMetricData calls for %d queries, want ceil(q/500) = %d", gmd.OK, queries, want)
	}
	if gmd.Throttled == 0 || meter.Throttles() == 0 {
		t.Errorf("no throttles seen (sim %d, meter %d): the fault did not apply", gmd.Throttled, meter.Throttles())
	}
}

// TestScanTagsDenied: when the Tagging API refuses, every function says
// its tags are missing (tag overrides cannot apply) instead of carrying
// none as if it had none.
func TestScanTagsDenied(t *testing.T) {
	env := simtest.Start(t, goldenSpec, sim.WithFaults(sim.Fault{Service: "tagging", AccessDenied: true}))
	s, _ := newScanner(t, env, scanner.Targets{}, scanner.Settings{Tags: true})
	res, err := s.Scan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range res.Functions {
		if fl := f.Failures; f.Status != scanner.StatusPartial || len(fl) != 1 || fl[0].Stage != scanner.StageConfig ||
			fl[0].Reason != "AccessDeniedException tag:GetResources" || !strings.HasPrefix(fl[0].Detail, "tags: ") {
			t.Errorf("%s: %s %+v; want partial with a config failure naming the tags", f.ID, f.Status, f.Failures)
		}
		if f.Metrics["Invocations:Sum"] == nil {
			t.Errorf("%s: metrics lost with the tags", f.ID)
		}
	}
}
