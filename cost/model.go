package cost

import (
	"cmp"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/lambdaudit/lambdaudit/logstats"
	"github.com/lambdaudit/lambdaudit/metrics"
	"github.com/lambdaudit/lambdaudit/scanner"
)

// Breakdown is a cost in USD by component.
type Breakdown struct {
	Requests            float64 `json:"requests"`
	Duration            float64 `json:"duration"`
	Init                float64 `json:"init"`
	Ephemeral           float64 `json:"ephemeral"`
	ProvisionedIdle     float64 `json:"provisionedIdle"`
	ProvisionedDuration float64 `json:"provisionedDuration"`
	Total               float64 `json:"total"`
}

func (b *Breakdown) sum() {
	b.Total = b.Requests + b.Duration + b.Init + b.Ephemeral + b.ProvisionedIdle + b.ProvisionedDuration
}

// Add adds o to b, totals included.
func (b *Breakdown) Add(o Breakdown) {
	b.Requests += o.Requests
	b.Duration += o.Duration
	b.Init += o.Init
	b.Ephemeral += o.Ephemeral
	b.ProvisionedIdle += o.ProvisionedIdle
	b.ProvisionedDuration += o.ProvisionedDuration
	b.Total += o.Total
}

// Options of Model.
type Options struct {
	// FreeTier applies the monthly free tier once per account (off by
	// default, as on an AWS Organizations member account it is shared).
	FreeTier bool
	// Now is when the costs are computed; zero means the scan's window
	// end. It must not be before the window end.
	Now time.Time
}

// The methods Model states in its result.
const (
	// DurationMethod: where the billed duration comes from.
	DurationMethod = "Billed duration is the REPORT lines' Billed Duration (logs) where the scan has it for the function alone; " +
		"otherwise CloudWatch Duration Sum plus 0.5 ms per invocation, the expected round-up of each invocation to 1 ms, " +
		"with INIT from LambdaInsights init_duration Sum where billed. Memory is the function's current configuration."
	// ApportionmentMethod: how account-level tiers and the free tier
	// reach a function's day.
	ApportionmentMethod = "Duration tiers apply to an account's monthly on-demand GB-s per region and architecture: " +
		"each day's GB-s of the account-region-architecture are priced across the tiers from the month-to-date total before that day " +
		"(days of the month before the window are estimated at the window's mean daily GB-s of that month), " +
		"and every function's GB-s that day get the day's blended rate. The free tier (when on) works the same way per account " +
		"over all regions and both architectures: the month-to-date before a day decides how much of the day's requests and GB-s are free, " +
		"and each function gets that share of its own; functions with provisioned concurrency are left out of it."
	// ProjectionMethod: how the month is projected.
	ProjectionMethod = "Projected month = month to date (the window's days of the report day's month) + the daily run rate × " +
		"the days of that month the window does not cover; the run rate is the mean daily cost over the last 7 window days that have data. " +
		"Without data in those 7 days there is no projection."
)

// Costs is what a scan's functions cost.
type Costs struct {
	Window metrics.Window `json:"window"`
	// Now is when the costs were computed; Month the report day's month
	// (YYYY-MM) that MonthToDate and ProjectedMonth cover.
	Now   time.Time `json:"now"`
	Month string    `json:"month"`
	// PricesAsOf and PricesOrigin identify the price table.
	PricesAsOf   string `json:"pricesAsOf"`
	PricesOrigin string `json:"pricesOrigin"`
	FreeTier     bool   `json:"freeTier"`
	// Methods states how durations, tiers and projections are computed.
	Methods   Methods        `json:"methods"`
	Functions []FunctionCost `json:"functions"`
	// Regions are the account-region totals, sorted by account then
	// region; Accounts the account totals, sorted.
	Regions  []GroupCost `json:"regions"`
	Accounts []GroupCost `json:"accounts"`
}

// Methods states Model's methods in its result.
type Methods struct {
	Duration     string `json:"duration"`
	Apportioning string `json:"apportioning"`
	Projection   string `json:"projection"`
}

