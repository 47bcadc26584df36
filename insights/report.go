package insights

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/lambdaudit/lambdaudit/cost"
	"github.com/lambdaudit/lambdaudit/metrics"
	"github.com/lambdaudit/lambdaudit/scanner"
)

// ReportSchema and ReportVersion identify the report format
// (docs/report.md). The version changes when a field changes meaning or
// goes away; fields may be added within a version.
const (
	ReportSchema  = "lambdaudit/report"
	ReportVersion = 1
)

// Report is what one scan means: coverage, the summary with its changes
// against the previous days, where the money goes, and the insights.
type Report struct {
	Schema  string `json:"schema"`
	Version int    `json:"version"`
	// GeneratedAt is when the report was built.
	GeneratedAt time.Time `json:"generatedAt"`
	// ReportDay is the day the insights are about (the window's last),
	// YYYY-MM-DD; Window the scanned days.
	ReportDay string         `json:"reportDay"`
	Window    metrics.Window `json:"window"`
	Scan      ScanInfo       `json:"scan"`
	Coverage  Coverage       `json:"coverage"`
	Summary   Summary        `json:"summary"`
	// TopFunctions are the costliest functions of the report day;
	// CostMovers those whose report-day cost moved most from their
	// previous 7 days' average, up or down.
	TopFunctions []FunctionCost `json:"topFunctions"`
	CostMovers   []CostMover    `json:"costMovers"`
	// Insights are sorted by severity, then reliability before cost
	// before lifecycle, then ImpactUSD (largest first), then key
	// (sortInsights; docs/report.md, "Order of the insights"); a
	// function's overlapping findings are one (reconcile).
	Insights []Insight `json:"insights"`
	Counts   Counts    `json:"counts"`
	// Missing lists, per reason, the rules that could not run and for
	// which functions (or account-regions).
	Missing []Missing `json:"missing"`
	// ConfigProblems are lambdaudit: tags that could not be applied.
	ConfigProblems []ConfigProblem `json:"configProblems"`
	Sources        Sources         `json:"sources"`
}

// ScanInfo is the scan behind the report and what it cost.
type ScanInfo struct {
	StartedAt  time.Time `json:"startedAt"`
	FinishedAt time.Time `json:"finishedAt"`
	// CostUSD is the scan's own AWS bill (CloudWatch metrics and Logs
	// Insights bytes at list prices; an upper bound).
	CostUSD          float64 `json:"costUSD"`
	Calls            int     `json:"calls"`
	Throttled        int     `json:"throttled"`
	CallErrors       int     `json:"callErrors"`
	MetricsRequested int     `json:"metricsRequested"`
	LogsQueries      int     `json:"logsQueries"`
	LogsBytesScanned float64 `json:"logsBytesScanned"`
	LogsBudgetBytes  float64 `json:"logsBudgetBytes"`
	// Deployment is what the deployed host (Lambda, SQS, S3) cost to run
	// the scan, beside CostUSD; absent for a scan the CLI ran.
	Deployment *scanner.Deployment `json:"deployment,omitempty"`
}

// Coverage says how much of the fleet the report covers.
type Coverage struct {
	Targets       int `json:"targets"`
	TargetsFailed int `json:"targetsFailed"`
	Listed        int `json:"listed"`
	Scanned       int `json:"scanned"`
	Partial       int `json:"partial"`
	Failed        int `json:"failed"`
	// Reasons counts the scan's failures by normalised cause (see
	// scanner.Coverage.Reasons); Causes has them with their parts, most
	// functions first, and NotCovered the functions that lost data.
	Reasons       map[string]int       `json:"reasons"`
	Causes        []scanner.CauseCount `json:"causes"`
	NotCovered    int                  `json:"notCovered"`
	FailedTargets []FailedTarget       `json:"failedTargets"`
	// LogsSkipped counts the functions whose logs were not queried by
	// design (over the log budget, no log data), by reason in
	// LogsSkippedBy: coverage, not failure.
	LogsSkipped   int            `json:"logsSkipped"`
	LogsSkippedBy map[string]int `json:"logsSkippedBy,omitempty"`
	// Invoked counts functions with invocations on the report day; Idle
	// those whose Invocations metric was fetched and had none.
	Invoked int `json:"invoked"`
	Idle    int `json:"idle"`
	// RulesNotRun counts (function or region, rule) pairs that could not
	// run; Missing says which and why.
	RulesNotRun int `json:"rulesNotRun"`
	// Accounts and Regions are the scan's targets, sorted: the scope a
	// digest names, whether or not they had findings.
	Accounts []string `json:"accounts"`
	Regions  []string `json:"regions"`
}

