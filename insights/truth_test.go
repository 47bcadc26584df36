package insights_test

// Expected insights computed from the simulated fleet's ground truth
// (fleet.Truth), independently of the rules in this package: the
// catalogue's thresholds and AWS-FACTS.md's prices written out again.

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/lambdaudit/lambdaudit/insights"
	"github.com/lambdaudit/lambdaudit/sim/fleet"
)

// Prices of AWS-FACTS.md (us-east-1). Requests and duration are the same
// in every test region; ephemeral storage and provisioned concurrency
// differ in eu-west-1 (AWS's calculator data: $0.0000000340, $0.0000046460
// and $0.0000108407 per GB-s for x86_64; arm64's provisioned rates are
// x86_64's × 0.8, as in us-east-1).
const (
	priceRequest = 0.20 / 1e6
	monthDays    = 365.25 / 12
)

var (
	priceGBs       = map[string]float64{"x86_64": 0.0000166667, "arm64": 0.0000133334}
	priceEphemeral = map[string]float64{"us-east-1": 0.0000000309, "eu-west-1": 0.0000000340}
	pricePCOn      = map[string]map[string]float64{"us-east-1": {"x86_64": 0.0000041667, "arm64": 0.0000033334},
		"eu-west-1": {"x86_64": 0.0000046460, "arm64": 0.0000037168}}
	pricePCDur = map[string]map[string]float64{"us-east-1": {"x86_64": 0.0000097222, "arm64": 0.0000077778},
		"eu-west-1": {"x86_64": 0.0000108407, "arm64": 0.0000086726}}
)

// want is one expected insight.
type want struct {
	sev insights.Severity
	// dollars are expected dollar figures: "saving" (MonthlySavingUSD) or
	// an evidence name.
	dollars map[string]float64
}

type rtDate struct {
	deprecation time.Time
	arm64       bool
}

// expectation computes the insights a fleet's truth calls for.
type expectation struct {
	tr       *fleet.Truth
	runtimes map[string]rtDate
	today    time.Time // 00:00 UTC of the scan's day
	want     map[string]want
	// dayCost is every function's cost per daysAgo (days with
	// invocations), for the dollar checks of the report's cost lists.
	dayCost map[string]map[int]float64
}

func ge(v, t float64) bool { return v >= t-1e-9*math.Max(1, math.Abs(t)) }

func sevOf(v, warn, crit float64) insights.Severity {
	switch {
	case ge(v, crit):
		return insights.Critical
	case ge(v, warn):
		return insights.Warning
	}
	return ""
}

func day(ft *fleet.FunctionTruth, daysAgo int) *fleet.DayTruth {
	for i := range ft.Days {
		if ft.Days[i].DaysAgo == daysAgo {
			return &ft.Days[i]
		}
	}
	return nil
}

// costOf is a function-day's cost and its on-demand compute part
// (duration and billed INIT).
func costOf(ft *fleet.FunctionTruth, d *fleet.DayTruth) (total, compute float64) {
	arch := ft.Config.Architecture
	share := 0.0
	if d.Invocations > 0 {
		share = float64(d.ProvisionedInvocations) / float64(d.Invocations)
	}
	compute = d.GBSeconds * (1 - share) * priceGBs[arch]
	total = float64(d.Invocations)*priceRequest + compute + d.GBSeconds*share*pricePCDur[ft.Region][arch]
	if e := ft.Config.EphemeralMB; e > 512 {
		total += float64(d.BilledDurationSum) / 1000 * float64(e-512) / 1024 * priceEphemeral[ft.Region]
	}
	if pc := ft.Config.ProvisionedConcurrency; pc > 0 && d.ProvisionedUtilizationMax != nil {
		total += float64(pc) * float64(d.MemorySize) / 1024 * 86400 * pricePCOn[ft.Region][arch]
	}
	return total, compute
}

func medianOf(xs []float64) float64 {
	xs = slices.Clone(xs)
	sort.Float64s(xs)
	m := len(xs) / 2
	if len(xs)%2 == 1 {
		return xs[m]
	}
	return (xs[m-1] + xs[m]) / 2
}

