package cost_test

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/lambdaudit/lambdaudit/cost"
	"github.com/lambdaudit/lambdaudit/logstats"
	"github.com/lambdaudit/lambdaudit/metrics"
	"github.com/lambdaudit/lambdaudit/scanner"
)

// none marks a day without data in series.
var none = math.NaN()

func series(vals ...float64) metrics.Series {
	s := make(metrics.Series, len(vals))
	for i, v := range vals {
		if !math.IsNaN(v) {
			v := v
			s[i] = &v
		}
	}
	return s
}

// windowEnd is the end of the synthetic results' windows: their days end
// on 2026-11-02, so a two-day window is November's first two days (no day
// of the month before the window).
var windowEnd = time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC)

func result(days int, fns ...scanner.Function) *scanner.Result {
	return &scanner.Result{Schema: scanner.Schema, Version: scanner.SchemaVersion,
		Window: metrics.Window{End: windowEnd, Days: days}, Functions: fns}
}

// billedFn is a function whose days are given by invocations and billed
// duration (ms) from its logs.
func billedFn(account, region, name, arch string, memoryMB int, invocations, billedMs []float64) scanner.Function {
	zero := make([]float64, len(invocations))
	return scanner.Function{ID: account + "/" + region + "/" + name, Account: account, Region: region, Name: name,
		Runtime: "nodejs22.x", Architecture: arch, PackageType: "Zip", MemoryMB: memoryMB, EphemeralMB: 512,
		Metrics: map[string]metrics.Series{metrics.InvocationsSum: series(invocations...)},
		Logs: &logstats.Stats{Invocations: series(invocations...), BilledDurationMs: series(billedMs...),
			InitTotalMs: series(zero...), ColdStarts: series(zero...)}}
}

func near(t *testing.T, what string, got, want float64) {
	t.Helper()
	if math.Abs(got-want) > 1e-9*math.Max(1, math.Abs(want)) {
		t.Errorf("%s = %.10f, want %.10f", what, got, want)
	}
}

const (
	x86T1, x86T2 = 0.0000166667, 0.000015
	armT1        = 0.0000133334
)

// TestModelTiersAtAccountLevel: tiers apply to the account's month per
// region and architecture, not per function; each function gets the
// day's blended rate.
func TestModelTiersAtAccountLevel(t *testing.T) {
	// At 1024 MB, 1 GB-s is 1,000 billed ms.
	gbs := func(v float64) float64 { return v * 1000 }
	res := result(2,
		billedFn("111111111111", "us-east-1", "a", "x86_64", 1024, []float64{1, 1}, []float64{gbs(4e9), gbs(1e9)}),
		billedFn("111111111111", "us-east-1", "b", "x86_64", 1024, []float64{1, 1}, []float64{gbs(4e9), gbs(1e9)}),
		billedFn("111111111111", "us-east-1", "arm", "arm64", 1024, []float64{1, none}, []float64{gbs(4e9), none}),
		billedFn("111111111111", "us-east-2", "other-region", "x86_64", 1024, []float64{1, none}, []float64{gbs(4e9), none}),
		billedFn("222222222222", "us-east-1", "other-account", "x86_64", 1024, []float64{1, none}, []float64{gbs(4e9), none}),
	)
	c, err := cost.Model(res, cost.Embedded(), cost.Options{})
	if err != nil {
		t.Fatal(err)
	}
	fn := map[string]cost.FunctionCost{}
	for _, f := range c.Functions {
		fn[f.Name] = f
	}
	// Day 1: a + b = 8B GB-s in 111111111111/us-east-1/x86_64 → 6B at
	// tier 1, 2B at tier 2, shared in proportion (4B each).
	day1 := (6e9*x86T1 + 2e9*x86T2) / 2
	near(t, "a day 1 duration", fn["a"].Days[0].Duration, day1)
	near(t, "b day 1 duration", fn["b"].Days[0].Duration, day1)
	// Day 2: the month already holds 8B, so all 2B are at tier 2.
	near(t, "a day 2 duration", fn["a"].Days[1].Duration, 1e9*x86T2)
	// Other architecture, region and account: their own tiers.
	near(t, "arm64 day 1", fn["arm"].Days[0].Duration, 4e9*armT1)
	near(t, "other region day 1", fn["other-region"].Days[0].Duration, 4e9*x86T1)
	near(t, "other account day 1", fn["other-account"].Days[0].Duration, 4e9*x86T1)
	if fn["arm"].Days[1] != nil {
		t.Errorf("a day without data has a cost: %+v", fn["arm"].Days[1])
	}
}