// FailedTarget is an account-region the scan could not list.
type FailedTarget struct {
	Account string `json:"account"`
	Region  string `json:"region"`
	Error   string `json:"error"`
}

// Summary are the fleet's headline figures for the report day.
type Summary struct {
	// Health is 1 − errors ÷ invocations.
	Health      Figure `json:"health"`
	Invocations Figure `json:"invocations"`
	Errors      Figure `json:"errors"`
	// ColdStarts covers the functions with REPORT statistics or
	// LambdaInsights (Functions says how many).
	ColdStarts Figure `json:"coldStarts"`
	CostUSD    Figure `json:"costUSD"`
	// ProjectedMonthUSD is the cost model's projection of the report
	// day's month; its baseline is the previous 7 days' average daily
	// cost × the month's days.
	ProjectedMonthUSD Figure `json:"projectedMonthUSD"`
}

// Figure is a report-day value with its change against the previous 7
// days' average (days with data only; null when there are none).
type Figure struct {
	Value    *float64 `json:"value"`
	Baseline *float64 `json:"baseline"`
	// Change is Value − Baseline; ChangeRatio Change ÷ Baseline (null when
	// the baseline is 0).
	Change      *float64 `json:"change"`
	ChangeRatio *float64 `json:"changeRatio"`
	// Functions counts the functions with data on the report day.
	Functions int `json:"functions"`
}

// FunctionCost is a function's cost in the top list.
type FunctionCost struct {
	ID      string `json:"id"`
	Account string `json:"account"`
	Region  string `json:"region"`
	Name    string `json:"name"`
	// CostUSD is the report day's cost, Breakdown its components.
	CostUSD   float64    `json:"costUSD"`
	Breakdown *Breakdown `json:"breakdown"`
	// BaselineUSD is the previous 7 days' average daily cost (days with
	// data); null without any.
	BaselineUSD       *float64 `json:"baselineUSD"`
	MonthToDateUSD    *float64 `json:"monthToDateUSD"`
	ProjectedMonthUSD *float64 `json:"projectedMonthUSD"`
}

// CostMover is a function whose report-day cost moved from its previous
// 7 days' average.
type CostMover struct {
	ID          string   `json:"id"`
	Account     string   `json:"account"`
	Region      string   `json:"region"`
	Name        string   `json:"name"`
	CostUSD     float64  `json:"costUSD"`
	BaselineUSD *float64 `json:"baselineUSD"`
	ChangeUSD   float64  `json:"changeUSD"`
	// Ratio is CostUSD ÷ BaselineUSD; null for a function without a
	// baseline (new) or with a zero one.
	Ratio *float64 `json:"ratio"`
}

// Counts are the insights by severity and by kind.
type Counts struct {
	Critical int            `json:"critical"`
	Warning  int            `json:"warning"`
	Info     int            `json:"info"`
	ByKind   map[string]int `json:"byKind"`
	// MonthlySavingUSD sums the insights' estimated savings.
	MonthlySavingUSD float64 `json:"monthlySavingUSD"`
}

// Sources date the tables and state the methods behind the figures.
type Sources struct {
	PricesAsOf     string `json:"pricesAsOf"`
	PricesSource   string `json:"pricesSource"`
	FreeTier       bool   `json:"freeTier"`
	CostProjection string `json:"costProjection"`
	RuntimesAsOf   string `json:"runtimesAsOf"`
	RuntimesSource string `json:"runtimesSource"`
	BaselineDays   int    `json:"baselineDays"`
	Monthly        string `json:"monthly"`
}

// Options of Build.
type Options struct {
	// Config holds the thresholds; nil is DefaultConfig.
	Config *Config
	// Prices is the price table; nil is cost.Embedded().
	Prices *cost.Table
	// FreeTier applies the monthly free tier once per account.
	FreeTier bool
	// Runtimes is the runtime table; nil is the embedded Runtimes().
	Runtimes *RuntimeTable
	// Now is GeneratedAt; zero is the scan's FinishedAt.
	Now time.Time
}

// baselineDays is the summary's and the movers' comparison: the 7 days
// before the report day.
const baselineDays = 7

// Build turns a scan result into a report: it refuses a result of an
// unknown version or with impossible values (*ScanError) and an invalid
// config (*ConfigError), prices the functions with package cost, runs
// every rule of INSIGHTS.md and assembles the report. A function with
// values the rules do not model keeps its other rules; the ones it
// cannot run are in Report.Missing with the reason.
func Build(res *scanner.Result, opt Options) (*Report, error) {
	rep, _, err := BuildWithCosts(res, opt)
	return rep, err
}

