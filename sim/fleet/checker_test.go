package fleet

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
)

// This file is a small checker of INSIGHTS.md written against the truth
// JSON types only, independent of the day model: tests use it to show
// that generated functions trigger exactly their labelled insight, and
// that healthy ones trigger none.

// findings maps an insight kind to its severity.
type findings map[string]string

func (f findings) String() string {
	var ks []string
	for k, v := range f {
		ks = append(ks, k+":"+v)
	}
	sort.Strings(ks)
	return "{" + strings.Join(ks, " ") + "}"
}

const (
	chkPriceX86 = 0.0000166667
	chkPriceARM = 0.0000133334
	chkRequest  = 0.2e-6
	chkMonth    = 30.4375
)

// Deprecation dates of the checker's runtime table (AWS Lambda runtimes page).
var chkDeprecated = map[string]string{
	"python3.8": "2024-10-14", "nodejs16.x": "2024-06-12", "java8": "2024-01-08", "go1.x": "2024-01-08",
	"ruby2.7": "2023-12-07", "nodejs18.x": "2025-09-01", "python3.9": "2025-12-15", "nodejs20.x": "2026-04-30",
	"ruby3.2": "2026-03-31", "python3.10": "2026-10-31", "dotnet8": "2026-11-10", "provided.al2": "2026-07-31",
	"nodejs22.x": "2027-04-30", "ruby3.3": "2027-03-31", "java8.al2": "2026-07-31", "python3.11": "2027-06-30",
}

// Runtimes without arm64.
var chkNoARM = map[string]bool{"go1.x": true, "java8": true, "python2.7": true, "python3.6": true, "python3.7": true, "nodejs12.x": true, "dotnetcore3.1": true}

func chkCost(ft *FunctionTruth, d *DayTruth) float64 {
	p := chkPriceX86
	if ft.Config.Architecture == ArchARM {
		p = chkPriceARM
	}
	return d.GBSeconds*p + float64(d.Invocations)*chkRequest
}