func newExpectation(tr *fleet.Truth, runtimes map[string]rtDate) *expectation {
	x := &expectation{tr: tr, runtimes: runtimes, today: tr.Now.Truncate(24 * time.Hour),
		want: map[string]want{}, dayCost: map[string]map[int]float64{}}
	regionCost := map[string]map[int]float64{}
	for i := range tr.Functions {
		ft := &tr.Functions[i]
		id := ft.Account + "/" + ft.Region + "/" + ft.Name
		x.function(id, ft)
		rk := ft.Account + "/" + ft.Region
		if regionCost[rk] == nil {
			regionCost[rk] = map[int]float64{}
		}
		for ago, c := range x.dayCost[id] {
			regionCost[rk][ago] += c
		}
	}
	for _, rt := range tr.Regions {
		if rt.Disabled {
			continue
		}
		rk := rt.Account + "/" + rt.Region
		for _, d := range rt.Days {
			if d.DaysAgo == 1 && d.ConcurrentExecutionsMax != nil {
				if s := sevOf(*d.ConcurrentExecutionsMax/float64(rt.ConcurrencyLimit), 0.8, 0.9); s != "" {
					x.want[rk+"/*/concurrency-near-limit"] = want{sev: s}
				}
			}
		}
		if s, cur, med := spikeOf(regionCost[rk]); s != "" {
			x.want[rk+"/*/cost-spike"] = want{sev: s, dollars: map[string]float64{"costUSD": cur, "baselineMedianUSD": med}}
		}
	}
	return x
}

// spikeOf is the cost-spike verdict over daily costs by daysAgo.
func spikeOf(costs map[int]float64) (insights.Severity, float64, float64) {
	cur, ok := costs[1]
	if !ok {
		return "", 0, 0
	}
	var base []float64
	for ago := 2; ago <= 8; ago++ {
		if c, ok := costs[ago]; ok {
			base = append(base, c)
		}
	}
	if len(base) < 3 {
		return "", 0, 0
	}
	med := medianOf(base)
	ratio := math.Inf(1)
	if med > 0 {
		ratio = cur / med
	}
	above := cur - med
	switch {
	case ge(ratio, 5) && ge(above, 10):
		return insights.Critical, cur, med
	case ge(ratio, 2) && ge(above, 1):
		return insights.Warning, cur, med
	}
	return "", cur, med
}

func (x *expectation) add(id, kind string, sev insights.Severity, dollars map[string]float64) {
	if sev != "" {
		x.want[id+"/"+kind] = want{sev: sev, dollars: dollars}
	}
}