// BuildWithCosts is Build that also returns the cost model's result the
// report was priced with (package cost), for the outputs that list every
// function's costs (report.csv, summary.csv): the model runs once.
func BuildWithCosts(res *scanner.Result, opt Options) (*Report, *cost.Costs, error) {
	if err := ValidateScan(res); err != nil {
		return nil, nil, err
	}
	cfg := opt.Config
	if cfg == nil {
		cfg = DefaultConfig()
	} else if err := cfg.Validate(); err != nil {
		return nil, nil, err
	}
	table := opt.Prices
	if table == nil {
		table = cost.Embedded()
	}
	co := cost.Options{FreeTier: opt.FreeTier}
	if !opt.Now.Before(res.Window.End) {
		co.Now = opt.Now
	}
	cd, costs, err := modelCosts(res, table, co)
	if err != nil {
		return nil, nil, err
	}
	now := opt.Now
	if now.IsZero() {
		now = res.FinishedAt
	}
	rt := opt.Runtimes
	if rt == nil {
		rt = Runtimes()
	}
	rep := build(res, cfg, cd, rt, now)
	rep.Sources.FreeTier = opt.FreeTier
	return rep, costs, nil
}

// build evaluates and assembles; cd may be nil (no cost figures).
func build(res *scanner.Result, cfg *Config, cd *costData, rt *RuntimeTable, now time.Time) *Report {
	e := newEvaluator(res, cfg, cd)
	e.runtimes = rt
	e.run()
	w := res.Window
	rep := &Report{Schema: ReportSchema, Version: ReportVersion, GeneratedAt: now.UTC(),
		ReportDay: w.DayStart(w.Days - 1).Format("2006-01-02"), Window: w,
		Insights: e.insights, Missing: e.missingList(), ConfigProblems: e.problems}
	if rep.Insights == nil {
		rep.Insights = []Insight{}
	}
	if rep.ConfigProblems == nil {
		rep.ConfigProblems = []ConfigProblem{}
	}
	sortInsights(rep.Insights)
	rep.Counts = countInsights(rep.Insights)
	rep.Scan = scanInfo(res)
	rep.Coverage = coverage(res, rep.Missing)
	rep.Summary = summarise(res, cd)
	rep.TopFunctions, rep.CostMovers = costLists(res, cd, cfg.top(), cfg.movers())
	rep.Sources = Sources{RuntimesAsOf: rt.AsOf, RuntimesSource: rt.Source, BaselineDays: baselineDays,
		Monthly: "monthly figures are daily figures × 30.4375 (365.25 / 12)"}
	if cd != nil {
		rep.Sources.PricesAsOf, rep.Sources.PricesSource, rep.Sources.CostProjection = cd.asOf, cd.source, cd.projection
	}
	return rep
}

func countInsights(ins []Insight) Counts {
	c := Counts{ByKind: map[string]int{}}
	for i := range ins {
		switch ins[i].Severity {
		case Critical:
			c.Critical++
		case Warning:
			c.Warning++
		default:
			c.Info++
		}
		c.ByKind[ins[i].Kind]++
		if s := ins[i].MonthlySavingUSD; s != nil {
			c.MonthlySavingUSD += *s
		}
	}
	c.MonthlySavingUSD = round6(c.MonthlySavingUSD)
	return c
}

func scanInfo(res *scanner.Result) ScanInfo {
	s := ScanInfo{StartedAt: res.StartedAt, FinishedAt: res.FinishedAt, CostUSD: round6(res.API.EstimatedCostUSD),
		MetricsRequested: res.API.MetricsRequested, LogsQueries: res.Logs.Queries,
		LogsBytesScanned: res.Logs.ScannedBytes, LogsBudgetBytes: res.Logs.BudgetBytes, Deployment: res.Deployment}
	for _, n := range res.API.Calls {
		s.Calls += n
	}
	for _, n := range res.API.Throttles {
		s.Throttled += n
	}
	for _, n := range res.API.Errors {
		s.CallErrors += n
	}
	return s
}

