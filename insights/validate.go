package insights

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/lambdaudit/lambdaudit/cost"
	"github.com/lambdaudit/lambdaudit/logstats"
	"github.com/lambdaudit/lambdaudit/metrics"
	"github.com/lambdaudit/lambdaudit/scanner"
)

// A scan result can hold two kinds of odd values, and they are treated
// differently:
//
//   - values AWS really returns that the rules do not model (a Lambda
//     Managed Instances function, an architecture without prices, memory,
//     ephemeral storage or a timeout outside the on-demand limits): the
//     affected rules of that function are "not run" with the reason
//     (modelGaps), and the rest of the fleet is reported;
//   - values no AWS answer can hold, which only a hand-edited or corrupt
//     file brings (negative, NaN or infinite figures, more errors than
//     invocations, a count beyond what Lambda can execute in a day, a
//     series of the wrong length): ValidateScan refuses the whole result,
//     naming the field path, since nothing in such a file can be trusted.

// MaxDailyCount is the largest per-function daily count (invocations,
// errors, throttles, timeouts, ...) a scan result may hold: 10^13. It is
// above what Lambda could execute in a day for one function — 100,000
// concurrent executions (100 times the default account limit) each
// running 1 ms invocations back to back for 24 hours make 8.64 × 10^12 —
// so a larger figure comes from a hand-edited or corrupt file.
const MaxDailyCount = 1e13

// Limits of an on-demand function (the Lambda quotas page) and of a Lambda
// Managed Instances function.
const (
	minMemoryMB             = 128
	maxMemoryMB             = 10240
	maxMemoryMBManaged      = 32768
	maxTimeoutS             = 900
	maxTimeoutSManaged      = 5400
	minEphemeralMB          = 512
	maxEphemeralMB          = 10240
	whyManagedInstances     = "Lambda Managed Instances: billed on EC2 capacity, not modelled"
	whyArchitecture         = "architecture not modelled"
	whyMemoryNotModelled    = "memory outside the modelled range"
	whyEphemeralNotModelled = "ephemeral storage outside the modelled range"
	whyTimeoutNotModelled   = "timeout above Lambda's documented maximum"
)

// costKinds are the rules that price a function: they do not run for a
// function the cost model cannot price.
var costKinds = []string{KindMemoryOverprovisioned, KindCostSpike, KindARM64Candidate, KindProvisionedIdle}

// timeoutKinds are the rules that read the configured timeout.
var timeoutKinds = []string{KindNearTimeout, KindTimeouts}

// gap is a value AWS can return that the rules do not model: the rules it
// keeps from running for the function, and why.
type gap struct {
	reason string
	kinds  []string
	// unpriced: the cost model is not run for the function; managed: the
	// function is billed outside Lambda's GB-seconds (Managed Instances),
	// so a region's on-demand total is complete without it.
	unpriced, managed bool
}

// modelGaps lists what the rules cannot model about a function, in the
// order the reasons are reported (the first gap that covers a rule is the
// reason it did not run).
func modelGaps(f *scanner.Function) []gap {
	var gs []gap
	managed := f.CapacityProviderARN != ""
	maxMem, maxTimeout := maxMemoryMB, maxTimeoutS
	if managed {
		maxMem, maxTimeout = maxMemoryMBManaged, maxTimeoutSManaged
		gs = append(gs, gap{reason: whyManagedInstances, kinds: costKinds, unpriced: true, managed: true})
	}
	switch f.Architecture {
	case "", cost.ArchX86, cost.ArchARM64:
	default:
		gs = append(gs, gap{reason: fmt.Sprintf("%s (%s; modelled: %s, %s)", whyArchitecture, strconv.Quote(f.Architecture), cost.ArchX86, cost.ArchARM64),
			kinds: costKinds, unpriced: true})
	}
	if f.MemoryMB > maxMem {
		gs = append(gs, gap{reason: fmt.Sprintf("%s (%s MB; modelled up to %s MB)", whyMemoryNotModelled, fmtInt(f.MemoryMB), fmtInt(maxMem)),
			kinds: costKinds, unpriced: true})
	}
	if f.EphemeralMB != 0 && (f.EphemeralMB < minEphemeralMB || f.EphemeralMB > maxEphemeralMB) {
		gs = append(gs, gap{reason: fmt.Sprintf("%s (%s MB; modelled %s to %s MB)", whyEphemeralNotModelled, fmtInt(f.EphemeralMB), fmtInt(minEphemeralMB), fmtInt(maxEphemeralMB)),
			kinds: costKinds, unpriced: true})
	}
	if f.TimeoutS > maxTimeout {
		gs = append(gs, gap{reason: fmt.Sprintf("%s (%s s; the maximum is %s s)", whyTimeoutNotModelled, fmtInt(f.TimeoutS), fmtInt(maxTimeout)),
			kinds: timeoutKinds})
	}
	return gs
}