// FunctionCost is one function's cost.
type FunctionCost struct {
	ID           string `json:"id"`
	Account      string `json:"account"`
	Region       string `json:"region"`
	Name         string `json:"name"`
	Architecture string `json:"architecture"`
	// Unpriced says why the model did not price the function (a Lambda
	// Managed Instances function, a region or architecture without a USD
	// price, a value outside Lambda's limits); its Days are then all nil.
	// Empty for a priced function.
	Unpriced string `json:"unpriced,omitempty"`
	// Days has one Breakdown per window day, oldest first; nil where the
	// scan has no data for the day (no data is not $0).
	Days []*Breakdown `json:"days"`
	// Usage are the billed quantities behind Days, nil alike.
	Usage []*Usage `json:"usage"`
	// WindowDay is the report day's cost (the window's last day); nil
	// without data.
	WindowDay *Breakdown `json:"windowDay"`
	// MonthToDate sums the window's days of the report day's month, up to
	// the report day; nil when none has data.
	MonthToDate *Breakdown `json:"monthToDate"`
	// DailyRunRate is the mean daily cost over the last 7 window days with
	// data; ProjectedMonth the month projected with it (ProjectionMethod).
	// Both nil without data in those 7 days.
	DailyRunRate   *float64 `json:"dailyRunRate"`
	ProjectedMonth *float64 `json:"projectedMonth"`
}

// GroupCost is the cost of an account-region (Region set) or an account:
// the sums of its functions' figures that exist.
type GroupCost struct {
	Account string `json:"account"`
	Region  string `json:"region,omitempty"`
	// Functions counts the group's functions; Covered, per window day, how
	// many of them have data that day; Unpriced how many the model did not
	// price (FunctionCost.Unpriced).
	Functions int   `json:"functions"`
	Covered   []int `json:"covered"`
	Unpriced  int   `json:"unpriced,omitempty"`
	// Days are the per-day sums; nil where no function has data.
	Days           []*Breakdown `json:"days"`
	WindowDay      *Breakdown   `json:"windowDay"`
	MonthToDate    *Breakdown   `json:"monthToDate"`
	DailyRunRate   *float64     `json:"dailyRunRate"`
	ProjectedMonth *float64     `json:"projectedMonth"`
}

// runRateDays is how many trailing window days the run rate looks at.
const runRateDays = 7

// Model prices every function of a scan result per window day, then sums
// account-regions and accounts. It refuses a result of another schema or
// window, and nothing else: a function it cannot price — a Lambda Managed
// Instances function (billed on EC2 capacity, not GB-seconds), a region or
// architecture the table has no price for, a region priced in another
// currency than the table's (aws-cn's CNY is never added to USD), a value
// outside Lambda's limits (negative or non-finite counts, memory outside
// 128..10,240 MB) — gets FunctionCost.Unpriced with the reason and no
// figures, and the rest of the fleet is priced.
func Model(res *scanner.Result, t *Table, opt Options) (*Costs, error) {
	switch {
	case res == nil:
		return nil, fmt.Errorf("cost model: %w: no scan result", ErrInput)
	case t == nil:
		return nil, fmt.Errorf("cost model: %w: no price table", ErrInput)
	case res.Schema != scanner.Schema || res.Version != scanner.SchemaVersion:
		return nil, fmt.Errorf("cost model: %w: schema %q version %d (want %q version %d)", scanner.ErrSchema, res.Schema, res.Version, scanner.Schema, scanner.SchemaVersion)
	}
	w := res.Window
	if err := w.Validate(); err != nil {
		return nil, fmt.Errorf("cost model: %w: %v", ErrInput, err)
	}
	now := opt.Now
	if now.IsZero() {
		now = w.End
	}
	if now.Before(w.End) {
		return nil, fmt.Errorf("cost model: %w: now %s is before the window end %s", ErrInput, now.Format(time.RFC3339), w.End.Format(time.RFC3339))
	}
	m := &modeller{w: w, t: t, free: opt.FreeTier}
	m.starts = make([]time.Time, w.Days)
	for d := range m.starts {
		m.starts[d] = w.DayStart(d)
	}
	fns := make([]fnState, len(res.Functions))
	var priced []fnState
	for i := range res.Functions {
		f := &res.Functions[i]
		fns[i] = fnState{f: f}
		if fns[i].p, fns[i].unpriced = m.prices(f); fns[i].unpriced != "" {
			continue
		}
		fns[i].use = m.usage(f)
		priced = append(priced, fns[i])
	}
	m.apportion(priced)
	out := &Costs{Window: w, Now: now, Month: m.starts[w.Days-1].Format("2006-01"), PricesAsOf: t.AsOf, PricesOrigin: t.origin(),
		FreeTier: opt.FreeTier, Methods: Methods{Duration: DurationMethod, Apportioning: ApportionmentMethod, Projection: ProjectionMethod},
		Functions: make([]FunctionCost, len(fns))}
	for i := range fns {
		if fns[i].unpriced != "" {
			f := fns[i].f
			out.Functions[i] = FunctionCost{ID: f.ID, Account: f.Account, Region: f.Region, Name: f.Name, Architecture: cmp.Or(f.Architecture, ArchX86),
				Unpriced: fns[i].unpriced, Days: make([]*Breakdown, w.Days), Usage: make([]*Usage, w.Days)}
			continue
		}
		out.Functions[i] = m.price(&fns[i])
	}
	out.Regions, out.Accounts = m.groups(out.Functions)
	return out, nil
}

