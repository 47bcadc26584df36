package insights

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/lambdaudit/lambdaudit/metrics"
)

// eps absorbs floating-point noise in threshold comparisons, so that a
// value exactly at a threshold (4,800 ms of a 6 s timeout is 0.8) meets it.
const eps = 1e-9

// atLeast reports v ≥ threshold, tolerating rounding noise.
func atLeast(v, threshold float64) bool { return v >= threshold-eps*math.Max(1, math.Abs(threshold)) }

// below reports v < threshold, tolerating rounding noise.
func below(v, threshold float64) bool { return !atLeast(v, threshold) }

// level is the severity of v against warn and critical thresholds, or "".
func level(v, warn, critical float64) Severity {
	switch {
	case atLeast(v, critical):
		return Critical
	case atLeast(v, warn):
		return Warning
	}
	return ""
}

// recentDays is the basis of the monthly figures: the report day and the
// six days before it.
const recentDays = 7

// ceilTol is math.Ceil tolerating rounding noise (12.0000001 → 12).
func ceilTol(v float64) float64 { return math.Ceil(v - 1e-9*math.Max(1, math.Abs(v))) }

func ruleNearTimeout(c *fnCtx) {
	const k = KindNearTimeout
	mx, ok := c.series(k, mDurationMax, false)
	if !ok {
		return
	}
	v, ok := val(mx, c.L)
	if !ok {
		if inv, _ := c.invocations(c.L); inv == 0 {
			c.skip(k, whyNoInvocations)
		} else {
			c.skip(k, whyNoDatapoint+" ("+mDurationMax+")")
		}
		return
	}
	limit := float64(c.f.TimeoutS) * 1000
	share := v / limit
	sev := level(share, c.s.get(pNearTimeoutWarn), c.s.get(pNearTimeoutCritical))
	if sev == "" {
		return
	}
	title := fmt.Sprintf("near timeout: %s of %s s (max)", FormatMs(v), FormatSeconds(float64(c.f.TimeoutS)))
	ev := []Evidence{num("maxDurationMs", v, UnitMs)}
	if p99, ok := val(c.f.Metrics[mDurationP99], c.L); ok {
		title += ", p99 " + FormatMs(p99)
		ev = append(ev, num("p99DurationMs", p99, UnitMs))
	}
	ev = append(ev, num("timeoutS", float64(c.f.TimeoutS), UnitS), num("shareOfTimeout", share, UnitRatio))
	c.add(Insight{Kind: k, Severity: sev, Title: title, Evidence: ev,
		Action: "Find what the slowest invocations wait on (downstream calls, retries, cold starts) and fix it, or raise the timeout with headroom above the slowest invocation."})
}

func ruleTimeouts(c *fnCtx) {
	const k = KindTimeouts
	l := c.logs(k)
	if l == nil {
		return
	}
	from := max(c.L-int(c.s.get(pTimeoutsDays))+1, 0)
	worst, worstDay := -1.0, -1
	for i := from; i <= c.L; i++ {
		inv, ok := val(l.Invocations, i)
		if !ok || inv == 0 {
			continue
		}
		if sh := count(l.Timeouts, i) / inv; sh >= worst { // the latest of equal days
			worst, worstDay = sh, i
		}
	}
	toL, hasL := val(l.Timeouts, c.L)
	invL := count(l.Invocations, c.L)
	var sev Severity
	switch {
	case worstDay >= 0 && atLeast(worst, c.s.get(pTimeoutsCritical)):
		sev = Critical
	case hasL && toL >= 1:
		sev = Warning
	default:
		if !hasL {
			c.noReportDay(k)
		}
		return
	}
	var title string
	if sev == Critical {
		title = fmt.Sprintf("timeouts: %s of the invocations timed out on %s (%s of %s) at %s s",
			FormatShare(worst), c.dayName(worstDay), FormatCount(count(l.Timeouts, worstDay)), FormatCount(count(l.Invocations, worstDay)), FormatSeconds(float64(c.f.TimeoutS)))
	} else {
		title = fmt.Sprintf("timeouts: %s of %s invocations timed out at %s s on the report day", FormatCount(toL), FormatCount(invL), FormatSeconds(float64(c.f.TimeoutS)))
	}
	ev := []Evidence{num("timeouts", toL, UnitCount), num("invocations", invL, UnitCount), num("timeoutS", float64(c.f.TimeoutS), UnitS)}
	if worstDay >= 0 {
		ev = append(ev, num("worstDayShare", worst, UnitRatio), text("worstDay", c.dayName(worstDay)))
	}
	in := Insight{Kind: k, Severity: sev, Evidence: ev,
		Action: "Find why invocations hang until the timeout (a downstream call without its own timeout, a lock, an event too large) and fail them fast; every timed-out invocation is billed for the whole timeout."}
	// Lost compute: timed-out invocations are billed the whole timeout.
	if c.cost != nil && c.cost.price != nil {
		var sum float64
		k := 0
		for i := from; i <= c.L; i++ {
			if to, ok := val(l.Timeouts, i); ok && c.current(i) {
				sum += to
				k++
			}
		}
		if k > 0 {
			lost := sum / float64(k) * float64(c.f.TimeoutS) * float64(c.f.MemoryMB) / 1024 * c.cost.price.gbs * daysPerMonth
			in.MonthlySavingUSD = ptr(lost)
			in.SavingNote = "lost compute: timed-out invocations × timeout × memory at the on-demand GB-s price, daily average of the last days × 30.44"
			in.Evidence = append(in.Evidence, num("lostComputeMonthlyUSD", lost, UnitUSDMon))
			title += fmt.Sprintf("; lost compute %s/month", FormatUSD(lost))
		}
	}
	in.Title = title
	c.add(in)
}

