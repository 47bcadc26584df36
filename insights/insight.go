package insights

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// Severity of an insight.
type Severity string

// Severities, most urgent first.
const (
	Critical Severity = "critical"
	Warning  Severity = "warning"
	Info     Severity = "info"
)

// rank orders severities: critical 0, warning 1, info 2.
func (s Severity) rank() int {
	switch s {
	case Critical:
		return 0
	case Warning:
		return 1
	}
	return 2
}

// Insight is one finding about a function, or about an account-region
// (Function empty: concurrency-near-limit and the region's cost-spike).
type Insight struct {
	// Key is account/region/function/kind (function "*" for an
	// account-region): stable from one scan to the next, the alert's
	// deduplication alias.
	Key      string   `json:"key"`
	Kind     string   `json:"kind"`
	Severity Severity `json:"severity"`
	Account  string   `json:"account"`
	Region   string   `json:"region"`
	Function string   `json:"function,omitempty"`
	// Title is one line with the numbers.
	Title string `json:"title"`
	// Evidence are the values the rule decided on, in a fixed order.
	Evidence []Evidence `json:"evidence"`
	// Action is what to do about it.
	Action string `json:"action"`
	// MonthlySavingUSD is the estimated saving a month of acting on it,
	// where the rule has one (memory-overprovisioned, arm64-candidate,
	// provisioned-concurrency-idle, timeouts' lost compute); SavingNote
	// states its assumptions.
	MonthlySavingUSD *float64 `json:"monthlySavingUSD"`
	SavingNote       string   `json:"savingNote,omitempty"`
	// ImpactUSD orders insights of one severity: the monthly dollars at
	// stake — the saving, a spike's excess, the INIT cost of cold starts,
	// else what the function (or region) costs a month. 0 without cost
	// data.
	ImpactUSD float64 `json:"impactUSD"`
}

// Evidence is one value behind an insight: a number with its unit, or
// a text (a date, a runtime, a driver).
type Evidence struct {
	Name  string   `json:"name"`
	Value *float64 `json:"value,omitempty"`
	Unit  string   `json:"unit,omitempty"`
	Text  string   `json:"text,omitempty"`
}

// Evidence units.
const (
	UnitMs      = "ms"
	UnitS       = "s"
	UnitMB      = "MB"
	UnitMinutes = "min"
	UnitCount   = "count"
	UnitRatio   = "ratio" // a share, 0–1
	UnitFactor  = "x"     // a multiple
	UnitUSD     = "USD"
	UnitUSDDay  = "USD/day"
	UnitUSDMon  = "USD/month"
	UnitDays    = "days"
)

func num(name string, v float64, unit string) Evidence {
	v = round6(v)
	return Evidence{Name: name, Value: &v, Unit: unit}
}

func text(name, s string) Evidence { return Evidence{Name: name, Text: s} }

// round6 keeps evidence and dollars readable and stable: six significant
// digits after the point are more than any rule needs.
func round6(v float64) float64 {
	if v == 0 || math.IsInf(v, 0) || math.IsNaN(v) {
		return v
	}
	return math.Round(v*1e6) / 1e6
}

func ptr(v float64) *float64 { return &v }

// Formatting of figures: one function per quantity, shared by the
// titles here and the digests of package notify.
//
// No figure is ever rounded up across a threshold: factors, percentages,
// durations, dollars and counts are truncated toward zero, so a 4.99×
// spike reads "×4.9" (never "×5.0"), 94.99 % reads "94.9 %" (never
// "95 %"), 9,499 ms reads "9.499 s" and 119.99 minutes "1 h 59 min".

// Truncate truncates v toward zero to dec decimals, tolerating
// floating-point noise (0.3 × 100 = 29.999999999999996 is 30): the one
// rounding rule of every figure shown (titles, digests, alerts).
func Truncate(v float64, dec int) float64 { return truncTo(v, dec) }

func truncTo(v float64, dec int) float64 {
	if v == 0 || math.IsInf(v, 0) || math.IsNaN(v) {
		return v
	}
	p := math.Pow10(dec)
	x := v * p
	return math.Trunc(x+math.Copysign(1e-6, x)) / p
}

// FormatMs renders milliseconds as "850 ms" or "5.6 s" (truncated).
func FormatMs(ms float64) string {
	if math.Abs(ms) < 1000 {
		return fmt.Sprintf("%.0f ms", truncTo(ms, 0))
	}
	return FormatSeconds(ms/1000) + " s"
}

// FormatSeconds renders seconds with up to three decimals (truncated),
// trailing zeros dropped: "9.499", "6".
func FormatSeconds(s float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.3f", truncTo(s, 3)), "0"), ".")
}