type fnState struct {
	f   *scanner.Function
	p   Prices
	use []*Usage
	// unpriced is why the function is not priced; empty when it is.
	unpriced string
}

// ReasonManagedInstances is FunctionCost.Unpriced of a Lambda Managed
// Instances function.
const ReasonManagedInstances = "Lambda Managed Instances function: billed for its capacity provider's EC2 instances " +
	"plus a management fee and requests, not GB-seconds; cost not modelled"

// prices are f's prices, or why the model cannot price f (then the
// Prices are zero). The reason names the region, architecture or value,
// never the function (the report groups functions by reason).
func (m *modeller) prices(f *scanner.Function) (Prices, string) {
	if f.CapacityProviderARN != "" {
		return Prices{}, ReasonManagedInstances
	}
	if err := validateFunction(f, m.starts); err != nil {
		return Prices{}, "cost not modelled: " + err.Error()
	}
	p, err := m.t.Prices(f.Region, f.Architecture)
	if err != nil {
		return Prices{}, fmt.Sprintf("no price for %s %s in the price table (as of %s)", f.Region, cmp.Or(f.Architecture, ArchX86), m.t.AsOf)
	}
	if p.Currency != m.t.Currency {
		return Prices{}, fmt.Sprintf("prices for %s are in %s, the report's costs in %s: lambdaudit does not convert currencies", f.Region, p.Currency, m.t.Currency)
	}
	return p, ""
}

type modeller struct {
	w      metrics.Window
	t      *Table
	free   bool
	starts []time.Time
	// rate is the blended on-demand duration rate per
	// account/region/architecture and day.
	rate map[string][]float64
	// freeReq and freeGBs are, per account and day, the share of the
	// eligible requests and GB-s the free tier covers.
	freeReq, freeGBs map[string][]float64
}

func val(s metrics.Series, d int) (float64, bool) {
	if d >= len(s) || s[d] == nil {
		return 0, false
	}
	return *s[d], true
}