func coverage(res *scanner.Result, missing []Missing) Coverage {
	c := res.Coverage
	out := Coverage{Targets: c.Targets, TargetsFailed: c.TargetsFailed, Listed: c.Listed, Scanned: c.Scanned,
		Partial: c.Partial, Failed: c.Failed, Reasons: c.Reasons, FailedTargets: []FailedTarget{},
		Causes: c.Causes, NotCovered: c.NotCovered, LogsSkipped: c.LogsSkipped, LogsSkippedBy: c.LogsSkippedBy}
	if out.Causes == nil {
		out.Causes = []scanner.CauseCount{}
	}
	if out.Reasons == nil {
		out.Reasons = map[string]int{}
	}
	accounts, regions := map[string]bool{}, map[string]bool{}
	for _, t := range res.Targets {
		accounts[t.Account], regions[t.Region] = true, true
		if t.Status != scanner.StatusOK {
			out.FailedTargets = append(out.FailedTargets, FailedTarget{t.Account, t.Region, t.Error})
		}
	}
	out.Accounts = slices.Sorted(maps.Keys(accounts))
	out.Regions = slices.Sorted(maps.Keys(regions))
	L := res.Window.Days - 1
	for i := range res.Functions {
		s, ok := res.Functions[i].Metrics[mInvocations]
		if !ok {
			continue
		}
		if count(s, L) > 0 {
			out.Invoked++
		} else {
			out.Idle++
		}
	}
	for _, m := range missing {
		out.RulesNotRun += m.Count * len(m.Rules)
	}
	return out
}

// dayTotals sums a per-function daily value over the fleet: per day the
// total and how many functions had a figure.
func dayTotals(res *scanner.Result, get func(f *scanner.Function, d int) (float64, bool)) ([]float64, []int) {
	n := res.Window.Days
	tot, k := make([]float64, n), make([]int, n)
	for i := range res.Functions {
		f := &res.Functions[i]
		for d := 0; d < n; d++ {
			if v, ok := get(f, d); ok {
				tot[d] += v
				k[d]++
			}
		}
	}
	return tot, k
}

// figure is the report day's value against the average of the previous
// baselineDays days with data.
func figure(vals []float64, has []bool, functions int) Figure {
	L := len(vals) - 1
	f := Figure{Functions: functions}
	if L < 0 {
		return f
	}
	if has[L] {
		f.Value = ptr(round6(vals[L]))
	}
	var sum float64
	k := 0
	for d := max(L-baselineDays, 0); d < L; d++ {
		if has[d] {
			sum += vals[d]
			k++
		}
	}
	if k > 0 {
		f.Baseline = ptr(round6(sum / float64(k)))
	}
	if f.Value != nil && f.Baseline != nil {
		f.Change = ptr(round6(*f.Value - *f.Baseline))
		if *f.Baseline != 0 {
			f.ChangeRatio = ptr(round6(*f.Change / *f.Baseline))
		}
	}
	return f
}

func summarise(res *scanner.Result, cd *costData) Summary {
	n := res.Window.Days
	L := n - 1
	metric := func(key string) func(f *scanner.Function, d int) (float64, bool) {
		return func(f *scanner.Function, d int) (float64, bool) {
			s, ok := f.Metrics[key]
			if !ok {
				return 0, false
			}
			v, ok := val(s, d)
			return v, ok
		}
	}
	inv, invK := dayTotals(res, metric(mInvocations))
	errs, errK := dayTotals(res, metric(mErrors))
	cold, coldK := dayTotals(res, func(f *scanner.Function, d int) (float64, bool) {
		if l := f.Logs; l != nil && !l.SharedLogGroup {
			if _, ok := val(l.Invocations, d); ok {
				return count(l.ColdStarts, d), true
			}
			return 0, false
		}
		if s, ok := f.Metrics[mLIInitCount]; ok {
			if v, ok := val(f.Metrics[mInvocations], d); ok && v > 0 {
				return count(s, d), true
			}
		}
		return 0, false
	})
	has := func(k []int) []bool {
		out := make([]bool, len(k))
		for i, v := range k {
			out[i] = v > 0
		}
		return out
	}
	health := make([]float64, n)
	hHas := make([]bool, n)
	for d := range health {
		if inv[d] > 0 {
			health[d], hHas[d] = 1-errs[d]/inv[d], true
		}
	}
	s := Summary{
		Health:      figure(health, hHas, invK[L]),
		Invocations: figure(inv, has(invK), invK[L]),
		Errors:      figure(errs, has(errK), errK[L]),
		ColdStarts:  figure(cold, has(coldK), coldK[L]),
	}
	if cd == nil {
		return s
	}
	costs, costK := dayTotals(res, func(f *scanner.Function, d int) (float64, bool) {
		if b := cd.fns[f.ID].day(d); b != nil {
			return b.Total, true
		}
		return 0, false
	})
	s.CostUSD = figure(costs, has(costK), costK[L])
	s.ProjectedMonthUSD = Figure{Functions: costK[L]}
	if cd.projected != nil {
		s.ProjectedMonthUSD.Value = ptr(round6(*cd.projected))
	}
	if s.CostUSD.Baseline != nil {
		first := res.Window.DayStart(L)
		first = time.Date(first.Year(), first.Month(), 1, 0, 0, 0, 0, time.UTC)
		inMonth := float64(first.AddDate(0, 1, 0).Sub(first) / metrics.Day)
		s.ProjectedMonthUSD.Baseline = ptr(round6(*s.CostUSD.Baseline * inMonth))
	}
	if v, b := s.ProjectedMonthUSD.Value, s.ProjectedMonthUSD.Baseline; v != nil && b != nil {
		s.ProjectedMonthUSD.Change = ptr(round6(*v - *b))
		if *b != 0 {
			s.ProjectedMonthUSD.ChangeRatio = ptr(round6((*v - *b) / *b))
		}
	}
	return s
}