// FormatMinutes renders minutes as "45 min", "2 h" or "1 h 59 min"
// (whole minutes, truncated).
func FormatMinutes(m float64) string {
	m = truncTo(m, 0)
	if m < 60 {
		return fmt.Sprintf("%.0f min", m)
	}
	h := math.Floor(m / 60)
	if r := m - h*60; r > 0 {
		return fmt.Sprintf("%.0f h %.0f min", h, r)
	}
	return fmt.Sprintf("%.0f h", h)
}

// FormatShare renders a share (0–1) as a percentage with one decimal,
// truncated, ".0" dropped: "12 %", "96.8 %", "94.9 %" for 0.94999.
func FormatShare(share float64) string {
	p := truncTo(share*100, 1)
	if p == math.Trunc(p) {
		return fmt.Sprintf("%.0f %%", p)
	}
	return fmt.Sprintf("%.1f %%", p)
}

// FormatFactor renders a multiple with one decimal, truncated: "×3.1",
// "×4.9" for 4.99, "×1.9" for 1.99; an infinite one (from nothing)
// reads "from nothing".
func FormatFactor(f float64) string {
	if math.IsInf(f, 1) {
		return "from nothing"
	}
	return fmt.Sprintf("×%.1f", truncTo(f, 1))
}

// FormatUSD renders dollars as "$14.20", "$0.0042", "$1,234" or
// "-$0.40" (truncated toward zero).
func FormatUSD(v float64) string {
	a := math.Abs(v)
	var s string
	switch {
	case truncTo(a, 0) >= 1000:
		s = "$" + groupThousands(fmt.Sprintf("%.0f", truncTo(a, 0)))
	case a > 0 && truncTo(a, 2) == 0:
		s = fmt.Sprintf("$%.4f", truncTo(a, 4))
	default:
		s = fmt.Sprintf("$%.2f", truncTo(a, 2))
	}
	if v < 0 && strings.Trim(s, "$0.") != "" {
		return "-" + s
	}
	return s
}

// FormatPart renders n of total as a whole percentage, truncated ("33 %"),
// never rounded up across a threshold ("99 %", not "100 %", while one
// function is still covered); "<1 %" for a few, "–" without a total.
func FormatPart(n, total int) string {
	if total <= 0 {
		return "–"
	}
	if n > 0 && n*100 < total {
		return "<1 %"
	}
	return fmt.Sprintf("%d %%", n*100/total)
}

// FormatCount renders a count with thousands separators: "1,500".
func FormatCount(v float64) string {
	s := groupThousands(fmt.Sprintf("%.0f", math.Abs(truncTo(v, 0))))
	if truncTo(v, 0) < 0 {
		return "-" + s
	}
	return s
}