// validateFunction refuses configuration and series values outside what
// Lambda allows (on demand) or what can be counted; the error names the
// value, not the function.
func validateFunction(f *scanner.Function, starts []time.Time) error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf(format, a...)
	}
	switch {
	case f.Architecture != "" && f.Architecture != ArchX86 && f.Architecture != ArchARM64:
		return bad("architecture %q is not %s or %s", f.Architecture, ArchX86, ArchARM64)
	case f.MemoryMB <= 0:
		return bad("memory %d MB (a function has at least %d MB)", f.MemoryMB, MinMemoryMB)
	case f.MemoryMB > MaxMemoryMB:
		return bad("memory %d MB is above Lambda's %d MB", f.MemoryMB, MaxMemoryMB)
	case f.EphemeralMB < 0 || f.EphemeralMB > MaxEphemeralMB:
		return bad("ephemeral storage %d MB is outside 512..%d MB", f.EphemeralMB, MaxEphemeralMB)
	case f.ProvisionedConcurrency != nil && *f.ProvisionedConcurrency < 0:
		return bad("provisioned concurrency %d is negative", *f.ProvisionedConcurrency)
	}
	check := func(name string, s metrics.Series) error {
		if s == nil {
			return nil
		}
		if len(s) != len(starts) {
			return bad("%s has %d days, the window %d", name, len(s), len(starts))
		}
		for d, v := range s {
			if v != nil && (*v < 0 || !finite(*v)) {
				return bad("%s on %s is %v", name, starts[d].Format(time.DateOnly), *v)
			}
		}
		return nil
	}
	keys := make([]string, 0, len(f.Metrics))
	for k := range f.Metrics {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := check(k, f.Metrics[k]); err != nil {
			return err
		}
	}
	if l := f.Logs; l != nil {
		for _, s := range []struct {
			name string
			s    metrics.Series
		}{{"logs invocations", l.Invocations}, {"logs coldStarts", l.ColdStarts}, {"logs timeouts", l.Timeouts},
			{"logs outOfMemory", l.OutOfMemory}, {"logs memoryMaxMB", l.MemoryMaxMB}, {"logs memoryP99MB", l.MemoryP99MB},
			{"logs initP95Ms", l.InitP95Ms}, {"logs initTotalMs", l.InitTotalMs}, {"logs billedDurationMs", l.BilledDurationMs}} {
			if err := check(s.name, s.s); err != nil {
				return err
			}
		}
	}
	return nil
}

// usage is the function's billed quantities per window day, nil where the
// scan has no data.
func (m *modeller) usage(f *scanner.Function) []*Usage {
	out := make([]*Usage, m.w.Days)
	var logs *logstats.Stats
	if f.Logs != nil && !f.Logs.SharedLogGroup {
		logs = f.Logs
	}
	arch := f.Architecture
	if arch == "" {
		arch = ArchX86
	}
	eph := f.EphemeralMB
	if eph == 0 {
		eph = FreeEphemeral
	}
	for d := range out {
		reqs, ok := val(f.Metrics[metrics.InvocationsSum], d)
		if !ok && logs != nil {
			reqs, ok = val(logs.Invocations, d)
		}
		if !ok {
			continue
		}
		u := &Usage{Architecture: arch, MemoryMB: f.MemoryMB, EphemeralMB: eph, Requests: reqs,
			MemoryAssumed: m.starts[d].Before(f.LastModified)}
		// The REPORT lines say what memory the day ran (and was billed)
		// at; the configuration only has today's.
		if mem, ok := logsVal(logs, func(l *logstats.Stats) metrics.Series { return l.MemorySizeMB }, d); ok && mem > 0 {
			u.MemoryMB, u.MemoryAssumed = int(mem), false
		}
		pc := false
		if f.ProvisionedConcurrency != nil && *f.ProvisionedConcurrency > 0 {
			if _, on := val(f.Metrics[metrics.ProvisionedConcurrencyUtilizationMaximum], d); on {
				pc = true
				u.ProvisionedConcurrency = *f.ProvisionedConcurrency
				u.ProvisionedSeconds = metrics.Day.Seconds()
				if n, ok := val(f.Metrics[metrics.ProvisionedConcurrencyInvocationsSum], d); ok && reqs > 0 {
					u.ProvisionedShare = min(1, n/reqs)
				}
			}
		}
		initBilled := InitBilled(f.Runtime, f.PackageType, m.starts[d], pc)
		if billed, ok := logsVal(logs, func(l *logstats.Stats) metrics.Series { return l.BilledDurationMs }, d); ok {
			u.Source = "logs"
			if initBilled {
				if it, ok := logsVal(logs, func(l *logstats.Stats) metrics.Series { return l.InitTotalMs }, d); ok {
					u.InitMs = min(it, billed)
				}
			}
			u.DurationMs = billed - u.InitMs
		} else {
			ds, ok := val(f.Metrics[metrics.DurationSum], d)
			if !ok && reqs > 0 {
				continue // invocations without any duration: no price for the day
			}
			u.Source = "metrics"
			u.DurationMs = ds + 0.5*reqs
			if initBilled && reqs > 0 {
				if it, ok := val(f.Metrics[metrics.InitDurationSum], d); ok {
					u.InitMs = it
				} else if !f.LambdaInsights {
					// LambdaInsights without an init datapoint: no cold start.
					u.InitUnknown = true
				}
			}
		}
		out[d] = u
	}
	return out
}

