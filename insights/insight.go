package insights

import (
	"fmt"
	"math"
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

// Formatting helpers of titles.

// Titles never round a figure up across a threshold: seconds, minutes
// and percentages are truncated, so 9,499 ms reads "9.499 s", 89.99 %
// reads "89.9 %" and 119.99 minutes "1 h 59 min".

// fmtMs renders milliseconds as "850 ms" or "5.6 s".
func fmtMs(ms float64) string {
	if ms < 1000 {
		return fmt.Sprintf("%.0f ms", math.Floor(ms+1e-9))
	}
	return fmtSeconds(ms/1000) + " s"
}

// fmtSeconds renders seconds with up to three decimals, trailing zeros
// dropped.
func fmtSeconds(s float64) string {
	s = math.Floor(s*1000+1e-6) / 1000
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.3f", s), "0"), ".")
}

// fmtPct renders a share as "12 %" or "96.8 %" (one decimal, truncated).
func fmtPct(share float64) string {
	p := math.Floor(share*1000+1e-6) / 10
	if p == math.Trunc(p) {
		return fmt.Sprintf("%.0f %%", p)
	}
	return fmt.Sprintf("%.1f %%", p)
}

// fmtUSD renders dollars as "$14.20", "$0.0042" or "$1,234".
func fmtUSD(v float64) string {
	switch a := math.Abs(v); {
	case a >= 1000:
		return "$" + groupThousands(fmt.Sprintf("%.0f", v))
	case a > 0 && a < 0.01:
		return fmt.Sprintf("$%.4f", v)
	}
	return fmt.Sprintf("$%.2f", v)
}

// fmtCount renders a count with thousands separators.
func fmtCount(v float64) string { return groupThousands(fmt.Sprintf("%.0f", v)) }

func groupThousands(s string) string {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// fmtFactor renders a multiple as "×3.1".
func fmtFactor(f float64) string {
	if math.IsInf(f, 1) {
		return "from nothing"
	}
	return fmt.Sprintf("×%.1f", f)
}
