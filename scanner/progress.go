package scanner

import "sync/atomic"

// Progress is a running scan's counters, safe to read while it runs (the
// CLI draws them on stderr).
type Progress struct {
	targets, targetsDone atomic.Int64
	listed               atomic.Int64
	unitsTotal, units    atomic.Int64
	failedUnits          atomic.Int64
}

// ProgressSnapshot is Progress at one instant.
type ProgressSnapshot struct {
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
	}
	if m != nil {
		s.Throttles = int64(m.Throttles())
	}
	return s
}
