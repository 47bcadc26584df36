package insights

import (
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/lambdaudit/lambdaudit/logstats"
	"github.com/lambdaudit/lambdaudit/metrics"
	"github.com/lambdaudit/lambdaudit/scanner"
)

// Metric keys of the scan result the rules read (package metrics names
// them).
const (
	mInvocations   = metrics.InvocationsSum
	mErrors        = metrics.ErrorsSum
	mThrottles     = metrics.ThrottlesSum
	mDurationSum   = metrics.DurationSum
	mDurationMax   = metrics.DurationMaximum
	mDurationP99   = metrics.DurationP99
	mConcurrentMax = metrics.ConcurrentExecutionsMaximum
	mIteratorAge   = metrics.IteratorAgeMaximum
	mAsyncDropped  = metrics.AsyncEventsDroppedSum
	mDeadLetter    = metrics.DeadLetterErrorsSum
	mDestFailures  = metrics.DestinationDeliveryFailuresSum
	mPCUtilization = metrics.ProvisionedConcurrencyUtilizationMaximum
	mRecursive     = metrics.RecursiveInvocationsDroppedSum
	mLIMemoryMax   = metrics.UsedMemoryMaxMaximum
	mLIInitP95     = metrics.InitDurationP95
	mLIInitCount   = metrics.InitDurationSampleCount
)

// Reasons a rule could not run, as the report lists them (with detail
// appended after ": ").
const (
	whyFunctionFailed   = "function not scanned"
	whyMetrics          = "metrics"
	whyLogs             = "logs"
	whyLogsNotQueried   = "logs not queried in this scan"
	whySharedLogGroup   = "shared log group: its REPORT figures are the group's, not the function's"
	whyNoReport         = "no REPORT records on the report day"
	whyNoInvocations    = "no invocations on the report day"
	whyNoDatapoint      = "no datapoint on the report day"
	whyNoCost           = "no cost figures"
	whyBaseline         = "cost baseline too short"
	whyUnknownRuntime   = "runtime not in the runtime table"
	whyPCNotRead        = "provisioned concurrency not read"
	whySettingsNotRead  = "account settings (concurrency limit) not read"
	whyTargetFailed     = "account-region not scanned"
	whyRegionMetrics    = "region metrics not fetched"
	whyRegionIncomplete = "region total incomplete"
)

// evaluator runs every rule over a scan result.
type evaluator struct {
	res   *scanner.Result
	cfg   *Config
	cost  *costData
	n, L  int       // window days; index of the report day
	today time.Time // the window's end: 00:00 UTC of the day after the report day

	insights []Insight
	missing  map[missKey][]string
	problems []ConfigProblem
	skipped  map[string]string // function id → why its logs were skipped
	logsRan  bool
	runtimes *RuntimeTable
}

type missKey struct {
	reason string
	kinds  uint32
}

func newEvaluator(res *scanner.Result, cfg *Config, cd *costData) *evaluator {
	e := &evaluator{res: res, cfg: cfg, cost: cd, n: res.Window.Days, L: res.Window.Days - 1, today: res.Window.End,
		missing: map[missKey][]string{}, skipped: map[string]string{}}
	for _, sk := range res.Logs.Skipped {
		for _, id := range sk.Functions {
			e.skipped[id] = sk.Reason
		}
	}
	e.logsRan = res.Logs.Queries > 0 || len(res.Logs.Skipped) > 0
	for i := range res.Functions {
		if res.Functions[i].Logs != nil {
			e.logsRan = true
			break
		}
	}
	return e
}

// fnCtx is one function under evaluation.
type fnCtx struct {
	e     *evaluator
	f     *scanner.Function
	s     *settings
	cost  *fnCost
	miss  map[string]uint32 // reason → kinds that could not run for it
	epoch int               // first window day at the current configuration
	n, L  int
}

func (e *evaluator) run() {
	for i := range e.res.Functions {
		f := &e.res.Functions[i]
		s, probs := e.cfg.forFunction(f)
		e.problems = append(e.problems, probs...)
		c := &fnCtx{e: e, f: f, s: s, miss: map[string]uint32{}, n: e.n, L: e.L}
		if e.cost != nil {
			c.cost = e.cost.fns[f.ID]
		}
		c.epoch = c.epochStart()
		gaps := modelGaps(f)
		from := len(e.insights)
	rules:
		for _, r := range functionRules {
			if s.ignored(r.kind) {
				continue
			}
			// A value AWS returns that the rule does not model: the rule
			// is not run for this function, and the report says why.
			for _, g := range gaps {
				if slices.Contains(g.kinds, r.kind) {
					c.skip(r.kind, g.reason)
					continue rules
				}
			}
			r.eval(c)
		}
		c.reconcile(from)
		for why, kinds := range c.miss {
			k := missKey{why, kinds}
			e.missing[k] = append(e.missing[k], f.ID)
		}
	}
	e.regionRules()
}