func logsVal(l *logstats.Stats, s func(*logstats.Stats) metrics.Series, d int) (float64, bool) {
	if l == nil {
		return 0, false
	}
	return val(s(l), d)
}

// monthOf is a day's month as YYYY-MM.
func monthOf(t time.Time) string { return t.Format("2006-01") }

// priors is, per window day, the estimated month-to-date total before
// that day: the window's earlier days of the same month, plus, for the
// month the window starts in, the days of that month before the window at
// the window's mean daily value of that month.
func (m *modeller) priors(vals []float64) []float64 {
	out := make([]float64, len(vals))
	for i := 0; i < len(vals); {
		j := i
		for j < len(vals) && monthOf(m.starts[j]) == monthOf(m.starts[i]) {
			j++
		}
		var sum float64
		for _, v := range vals[i:j] {
			sum += v
		}
		var run float64
		if i == 0 {
			run = float64(m.starts[0].Day()-1) * sum / float64(j-i)
		}
		for k := i; k < j; k++ {
			out[k] = run
			run += vals[k]
		}
		i = j
	}
	return out
}

// apportion computes the blended duration rate of every
// account/region/architecture and day, and the free tier's shares.
func (m *modeller) apportion(fns []fnState) {
	days := m.w.Days
	gbs := map[string][]float64{}
	prices := map[string]Prices{}
	freeReq, freeGBs := map[string][]float64{}, map[string][]float64{}
	for i := range fns {
		fs := &fns[i]
		k := fs.f.Account + "/" + fs.f.Region + "/" + fs.p.Architecture
		if gbs[k] == nil {
			gbs[k] = make([]float64, days)
			prices[k] = fs.p
		}
		if freeReq[fs.f.Account] == nil {
			freeReq[fs.f.Account], freeGBs[fs.f.Account] = make([]float64, days), make([]float64, days)
		}
		for d, u := range fs.use {
			if u == nil {
				continue
			}
			od := u.GBSeconds() * (1 - u.ProvisionedShare)
			gbs[k][d] += od
			if u.ProvisionedConcurrency == 0 {
				freeReq[fs.f.Account][d] += u.Requests
				freeGBs[fs.f.Account][d] += od
			}
		}
	}
	m.rate = make(map[string][]float64, len(gbs))
	for k, g := range gbs {
		p, prior := prices[k], m.priors(g)
		r := make([]float64, days)
		for d := range g {
			if g[d] > 0 {
				r[d] = tierCost(p.Duration, prior[d], prior[d]+g[d]) / g[d]
			} else {
				r[d] = p.RateAt(prior[d])
			}
		}
		m.rate[k] = r
	}
	if !m.free {
		return
	}
	share := func(vals []float64, allowance float64) []float64 {
		prior := m.priors(vals)
		out := make([]float64, len(vals))
		for d, v := range vals {
			if v > 0 {
				out[d] = math.Min(v, math.Max(0, allowance-prior[d])) / v
			}
		}
		return out
	}
	m.freeReq, m.freeGBs = map[string][]float64{}, map[string][]float64{}
	for a := range freeReq {
		m.freeReq[a] = share(freeReq[a], m.t.FreeTier.Requests)
		m.freeGBs[a] = share(freeGBs[a], m.t.FreeTier.GBSeconds)
	}
}

