package insights

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/lambdaudit/lambdaudit/scanner"
)

// spike is a report-day cost against the median of the days before it.
type spike struct {
	cur, median, ratio, above float64
	days                      []int // baseline days with a figure
}

// spikeOf compares day L of a daily series with the median of the
// previous `days` days that have a figure; ok is false when fewer than
// minDays have one.
func spikeOf(day func(int) (float64, bool), L, days, minDays int) (sp spike, have int, ok bool) {
	var xs []float64
	for i := max(L-days, 0); i < L; i++ {
		if v, ok := day(i); ok {
			xs = append(xs, v)
			sp.days = append(sp.days, i)
		}
	}
	if len(xs) < minDays {
		return sp, len(xs), false
	}
	sp.median, _ = median(xs)
	sp.cur, _ = day(L)
	sp.above = sp.cur - sp.median
	switch {
	case sp.median > 0:
		sp.ratio = sp.cur / sp.median
	case sp.cur > 0:
		sp.ratio = math.Inf(1)
	default:
		sp.ratio = 1
	}
	return sp, len(xs), true
}

func (c *fnCtx) spikeSeverity(sp spike) Severity {
	switch {
	case atLeast(sp.ratio, c.s.get(pSpikeCriticalRatio)) && atLeast(sp.above, c.s.get(pSpikeCriticalUSD)):
		return Critical
	case atLeast(sp.ratio, c.s.get(pSpikeWarnRatio)) && atLeast(sp.above, c.s.get(pSpikeWarnUSD)):
		return Warning
	}
	return ""
}

func ruleCostSpike(c *fnCtx) {
	const k = KindCostSpike
	if c.failed(k) {
		return
	}
	if c.cost == nil || c.cost.why != "" {
		c.noCost(k)
		return
	}
	if c.cost.day(c.L) == nil {
		if inv, ok := c.invocations(c.L); ok && inv == 0 {
			c.skip(k, whyNoInvocations)
		} else {
			c.noCost(k)
		}
		return
	}
	days, minDays := int(c.s.get(pSpikeDays)), int(c.s.get(pSpikeMinDays))
	sp, have, ok := spikeOf(func(i int) (float64, bool) {
		if b := c.cost.day(i); b != nil {
			return b.Total, true
		}
		return 0, false
	}, c.L, days, minDays)
	if !ok {
		c.skip(k, fmt.Sprintf("%s: %d of %d days with cost figures (need %d)", whyBaseline, have, days, minDays))
		return
	}
	sev := c.spikeSeverity(sp)
	if sev == "" {
		return
	}
	driver, dev := c.spikeDriver(sp)
	ev := []Evidence{num("costUSD", sp.cur, UnitUSDDay), num("baselineMedianUSD", sp.median, UnitUSDDay), num("aboveUSD", sp.above, UnitUSDDay)}
	if !math.IsInf(sp.ratio, 0) {
		ev = append(ev, num("ratio", sp.ratio, UnitFactor))
	}
	ev = append(ev, text("driver", driver))
	ev = append(ev, dev...)
	c.add(Insight{Kind: k, Severity: sev,
		Title:     fmt.Sprintf("cost spike: %s on the report day, %s its usual %s/day (+%s/day); driver: %s", FormatUSD(sp.cur), FormatFactor(sp.ratio), FormatUSD(sp.median), FormatUSD(sp.above), driver),
		Evidence:  ev,
		ImpactUSD: sp.above * daysPerMonth,
		Action:    "Check what changed: a traffic surge or a retry storm (invocations), a slower dependency (duration), or a configuration change (memory); set a budget alarm on the function's cost."})
}