// rule is one function rule.
type rule struct {
	kind string
	eval func(c *fnCtx)
}

// functionRules run for every function, in catalogue order.
var functionRules = []rule{
	{KindNearTimeout, ruleNearTimeout},
	{KindTimeouts, ruleTimeouts},
	{KindMemoryNearLimit, ruleMemoryNearLimit},
	{KindMemoryOverprovisioned, ruleMemoryOverprovisioned},
	{KindColdStarts, ruleColdStarts},
	{KindCostSpike, ruleCostSpike},
	{KindErrorRate, ruleErrorRate},
	{KindThrottles, ruleThrottles},
	{KindDeprecatedRuntime, ruleDeprecatedRuntime},
	{KindARM64Candidate, ruleARM64Candidate},
	{KindIteratorAge, ruleIteratorAge},
	{KindAsyncFailures, ruleAsyncFailures},
	{KindProvisionedIdle, ruleProvisionedIdle},
	{KindRecursiveLoop, ruleRecursiveLoop},
}

// skip records that a rule could not run for the function, and why.
func (c *fnCtx) skip(kind, why string) { c.miss[why] |= 1 << kindIndex(kind) }

// add records an insight about the function.
func (c *fnCtx) add(in Insight) {
	in.Account, in.Region, in.Function = c.f.Account, c.f.Region, c.f.Name
	in.Key = c.f.ID + "/" + in.Kind
	if in.MonthlySavingUSD != nil {
		*in.MonthlySavingUSD = round6(*in.MonthlySavingUSD)
	}
	if in.ImpactUSD == 0 {
		in.ImpactUSD = c.monthlyCost()
	}
	in.ImpactUSD = round6(in.ImpactUSD)
	c.e.insights = append(c.e.insights, in)
}

// failed reports whether the function has no data at all, recording why
// for the rule.
func (c *fnCtx) failed(kind string) bool {
	if c.f.Status != scanner.StatusFailed {
		return false
	}
	c.skip(kind, whyFunctionFailed+": "+c.failureText(""))
	return true
}

// failureText joins the function's failure reasons of a stage ("" = all).
func (c *fnCtx) failureText(stage string) string {
	var parts []string
	for _, fl := range c.f.Failures {
		if stage == "" || fl.Stage == stage {
			parts = append(parts, fl.Reason)
		}
	}
	if len(parts) == 0 {
		return "no reason given"
	}
	return strings.Join(parts, "; ")
}

// series is a metric the rule needs: present, or the rule records why
// not. Optional metrics (found by ListMetrics) that are absent without a
// metrics failure mean the function does not emit them: not applicable,
// nothing recorded.
func (c *fnCtx) series(kind, key string, optional bool) (metrics.Series, bool) {
	if c.failed(kind) {
		return nil, false
	}
	if s, ok := c.f.Metrics[key]; ok {
		return s, true
	}
	for _, fl := range c.f.Failures {
		if fl.Stage == scanner.StageMetrics {
			c.skip(kind, whyMetrics+": "+fl.Reason)
			return nil, false
		}
	}
	if !optional {
		c.skip(kind, whyMetrics+": "+key+" not in the scan result")
	}
	return nil, false
}

// val is a series' value on day i.
func val(s metrics.Series, i int) (float64, bool) {
	if i < 0 || i >= len(s) || s[i] == nil {
		return 0, false
	}
	return *s[i], true
}

// count is a count metric's value on day i: CloudWatch publishes
// Invocations, Errors, Throttles and the like only for periods with
// something to count, so a day without a datapoint of a metric that was
// fetched counts zero.
func count(s metrics.Series, i int) float64 {
	v, _ := val(s, i)
	return v
}

// invocations is the function's Invocations on day i and whether the
// metric was fetched.
func (c *fnCtx) invocations(i int) (float64, bool) {
	s, ok := c.f.Metrics[mInvocations]
	if !ok {
		return 0, false
	}
	return count(s, i), true
}