// memorySource picks the function's memory figures: REPORT statistics
// (Max Memory Used) when the scan has them for the function alone, else
// LambdaInsights used_memory_max; nil when neither (the rule records
// why).
func (c *fnCtx) memorySource(kind string) (mem metrics.Series, oom metrics.Series, inv metrics.Series, ok bool) {
	if c.failed(kind) {
		return nil, nil, nil, false
	}
	if l := c.f.Logs; l != nil && !l.SharedLogGroup {
		return l.MemoryMaxMB, l.OutOfMemory, l.Invocations, true
	}
	if s, ok := c.f.Metrics[mLIMemoryMax]; ok {
		return s, nil, c.f.Metrics[mInvocations], true
	}
	c.logs(kind) // records why
	return nil, nil, nil, false
}

func ruleMemoryNearLimit(c *fnCtx) {
	const k = KindMemoryNearLimit
	memS, oomS, _, ok := c.memorySource(k)
	if !ok {
		return
	}
	used, ok := val(memS, c.L)
	if !ok {
		c.noReportDay(k)
		return
	}
	oom := count(oomS, c.L)
	mem, ok := c.memoryOn(c.L)
	if !ok {
		mem = float64(c.f.MemoryMB)
	}
	share := used / mem
	sev := level(share, c.s.get(pMemNearWarn), c.s.get(pMemNearCritical))
	if oom > 0 {
		sev = Critical
	}
	if sev == "" {
		return
	}
	title := fmt.Sprintf("memory near limit: %s MB of %s MB used (%s max)", FormatCount(used), FormatCount(mem), FormatShare(share))
	if oom > 0 {
		title += ", " + Plural(oom, "out-of-memory end", "out-of-memory ends")
	}
	c.add(Insight{Kind: k, Severity: sev, Title: title,
		Evidence: []Evidence{num("maxMemoryUsedMB", used, UnitMB), num("memoryMB", mem, UnitMB), num("shareOfMemory", share, UnitRatio), num("outOfMemory", oom, UnitCount)},
		Action:   "Raise the memory setting (it also buys CPU) or find what holds memory across invocations (caches, buffers of large events)."})
}

