package scanner

import (
	"context"
	"sync"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"

	"github.com/lambdaudit/lambdaudit/fanout"
)

// Prices of the scan's own calls (AWS-FACTS.md).
const (
	priceGMDMetric     = 0.01 / 1000 // GetMetricData, per metric requested
	priceCWRequest     = 0.01 / 1000 // ListMetrics, GetMetricStatistics, per request
	priceLogsScannedGB = 0.005       // Logs Insights, per GB scanned
)

// Meter counts the scan's AWS calls per "Service:Operation" as they go
// on the wire, retries included. It is safe for concurrent use.
type Meter struct {
	mu        sync.Mutex
	calls     map[string]int
	throttles map[string]int
	errs      map[string]int
	metrics   int
}

// NewMeter is an empty meter.
func NewMeter() *Meter {
	return &Meter{calls: map[string]int{}, throttles: map[string]int{}, errs: map[string]int{}}
}

// Middleware counts every attempt of every call made through a client
// configured with it (add it to aws.Config.APIOptions).
func (m *Meter) Middleware(stack *middleware.Stack) error {
	return stack.Finalize.Insert(middleware.FinalizeMiddlewareFunc("lambdaudit.Meter",
		func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			out, md, err := next.HandleFinalize(ctx, in)
			key := awsmiddleware.GetServiceID(ctx) + ":" + awsmiddleware.GetOperationName(ctx)
			m.mu.Lock()
			m.calls[key]++
			switch {
			case err == nil:
			case fanout.IsThrottle(err):
				m.throttles[key]++
			default:
				m.errs[key]++
			}
			m.mu.Unlock()
			return out, md, err
		}), "Retry", middleware.After)
}

// AddMetrics counts GetMetricData queries sent (what CloudWatch bills).
func (m *Meter) AddMetrics(n int) {
	m.mu.Lock()
	m.metrics += n
	m.mu.Unlock()
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
	defer m.mu.Unlock()
	u := Usage{Calls: clone(m.calls), Throttles: clone(m.throttles), Errors: clone(m.errs), MetricsRequested: m.metrics}
	u.EstimatedCostUSD = float64(m.metrics)*priceGMDMetric +
		float64(m.calls["CloudWatch:ListMetrics"]+m.calls["CloudWatch:GetMetricStatistics"])*priceCWRequest +
		logsBytes/1e9*priceLogsScannedGB
	return u
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