func groupThousands(digits string) string {
	var b strings.Builder
	for i, c := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// Plural is "1 function" or "2,000 functions".
func Plural(n float64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return FormatCount(n) + " " + many
}

// One cause, one finding. Some rules see the same problem from two
// sides: a timed-out invocation is an error (Errors counts it) and runs
// to the timeout (Duration Maximum reaches it). Left apart, one function's
// timeouts would take two or three of the digest's critical slots and
// page twice, at severities that disagree (2 timeouts in 1,500
// invocations: near-timeout critical, timeouts warning). reconcile folds
// them into the timeouts finding, which names the cause:
//
//   - near-timeout folds into timeouts whenever the function has a
//     timeouts finding: the slowest invocation reaching the timeout is the
//     timeouts themselves, so near-timeout (a forecast) says nothing the
//     timeouts rule (what happened) does not, and the timeouts rule's
//     severity stands (2 timeouts in 1,500 invocations: one warning);
//   - error-rate folds into timeouts when the timeouts are at least
//     foldShare of the Errors on the day the error-rate finding names
//     (its worst day when critical, else the report day); the folded
//     finding takes the higher severity of the two (errors on ≥ 10 % of a
//     day's invocations stay critical). Errors of another cause keep
//     their own finding.
//
// The folded finding keeps the timeouts key (the Opsgenie alias) and the
// larger impact, appends error-rate's figures to its title and the other
// findings' evidence (names prefixed with the kind:
// "near-timeout.maxDurationMs", "error-rate.worstDayShare"), and adds
// "timeoutShareOfErrors" when error-rate folded in.
const foldShare = 0.9

// reconcile folds the overlapping findings among the function's insights
// (c.e.insights[from:], the ones its rules just added).
func (c *fnCtx) reconcile(from int) {
	ins := c.e.insights[from:]
	find := func(kind string) int {
		for i := range ins {
			if ins[i].Kind == kind {
				return i
			}
		}
		return -1
	}
	ti := find(KindTimeouts)
	if ti < 0 {
		return
	}
	drop := map[int]bool{}
	if ni := find(KindNearTimeout); ni >= 0 {
		// The slowest invocation ran to the timeout: the title says the
		// timeouts already, the evidence keeps near-timeout's figures.
		fold(&ins[ti], &ins[ni], false, "", nil)
		drop[ni] = true
	}
	if ei := find(KindErrorRate); ei >= 0 {
		if share, ok := c.timeoutShareOfErrors(&ins[ei]); ok && atLeast(share, foldShare) {
			e := &ins[ei]
			day := c.dayName(c.L)
			if e.Severity == Critical {
				day = evidenceText(e, "worstDay")
			}
			rate, _ := evidenceValue(e, "worstDayShare")
			if e.Severity != Critical {
				rate, _ = evidenceValue(e, "share")
			}
			extra := fmt.Sprintf("errors %s on %s (%s of them timeouts)", FormatShare(rate), day, FormatShare(math.Min(share, 1)))
			fold(&ins[ti], e, true, extra, []Evidence{num("timeoutShareOfErrors", share, UnitRatio)})
			drop[ei] = true
		}
	}
	if len(drop) == 0 {
		return
	}
	kept := c.e.insights[:from]
	for i := range ins {
		if !drop[i] {
			kept = append(kept, ins[i])
		}
	}
	c.e.insights = kept
}

// fold merges other into into: the larger impact, other's figures
// appended to the title and its evidence (prefixed), and with raise the
// higher severity.
func fold(into, other *Insight, raise bool, extra string, more []Evidence) {
	if raise && other.Severity.rank() < into.Severity.rank() {
		into.Severity = other.Severity
	}
	into.ImpactUSD = math.Max(into.ImpactUSD, other.ImpactUSD)
	if extra != "" {
		into.Title += "; " + extra
	}
	for _, ev := range other.Evidence {
		ev.Name = other.Kind + "." + ev.Name
		into.Evidence = append(into.Evidence, ev)
	}
	into.Evidence = append(into.Evidence, more...)
}

// timeoutShareOfErrors is the function's REPORT timeouts ÷ its Errors on
// the day the error-rate finding e names; false when either is unknown
// or there were no errors that day.
func (c *fnCtx) timeoutShareOfErrors(e *Insight) (float64, bool) {
	day := c.L
	if e.Severity == Critical {
		day = -1
		name := evidenceText(e, "worstDay")
		for i := 0; i <= c.L; i++ {
			if c.dayName(i) == name {
				day = i
			}
		}
	}
	if day < 0 || c.f.Logs == nil {
		return 0, false
	}
	to, ok := val(c.f.Logs.Timeouts, day)
	errs := count(c.f.Metrics[mErrors], day)
	if !ok || errs <= 0 {
		return 0, false
	}
	return to / errs, true
}

func evidenceValue(in *Insight, name string) (float64, bool) {
	for _, ev := range in.Evidence {
		if ev.Name == name && ev.Value != nil {
			return *ev.Value, true
		}
	}
	return 0, false
}

func evidenceText(in *Insight, name string) string {
	for _, ev := range in.Evidence {
		if ev.Name == name {
			return ev.Text
		}
	}
	return ""
}

// Order of the insights (report.insights, and so the digest and the
// alerts): by severity (critical, warning, info); within a severity,
// reliability before cost before lifecycle — a function failing or about
// to fail its callers (timeouts, error-rate, throttles, near-timeout,
// memory-near-limit, concurrency-near-limit, iterator-age,
// recursive-loop, async-failures, cold-starts) ranks ahead of money
// (cost-spike, memory-overprovisioned, arm64-candidate,
// provisioned-concurrency-idle), which ranks ahead of a deprecated
// runtime; then by impactUSD (largest first), then by key.

// Classes of kinds, in the order they rank within a severity.
const (
	classReliability = iota
	classCost
	classLifecycle
)

// kindClass is the class of a kind.
func kindClass(kind string) int {
	switch kind {
	case KindCostSpike, KindMemoryOverprovisioned, KindARM64Candidate, KindProvisionedIdle:
		return classCost
	case KindDeprecatedRuntime:
		return classLifecycle
	}
	return classReliability
}

// sortInsights puts insights in the report's order (above).
func sortInsights(ins []Insight) {
	sort.SliceStable(ins, func(i, j int) bool {
		a, b := &ins[i], &ins[j]
		if ra, rb := a.Severity.rank(), b.Severity.rank(); ra != rb {
			return ra < rb
		}
		if ca, cb := kindClass(a.Kind), kindClass(b.Kind); ca != cb {
			return ca < cb
		}
		if a.ImpactUSD != b.ImpactUSD {
			return a.ImpactUSD > b.ImpactUSD
		}
		return a.Key < b.Key
	})
}