// checkFunction evaluates the function rules with every threshold made
// stricter by factor k (k > 1) or more lenient (k < 1); k = 1 is the
// catalogue's defaults. The window is the truth's last day, when present.
func checkFunction(ft *FunctionTruth, now time.Time, k float64) findings {
	out := findings{}
	set := func(kind, sev string) {
		if out[kind] != "critical" {
			out[kind] = sev
		}
	}
	// deprecated-runtime needs no data.
	if d, ok := chkDeprecated[ft.Config.Runtime]; ok {
		t, _ := time.Parse(time.DateOnly, d)
		switch {
		case !now.Before(t):
			set("deprecated-runtime", "critical")
		case t.Sub(now) <= 180*24*time.Hour:
			set("deprecated-runtime", "warning")
		}
	}
	if len(ft.Days) == 0 {
		return out
	}
	w := &ft.Days[len(ft.Days)-1]
	if w.Date != now.UTC().Truncate(24*time.Hour).Add(-24*time.Hour).Format(time.DateOnly) {
		return out // no data for the window
	}
	last7 := ft.Days[max(0, len(ft.Days)-7):]
	cfg := ft.Config
	if w.Invocations > 0 {
		t := float64(cfg.TimeoutS) * 1000
		if w.Duration.Maximum >= 0.95*k*t {
			set("near-timeout", "critical")
		} else if w.Duration.Maximum >= 0.80*k*t {
			set("near-timeout", "warning")
		}
		mr := w.MemoryUsed.Max / float64(w.MemorySize)
		if mr >= 0.97*k || w.OutOfMemory > 0 {
			set("memory-near-limit", "critical")
		} else if mr >= 0.90*k {
			set("memory-near-limit", "warning")
		}
		if float64(w.Invocations) >= 100*k {
			share := float64(w.ColdStarts) / float64(w.Invocations)
			if share >= 0.05*k || (w.Init != nil && w.Init.P95 >= 1000*k) {
				set("cold-starts", "warning")
			}
		}
		if float64(w.Errors) >= 0.01*k*float64(w.Invocations) && float64(w.Errors) >= 10*k {
			set("error-rate", "warning")
		}
		if cfg.Architecture == ArchX86 && cfg.PackageType == PkgZip && !chkNoARM[cfg.Runtime] {
			if w.GBSeconds*chkPriceX86*chkMonth >= 5*k {
				set("arm64-candidate", "info")
			}
		}
	}
	if w.Timeouts > 0 {
		set("timeouts", "warning")
	}
	for _, d := range last7 {
		if d.Invocations > 0 && float64(d.Timeouts) >= 0.10*k*float64(d.Invocations) {
			set("timeouts", "critical")
		}
		if d.Invocations > 0 && float64(d.Errors) >= 0.10*k*float64(d.Invocations) {
			set("error-rate", "critical")
		}
	}
	if th := float64(w.Throttles); th >= 10*k {
		share := th / (th + float64(w.Invocations))
		if share >= 0.10*k {
			set("throttles", "critical")
		} else if share >= 0.01*k {
			set("throttles", "warning")
		}
	}
	// memory-overprovisioned over the 14 days.
	var inv14 int64
	maxRatio := -1.0
	for _, d := range ft.Days {
		inv14 += d.Invocations
		if d.MemoryUsed != nil {
			maxRatio = math.Max(maxRatio, d.MemoryUsed.Max/float64(d.MemorySize))
		}
	}
	if float64(inv14) >= 50*k && cfg.MemoryMB > 128 && maxRatio >= 0 && maxRatio <= 0.40/k {
		set("memory-overprovisioned", "info")
	}
	// cost-spike: the window against the median of the 7 days before.
	if n := len(ft.Days); n >= 2 {
		var prev []float64
		for _, d := range ft.Days[max(0, n-8) : n-1] {
			prev = append(prev, chkCost(ft, &d))
		}
		sort.Float64s(prev)
		med := prev[len(prev)/2]
		if len(prev)%2 == 0 {
			med = (prev[len(prev)/2-1] + prev[len(prev)/2]) / 2
		}
		c := chkCost(ft, w)
		if c >= 5*k*med && c-med >= 10*k {
			set("cost-spike", "critical")
		} else if c >= 2*k*med && c-med >= 1*k {
			set("cost-spike", "warning")
		}
	}
	if w.IteratorAgeMax != nil {
		if *w.IteratorAgeMax >= 2*3600e3*k {
			set("iterator-age", "critical")
		} else if *w.IteratorAgeMax >= 30*60e3*k {
			set("iterator-age", "warning")
		}
	}
	if w.AsyncEventsDropped+w.DeadLetterErrors+w.DestinationDeliveryFailures > 0 {
		set("async-failures", "warning")
	}
	if cfg.ProvisionedConcurrency > 0 && w.ProvisionedUtilizationMax != nil && *w.ProvisionedUtilizationMax < 0.60/k {
		set("provisioned-concurrency-idle", "info")
	}
	if w.RecursiveDropped > 0 {
		set("recursive-loop", "warning")
	}
	return out
}

// checkRegion evaluates concurrency-near-limit on the window day.
func checkRegion(rt *RegionTruth, now time.Time, k float64) findings {
	out := findings{}
	win := now.UTC().Truncate(24 * time.Hour).Add(-24 * time.Hour).Format(time.DateOnly)
	for _, d := range rt.Days {
		if d.Date != win || d.ConcurrentExecutionsMax == nil {
			continue
		}
		c, lim := *d.ConcurrentExecutionsMax, float64(rt.ConcurrencyLimit)
		if c >= 0.90*k*lim {
			out["concurrency-near-limit"] = "critical"
		} else if c >= 0.80*k*lim {
			out["concurrency-near-limit"] = "warning"
		}
	}
	return out
}

