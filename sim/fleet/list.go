package fleet

import (
	"math"
	"time"
)

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
		if fn.Region.byLog[fn.LogGroup] != fn {
			return MetricID{}, false // a shared log group is listed once, by the function serving it
		}
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

// activeDay reports whether the function can have samples of any metric
// on the day daysAgo days before the anchor: it was invoked, throttled or
// had async, dead-letter, destination or recursion events (the counts
// Function.build derives from the profile, read here without building the
// day). Every metric of a function is empty on a day that is not active.
func (fn *Function) activeDay(daysAgo int) bool {
	if daysAgo > fn.CreatedDaysAgo {
		return false
	}
	p, days := &fn.Profile, fn.Region.fleet.Days
	inv := math.Round(p.Invocations.at(daysAgo, days, 0))
	if inv >= 1 {
		return true
	}
	for _, s := range []*Series{p.Throttles, p.AsyncEventsReceived, p.AsyncEventsDropped, p.DeadLetterErrors, p.DestinationDeliveryFailures, p.RecursiveInvocationsDropped} {
		if math.Round(s.at(daysAgo, days, inv)) >= 1 {
			return true
		}
	}
	return false
}

// ActiveDays calls yield with the start of each UTC day overlapping
// [start, end), in ascending order, on which the function can have
// samples of some metric (see ActiveBetween). Days after the anchor repeat
// yesterday.
func (fn *Function) ActiveDays(start, end time.Time, yield func(day time.Time) bool) {
	if fn == nil || !start.Before(end) {
		return
	}
	f := fn.Region.fleet
	first := start.UTC().Truncate(24 * time.Hour)
	if oldest := fn.Created(); first.Before(oldest) {
		first = oldest
	}
	for d := first; d.Before(end); d = d.Add(24 * time.Hour) {
		if fn.activeDay(int(f.Anchor.Sub(d) / (24 * time.Hour))) {
			if !yield(d) {
				return
			}
		}
	}
}

// ActiveBetween reports whether the function can have samples on a UTC
// day overlapping [start, end): it was invoked, throttled or had async
// events then. The check is by day, from the profile, without building
// the days.
func (fn *Function) ActiveBetween(start, end time.Time) bool {
	active := false
	fn.ActiveDays(start, end, func(time.Time) bool {
		active = true
		return false
	})
	return active
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