// TestModelFreeTierOncePerAccount: one 1M requests / 400,000 GB-s
// allowance per account and month, over all its functions (and regions),
// shared in proportion; none for provisioned concurrency.
func TestModelFreeTierOncePerAccount(t *testing.T) {
	const acct = "111111111111"
	// 300,000 GB-s at 1024 MB = 3e8 ms.
	a := billedFn(acct, "us-east-1", "a", "x86_64", 1024, []float64{600000, 600000}, []float64{3e8, 3e8})
	b := billedFn(acct, "eu-west-1", "b", "x86_64", 1024, []float64{600000, 600000}, []float64{3e8, 3e8})
	pcN := 1
	pc := billedFn(acct, "us-east-1", "pc", "x86_64", 1024, []float64{100, 100}, []float64{1000, 1000})
	pc.ProvisionedConcurrency = &pcN
	pc.Metrics[metrics.ProvisionedConcurrencyUtilizationMaximum] = series(0.5, 0.5)
	pc.Metrics[metrics.ProvisionedConcurrencyInvocationsSum] = series(100, 100)
	other := billedFn("222222222222", "us-east-1", "c", "x86_64", 1024, []float64{600000, 600000}, []float64{3e8, 3e8})
	c, err := cost.Model(result(2, a, b, pc, other), cost.Embedded(), cost.Options{FreeTier: true})
	if err != nil {
		t.Fatal(err)
	}
	fn := map[string]cost.FunctionCost{}
	for _, f := range c.Functions {
		fn[f.Name] = f
	}
	// Day 1: 1.2M requests and 600,000 GB-s in the account: 200,000
	// requests and 200,000 GB-s billed, half each.
	near(t, "a day 1 requests", fn["a"].Days[0].Requests, 100000*0.0000002)
	near(t, "b day 1 requests", fn["b"].Days[0].Requests, 100000*0.0000002)
	near(t, "a day 1 duration", fn["a"].Days[0].Duration, 100000*x86T1)
	// Day 2: the allowance is spent.
	near(t, "a day 2 requests", fn["a"].Days[1].Requests, 600000*0.0000002)
	near(t, "a day 2 duration", fn["a"].Days[1].Duration, 300000*x86T1)
	// The other account has its own allowance: 600,000 requests free.
	near(t, "other account day 1 requests", fn["c"].Days[0].Requests, 0)
	near(t, "other account day 1 duration", fn["c"].Days[0].Duration, 0)
	near(t, "other account day 2 duration", fn["c"].Days[1].Duration, 200000*x86T1)
	// Provisioned concurrency: no free tier.
	near(t, "pc requests", fn["pc"].Days[0].Requests, 100*0.0000002)
	near(t, "pc enabled", fn["pc"].Days[0].ProvisionedIdle, 86400*0.0000041667)
	near(t, "pc duration", fn["pc"].Days[0].ProvisionedDuration, 1*0.0000097222)

	// Without the option, nothing is free.
	c, err = cost.Model(result(2, a, b), cost.Embedded(), cost.Options{})
	if err != nil {
		t.Fatal(err)
	}
	near(t, "no free tier: a day 1 requests", c.Functions[0].Days[0].Requests, 600000*0.0000002)
}

