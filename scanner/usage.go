package scanner

import (
	"context"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/smithy-go/middleware"

	"github.com/lambdaudit/lambdaudit/awserr"
	"github.com/lambdaudit/lambdaudit/fanout"
)

// Prices of the scan's own calls (AWS-FACTS.md; CloudWatch pricing,
// us-east-1).
const (
	priceGMDMetric     = 0.01 / 1000 // GetMetricData, per billed metric (GMDStatsPerMetric)
	priceCWRequest     = 0.01 / 1000 // ListMetrics, GetMetricStatistics, per request
	priceLogsScannedGB = 0.005       // Logs Insights, per GB scanned (LogsBytesPerGB)
)

// LogsBytesPerGB is the GB that Logs Insights bytes scanned are billed
// and budgeted in: 2^30 bytes. AWS bills CloudWatch Logs "per GB" and
// its bills measure a GB as 2^30 bytes (binary gigabyte); the budget
// conversion (logstats.BudgetBytes), this meter, the simulated
// account's accounting (sim) and the report all use this one
// definition, and TestMeterAgreesWithSim holds them to it.
const LogsBytesPerGB = 1 << 30

// GMDStatsPerMetric is how GetMetricData is billed, as CloudWatch's
// pricing reads: per metric requested, where "you can request up to
// five statistics for the same metric in a single GetMetricData request"
// for the price of one. A successful response bills, for every distinct
// metric (namespace, name, dimensions) among the queries it answered,
// ceil(distinct statistics ÷ 5) metrics; a throttled or failed attempt
// bills nothing. The meter, the simulated account's accounting and the
// report count it this way.
const GMDStatsPerMetric = 5

// Meter counts the scan's AWS calls per "Service:Operation" as they go
// on the wire, retries included. It is safe for concurrent use.
type Meter struct {
	mu        sync.Mutex
	calls     map[string]int
	throttles map[string]int
	errs      map[string]int
	queries   int // GetMetricData queries sent (AddMetrics)
	billed    int // GetMetricData billed metrics (GMDStatsPerMetric)
}

// NewMeter is an empty meter.
func NewMeter() *Meter {
	return &Meter{calls: map[string]int{}, throttles: map[string]int{}, errs: map[string]int{}}
}

// gmdInputKey keeps a GetMetricData call's input for the attempts that
// bill it.
type gmdInputKey struct{}

// Middleware counts every attempt of every call made through a client
// configured with it (add it to aws.Config.APIOptions), and the metrics
// each successful GetMetricData attempt bills.
func (m *Meter) Middleware(stack *middleware.Stack) error {
	if err := stack.Initialize.Add(middleware.InitializeMiddlewareFunc("lambdaudit.MeterInput",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			if p, ok := in.Parameters.(*cloudwatch.GetMetricDataInput); ok {
				ctx = middleware.WithStackValue(ctx, gmdInputKey{}, p)
			}
			return next.HandleInitialize(ctx, in)
		}), middleware.After); err != nil {
		return err
	}
	return stack.Finalize.Insert(middleware.FinalizeMiddlewareFunc("lambdaudit.Meter",
		func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			out, md, err := next.HandleFinalize(ctx, in)
			key := awsmiddleware.GetServiceID(ctx) + ":" + awsmiddleware.GetOperationName(ctx)
			billed := 0
			if err == nil {
				in, _ := middleware.GetStackValue(ctx, gmdInputKey{}).(*cloudwatch.GetMetricDataInput)
				o, _ := out.Result.(*cloudwatch.GetMetricDataOutput)
				billed = BilledMetrics(in, o)
			}
			m.mu.Lock()
			m.calls[key]++
			m.billed += billed
			switch {
			case err == nil:
			case awserr.IsThrottle(err):
				m.throttles[key]++
			default:
				m.errs[key]++
			}
			m.mu.Unlock()
			return out, md, err
		}), "Retry", middleware.After)
}

// AddMetrics counts GetMetricData queries sent (not what CloudWatch
// bills: see GMDStatsPerMetric).
func (m *Meter) AddMetrics(n int) {
	m.mu.Lock()
	m.queries += n
	m.mu.Unlock()
}

