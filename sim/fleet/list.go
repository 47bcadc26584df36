package fleet

import "time"

// MetricPos is a position in a region's metric enumeration: Function
// indexes Region.Functions (len(Functions) for the region-level metrics)
// and Slot the metric within it. Positions are stable for a spec, so a
// ListMetrics page token can carry one.
type MetricPos struct{ Function, Slot int }

// The per-function slots: AWS/Lambda metrics by name, then LambdaInsights
// ones, then the log group's AWS/Logs ones.
var (
	listLambda   = LambdaMetricNames()
	listInsights = InsightsMetricNames()
	listLogs     = []string{"IncomingBytes", "IncomingLogEvents"}
	listSlots    = len(listLambda) + len(listInsights) + len(listLogs)
)

// metricAt is fn's metric in a slot; ok is false when fn does not emit it.
func (fn *Function) metricAt(slot int) (MetricID, bool) {
	switch {
	case slot < len(listLambda):
		name := listLambda[slot]
		if !lambdaMetrics[name].has(fn) {
			return MetricID{}, false
		}
		return MetricID{Namespace: NSLambda, Name: name, Dims: []Dim{{"FunctionName", fn.Name}}}, true
	case slot < len(listLambda)+len(listInsights):
		if !fn.LambdaInsights {
			return MetricID{}, false
		}
		name := listInsights[slot-len(listLambda)]
		return MetricID{Namespace: NSInsights, Name: name, Dims: []Dim{{"function_name", fn.Name}}}, true
	case slot < listSlots:
		name := listLogs[slot-len(listLambda)-len(listInsights)]
		return MetricID{Namespace: NSLogs, Name: name, Dims: []Dim{{"LogGroupName", fn.LogGroup}}}, true
	}
	return MetricID{}, false
}

// Metrics enumerates every metric the region serves, in a deterministic
// order: per function (in Functions order) its AWS/Lambda metrics, its
// LambdaInsights metrics when it runs the extension and its log group's
// AWS/Logs metrics; then the region-level AWS/Lambda metrics without
// dimensions. Whether a metric has data in a window is not considered
// (see Function.ActiveBetween). Nothing is materialised: a region of
// 100,000 functions is enumerated lazily.
func (r *Region) Metrics(yield func(MetricID) bool) {
	r.MetricsFrom(MetricPos{}, func(_ MetricPos, m MetricID) bool { return yield(m) })
}

// MetricsFrom enumerates like Metrics starting at from (inclusive),
// passing each metric's position.
func (r *Region) MetricsFrom(from MetricPos, yield func(MetricPos, MetricID) bool) {
	if r == nil || from.Function < 0 || from.Slot < 0 {
		return
	}
	for i := from.Function; i < len(r.Functions); i++ {
		fn := r.Functions[i]
		s := 0
		if i == from.Function {
			s = from.Slot
		}
		for ; s < listSlots; s++ {
			if m, ok := fn.metricAt(s); ok && !yield(MetricPos{i, s}, m) {
				return
			}
		}
	}
	if len(r.Functions) == 0 {
		return
	}
	s := 0
	if from.Function == len(r.Functions) {
		s = from.Slot
	} else if from.Function > len(r.Functions) {
		return
	}
	for ; s < len(regionMetrics); s++ {
		if !yield(MetricPos{len(r.Functions), s}, MetricID{Namespace: NSLambda, Name: regionMetrics[s]}) {
			return
		}
	}
}

// ActiveBetween reports whether the function was invoked (or throttled) on
// a UTC day overlapping [start, end): its metrics then have datapoints in
// the window. Days after the anchor repeat yesterday. The check is by day,
// from the profile, without building the days.
func (fn *Function) ActiveBetween(start, end time.Time) bool {
	if fn == nil || !start.Before(end) {
		return false
	}
	f := fn.Region.fleet
	first := f.Anchor.Sub(start.UTC().Truncate(24*time.Hour)) / (24 * time.Hour)
	last := f.Anchor.Sub(end.Add(-time.Nanosecond).UTC().Truncate(24*time.Hour)) / (24 * time.Hour)
	if first > time.Duration(fn.CreatedDaysAgo) {
		first = time.Duration(fn.CreatedDaysAgo)
	}
	if last < -1 {
		last = -1 // later days repeat yesterday's profile
	}
	p := &fn.Profile
	for d := int(first); d >= int(last); d-- {
		inv := p.Invocations.at(d, f.Days, 0)
		if inv >= 0.5 || p.Throttles.at(d, f.Days, inv) >= 0.5 {
			return true
		}
	}
	return false
}

// ActiveBetween reports whether any of the region's functions was active
// in [start, end) (the region-level metrics then have data).
func (r *Region) ActiveBetween(start, end time.Time) bool {
	if r == nil {
		return false
	}
	for _, fn := range r.Functions {
		if fn.ActiveBetween(start, end) {
			return true
		}
	}
	return false
}