// unpricedBy is the first gap that keeps the cost model from pricing the
// function, or nil.
func unpricedBy(gs []gap) *gap {
	for i := range gs {
		if gs[i].unpriced {
			return &gs[i]
		}
	}
	return nil
}

func fmtInt(n int) string { return FormatCount(float64(n)) }

// ScanError is a scan result insights refuses: another schema or an
// unknown version (wrapping scanner.ErrSchema), or an impossible value,
// named by its path
// (`functions[3] (acct/region/name).metrics["Errors:Sum"][12]`).
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

// ValidateScan refuses a scan result no AWS answer can produce: another
// schema or version, a bad window, memory below 128 MB, a timeout below
// 1 s, negative ephemeral storage or provisioned concurrency, a daily
// series of the wrong length, a negative, NaN or infinite value anywhere
// (every series is a count, a duration, a size or a share), a daily count
// above MaxDailyCount, and more errors than invocations on a day (Errors
// are a subset of Invocations; Throttles are not, and are not compared),
// or more cold starts or out-of-memory ends than REPORT records. Values AWS can return that the rules do not model are not
// refused: see modelGaps.
func ValidateScan(res *scanner.Result) error {
	if res == nil {
		return &ScanError{Msg: "no scan result"}
	}
	if res.Schema != scanner.Schema || res.Version != scanner.SchemaVersion {
		return &ScanError{Msg: fmt.Sprintf("schema %q version %d, want %q version %d", res.Schema, res.Version, scanner.Schema, scanner.SchemaVersion), Err: scanner.ErrSchema}
	}
	if err := res.Window.Validate(); err != nil {
		return &ScanError{Path: "window", Msg: strings.TrimPrefix(err.Error(), "window: ")}
	}
	days := res.Window.Days
	for i := range res.Targets {
		t := &res.Targets[i]
		p := fmt.Sprintf("targets[%d] (%s/%s)", i, t.Account, t.Region)
		for _, lim := range []struct {
			name string
			v    *int
		}{{"concurrencyLimit", t.ConcurrencyLimit}, {"unreservedConcurrencyLimit", t.UnreservedConcurrencyLimit}} {
			if lim.v != nil && *lim.v < 0 {
				return &ScanError{Path: p + "." + lim.name, Msg: fmt.Sprintf("must not be negative, got %d", *lim.v)}
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
		case f.MemoryMB < minMemoryMB:
			return bad("memoryMB", "must be at least %d MB (Lambda's minimum), got %d", minMemoryMB, f.MemoryMB)
		case f.TimeoutS < 1:
			return bad("timeoutS", "must be at least 1 s, got %d", f.TimeoutS)
		case f.EphemeralMB < 0:
			return bad("ephemeralMB", "must not be negative (0 = not read), got %d", f.EphemeralMB)
		case f.ProvisionedConcurrency != nil && *f.ProvisionedConcurrency < 0:
			return bad("provisionedConcurrency", "must not be negative, got %d", *f.ProvisionedConcurrency)
		}
		seen[f.ID] = true
		// The fast path allocates nothing; a bad series is then named in
		// a deterministic order.
		ok := true
		for k, s := range f.Metrics {
			ok = ok && seriesOK(s, days, countKeys[k])
		}
		if l := f.Logs; l != nil {
			for _, s := range logSeries(l) {
				ok = ok && seriesOK(s.s, days, s.count)
			}
			ok = ok && logsConsistent(l) == nil
		}
		ok = ok && errorsConsistent(f.Metrics) == nil
		if ok {
			continue
		}
		if err := checkSeriesMap(p()+".metrics", f.Metrics, days); err != nil {
			return err
		}
		for _, s := range logSeries(f.Logs) {
			if err := checkSeries(p()+".logs."+s.name, s.s, days, s.count); err != nil {
				return err
			}
		}
		if err := errorsConsistent(f.Metrics); err != nil {
			err.Path = p() + ".metrics" + err.Path
			return err
		}
		if err := logsConsistent(f.Logs); err != nil {
			err.Path = p() + ".logs." + err.Path
			return err
		}
	}
	return nil
}

// countKeys are the metric series that count events, bounded by
// MaxDailyCount.
var countKeys = map[string]bool{
	metrics.InvocationsSum: true, metrics.ErrorsSum: true, metrics.ThrottlesSum: true,
	metrics.AsyncEventsReceivedSum: true, metrics.AsyncEventsDroppedSum: true, metrics.DeadLetterErrorsSum: true,
	metrics.DestinationDeliveryFailuresSum: true, metrics.ProvisionedConcurrencyInvocationsSum: true,
	metrics.ProvisionedConcurrencySpilloverInvocationsSum: true, metrics.RecursiveInvocationsDroppedSum: true,
	metrics.InitDurationSampleCount: true,
}

// errorsConsistent refuses a day with more errors than invocations (an
// error is an invocation that failed). A day without an Invocations
// datapoint had none.
func errorsConsistent(m map[string]metrics.Series) *ScanError {
	errS, ok := m[mErrors]
	invS, hasInv := m[mInvocations]
	if !ok || !hasInv {
		return nil
	}
	for d := range errS {
		if e := count(errS, d); e > count(invS, d) {
			return &ScanError{Path: fmt.Sprintf("[%s][%d]", strconv.Quote(mErrors), d),
				Msg: fmt.Sprintf("%s errors > %s invocations (errors are invocations that failed)", fmtNum(e), fmtNum(count(invS, d)))}
		}
	}
	return nil
}

// logsConsistent refuses a day with more cold starts or out-of-memory
// ends than REPORT records: each is one REPORT record. Timeouts are not
// compared: on older runtimes they are counted from the "Task timed out
// after" lines, and such a line can fall just before midnight while its
// REPORT record falls on the next day (after the window, on the report
// day), so a day may honestly hold more timeouts than REPORT records.
func logsConsistent(l *logstats.Stats) *ScanError {
	if l == nil {
		return nil
	}
	for _, s := range []struct {
		name, what string
		s          metrics.Series
	}{{"coldStarts", "cold starts", l.ColdStarts}, {"outOfMemory", "out-of-memory ends", l.OutOfMemory}} {
		for d := range s.s {
			if v := count(s.s, d); v > count(l.Invocations, d) {
				return &ScanError{Path: fmt.Sprintf("%s[%d]", s.name, d),
					Msg: fmt.Sprintf("%s %s > %s invocations (REPORT records)", fmtNum(v), s.what, fmtNum(count(l.Invocations, d)))}
			}
		}
	}
	return nil
}

type namedSeries struct {
	name  string
	s     metrics.Series
	count bool // a count, bounded by MaxDailyCount
}

// logSeries are a LogStats' series with their JSON names.
func logSeries(l *logstats.Stats) [10]namedSeries {
	if l == nil {
		return [10]namedSeries{}
	}
	return [10]namedSeries{{"invocations", l.Invocations, true}, {"coldStarts", l.ColdStarts, true}, {"timeouts", l.Timeouts, true},
		{"outOfMemory", l.OutOfMemory, true}, {"memoryMaxMB", l.MemoryMaxMB, false}, {"memoryP99MB", l.MemoryP99MB, false},
		{"memorySizeMB", l.MemorySizeMB, false}, {"initP95Ms", l.InitP95Ms, false}, {"initTotalMs", l.InitTotalMs, false},
		{"billedDurationMs", l.BilledDurationMs, false}}
}

func seriesOK(s metrics.Series, days int, isCount bool) bool {
	if len(s) != days && len(s) != 0 {
		return false
	}
	for _, v := range s {
		if v != nil && (*v < 0 || math.IsNaN(*v) || math.IsInf(*v, 0) || (isCount && *v > MaxDailyCount)) {
			return false
		}
	}
	return true
}

func checkSeriesMap(p string, m map[string]metrics.Series, days int) error {
	for _, k := range sortedKeys(m) {
		if err := checkSeries(p+"["+strconv.Quote(k)+"]", m[k], days, countKeys[k]); err != nil {
			return err
		}
	}
	return nil
}

func checkSeries(p string, s metrics.Series, days int, isCount bool) error {
	if len(s) != days && len(s) != 0 {
		return &ScanError{Path: p, Msg: fmt.Sprintf("has %d days, the window %d", len(s), days)}
	}
	for d, v := range s {
		if v == nil {
			continue
		}
		if math.IsNaN(*v) || math.IsInf(*v, 0) || *v < 0 {
			return &ScanError{Path: fmt.Sprintf("%s[%d]", p, d), Msg: fmt.Sprintf("impossible value %v (counts, durations and sizes are finite and never negative)", *v)}
		}
		if isCount && *v > MaxDailyCount {
			return &ScanError{Path: fmt.Sprintf("%s[%d]", p, d), Msg: fmt.Sprintf("impossible count %v (more than Lambda can execute in a day; at most %v)", *v, MaxDailyCount)}
		}
	}
	return nil
}