func ruleMemoryOverprovisioned(c *fnCtx) {
	const k = KindMemoryOverprovisioned
	mem := float64(c.f.MemoryMB)
	if mem <= c.s.get(pOverMinMemoryMB) {
		return
	}
	memS, _, logInv, ok := c.memorySource(k)
	if !ok {
		return
	}
	days := int(c.s.get(pOverDays))
	from := max(c.L-days+1, 0)
	invS := logInv
	if s, ok := c.f.Metrics[mInvocations]; ok {
		invS = s
	}
	// Only the days at the current memory: a change inside the lookback
	// restarts it.
	maxUsed, seen, inv, first := 0.0, false, 0.0, -1
	for i := from; i <= c.L; i++ {
		if !c.current(i) {
			continue
		}
		v, ok := val(memS, i)
		if ok {
			maxUsed, seen = math.Max(maxUsed, v), true
		}
		if n := count(invS, i); n > 0 || ok {
			inv += n
			if first < 0 {
				first = i
			}
		}
	}
	span := c.L - first + 1
	if !seen {
		if inv == 0 {
			c.skip(k, "no invocations in the lookback")
		} else {
			c.skip(k, "no memory figures in the lookback")
		}
		return
	}
	if inv < c.s.get(pOverMinInvocations) {
		return
	}
	share := maxUsed / mem
	if !atLeast(c.s.get(pOverMaxUsed), share) {
		return
	}
	step := c.s.get(pOverStepMB)
	rec := math.Max(128, ceilTol(maxUsed*c.s.get(pOverHeadroom)/step)*step)
	if rec >= mem {
		return
	}
	title := fmt.Sprintf("memory over-provisioned: %s MB max used of %s MB (%s) over %s; %s MB would do",
		FormatCount(maxUsed), FormatCount(float64(c.f.MemoryMB)), FormatShare(share), Plural(float64(span), "day", "days"), FormatCount(rec))
	in := Insight{Kind: k, Severity: Info,
		Evidence: []Evidence{num("maxMemoryUsedMB", maxUsed, UnitMB), num("memoryMB", mem, UnitMB), num("shareOfMemory", share, UnitRatio),
			num("invocations", inv, UnitCount), num("days", float64(span), UnitDays), num("recommendedMB", rec, UnitMB)},
		Action: fmt.Sprintf("Lower the memory to %s MB and watch the duration: CPU scales with memory, so a CPU-bound function may run longer.", FormatCount(rec))}
	if avg, n := c.recentCost(from, func(b *Breakdown) float64 { return b.Duration + b.Init }); n > 0 {
		saving := avg * daysPerMonth * (1 - rec/mem)
		in.MonthlySavingUSD = ptr(saving)
		in.SavingNote = "assumes unchanged duration at the lower memory; duration and billed INIT at the current rate, daily average × 30.44"
		in.Evidence = append(in.Evidence, num("durationCostMonthlyUSD", avg*daysPerMonth, UnitUSDMon))
		title += fmt.Sprintf(" (saving ~%s/month)", FormatUSD(saving))
	} else {
		in.SavingNote = "no saving: no cost figures for the function"
	}
	in.Title = title
	c.add(in)
}

// coldSource picks the report day's cold-start figures: REPORT records
// (Init Duration) or LambdaInsights init_duration with the Invocations
// metric.
func (c *fnCtx) coldSource(kind string) (cold, inv, p95 float64, hasP95, ok bool) {
	if c.failed(kind) {
		return
	}
	if l := c.f.Logs; l != nil && !l.SharedLogGroup {
		if inv, ok = val(l.Invocations, c.L); !ok {
			c.noReportDay(kind)
			return
		}
		cold = count(l.ColdStarts, c.L)
		p95, hasP95 = val(l.InitP95Ms, c.L)
		return cold, inv, p95, hasP95, true
	}
	if s, has := c.f.Metrics[mLIInitCount]; has {
		if inv, ok = c.invocations(c.L); !ok || inv == 0 {
			c.skip(kind, whyNoInvocations)
			return 0, 0, 0, false, false
		}
		cold = count(s, c.L)
		p95, hasP95 = val(c.f.Metrics[mLIInitP95], c.L)
		return cold, inv, p95, hasP95, true
	}
	c.logs(kind)
	return
}

func ruleColdStarts(c *fnCtx) {
	const k = KindColdStarts
	cold, inv, p95, hasP95, ok := c.coldSource(k)
	if !ok || inv < c.s.get(pColdMinInvocations) {
		return
	}
	share := cold / inv
	if !atLeast(share, c.s.get(pColdShare)) && !(hasP95 && atLeast(p95, c.s.get(pColdP95InitMs))) {
		return
	}
	title := fmt.Sprintf("cold starts: %s of %s invocations (%s)", FormatCount(cold), FormatCount(inv), FormatShare(share))
	ev := []Evidence{num("coldStarts", cold, UnitCount), num("invocations", inv, UnitCount), num("share", share, UnitRatio)}
	if hasP95 {
		title += ", p95 init " + FormatMs(p95)
		ev = append(ev, num("p95InitMs", p95, UnitMs))
	}
	in := Insight{Kind: k, Severity: Warning, Evidence: ev,
		Action: "Trim the INIT phase (lazy-load dependencies, smaller package, SnapStart for Java, Python and .NET) or keep environments warm with provisioned concurrency where the traffic is steady."}
	if b := c.cost.day(c.L); b != nil {
		initMonthly := b.Init * daysPerMonth
		in.Evidence = append(in.Evidence, num("initCostMonthlyUSD", initMonthly, UnitUSDMon))
		in.ImpactUSD = initMonthly
		if initMonthly > 0 {
			title += fmt.Sprintf("; INIT billed %s/month", FormatUSD(initMonthly))
		}
	}
	in.Title = title
	c.add(in)
}

