package scanner

import "sync/atomic"

// Stages of a scan as the progress line names them.
const (
	ProgressStarting = "starting" // resolving targets, checking credentials
	ProgressListing  = "listing"  // listing functions; metrics batches go as pages fill them
	ProgressMetrics  = "metrics"  // every target listed; GetMetricData batches finishing
	ProgressLogs     = "logs"     // Logs Insights queries
	ProgressWriting  = "writing"  // the result is being written
)

// Progress is a running scan's counters, safe to read while it runs (the
// CLI draws them on stderr).
type Progress struct {
	targets, targetsDone atomic.Int64
	listed               atomic.Int64
	unitsTotal, units    atomic.Int64
	failedUnits          atomic.Int64
	stage                atomic.Pointer[string]
}

// SetStage says which stage the run is in (Progress*); the scan sets
// listing and logs, its caller may set writing.
func (p *Progress) SetStage(s string) { p.stage.Store(&s) }

// ProgressSnapshot is Progress at one instant.
type ProgressSnapshot struct {
	// Stage is the stage the run is in (Progress*).
	Stage                string
	Targets, TargetsDone int64
	// Listed is the number of functions listed so far.
	Listed int64
	// Units and UnitsTotal are the work units (GetMetricData batches,
	// Logs Insights queries) done and planned so far; the total grows
	// while listing goes on.
	Units, UnitsTotal, FailedUnits int64
	// Throttles is the number of throttled AWS calls absorbed so far.
	Throttles int64
}

// Snapshot reads the counters; throttles come from the scan's meter.
func (p *Progress) Snapshot(m *Meter) ProgressSnapshot {
	s := ProgressSnapshot{
		Targets: p.targets.Load(), TargetsDone: p.targetsDone.Load(), Listed: p.listed.Load(),
		Units: p.units.Load(), UnitsTotal: p.unitsTotal.Load(), FailedUnits: p.failedUnits.Load(),
		Stage: ProgressStarting,
	}
	if st := p.stage.Load(); st != nil {
		s.Stage = *st
	}
	if s.Stage == ProgressListing && s.Targets > 0 && s.TargetsDone == s.Targets {
		s.Stage = ProgressMetrics
	}
	if m != nil {
		s.Throttles = int64(m.Throttles())
	}
	return s
}