// TestModelInitBilling: INIT from the logs is billed where the rules say
// so, and the duration source is stated.
func TestModelInitBilling(t *testing.T) {
	mk := func(name, runtime, pkg string) scanner.Function {
		f := billedFn("111111111111", "us-east-1", name, "x86_64", 1024, []float64{1000}, []float64{1000*100 + 5000})
		f.Runtime, f.PackageType = runtime, pkg
		f.Logs.InitTotalMs, f.Logs.ColdStarts = series(5000), series(10)
		return f
	}
	res := result(1, mk("zip", "nodejs22.x", "Zip"), mk("image", "", "Image"), mk("custom", "provided.al2023", "Zip"))
	c, err := cost.Model(res, cost.Embedded(), cost.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range c.Functions {
		u := f.Usage[0]
		if u.Source != "logs" || u.InitMs != 5000 || u.DurationMs != 100000 {
			t.Errorf("%s: usage %+v, want 100,000 ms of duration and 5,000 ms of INIT from the logs", f.Name, *u)
		}
		near(t, f.Name+" init", f.Days[0].Init, 5*x86T1)
	}

	// Metrics only (no logs): Duration Sum + 0.5 ms per invocation, INIT
	// from LambdaInsights, or flagged unknown.
	m := func(name string, insights bool) scanner.Function {
		f := billedFn("111111111111", "us-east-1", name, "x86_64", 1024, []float64{1000}, []float64{0})
		f.Logs = nil
		f.Metrics[metrics.DurationSum] = series(99500)
		if insights {
			f.LambdaInsights = true
			f.Metrics[metrics.InitDurationSum] = series(4000)
		}
		return f
	}
	c, err = cost.Model(result(1, m("insights", true), m("plain", false)), cost.Embedded(), cost.Options{})
	if err != nil {
		t.Fatal(err)
	}
	in, plain := c.Functions[0].Usage[0], c.Functions[1].Usage[0]
	if in.Source != "metrics" || in.DurationMs != 100000 || in.InitMs != 4000 || in.InitUnknown {
		t.Errorf("insights: %+v", *in)
	}
	if plain.InitMs != 0 || !plain.InitUnknown {
		t.Errorf("plain: %+v, want INIT unknown", *plain)
	}
}

// TestModelSummaries: month to date, run rate, projection and the
// account-region and account totals; no data is not $0.
func TestModelSummaries(t *testing.T) {
	end := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC) // report day 2026-11-20
	// 3 days: 18, 19, 20 November; 1,000,000 requests a day = $0.20.
	a := billedFn("111111111111", "us-east-1", "a", "x86_64", 128, []float64{1e6, 1e6, 1e6}, []float64{0, 0, 0})
	b := billedFn("111111111111", "us-east-1", "b", "x86_64", 128, []float64{none, none, 2e6}, []float64{none, none, 0})
	idle := billedFn("111111111111", "us-east-1", "idle", "x86_64", 128, []float64{none, none, none}, []float64{none, none, none})
	res := result(3, a, b, idle)
	res.Window.End = end
	c, err := cost.Model(res, cost.Embedded(), cost.Options{})
	if err != nil {
		t.Fatal(err)
	}
	fa, fb, fi := c.Functions[0], c.Functions[1], c.Functions[2]
	near(t, "a window day", fa.WindowDay.Total, 0.2)
	near(t, "a month to date", fa.MonthToDate.Total, 0.6)
	// November has 30 days, the window covers 3: 0.6 + 27 × 0.2.
	near(t, "a projected", *fa.ProjectedMonth, 0.6+27*0.2)
	// b has one day of data: its run rate is that day.
	near(t, "b projected", *fb.ProjectedMonth, 0.4+27*0.4)
	if fi.WindowDay != nil || fi.MonthToDate != nil || fi.ProjectedMonth != nil {
		t.Errorf("a function without data has costs: %+v", fi)
	}
	if c.Month != "2026-11" {
		t.Errorf("month = %q", c.Month)
	}
	if len(c.Regions) != 1 || len(c.Accounts) != 1 {
		t.Fatalf("regions %d, accounts %d, want 1 and 1", len(c.Regions), len(c.Accounts))
	}
	r := c.Regions[0]
	near(t, "region window day", r.WindowDay.Total, 0.6)
	near(t, "region projected", *r.ProjectedMonth, 0.6+27*0.2+0.4+27*0.4)
	if r.Functions != 3 || r.Covered[0] != 1 || r.Covered[2] != 2 {
		t.Errorf("region functions %d covered %v, want 3 and [1 1 2]", r.Functions, r.Covered)
	}
	near(t, "account month to date", c.Accounts[0].MonthToDate.Total, 1.0)
}

// TestModelRefusesImpossibleInput: only a result the model cannot read as
// a whole is refused.
func TestModelRefusesImpossibleInput(t *testing.T) {
	ok := func() scanner.Function {
		return billedFn("111111111111", "us-east-1", "f", "x86_64", 128, []float64{1, 2}, []float64{10, 20})
	}
	cases := []struct {
		name   string
		mutate func(*scanner.Result)
		opt    cost.Options
		is     error
		want   string
	}{
		{"unknown schema version", func(r *scanner.Result) { r.Version = 99 }, cost.Options{}, scanner.ErrSchema, "version 99"},
		{"now before the window end", func(*scanner.Result) {}, cost.Options{Now: windowEnd.Add(-time.Hour)}, cost.ErrInput, "before the window end"},
		{"no window", func(r *scanner.Result) { r.Window.Days = 0 }, cost.Options{}, cost.ErrInput, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := result(2, ok())
			c.mutate(res)
			_, err := cost.Model(res, cost.Embedded(), c.opt)
			if !errors.Is(err, c.is) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want %v naming %q", err, c.is, c.want)
			}
		})
	}
}