// price turns a function's usage into its costs.
func (m *modeller) price(fs *fnState) FunctionCost {
	f, p := fs.f, fs.p
	fc := FunctionCost{ID: f.ID, Account: f.Account, Region: f.Region, Name: f.Name, Architecture: p.Architecture,
		Days: make([]*Breakdown, m.w.Days), Usage: fs.use}
	rate := m.rate[f.Account+"/"+f.Region+"/"+p.Architecture]
	for d, u := range fs.use {
		if u == nil {
			continue
		}
		var fr, fg float64
		if m.free && u.ProvisionedConcurrency == 0 {
			fr, fg = m.freeReq[f.Account][d], m.freeGBs[f.Account][d]
		}
		b := &Breakdown{Requests: u.Requests * (1 - fr) * float64(p.PerRequest)}
		b.Duration, b.Init = splitInit(u.GBSeconds()*(1-u.ProvisionedShare)*(1-fg)*rate[d], *u)
		b.Ephemeral = u.ephemeralGBSeconds() * float64(p.EphemeralPerGBSecond)
		b.ProvisionedIdle = u.provisionedGBSeconds() * float64(p.ProvisionedPerGBSecond)
		b.ProvisionedDuration = u.GBSeconds() * u.ProvisionedShare * float64(p.ProvisionedDurationPerGBSecond)
		b.sum()
		fc.Days[d] = b
	}
	fc.WindowDay, fc.MonthToDate, fc.DailyRunRate, fc.ProjectedMonth = m.summarise(fc.Days)
	return fc
}

// summarise derives the report day, month to date, run rate and
// projection from a daily series.
func (m *modeller) summarise(days []*Breakdown) (last, mtd *Breakdown, runRate, projected *float64) {
	n := len(days)
	last = days[n-1]
	month := monthOf(m.starts[n-1])
	covered := 0
	for d := range days {
		if monthOf(m.starts[d]) != month {
			continue
		}
		covered++
		if days[d] != nil {
			if mtd == nil {
				mtd = &Breakdown{}
			}
			mtd.Add(*days[d])
		}
	}
	var sum float64
	var k int
	for d := n - 1; d >= 0 && d >= n-runRateDays; d-- {
		if days[d] != nil {
			sum += days[d].Total
			k++
		}
	}
	if k == 0 {
		return last, mtd, nil, nil
	}
	rr := sum / float64(k)
	first := time.Date(m.starts[n-1].Year(), m.starts[n-1].Month(), 1, 0, 0, 0, 0, time.UTC)
	inMonth := int(first.AddDate(0, 1, 0).Sub(first) / metrics.Day)
	pm := rr * float64(inMonth-covered)
	if mtd != nil {
		pm += mtd.Total
	}
	return last, mtd, &rr, &pm
}

// groups sums the functions per account-region and per account.
func (m *modeller) groups(fns []FunctionCost) (regions, accounts []GroupCost) {
	byRegion, byAccount := map[string]*GroupCost{}, map[string]*GroupCost{}
	var rk, ak []string
	get := func(idx map[string]*GroupCost, keys *[]string, k, account, region string) *GroupCost {
		g := idx[k]
		if g == nil {
			g = &GroupCost{Account: account, Region: region, Covered: make([]int, m.w.Days), Days: make([]*Breakdown, m.w.Days)}
			idx[k] = g
			*keys = append(*keys, k)
		}
		return g
	}
	for i := range fns {
		f := &fns[i]
		for _, g := range []*GroupCost{get(byRegion, &rk, f.Account+"/"+f.Region, f.Account, f.Region), get(byAccount, &ak, f.Account, f.Account, "")} {
			g.Functions++
			if f.Unpriced != "" {
				g.Unpriced++
			}
			for d, b := range f.Days {
				if b == nil {
					continue
				}
				g.Covered[d]++
				if g.Days[d] == nil {
					g.Days[d] = &Breakdown{}
				}
				g.Days[d].Add(*b)
			}
			if f.MonthToDate != nil {
				if g.MonthToDate == nil {
					g.MonthToDate = &Breakdown{}
				}
				g.MonthToDate.Add(*f.MonthToDate)
			}
			addPtr(&g.DailyRunRate, f.DailyRunRate)
			addPtr(&g.ProjectedMonth, f.ProjectedMonth)
		}
	}
	collect := func(idx map[string]*GroupCost, keys []string) []GroupCost {
		sort.Strings(keys)
		out := make([]GroupCost, len(keys))
		for i, k := range keys {
			g := idx[k]
			g.WindowDay = g.Days[m.w.Days-1]
			out[i] = *g
		}
		return out
	}
	return collect(byRegion, rk), collect(byAccount, ak)
}

func addPtr(dst **float64, v *float64) {
	if v == nil {
		return
	}
	if *dst == nil {
		*dst = new(float64)
	}
	**dst += *v
}