func (x *expectation) function(id string, ft *fleet.FunctionTruth) {
	cfg := ft.Config
	arch, mem := cfg.Architecture, float64(cfg.MemoryMB)
	costs := map[int]float64{}
	compute := map[int]float64{}
	for i := range ft.Days {
		d := &ft.Days[i]
		if d.Invocations > 0 {
			costs[d.DaysAgo], compute[d.DaysAgo] = costOf(ft, d)
		}
	}
	x.dayCost[id] = costs
	// days at the current memory setting
	current := func(d *fleet.DayTruth) bool { return d.MemorySize == cfg.MemoryMB }
	d1 := day(ft, 1)
	inv1 := 0.0
	if d1 != nil {
		inv1 = float64(d1.Invocations)
	}

	// near-timeout
	if inv1 > 0 && d1.Duration != nil {
		x.add(id, "near-timeout", sevOf(d1.Duration.Maximum/(float64(cfg.TimeoutS)*1000), 0.8, 0.95), nil)
	}
	// timeouts and error-rate over the last 7 days
	worstTO, worstErr := -1.0, -1.0
	var lostSum float64
	lostDays := 0
	for ago := 1; ago <= 7; ago++ {
		d := day(ft, ago)
		if d == nil || d.Invocations == 0 {
			continue
		}
		worstTO = math.Max(worstTO, float64(d.Timeouts)/float64(d.Invocations))
		worstErr = math.Max(worstErr, float64(d.Errors)/float64(d.Invocations))
		if current(d) {
			lostSum += float64(d.Timeouts)
			lostDays++
		}
	}
	lost := map[string]float64{}
	if lostDays > 0 {
		lost["saving"] = lostSum / float64(lostDays) * float64(cfg.TimeoutS) * mem / 1024 * priceGBs[arch] * monthDays
	}
	switch {
	case ge(worstTO, 0.10):
		x.add(id, "timeouts", insights.Critical, lost)
	case d1 != nil && d1.Timeouts >= 1:
		x.add(id, "timeouts", insights.Warning, lost)
	}
	switch {
	case ge(worstErr, 0.10):
		x.add(id, "error-rate", insights.Critical, nil)
	case inv1 > 0 && ge(float64(d1.Errors)/inv1, 0.01) && d1.Errors >= 10:
		x.add(id, "error-rate", insights.Warning, nil)
	}
	x.oneCause(id, ft)
	// memory-near-limit
	if inv1 > 0 && d1.MemoryUsed != nil {
		s := sevOf(d1.MemoryUsed.Max/mem, 0.90, 0.97)
		if d1.OutOfMemory > 0 {
			s = insights.Critical
		}
		x.add(id, "memory-near-limit", s, nil)
	}
	// memory-overprovisioned over the last 14 days at the current memory
	if cfg.MemoryMB > 128 {
		var maxUsed, inv, comp float64
		seen, costDays := false, 0
		for ago := 1; ago <= 14; ago++ {
			d := day(ft, ago)
			if d == nil || !current(d) {
				continue
			}
			inv += float64(d.Invocations)
			if d.MemoryUsed != nil {
				maxUsed, seen = math.Max(maxUsed, d.MemoryUsed.Max), true
			}
			if c, ok := compute[ago]; ok {
				comp += c
				costDays++
			}
		}
		if seen && inv >= 50 && ge(0.4, maxUsed/mem) {
			rec := math.Max(128, math.Ceil(maxUsed*1.5/64-1e-9)*64)
			if rec < mem {
				x.add(id, "memory-overprovisioned", insights.Info,
					map[string]float64{"saving": comp / float64(costDays) * monthDays * (1 - rec/mem)})
			}
		}
	}
	// cold-starts
	if inv1 >= 100 {
		share := float64(d1.ColdStarts) / inv1
		p95 := 0.0
		if d1.Init != nil {
			p95 = d1.Init.P95
		}
		if ge(share, 0.05) || ge(p95, 1000) {
			initCost := 0.0
			if d1.Init != nil {
				initCost = d1.Init.Sum / 1000 * mem / 1024 * priceGBs[arch] * monthDays
			}
			x.add(id, "cold-starts", insights.Warning, map[string]float64{"initCostMonthlyUSD": initCost})
		}
	}
	// cost-spike
	if s, cur, med := spikeOf(costs); s != "" {
		x.add(id, "cost-spike", s, map[string]float64{"costUSD": cur, "baselineMedianUSD": med})
	}
	// throttles
	if d1 != nil && d1.Throttles >= 10 {
		thr := float64(d1.Throttles)
		x.add(id, "throttles", sevOf(thr/(inv1+thr), 0.01, 0.10), nil)
	}
	// deprecated-runtime
	if rt, ok := x.runtimes[cfg.Runtime]; ok && cfg.Runtime != "" {
		days := rt.deprecation.Sub(x.today).Hours() / 24
		switch {
		case days <= 0:
			x.add(id, "deprecated-runtime", insights.Critical, nil)
		case days <= 180:
			x.add(id, "deprecated-runtime", insights.Warning, nil)
		}
	}
	// arm64-candidate over the last 7 days at the current memory
	if rt := x.runtimes[cfg.Runtime]; arch == "x86_64" && cfg.PackageType == "Zip" && rt.arm64 {
		var sum float64
		n := 0
		for ago := 1; ago <= 7; ago++ {
			if d := day(ft, ago); d != nil && current(d) {
				if c, ok := compute[ago]; ok {
					sum += c
					n++
				}
			}
		}
		if n > 0 && ge(sum/float64(n)*monthDays, 5) {
			x.add(id, "arm64-candidate", insights.Info, map[string]float64{"saving": 0.2 * sum / float64(n) * monthDays})
		}
	}
	if d1 == nil {
		return
	}
	// iterator-age
	if d1.IteratorAgeMax != nil {
		x.add(id, "iterator-age", sevOf(*d1.IteratorAgeMax/60000, 30, 120), nil)
	}
	// async-failures
	if d1.AsyncEventsDropped+d1.DeadLetterErrors+d1.DestinationDeliveryFailures >= 1 {
		x.add(id, "async-failures", insights.Warning, nil)
	}
	// provisioned-concurrency-idle
	if pc := float64(cfg.ProvisionedConcurrency); pc > 0 && d1.ProvisionedUtilizationMax != nil && *d1.ProvisionedUtilizationMax < 0.6-1e-9 {
		need := math.Ceil(pc**d1.ProvisionedUtilizationMax - 1e-9)
		x.add(id, "provisioned-concurrency-idle", insights.Info,
			map[string]float64{"saving": (pc - need) * mem / 1024 * 86400 * monthDays * pricePCOn[ft.Region][arch]})
	}
	// recursive-loop
	if d1.RecursiveDropped >= 1 {
		x.add(id, "recursive-loop", insights.Warning, nil)
	}
}

// oneCause folds the function's expected findings as docs/report.md
// says: near-timeout into timeouts whenever both fire (the timeouts
// severity stands); error-rate into timeouts when the timeouts are at
// least 90 % of the errors on the day error-rate names (its worst day —
// the latest of equal ones — when critical, else the report day), at the
// higher severity of the two.
func (x *expectation) oneCause(id string, ft *fleet.FunctionTruth) {
	to, ok := x.want[id+"/timeouts"]
	if !ok {
		return
	}
	higher := func(a, b insights.Severity) insights.Severity {
		if a == insights.Critical || b == insights.Critical {
			return insights.Critical
		}
		if a == insights.Warning || b == insights.Warning {
			return insights.Warning
		}
		return a
	}
	delete(x.want, id+"/near-timeout")
	if er, ok := x.want[id+"/error-rate"]; ok {
		ago := 1
		if er.sev == insights.Critical {
			worst := -1.0
			for a := 7; a >= 1; a-- {
				if d := day(ft, a); d != nil && d.Invocations > 0 {
					if sh := float64(d.Errors) / float64(d.Invocations); sh >= worst {
						worst, ago = sh, a
					}
				}
			}
		}
		if d := day(ft, ago); d != nil && d.Errors > 0 && ge(float64(d.Timeouts)/float64(d.Errors), 0.9) {
			to.sev = higher(to.sev, er.sev)
			delete(x.want, id+"/error-rate")
		}
	}
	x.want[id+"/timeouts"] = to
}