// TestModelDegradesPerFunction: a function the model cannot price gets
// the reason and no figures; the other function of the same account-region
// is priced as if it were alone, and the group counts both.
func TestModelDegradesPerFunction(t *testing.T) {
	odd := func() scanner.Function {
		return billedFn("111111111111", "us-east-1", "odd", "x86_64", 128, []float64{1, 2}, []float64{10, 20})
	}
	cases := []struct {
		name   string
		mutate func(*scanner.Function)
		want   string
	}{
		{"negative invocations", func(f *scanner.Function) { f.Metrics[metrics.InvocationsSum] = series(1, -3) },
			"cost not modelled: Invocations:Sum on 2026-11-02 is -3"},
		{"negative billed duration in the logs", func(f *scanner.Function) { f.Logs.BilledDurationMs = series(-1, 2) },
			"logs billedDurationMs on 2026-11-01 is -1"},
		{"memory 0", func(f *scanner.Function) { f.MemoryMB = 0 }, "memory 0 MB"},
		{"memory above Lambda's limit", func(f *scanner.Function) { f.MemoryMB = 32768 }, "memory 32768 MB is above Lambda's 10240 MB"},
		{"series of the wrong length", func(f *scanner.Function) { f.Metrics[metrics.DurationSum] = series(1) },
			"Duration:Sum has 1 days, the window 2"},
		{"region without a price", func(f *scanner.Function) { f.Region = "xx-future-1" },
			"no price for xx-future-1 x86_64 in the price table (as of " + cost.Embedded().AsOf + ")"},
		{"unknown architecture", func(f *scanner.Function) { f.Architecture = "mips" }, `architecture "mips" is not x86_64 or arm64`},
		{"region priced in CNY", func(f *scanner.Function) { f.Region = "cn-north-1" },
			"prices for cn-north-1 are in CNY, the report's costs in USD: lambdaudit does not convert currencies"},
		{"Managed Instances, memory and timeout beyond on-demand limits", func(f *scanner.Function) {
			f.CapacityProviderARN = "arn:aws:lambda:us-east-1:111111111111:capacity-provider:cp"
			f.MemoryMB, f.TimeoutS = 32768, 3600
		}, cost.ReasonManagedInstances},
	}
	alone := func() *cost.Costs {
		c, err := cost.Model(result(2, billedFn("111111111111", "us-east-1", "fine", "x86_64", 1024, []float64{10, 20}, []float64{1000, 2000})), cost.Embedded(), cost.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := odd()
			c.mutate(&f)
			res := result(2, billedFn("111111111111", "us-east-1", "fine", "x86_64", 1024, []float64{10, 20}, []float64{1000, 2000}), f)
			got, err := cost.Model(res, cost.Embedded(), cost.Options{})
			if err != nil {
				t.Fatalf("the fleet failed for one function: %v", err)
			}
			bad := got.Functions[1]
			if !strings.Contains(bad.Unpriced, c.want) || strings.Contains(bad.Unpriced, bad.ID) {
				t.Errorf("unpriced = %q, want it to contain %q (and not the function id)", bad.Unpriced, c.want)
			}
			if len(bad.Days) != 2 || bad.Days[0] != nil || bad.Days[1] != nil || bad.WindowDay != nil || bad.MonthToDate != nil || bad.ProjectedMonth != nil {
				t.Errorf("an unpriced function has figures: %+v", bad)
			}
			fine := got.Functions[0]
			if fine.Unpriced != "" || fine.WindowDay == nil {
				t.Fatalf("the priced function: %+v", fine)
			}
			near(t, "the priced function's day", fine.WindowDay.Total, alone.Functions[0].WindowDay.Total)
			var g *cost.GroupCost
			for i := range got.Regions {
				if got.Regions[i].Region == f.Region {
					g = &got.Regions[i]
				}
			}
			if g == nil || g.Unpriced != 1 || g.Covered[1] != 0 && f.Region != "us-east-1" {
				t.Errorf("group of %s: %+v", f.Region, g)
			}
		})
	}
}