// costLists are the top functions by report-day cost and the biggest
// movers against their previous 7 days' average.
func costLists(res *scanner.Result, cd *costData, top, movers int) ([]FunctionCost, []CostMover) {
	tops, moves := []FunctionCost{}, []CostMover{}
	if cd == nil {
		return tops, moves
	}
	L := res.Window.Days - 1
	for i := range res.Functions {
		f := &res.Functions[i]
		fc := cd.fns[f.ID]
		if fc == nil || fc.why != "" {
			continue
		}
		var base *float64
		var sum float64
		k := 0
		for d := max(L-baselineDays, 0); d < L; d++ {
			if b := fc.day(d); b != nil {
				sum += b.Total
				k++
			}
		}
		if k > 0 {
			base = ptr(round6(sum / float64(k)))
		}
		cur := fc.day(L)
		if cur != nil {
			tops = append(tops, FunctionCost{ID: f.ID, Account: f.Account, Region: f.Region, Name: f.Name,
				CostUSD: round6(cur.Total), Breakdown: rounded(cur), BaselineUSD: base,
				MonthToDateUSD: roundPtr(fc.monthToDate), ProjectedMonthUSD: roundPtr(fc.projected)})
		}
		// A function idle on the report day costs nothing that day when
		// its Invocations metric was fetched; otherwise it is no mover.
		var now float64
		switch {
		case cur != nil:
			now = cur.Total
		case f.Metrics[mInvocations] != nil && count(f.Metrics[mInvocations], L) == 0 && base != nil:
			now = 0
		default:
			continue
		}
		m := CostMover{ID: f.ID, Account: f.Account, Region: f.Region, Name: f.Name, CostUSD: round6(now), BaselineUSD: base}
		m.ChangeUSD = now
		if base != nil {
			m.ChangeUSD = now - *base
			if *base > 0 {
				m.Ratio = ptr(round6(now / *base))
			}
		}
		m.ChangeUSD = round6(m.ChangeUSD)
		if math.Abs(m.ChangeUSD) >= 0.005 {
			moves = append(moves, m)
		}
	}
	sort.Slice(tops, func(i, j int) bool {
		if tops[i].CostUSD != tops[j].CostUSD {
			return tops[i].CostUSD > tops[j].CostUSD
		}
		return tops[i].ID < tops[j].ID
	})
	sort.Slice(moves, func(i, j int) bool {
		a, b := math.Abs(moves[i].ChangeUSD), math.Abs(moves[j].ChangeUSD)
		if a != b {
			return a > b
		}
		return moves[i].ID < moves[j].ID
	})
	return tops[:min(top, len(tops))], moves[:min(movers, len(moves))]
}

func roundPtr(v *float64) *float64 {
	if v == nil {
		return nil
	}
	return ptr(round6(*v))
}

// Encode writes the report as indented JSON.
func (r *Report) Encode(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("encode report: %w", err)
	}
	return nil
}

// ErrReportSchema is returned by DecodeReport for a document of another
// schema or an unknown version.
var ErrReportSchema = errors.New("not a lambdaudit report of a known version")

// DecodeReport reads a report back, refusing another schema or version.
func DecodeReport(rd io.Reader) (*Report, error) {
	var r Report
	if err := json.NewDecoder(rd).Decode(&r); err != nil {
		return nil, fmt.Errorf("decode report: %w", err)
	}
	if r.Schema != ReportSchema || r.Version != ReportVersion {
		return nil, fmt.Errorf("%w: schema %q version %d (want %q version %d)", ErrReportSchema, r.Schema, r.Version, ReportSchema, ReportVersion)
	}
	return &r, nil
}