// clearFindings checks a function with the default thresholds and with
// every threshold 1 % stricter and 1 % more lenient: a finding that
// changes is at a boundary.
func clearFindings(ft *FunctionTruth, now time.Time) (findings, error) {
	f := checkFunction(ft, now, 1)
	lo, hi := checkFunction(ft, now, 0.99), checkFunction(ft, now, 1.01)
	if lo.String() != f.String() || hi.String() != f.String() {
		return f, fmt.Errorf("%s: at a threshold: %v at defaults, %v 1 %% more lenient, %v 1 %% stricter", ft.Name, f, lo, hi)
	}
	return f, nil
}

// impliedBy are the insights a labelled function shows by necessity.
var impliedBy = map[string][]string{
	// A timed-out invocation's Duration is the timeout.
	"timeouts": {"near-timeout", "error-rate"},
}

// checkHealthy applies the generator's healthy bounds to a function truth.
func checkHealthy(ft *FunctionTruth) error {
	cfg := ft.Config
	ok := map[string]bool{"nodejs24.x": true, "python3.13": true, "python3.14": true, "java21": true, "ruby3.4": true, "provided.al2023": true}
	if !ok[cfg.Runtime] {
		return fmt.Errorf("runtime %q", cfg.Runtime)
	}
	if cfg.ProvisionedConcurrency > 0 {
		return fmt.Errorf("provisioned concurrency %d", cfg.ProvisionedConcurrency)
	}
	var inv0 int64 = -1
	for _, d := range ft.Days {
		switch {
		case d.Invocations == 0:
			return fmt.Errorf("%s: no invocations", d.Date)
		case inv0 >= 0 && d.Invocations != inv0:
			return fmt.Errorf("%s: invocations %d, not constant (%d)", d.Date, d.Invocations, inv0)
		case d.Duration.Maximum > 0.6*float64(cfg.TimeoutS)*1000:
			return fmt.Errorf("%s: max duration %v of timeout %d s", d.Date, d.Duration.Maximum, cfg.TimeoutS)
		case d.Timeouts+d.Throttles+d.OutOfMemory > 0:
			return fmt.Errorf("%s: timeouts %d throttles %d oom %d", d.Date, d.Timeouts, d.Throttles, d.OutOfMemory)
		case d.MemoryUsed.Max < 0.5*float64(d.MemorySize) || d.MemoryUsed.Max > 0.8*float64(d.MemorySize):
			return fmt.Errorf("%s: memory used %v of %d", d.Date, d.MemoryUsed.Max, d.MemorySize)
		case float64(d.Errors) > 0.002*float64(d.Invocations):
			return fmt.Errorf("%s: errors %d of %d", d.Date, d.Errors, d.Invocations)
		case float64(d.ColdStarts) > 0.02*float64(d.Invocations):
			return fmt.Errorf("%s: cold starts %d of %d", d.Date, d.ColdStarts, d.Invocations)
		case d.Init != nil && d.Init.P95 >= 800:
			return fmt.Errorf("%s: p95 init %v", d.Date, d.Init.P95)
		case cfg.Architecture == ArchX86 && d.GBSeconds*chkPriceX86*chkMonth >= 2:
			return fmt.Errorf("%s: x86_64 duration cost $%.2f/month", d.Date, d.GBSeconds*chkPriceX86*chkMonth)
		case d.AsyncEventsDropped+d.DeadLetterErrors+d.DestinationDeliveryFailures > 0:
			return fmt.Errorf("%s: async failures", d.Date)
		case d.IteratorAgeMax != nil && *d.IteratorAgeMax > 60000:
			return fmt.Errorf("%s: iterator age %v", d.Date, *d.IteratorAgeMax)
		case d.RecursiveDropped > 0:
			return fmt.Errorf("%s: recursive drops %d", d.Date, d.RecursiveDropped)
		}
		inv0 = d.Invocations
	}
	return nil
}