// BilledMetrics is what one successful GetMetricData response bills
// (GMDStatsPerMetric): the distinct metrics among the queries it
// answered, one per five distinct statistics of each. nil gives 0.
func BilledMetrics(in *cloudwatch.GetMetricDataInput, out *cloudwatch.GetMetricDataOutput) int {
	if in == nil || out == nil {
		return 0
	}
	answered := make(map[string]bool, len(out.MetricDataResults))
	for _, r := range out.MetricDataResults {
		answered[aws.ToString(r.Id)] = true
	}
	stats := map[string]map[string]bool{}
	for _, q := range in.MetricDataQueries {
		ms := q.MetricStat
		if ms == nil || ms.Metric == nil || !answered[aws.ToString(q.Id)] {
			continue
		}
		dims := make([]string, len(ms.Metric.Dimensions))
		for i, d := range ms.Metric.Dimensions {
			dims[i] = aws.ToString(d.Name) + "=" + aws.ToString(d.Value)
		}
		sort.Strings(dims)
		k := aws.ToString(ms.Metric.Namespace) + "\x00" + aws.ToString(ms.Metric.MetricName) + "\x00" + strings.Join(dims, "\x00")
		if stats[k] == nil {
			stats[k] = map[string]bool{}
		}
		stats[k][aws.ToString(ms.Stat)] = true
	}
	n := 0
	for _, s := range stats {
		n += (len(s) + GMDStatsPerMetric - 1) / GMDStatsPerMetric
	}
	return n
}

// Throttles is the number of throttled attempts so far.
func (m *Meter) Throttles() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, v := range m.throttles {
		n += v
	}
	return n
}

// Usage is the meter's counts with the estimated bill, given the Logs
// Insights bytes scanned.
func (m *Meter) Usage(logsBytes float64) Usage {
	m.mu.Lock()
	u := Usage{Calls: clone(m.calls), Throttles: clone(m.throttles), Errors: clone(m.errs), MetricsRequested: m.billed, MetricQueries: m.queries}
	m.mu.Unlock()
	return u.Priced(logsBytes)
}

// Priced is u with EstimatedCostUSD computed from its counts and the
// Logs Insights bytes scanned.
func (u Usage) Priced(logsBytes float64) Usage {
	u.EstimatedCostUSD = float64(u.MetricsRequested)*priceGMDMetric +
		float64(u.Calls["CloudWatch:ListMetrics"]+u.Calls["CloudWatch:GetMetricStatistics"])*priceCWRequest +
		logsBytes/LogsBytesPerGB*priceLogsScannedGB
	return u
}

// Add is u and v counted together (the calls of several processes that
// ran one scan's units); the cost is left for Priced.
func (u Usage) Add(v Usage) Usage {
	sum := func(a, b map[string]int) map[string]int {
		c := clone(a)
		for k, n := range b {
			c[k] += n
		}
		return c
	}
	return Usage{Calls: sum(u.Calls, v.Calls), Throttles: sum(u.Throttles, v.Throttles), Errors: sum(u.Errors, v.Errors),
		MetricsRequested: u.MetricsRequested + v.MetricsRequested, MetricQueries: u.MetricQueries + v.MetricQueries}
}

// Sub is u less v: what a meter counted between two readings.
func (u Usage) Sub(v Usage) Usage {
	diff := func(a, b map[string]int) map[string]int {
		c := clone(a)
		for k, n := range b {
			if c[k] -= n; c[k] == 0 {
				delete(c, k)
			}
		}
		return c
	}
	return Usage{Calls: diff(u.Calls, v.Calls), Throttles: diff(u.Throttles, v.Throttles), Errors: diff(u.Errors, v.Errors),
		MetricsRequested: u.MetricsRequested - v.MetricsRequested, MetricQueries: u.MetricQueries - v.MetricQueries}
}

func clone(m map[string]int) map[string]int {
	c := make(map[string]int, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// APIOptions paces every call of a pair with the limiters and counts it
// with the meter: pass it to NewSessions.
func APIOptions(ls *fanout.Limiters, m *Meter) SessionOption {
	return WithAPIOptions(func(account, region string) []func(*middleware.Stack) error {
		return []func(*middleware.Stack) error{ls.Middleware(account, region), m.Middleware}
	})
}