func ruleErrorRate(c *fnCtx) {
	const k = KindErrorRate
	errS, ok := c.series(k, mErrors, false)
	if !ok {
		return
	}
	invS, ok := c.series(k, mInvocations, false)
	if !ok {
		return
	}
	from := max(c.L-int(c.s.get(pErrDays))+1, 0)
	worst, worstDay := -1.0, -1
	for i := from; i <= c.L; i++ {
		inv := count(invS, i)
		if inv == 0 {
			continue
		}
		if sh := count(errS, i) / inv; sh >= worst { // the latest of equal days
			worst, worstDay = sh, i
		}
	}
	eL, iL := count(errS, c.L), count(invS, c.L)
	var sev Severity
	switch {
	case worstDay >= 0 && atLeast(worst, c.s.get(pErrCritical)):
		sev = Critical
	case iL > 0 && atLeast(eL/iL, c.s.get(pErrWarn)) && eL >= c.s.get(pErrWarnMinErrors):
		sev = Warning
	default:
		if iL == 0 {
			c.skip(k, whyNoInvocations)
		}
		return
	}
	var title string
	ev := []Evidence{num("errors", eL, UnitCount), num("invocations", iL, UnitCount)}
	if iL > 0 {
		ev = append(ev, num("share", eL/iL, UnitRatio))
	}
	ev = append(ev, num("worstDayShare", worst, UnitRatio), text("worstDay", c.dayName(worstDay)))
	if sev == Critical {
		title = fmt.Sprintf("error rate: %s of the invocations failed on %s (%s of %s)", FormatShare(worst), c.dayName(worstDay),
			FormatCount(count(errS, worstDay)), FormatCount(count(invS, worstDay)))
	} else {
		title = fmt.Sprintf("error rate: %s of the invocations failed on the report day (%s of %s)", FormatShare(eL/iL), FormatCount(eL), FormatCount(iL))
	}
	c.add(Insight{Kind: k, Severity: sev, Title: title, Evidence: ev,
		Action: "Look at the failing invocations' logs and traces; Errors counts timeouts and out-of-memory ends too."})
}

func ruleThrottles(c *fnCtx) {
	const k = KindThrottles
	thrS, ok := c.series(k, mThrottles, false)
	if !ok {
		return
	}
	invS, ok := c.series(k, mInvocations, false)
	if !ok {
		return
	}
	thr, inv := count(thrS, c.L), count(invS, c.L)
	if thr < c.s.get(pThrMinThrottles) {
		return
	}
	share := thr / (inv + thr)
	sev := level(share, c.s.get(pThrWarn), c.s.get(pThrCritical))
	if sev == "" {
		return
	}
	c.add(Insight{Kind: k, Severity: sev,
		Title:    fmt.Sprintf("throttles: %s of %s requests throttled (%s) on the report day", FormatCount(thr), FormatCount(inv+thr), FormatShare(share)),
		Evidence: []Evidence{num("throttles", thr, UnitCount), num("invocations", inv, UnitCount), num("share", share, UnitRatio)},
		Action:   "Raise the function's reserved concurrency (or the account's limit), or smooth the traffic (batching, an SQS queue with maximum concurrency)."})
}

