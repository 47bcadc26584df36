package insights

import (
	"fmt"
	"math"

	"github.com/lambdaudit/lambdaudit/metrics"
	"github.com/lambdaudit/lambdaudit/scanner"
)

// ScanError is a scan result insights refuses: another schema or an
// unknown version (wrapping scanner.ErrSchema), or an impossible value,
// named by its path ("functions[3].memoryMB").
type ScanError struct {
	Path string
	Msg  string
	Err  error
}

func (e *ScanError) Error() string {
	if e.Path == "" {
		return "scan result: " + e.Msg
	}
	return "scan result: " + e.Path + ": " + e.Msg
}

func (e *ScanError) Unwrap() error { return e.Err }

// ValidateScan refuses a scan result that insights cannot trust: another
// schema or version, a bad window, a function without a sane
// configuration (memory outside 128–10,240 MB, timeout outside 1–900 s),
// a daily series of the wrong length, or a negative, NaN or infinite
// value anywhere (every series is a count, a duration, a size or a
// share).
func ValidateScan(res *scanner.Result) error {
	if res == nil {
		return &ScanError{Msg: "no scan result"}
	}
	if res.Schema != scanner.Schema || res.Version != scanner.SchemaVersion {
		return &ScanError{Msg: fmt.Sprintf("schema %q version %d, want %q version %d", res.Schema, res.Version, scanner.Schema, scanner.SchemaVersion), Err: scanner.ErrSchema}
	}
	if err := res.Window.Validate(); err != nil {
		return &ScanError{Path: "window", Msg: err.Error()}
	}
	days := res.Window.Days
	for i := range res.Targets {
		t := &res.Targets[i]
		p := fmt.Sprintf("targets[%d] (%s/%s)", i, t.Account, t.Region)
		for name, v := range map[string]*int{"concurrencyLimit": t.ConcurrencyLimit, "unreservedConcurrencyLimit": t.UnreservedConcurrencyLimit} {
			if v != nil && *v < 0 {
				return &ScanError{Path: p + "." + name, Msg: fmt.Sprintf("must not be negative, got %d", *v)}
			}
		}
		if t.Functions < 0 {
			return &ScanError{Path: p + ".functions", Msg: fmt.Sprintf("must not be negative, got %d", t.Functions)}
		}
		if err := checkSeriesMap(p+".metrics", t.Metrics, days); err != nil {
			return err
		}
	}
	seen := make(map[string]bool, len(res.Functions))
	for i := range res.Functions {
		f := &res.Functions[i]
		p := func() string { return fmt.Sprintf("functions[%d] (%s)", i, f.ID) }
		bad := func(field, format string, a ...any) error {
			return &ScanError{Path: p() + "." + field, Msg: fmt.Sprintf(format, a...)}
		}
		switch {
		case f.ID != f.Account+"/"+f.Region+"/"+f.Name:
			return bad("id", "must be account/region/name (%s/%s/%s)", f.Account, f.Region, f.Name)
		case seen[f.ID]:
			return bad("id", "listed twice")
		case f.MemoryMB < 128 || f.MemoryMB > 10240:
			return bad("memoryMB", "must be 128 to 10,240 MB, got %d", f.MemoryMB)
		case f.TimeoutS < 1 || f.TimeoutS > 900:
			return bad("timeoutS", "must be 1 to 900 s, got %d", f.TimeoutS)
		case f.EphemeralMB != 0 && (f.EphemeralMB < 512 || f.EphemeralMB > 10240):
			return bad("ephemeralMB", "must be 512 to 10,240 MB, got %d", f.EphemeralMB)
		case f.ProvisionedConcurrency != nil && *f.ProvisionedConcurrency < 0:
			return bad("provisionedConcurrency", "must not be negative, got %d", *f.ProvisionedConcurrency)
		}
		seen[f.ID] = true
		// The fast path allocates nothing; a bad series is then named in
		// a deterministic order.
		ok := true
		for _, s := range f.Metrics {
			ok = ok && seriesOK(s, days)
		}
		if l := f.Logs; l != nil {
			for _, s := range logSeries(l) {
				ok = ok && seriesOK(s.s, days)
			}
		}
		if ok {
			continue
		}
		if err := checkSeriesMap(p()+".metrics", f.Metrics, days); err != nil {
			return err
		}
		for _, s := range logSeries(f.Logs) {
			if err := checkSeries(p()+".logs."+s.name, s.s, days); err != nil {
				return err
			}
		}
	}
	return nil
}

type namedSeries struct {
	name string
	s    metrics.Series
}

// logSeries are a LogStats' series with their JSON names.
func logSeries(l *metrics.LogStats) [10]namedSeries {
	if l == nil {
		return [10]namedSeries{}
	}
	return [10]namedSeries{{"invocations", l.Invocations}, {"coldStarts", l.ColdStarts}, {"timeouts", l.Timeouts},
		{"outOfMemory", l.OutOfMemory}, {"memoryMaxMB", l.MemoryMaxMB}, {"memoryP99MB", l.MemoryP99MB},
		{"memorySizeMB", l.MemorySizeMB}, {"initP95Ms", l.InitP95Ms}, {"initTotalMs", l.InitTotalMs},
		{"billedDurationMs", l.BilledDurationMs}}
}

func seriesOK(s metrics.Series, days int) bool {
	if len(s) != days && len(s) != 0 {
		return false
	}
	for _, v := range s {
		if v != nil && (*v < 0 || math.IsNaN(*v) || math.IsInf(*v, 0)) {
			return false
		}
	}
	return true
}

func checkSeriesMap(p string, m map[string]metrics.Series, days int) error {
	for _, k := range sortedKeys(m) {
		if err := checkSeries(p+"."+k, m[k], days); err != nil {
			return err
		}
	}
	return nil
}

func checkSeries(p string, s metrics.Series, days int) error {
	if len(s) != days && len(s) != 0 {
		return &ScanError{Path: p, Msg: fmt.Sprintf("has %d days, the window %d", len(s), days)}
	}
	for d, v := range s {
		if v == nil {
			continue
		}
		if math.IsNaN(*v) || math.IsInf(*v, 0) || *v < 0 {
			return &ScanError{Path: fmt.Sprintf("%s[%d]", p, d), Msg: fmt.Sprintf("impossible value %v (counts, durations and sizes are never negative)", *v)}
		}
	}
	return nil
}