// logs are the function's REPORT statistics, or the rule records why
// there are none. Before blaming the logs it checks the metrics: a
// function not invoked on the report day has nothing to log.
func (c *fnCtx) logs(kind string) *logstats.Stats {
	if c.failed(kind) {
		return nil
	}
	l := c.f.Logs
	switch {
	case l != nil && l.SharedLogGroup:
		c.skip(kind, whySharedLogGroup+" ("+l.LogGroup+")")
		return nil
	case l != nil:
		return l
	}
	if inv, ok := c.invocations(c.L); ok && inv == 0 {
		c.skip(kind, whyNoInvocations)
		return nil
	}
	for _, fl := range c.f.Failures {
		if fl.Stage == scanner.StageLogs {
			c.skip(kind, whyLogs+": "+fl.Reason)
			return nil
		}
	}
	if why, ok := c.e.skipped[c.f.ID]; ok {
		c.skip(kind, whyLogs+": "+why)
		return nil
	}
	if !c.e.logsRan {
		c.skip(kind, whyLogsNotQueried)
		return nil
	}
	c.skip(kind, whyLogs+": no statistics for "+c.f.LogGroup)
	return nil
}

// noReportDay records why the report day has no REPORT figures.
func (c *fnCtx) noReportDay(kind string) {
	if inv, ok := c.invocations(c.L); ok && inv == 0 {
		c.skip(kind, whyNoInvocations)
		return
	}
	c.skip(kind, whyNoReport)
}

// epochStart is the first window day at the function's current
// configuration as far as LastModified tells: the day of LastModified
// when the function had data before it (its configuration changed inside
// the window), else 0. memoryOn prefers the REPORT lines' own memory size.
func (c *fnCtx) epochStart() int {
	w := c.e.res.Window
	d := w.DayIndex(c.f.LastModified)
	if d <= 0 {
		return 0
	}
	seen := func(s metrics.Series) bool {
		for i := 0; i < d && i < len(s); i++ {
			if s[i] != nil {
				return true
			}
		}
		return false
	}
	if seen(c.f.Metrics[mInvocations]) || (c.f.Logs != nil && seen(c.f.Logs.Invocations)) {
		return d
	}
	return 0
}

// memoryOn is the memory size day i ran at: the REPORT lines' Memory
// Size when the scan has the function's own REPORT statistics for the
// day, else the configured memory for days since the last configuration
// change, else unknown.
func (c *fnCtx) memoryOn(i int) (float64, bool) {
	if l := c.f.Logs; l != nil && !l.SharedLogGroup {
		if v, ok := val(l.MemorySizeMB, i); ok && v > 0 {
			return v, true
		}
	}
	if i >= c.epoch {
		return float64(c.f.MemoryMB), true
	}
	return 0, false
}

// current reports whether day i ran at the function's current memory.
func (c *fnCtx) current(i int) bool {
	m, ok := c.memoryOn(i)
	return ok && m == float64(c.f.MemoryMB)
}

// recentCost averages a cost component over the days of [from, L] at
// the current memory with a cost figure, and says how many days that
// was.
func (c *fnCtx) recentCost(from int, part func(*Breakdown) float64) (float64, int) {
	var sum float64
	k := 0
	for i := max(from, 0); i <= c.L; i++ {
		if b := c.cost.day(i); b != nil && c.current(i) {
			sum += part(b)
			k++
		}
	}
	if k == 0 {
		return 0, 0
	}
	return sum / float64(k), k
}

// monthlyCost is what the function costs a month at its recent rate:
// the cost model's projection, else 0.
func (c *fnCtx) monthlyCost() float64 {
	if c.cost != nil && c.cost.projected != nil {
		return *c.cost.projected
	}
	return 0
}

// noCost records why a rule needing cost figures could not run.
func (c *fnCtx) noCost(kind string) {
	switch {
	case c.e.cost == nil:
		c.skip(kind, whyNoCost)
	case c.cost == nil:
		c.skip(kind, whyNoCost+": the cost model has no figures for the function")
	case c.cost.why != "":
		c.skip(kind, whyNoCost+": "+c.cost.why)
	default:
		c.skip(kind, whyNoCost+" on the days needed")
	}
}

// Missing is a group of functions (or account-regions) for which some
// rules could not run, for one reason.
type Missing struct {
	Reason string   `json:"reason"`
	Rules  []string `json:"rules"`
	Count  int      `json:"count"`
	// IDs are function IDs (account/region/name), or account/region for
	// the region-level rules, sorted.
	IDs []string `json:"ids"`
}

func (e *evaluator) missingList() []Missing {
	out := make([]Missing, 0, len(e.missing))
	for k, ids := range e.missing {
		var rules []string
		for i, kind := range Kinds {
			if k.kinds&(1<<i) != 0 {
				rules = append(rules, kind)
			}
		}
		sort.Strings(ids)
		out = append(out, Missing{Reason: k.reason, Rules: rules, Count: len(ids), IDs: ids})
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Count != b.Count {
			return a.Count > b.Count
		}
		if a.Reason != b.Reason {
			return a.Reason < b.Reason
		}
		return strings.Join(a.Rules, ",") < strings.Join(b.Rules, ",")
	})
	return out
}