func ruleDeprecatedRuntime(c *fnCtx) {
	const k = KindDeprecatedRuntime
	if c.f.Runtime == "" { // a container image brings its own runtime
		return
	}
	rt, ok := c.e.runtimes.Lookup(c.f.Runtime)
	if !ok {
		c.skip(k, fmt.Sprintf("%s (%s; table as of %s)", whyUnknownRuntime, c.f.Runtime, c.e.runtimes.AsOf))
		return
	}
	days := int(math.Round(rt.DeprecationDate().Sub(c.e.today).Hours() / 24))
	var sev Severity
	var title string
	switch {
	case days <= 0:
		sev = Critical
		title = fmt.Sprintf("deprecated runtime: %s reached end of support on %s (%s ago)", rt.ID, rt.Deprecation, Plural(float64(-days), "day", "days"))
		if days == 0 {
			title = fmt.Sprintf("deprecated runtime: %s reaches end of support today (%s)", rt.ID, rt.Deprecation)
		}
	case days <= int(c.s.get(pDeprecatedWarnDays)):
		sev = Warning
		title = fmt.Sprintf("deprecated runtime soon: %s reaches end of support on %s (in %s)", rt.ID, rt.Deprecation, Plural(float64(days), "day", "days"))
	default:
		return
	}
	c.add(Insight{Kind: k, Severity: sev, Title: title,
		Evidence: []Evidence{text("runtime", rt.ID), text("deprecation", rt.Deprecation), num("daysLeft", float64(days), UnitDays), text("tableAsOf", c.e.runtimes.AsOf)},
		Action:   fmt.Sprintf("Move the function to a supported %s runtime: a deprecated runtime gets no security patches, and AWS then blocks creating and updating functions on it.", strings.TrimRight(rt.Name, "0123456789.x "))})
}

func ruleARM64Candidate(c *fnCtx) {
	const k = KindARM64Candidate
	if c.f.Architecture != "x86_64" || c.f.PackageType != "Zip" {
		return
	}
	rt, ok := c.e.runtimes.Lookup(c.f.Runtime)
	if !ok {
		c.skip(k, fmt.Sprintf("%s (%s; table as of %s)", whyUnknownRuntime, c.f.Runtime, c.e.runtimes.AsOf))
		return
	}
	if !rt.ARM64 || c.failed(k) {
		return
	}
	avg, n := c.recentCost(c.L-recentDays+1, func(b *Breakdown) float64 { return b.Duration + b.Init })
	if n == 0 {
		if inv, ok := c.invocations(c.L); ok && inv == 0 && c.cost != nil && c.cost.why == "" {
			return // idle: nothing to save
		}
		c.noCost(k)
		return
	}
	monthly := avg * daysPerMonth
	if !atLeast(monthly, c.s.get(pARMMinMonthlyUSD)) {
		return
	}
	saving := monthly * c.s.get(pARMSaving)
	c.add(Insight{Kind: k, Severity: Info,
		Title:            fmt.Sprintf("arm64 candidate: %s/month of x86_64 duration on %s; arm64 would save ~%s/month", FormatUSD(monthly), rt.ID, FormatUSD(saving)),
		Evidence:         []Evidence{text("runtime", rt.ID), num("durationCostMonthlyUSD", monthly, UnitUSDMon), num("savingShare", c.s.get(pARMSaving), UnitRatio)},
		Action:           "Switch the architecture to arm64 (Graviton): rebuild native dependencies for arm64 and compare the duration after the change.",
		MonthlySavingUSD: ptr(saving),
		SavingNote:       "arm64 GB-s cost 20 % less than x86_64; assumes the same duration; duration and billed INIT, daily average of the last 7 days × 30.44",
	})
}

func ruleIteratorAge(c *fnCtx) {
	const k = KindIteratorAge
	s, ok := c.series(k, mIteratorAge, true)
	if !ok {
		return
	}
	v, ok := val(s, c.L)
	if !ok {
		if inv, _ := c.invocations(c.L); inv == 0 {
			c.skip(k, whyNoInvocations)
		} else {
			c.skip(k, whyNoDatapoint+" ("+mIteratorAge+")")
		}
		return
	}
	minutes := v / 60000
	sev := level(minutes, c.s.get(pIterWarnMinutes), c.s.get(pIterCriticalMinutes))
	if sev == "" {
		return
	}
	c.add(Insight{Kind: k, Severity: sev,
		Title:    fmt.Sprintf("iterator age: %s behind the stream (max on the report day)", FormatMinutes(minutes)),
		Evidence: []Evidence{num("maxIteratorAgeMinutes", minutes, UnitMinutes)},
		Action:   "The consumer falls behind its stream: raise the batch size or parallelization factor, add shards, or make each batch faster; records expire at the stream's retention."})
}

