package bench

import (
	"math"
	"time"

	"github.com/lambdaudit/lambdaudit/sim"
)

// Need is the work a scan's data takes, in the calls the cheapest client
// would make for it.
type Need struct {
	// ListFunctionsPages are sequential: each page needs the previous
	// page's Marker. LambdaOther are the other control-plane calls
	// (GetAccountSettings, ListProvisionedConcurrencyConfigs), which share
	// ListFunctions' bucket.
	ListFunctionsPages int
	LambdaOther        int
	// TaggingPages are sequential GetResources pages.
	TaggingPages int
	// ListMetricsCalls in all, ListMetricsChain the longest sequence of
	// pages of one listing.
	ListMetricsCalls int
	ListMetricsChain int
	// Queries are the metric series fetched; the cheapest client packs
	// them 500 to a GetMetricData call.
	Queries int
	// LogQueries are Logs Insights queries (each one StartQuery and at
	// least one GetQueryResults), LogQueryTime how long one runs.
	LogQueries   int
	LogQueryTime time.Duration
}

// GetMetricDataCalls is the dense packing of the queries: ceil(q/500).
func (n Need) GetMetricDataCalls() int { return (n.Queries + 499) / 500 }

// Floor is the shortest wall time any client could take for the data in
// need under the quotas and latencies, in this model:
//
//   - A sequential chain of k calls of latency L takes at least k×L.
//   - n calls against a token bucket of rate r and burst b (the sim's
//     buckets hold one second of rate) take at least (n−b)/r to be
//     admitted, plus the last call's latency.
//   - ListFunctions pages are a chain and share the Lambda control-plane
//     bucket with the other Lambda calls; GetResources pages are a chain
//     on the tagging bucket; ListMetrics calls share their bucket.
//   - The last GetMetricData call cannot start before the last
//     ListFunctions page is back (it needs those functions' names), and
//     the GetMetricData calls share their bucket.
//   - Logs Insights queries are admitted at StartQuery's rate, at most
//     ConcurrentQueries run at once, and each runs LogQueryTime plus a
//     StartQuery and a GetQueryResults round trip.
//
// The floor is the largest of these bounds. It ignores the CPU time of
// both sides and assumes perfect overlap of everything independent, so
// no real client reaches it.
func Floor(n Need, q sim.Quotas, l sim.Latency) time.Duration {
	lat := func(api string) float64 { return l.For(api).Seconds() }
	burst := q.BurstSeconds
	if burst <= 0 {
		burst = 1
	}
	admit := func(calls int, rate float64) float64 {
		if calls <= 0 || rate <= 0 {
			return 0
		}
		return math.Max(0, float64(calls)-math.Max(1, math.Round(rate*burst))) / rate
	}
	bound := 0.0
	// Listing, and the GetMetricData that must follow its last page.
	list := 0.0
	if n.ListFunctionsPages > 0 {
		list = math.Max(float64(n.ListFunctionsPages)*lat("ListFunctions"),
			admit(n.ListFunctionsPages+n.LambdaOther, q.LambdaControl)+lat("ListFunctions"))
	}
	bound = math.Max(bound, list)
	if g := n.GetMetricDataCalls(); g > 0 {
		bound = math.Max(bound, list+lat("GetMetricData"))
		bound = math.Max(bound, admit(g, q.GetMetricData)+lat("GetMetricData"))
	}
	if n.TaggingPages > 0 {
		bound = math.Max(bound, math.Max(float64(n.TaggingPages)*lat("GetResources"),
			admit(n.TaggingPages, q.Tagging)+lat("GetResources")))
	}
	if n.ListMetricsCalls > 0 {
		bound = math.Max(bound, math.Max(float64(n.ListMetricsChain)*lat("ListMetrics"),
			admit(n.ListMetricsCalls, q.ListMetrics)+lat("ListMetrics")))
	}
	if n.LogQueries > 0 {
		one := lat("StartQuery") + n.LogQueryTime.Seconds() + lat("GetQueryResults")
		waves := math.Ceil(float64(n.LogQueries) / float64(max(1, q.ConcurrentQueries)))
		bound = math.Max(bound, math.Max(waves*one, admit(n.LogQueries, q.StartQuery)+one))
	}
	return time.Duration(bound * float64(time.Second))
}