// accuracy is one kind's figures.
type accuracy struct {
	tp, fp, fn, sevWrong int
	maxDollarErr         float64 // largest relative error of a dollar figure
	dollars              int
}

// compare checks a report against the expectation: precision and recall
// 1.0 per kind, severities equal, dollar figures within 0.5 %.
func (x *expectation) compare(t *testing.T, rep *insights.Report) map[string]*accuracy {
	t.Helper()
	acc := map[string]*accuracy{}
	get := func(kind string) *accuracy {
		if acc[kind] == nil {
			acc[kind] = &accuracy{}
		}
		return acc[kind]
	}
	got := map[string]*insights.Insight{}
	for i := range rep.Insights {
		in := &rep.Insights[i]
		got[in.Key] = in
		if _, ok := x.want[in.Key]; !ok {
			get(in.Kind).fp++
			t.Errorf("unexpected %s %s: %s", in.Severity, in.Key, in.Title)
		}
	}
	keys := make([]string, 0, len(x.want))
	for k := range x.want {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		w := x.want[key]
		kind := key[strings.LastIndex(key, "/")+1:]
		a := get(kind)
		in, ok := got[key]
		if !ok {
			a.fn++
			t.Errorf("missed %s %s", w.sev, key)
			continue
		}
		a.tp++
		if in.Severity != w.sev {
			a.sevWrong++
			t.Errorf("%s: severity %s, want %s (%s)", key, in.Severity, w.sev, in.Title)
		}
		for name, wantUSD := range w.dollars {
			var gotUSD *float64
			if name == "saving" {
				gotUSD = in.MonthlySavingUSD
			} else {
				for _, e := range in.Evidence {
					if e.Name == name {
						gotUSD = e.Value
					}
				}
			}
			if gotUSD == nil {
				t.Errorf("%s: no %s (want $%.4f)", key, name, wantUSD)
				continue
			}
			a.dollars++
			if rel := relErr(*gotUSD, wantUSD); rel > 0.005 {
				t.Errorf("%s: %s $%.6f, truth $%.6f (%.3f %% off)", key, name, *gotUSD, wantUSD, rel*100)
			} else {
				a.maxDollarErr = math.Max(a.maxDollarErr, rel)
			}
		}
	}
	// The report's cost figures against the truth's.
	var truthTotal float64
	for _, costs := range x.dayCost {
		truthTotal += costs[1]
	}
	if rep.Summary.CostUSD.Value == nil || relErr(*rep.Summary.CostUSD.Value, truthTotal) > 0.005 {
		t.Errorf("summary cost %v, truth $%.4f", rep.Summary.CostUSD.Value, truthTotal)
	}
	for _, fc := range rep.TopFunctions {
		if want := x.dayCost[fc.ID][1]; relErr(fc.CostUSD, want) > 0.005 {
			t.Errorf("top function %s costs $%.6f, truth $%.6f", fc.ID, fc.CostUSD, want)
		}
	}
	return acc
}

func relErr(got, want float64) float64 {
	if want == 0 {
		return math.Abs(got)
	}
	return math.Abs(got-want) / math.Abs(want)
}

// logAccuracy prints the per-kind figures.
func logAccuracy(t *testing.T, acc map[string]*accuracy) {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "%-30s %5s %5s %5s %9s %6s %8s %s\n", "kind", "tp", "fp", "fn", "precision", "recall", "dollars", "max $ error")
	kinds := make([]string, 0, len(acc))
	for k := range acc {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		a := acc[k]
		p, r := 1.0, 1.0
		if a.tp+a.fp > 0 {
			p = float64(a.tp) / float64(a.tp+a.fp)
		}
		if a.tp+a.fn > 0 {
			r = float64(a.tp) / float64(a.tp+a.fn)
		}
		fmt.Fprintf(&b, "%-30s %5d %5d %5d %9.3f %6.3f %8d %.4f %%\n", k, a.tp, a.fp, a.fn, p, r, a.dollars, a.maxDollarErr*100)
	}
	t.Log("\n" + b.String())
}