func ruleAsyncFailures(c *fnCtx) {
	const k = KindAsyncFailures
	if c.failed(k) {
		return
	}
	keys := []struct{ key, name, one, many string }{
		{mAsyncDropped, "asyncEventsDropped", "event dropped", "events dropped"},
		{mDeadLetter, "deadLetterErrors", "dead-letter error", "dead-letter errors"},
		{mDestFailures, "destinationDeliveryFailures", "destination delivery failure", "destination delivery failures"},
	}
	var total float64
	var parts []string
	var ev []Evidence
	present := false
	for _, m := range keys {
		s, ok := c.f.Metrics[m.key]
		if !ok {
			continue
		}
		present = true
		v := count(s, c.L)
		total += v
		ev = append(ev, num(m.name, v, UnitCount))
		if v > 0 {
			parts = append(parts, Plural(v, m.one, m.many))
		}
	}
	if !present {
		c.series(k, mAsyncDropped, true) // records a metrics failure, if any
		return
	}
	if total < c.s.get(pAsyncMin) {
		return
	}
	c.add(Insight{Kind: k, Severity: Warning,
		Title:    "async failures: " + strings.Join(parts, ", ") + " on the report day",
		Evidence: ev,
		Action:   "Asynchronous events are being lost: check the function's errors and its event age limit, and that the dead-letter queue or on-failure destination exists and accepts messages."})
}

func ruleProvisionedIdle(c *fnCtx) {
	const k = KindProvisionedIdle
	s, ok := c.series(k, mPCUtilization, true)
	if !ok {
		return
	}
	util, ok := val(s, c.L)
	if !ok {
		if inv, _ := c.invocations(c.L); inv == 0 {
			c.skip(k, whyNoInvocations)
		} else {
			c.skip(k, whyNoDatapoint+" ("+mPCUtilization+")")
		}
		return
	}
	if !below(util, c.s.get(pPCMaxUtilization)) {
		return
	}
	if c.f.ProvisionedConcurrency == nil {
		why := whyPCNotRead
		for _, fl := range c.f.Failures {
			if fl.Stage == "config" {
				why += ": " + fl.Reason
			}
		}
		c.skip(k, why)
		return
	}
	pc := float64(*c.f.ProvisionedConcurrency)
	if pc == 0 {
		return
	}
	need := ceilTol(pc * util)
	idle := pc - need
	in := Insight{Kind: k, Severity: Info,
		Evidence: []Evidence{num("allocated", pc, UnitCount), num("maxUtilization", util, UnitRatio), num("needed", need, UnitCount), num("idle", idle, UnitCount)},
		Action:   fmt.Sprintf("Lower the provisioned concurrency to %s (or schedule it with Application Auto Scaling): at most %s of it was in use on the report day.", FormatCount(need), FormatShare(util))}
	title := fmt.Sprintf("provisioned concurrency idle: %s max utilization of %s allocated; %s would do", FormatShare(util), FormatCount(pc), FormatCount(need))
	if c.cost != nil && c.cost.price != nil {
		saving := idle * float64(c.f.MemoryMB) / 1024 * 86400 * daysPerMonth * c.cost.price.pcEnabled
		in.MonthlySavingUSD = ptr(saving)
		in.SavingNote = "idle units × memory × the provisioned-concurrency price while enabled, all month"
		in.Evidence = append(in.Evidence, num("idleCostMonthlyUSD", saving, UnitUSDMon))
		title += fmt.Sprintf(" (idle cost ~%s/month)", FormatUSD(saving))
	}
	in.Title = title
	c.add(in)
}

func ruleRecursiveLoop(c *fnCtx) {
	const k = KindRecursiveLoop
	s, ok := c.series(k, mRecursive, true)
	if !ok {
		return
	}
	v := count(s, c.L)
	if v < c.s.get(pRecursiveMin) {
		return
	}
	c.add(Insight{Kind: k, Severity: Warning,
		Title:    fmt.Sprintf("recursive loop: Lambda stopped %s on the report day", Plural(v, "recursive invocation", "recursive invocations")),
		Evidence: []Evidence{num("recursiveInvocationsDropped", v, UnitCount)},
		Action:   "The function triggers itself through SQS, SNS or S3: break the loop (a different output queue or bucket prefix); Lambda drops the event after 16 rounds."})
}

// dayName is window day i as YYYY-MM-DD.
func (c *fnCtx) dayName(i int) string {
	if i < 0 {
		return ""
	}
	return c.e.res.Window.DayStart(i).Format("2006-01-02")
}

// median of xs (nil for none); xs is reordered.
func median(xs []float64) (float64, bool) {
	if len(xs) == 0 {
		return 0, false
	}
	slices.Sort(xs)
	m := len(xs) / 2
	if len(xs)%2 == 1 {
		return xs[m], true
	}
	return (xs[m-1] + xs[m]) / 2, true
}