// spikeDriver names what moved a function's cost: invocations ×N,
// duration ×M (average billed duration per invocation), a configuration
// change inside the baseline, or else the cost component that grew most.
func (c *fnCtx) spikeDriver(sp spike) (string, []Evidence) {
	invS := c.f.Metrics[mInvocations]
	durS := c.f.Metrics[mDurationSum]
	ratioOf := func(day func(int) (float64, bool)) (float64, bool) {
		cur, ok := day(c.L)
		if !ok {
			return 0, false
		}
		var xs []float64
		for _, i := range sp.days {
			if v, ok := day(i); ok {
				xs = append(xs, v)
			}
		}
		m, ok := median(xs)
		if !ok || m <= 0 {
			return 0, false
		}
		return cur / m, true
	}
	invRatio, hasInv := ratioOf(func(i int) (float64, bool) { return count(invS, i), invS != nil })
	durRatio, hasDur := ratioOf(func(i int) (float64, bool) {
		inv, d := count(invS, i), count(durS, i)
		if inv == 0 || durS == nil {
			return 0, false
		}
		return d / inv, true
	})
	memRatio, hasMem, fromMB, toMB := 0.0, false, 0.0, 0.0
	if cur, ok := c.memoryOn(c.L); ok {
		var xs []float64
		for _, i := range sp.days {
			if m, ok := c.memoryOn(i); ok {
				xs = append(xs, m)
			}
		}
		if m, ok := median(xs); ok && m > 0 {
			memRatio, hasMem, fromMB, toMB = cur/m, true, m, cur
		}
	}
	var ev []Evidence
	type factor struct {
		name string
		f    float64
	}
	var fs []factor
	if hasInv {
		ev = append(ev, num("invocationsRatio", invRatio, UnitFactor))
		fs = append(fs, factor{"invocations " + FormatFactor(invRatio), invRatio})
	}
	if hasDur {
		ev = append(ev, num("durationRatio", durRatio, UnitFactor))
		fs = append(fs, factor{"duration " + FormatFactor(durRatio), durRatio})
	}
	if hasMem {
		ev = append(ev, num("memoryRatio", memRatio, UnitFactor))
		fs = append(fs, factor{fmt.Sprintf("memory %s → %s MB", FormatCount(fromMB), FormatCount(toMB)), memRatio})
	}
	sort.SliceStable(fs, func(i, j int) bool { return fs[i].f > fs[j].f })
	const moved = 1.1 // a factor that counts as a driver
	var parts []string
	for _, f := range fs {
		if f.f >= moved {
			parts = append(parts, f.name)
		}
	}
	if !hasMem && len(sp.days) > 0 && c.epoch > sp.days[0] {
		parts = append(parts, fmt.Sprintf("configuration change on %s", c.dayName(c.epoch)))
		ev = append(ev, text("configurationChanged", c.dayName(c.epoch)))
	}
	if len(parts) == 0 {
		parts = append(parts, c.componentDriver(sp))
	}
	return strings.Join(parts, ", "), ev
}

// componentDriver names the cost component with the largest increase
// over its baseline median.
func (c *fnCtx) componentDriver(sp spike) string {
	comps := []struct {
		name string
		get  func(*Breakdown) float64
	}{
		{"requests", func(b *Breakdown) float64 { return b.Requests }},
		{"duration", func(b *Breakdown) float64 { return b.Duration }},
		{"INIT", func(b *Breakdown) float64 { return b.Init }},
		{"ephemeral storage", func(b *Breakdown) float64 { return b.Ephemeral }},
		{"provisioned concurrency", func(b *Breakdown) float64 { return b.ProvisionedIdle + b.ProvisionedDuration }},
	}
	best, bestUp := "cost", 0.0
	for _, comp := range comps {
		var xs []float64
		for _, i := range sp.days {
			xs = append(xs, comp.get(c.cost.day(i)))
		}
		m, _ := median(xs)
		if up := comp.get(c.cost.day(c.L)) - m; up > bestUp {
			best, bestUp = comp.name, up
		}
	}
	return fmt.Sprintf("%s +%s/day", best, FormatUSD(bestUp))
}

// regionRules are concurrency-near-limit and the account-region's
// cost-spike, with the config's global thresholds (name overrides and
// tags are per function).
func (e *evaluator) regionRules() {
	s := &e.cfg.base
	byRegion := map[string][]*scanner.Function{}
	for i := range e.res.Functions {
		f := &e.res.Functions[i]
		byRegion[f.Account+"/"+f.Region] = append(byRegion[f.Account+"/"+f.Region], f)
	}
	for i := range e.res.Targets {
		t := &e.res.Targets[i]
		id := t.Account + "/" + t.Region
		miss := map[string]uint32{}
		skip := func(kind, why string) { miss[why] |= 1 << kindIndex(kind) }
		if t.Status != scanner.StatusOK {
			for _, kind := range []string{KindConcurrencyNearLimit, KindCostSpike} {
				if !s.ignored(kind) {
					skip(kind, whyTargetFailed+": "+t.Error)
				}
			}
		} else {
			if !s.ignored(KindConcurrencyNearLimit) {
				e.ruleConcurrency(t, s, skip)
			}
			if !s.ignored(KindCostSpike) {
				e.ruleRegionSpike(t, byRegion[id], s, skip)
			}
		}
		for why, kinds := range miss {
			k := missKey{why, kinds}
			e.missing[k] = append(e.missing[k], id)
		}
	}
}

func (e *evaluator) addRegion(t *scanner.Target, in Insight) {
	in.Account, in.Region = t.Account, t.Region
	in.Key = t.Account + "/" + t.Region + "/*/" + in.Kind
	if in.ImpactUSD == 0 && e.cost != nil {
		if rc := e.cost.regions[t.Account+"/"+t.Region]; rc != nil && rc.projected != nil {
			in.ImpactUSD = *rc.projected
		}
	}
	in.ImpactUSD = round6(in.ImpactUSD)
	e.insights = append(e.insights, in)
}

