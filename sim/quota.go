package sim

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Quotas are the per account × region request rates (requests per second)
// the simulator enforces, at AWS's defaults unless changed. A rate of 0
// means unlimited.
type Quotas struct {
	GetMetricData       float64 `json:"getMetricData"`
	GetMetricStatistics float64 `json:"getMetricStatistics"`
	ListMetrics         float64 `json:"listMetrics"`
	// GetMetricData datapoints per second (estimated from the request):
	// when StartTime is within 3 h, and otherwise.
	DatapointsRecent float64 `json:"datapointsRecent"`
	DatapointsOld    float64 `json:"datapointsOld"`
	// LambdaControl is shared by every Lambda control-plane API except
	// GetFunction, which has its own.
	LambdaControl     float64 `json:"lambdaControl"`
	LambdaGetFunction float64 `json:"lambdaGetFunction"`
	StartQuery        float64 `json:"startQuery"`
	GetQueryResults   float64 `json:"getQueryResults"`
	StopQuery         float64 `json:"stopQuery"`
	DescribeLogGroups float64 `json:"describeLogGroups"`
	// ConcurrentQueries is the Logs Insights concurrent query limit.
	ConcurrentQueries int     `json:"concurrentQueries"`
	STS               float64 `json:"sts"`
	Tagging           float64 `json:"tagging"`
	// BurstSeconds is how many seconds of rate a bucket holds (default 1).
	BurstSeconds float64 `json:"burstSeconds"`
}

// DefaultQuotas are AWS's default quotas (AWS-FACTS.md). Logs
// StartQuery/GetQueryResults and Tagging rates are unconfirmed defaults.
func DefaultQuotas() Quotas {
	return Quotas{
		GetMetricData:       50,
		GetMetricStatistics: 400,
		ListMetrics:         25,
		DatapointsRecent:    180000,
		DatapointsOld:       396000,
		LambdaControl:       15,
		LambdaGetFunction:   100,
		StartQuery:          5,
		GetQueryResults:     10,
		StopQuery:           5,
		DescribeLogGroups:   10,
		ConcurrentQueries:   30,
		STS:                 600,
		Tagging:             5,
		BurstSeconds:        1,
	}
}

// bucketFor names the token bucket of an API and its rate.
func (q *Quotas) bucketFor(svc, api string) (string, float64) {
	switch svc {
	case svcLambda:
		if api == "GetFunction" {
			return "lambda:GetFunction", q.LambdaGetFunction
		}
		return "lambda:control-plane", q.LambdaControl
	case svcCloudWatch:
		switch api {
		case "GetMetricData":
			return "monitoring:GetMetricData", q.GetMetricData
		case "GetMetricStatistics":
			return "monitoring:GetMetricStatistics", q.GetMetricStatistics
		case "ListMetrics":
			return "monitoring:ListMetrics", q.ListMetrics
		}
	case svcLogs:
		switch api {
		case "StartQuery":
			return "logs:StartQuery", q.StartQuery
		case "GetQueryResults":
			return "logs:GetQueryResults", q.GetQueryResults
		case "StopQuery":
			return "logs:StopQuery", q.StopQuery
		case "DescribeLogGroups":
			return "logs:DescribeLogGroups", q.DescribeLogGroups
		}
	case svcSTS:
		return "sts", q.STS
	case svcTagging:
		return "tagging", q.Tagging
	}
	return svc + ":" + api, 0
}

// limiters holds one token bucket per account × region × bucket.
type limiters struct {
	mu sync.Mutex
	q  Quotas
	m  map[string]*rate.Limiter
}

func newLimiters(q Quotas) *limiters {
	if q.BurstSeconds <= 0 {
		q.BurstSeconds = 1
	}
	return &limiters{q: q, m: map[string]*rate.Limiter{}}
}

// allow takes n tokens from the API's bucket, reporting false on a throttle.
func (l *limiters) allow(account, region, svc, api string, now time.Time) bool {
	name, r := l.q.bucketFor(svc, api)
	return l.take(account+"/"+region+"/"+name, r, 1, now)
}

func (l *limiters) take(key string, r float64, n int, now time.Time) bool {
	if r <= 0 {
		return true
	}
	l.mu.Lock()
	lim := l.m[key]
	if lim == nil {
		burst := int(r*l.q.BurstSeconds + 0.5)
		if burst < 1 {
			burst = 1
		}
		lim = rate.NewLimiter(rate.Limit(r), burst)
		l.m[key] = lim
	}
	l.mu.Unlock()
	if n > lim.Burst() {
		// A request larger than the bucket can hold is admitted only with a
		// full bucket, taking all of it.
		return lim.AllowN(now, lim.Burst())
	}
	return lim.AllowN(now, n)
}

// datapoints takes estimated datapoints from GetMetricData's datapoint bucket.
func (l *limiters) datapoints(account, region string, n int, recent bool, now time.Time) bool {
	r, name := l.q.DatapointsOld, "old"
	if recent {
		r, name = l.q.DatapointsRecent, "recent"
	}
	return l.take(account+"/"+region+"/monitoring:datapoints-"+name, r, n, now)
}