func (e *evaluator) ruleConcurrency(t *scanner.Target, s *settings, skip func(kind, why string)) {
	const k = KindConcurrencyNearLimit
	if t.ConcurrencyLimit == nil {
		skip(k, whySettingsNotRead)
		return
	}
	ser, ok := t.Metrics[mConcurrentMax]
	if !ok {
		why := whyRegionMetrics
		if t.Error != "" {
			why += ": " + t.Error
		}
		skip(k, why)
		return
	}
	v, ok := val(ser, e.L)
	if !ok || *t.ConcurrencyLimit == 0 {
		return // no datapoint: nothing ran in the region that day
	}
	limit := float64(*t.ConcurrencyLimit)
	share := v / limit
	sev := level(share, s.get(pConcWarn), s.get(pConcCritical))
	if sev == "" {
		return
	}
	e.addRegion(t, Insight{Kind: k, Severity: sev,
		Title: fmt.Sprintf("concurrency near the account limit in %s: %s of %s concurrent executions (%s) at the peak",
			t.Region, FormatCount(v), FormatCount(limit), FormatShare(share)),
		Evidence: []Evidence{num("maxConcurrentExecutions", v, UnitCount), num("concurrencyLimit", limit, UnitCount), num("share", share, UnitRatio)},
		Action:   "Ask AWS for a higher concurrent executions quota in the region, or cap the noisy functions with reserved concurrency so the critical ones are not throttled."})
}

func (e *evaluator) ruleRegionSpike(t *scanner.Target, fns []*scanner.Function, s *settings, skip func(kind, why string)) {
	const k = KindCostSpike
	if len(fns) == 0 {
		return // an empty region costs nothing
	}
	if e.cost == nil {
		skip(k, whyNoCost)
		return
	}
	incomplete := 0
	for _, f := range fns {
		fc := e.cost.fns[f.ID]
		// A Managed Instances function is billed outside Lambda: the
		// region's Lambda total is complete without it.
		if f.Status == scanner.StatusFailed || fc == nil || (fc.why != "" && !fc.managed) || hasStage(f, scanner.StageMetrics) {
			incomplete++
		}
	}
	if incomplete > 0 {
		skip(k, fmt.Sprintf("%s: no cost figures for %s", whyRegionIncomplete, Plural(float64(incomplete), "function", "functions")))
		return
	}
	total := func(i int) (float64, bool) {
		var sum float64
		ran := false
		for _, f := range fns {
			if b := e.cost.fns[f.ID].day(i); b != nil {
				sum += b.Total
				ran = true
			}
		}
		return sum, ran
	}
	if _, ran := total(e.L); !ran {
		return // nothing ran in the region on the report day
	}
	days, minDays := int(s.get(pSpikeDays)), int(s.get(pSpikeMinDays))
	sp, have, ok := spikeOf(total, e.L, days, minDays)
	if !ok {
		skip(k, fmt.Sprintf("%s: %d of %d days with cost figures (need %d)", whyBaseline, have, days, minDays))
		return
	}
	c := &fnCtx{e: e, s: s}
	sev := c.spikeSeverity(sp)
	if sev == "" {
		return
	}
	// The driver: the function whose cost rose most over its own median.
	type rise struct {
		name      string
		up, ratio float64
	}
	var rises []rise
	for _, f := range fns {
		fc := e.cost.fns[f.ID]
		cur := fc.day(e.L)
		if cur == nil {
			continue
		}
		var xs []float64
		for _, i := range sp.days {
			if b := fc.day(i); b != nil {
				xs = append(xs, b.Total)
			} else {
				xs = append(xs, 0)
			}
		}
		m, _ := median(xs)
		r := math.Inf(1)
		if m > 0 {
			r = cur.Total / m
		}
		rises = append(rises, rise{f.Name, cur.Total - m, r})
	}
	sort.Slice(rises, func(i, j int) bool {
		if rises[i].up != rises[j].up {
			return rises[i].up > rises[j].up
		}
		return rises[i].name < rises[j].name
	})
	driver := "no single function"
	if len(rises) > 0 && rises[0].up > 0 {
		driver = fmt.Sprintf("%s +%s/day (%s)", rises[0].name, FormatUSD(rises[0].up), FormatFactor(rises[0].ratio))
	}
	ev := []Evidence{num("costUSD", sp.cur, UnitUSDDay), num("baselineMedianUSD", sp.median, UnitUSDDay), num("aboveUSD", sp.above, UnitUSDDay)}
	if !math.IsInf(sp.ratio, 0) {
		ev = append(ev, num("ratio", sp.ratio, UnitFactor))
	}
	ev = append(ev, text("driver", driver))
	e.addRegion(t, Insight{Kind: k, Severity: sev,
		Title: fmt.Sprintf("cost spike in %s/%s: %s on the report day, %s its usual %s/day (+%s/day); driver: %s",
			t.Account, t.Region, FormatUSD(sp.cur), FormatFactor(sp.ratio), FormatUSD(sp.median), FormatUSD(sp.above), driver),
		Evidence:  ev,
		ImpactUSD: sp.above * daysPerMonth,
		Action:    "Look at the driving function first (its own cost-spike insight says what moved); set a budget alarm on the account."})
}

func hasStage(f *scanner.Function, stage string) bool {
	for _, fl := range f.Failures {
		if fl.Stage == stage {
			return true
		}
	}
	return false
}
