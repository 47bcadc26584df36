package sim

import (
	"sort"
	"sync"
)

// CallKey identifies a stream of calls.
type CallKey struct {
	Account string `json:"account"`
	Region  string `json:"region"`
	Service string `json:"service"`
	API     string `json:"api"`
}

// Counters count what happened to the calls of one key.
type Counters struct {
	Calls int64 `json:"calls"`
	OK    int64 `json:"ok"`
	// Throttled counts throttling errors returned, quota and injected.
	Throttled         int64 `json:"throttled"`
	InjectedThrottles int64 `json:"injectedThrottles"`
	ServerErrors      int64 `json:"serverErrors"`
	ClientErrors      int64 `json:"clientErrors"`
	// MetricsRequested is GetMetricData's billed metrics: up to five
	// statistics of one metric in one call count as one metric.
	MetricsRequested int64 `json:"metricsRequested,omitempty"`
	Datapoints       int64 `json:"datapoints,omitempty"`
	QueriesStarted   int64 `json:"queriesStarted,omitempty"`
	BytesScanned     int64 `json:"bytesScanned,omitempty"`
	RecordsScanned   int64 `json:"recordsScanned,omitempty"`
}

func (c *Counters) add(o *Counters) {
	c.Calls += o.Calls
	c.OK += o.OK
	c.Throttled += o.Throttled
	c.InjectedThrottles += o.InjectedThrottles
	c.ServerErrors += o.ServerErrors
	c.ClientErrors += o.ClientErrors
	c.MetricsRequested += o.MetricsRequested
	c.Datapoints += o.Datapoints
	c.QueriesStarted += o.QueriesStarted
	c.BytesScanned += o.BytesScanned
	c.RecordsScanned += o.RecordsScanned
}

// Prices used for the cost estimate (us-east-1, AWS-FACTS.md), read as
// lambdaudit's meter reads them (scanner.GMDStatsPerMetric,
// scanner.LogsBytesPerGB; docs/scan-result.md, "What the scan cost"):
// GetMetricData per billed metric (billedMetrics: up to five statistics
// of one metric in one successful response are one metric), requests
// per attempt, Logs Insights per GB of 2^30 bytes scanned.
const (
	pricePerMetricRequested = 0.01 / 1000 // GetMetricData, per billed metric
	pricePerAPIRequest      = 0.01 / 1000 // GetMetricStatistics, ListMetrics
	pricePerGBScanned       = 0.005       // Logs Insights, per GB scanned
	// bytesPerGB: AWS bills CloudWatch Logs per GB, measured as 2^30
	// bytes; the same definition as scanner.LogsBytesPerGB.
	bytesPerGB = 1 << 30
)

// CallStats is one key's counters.
type CallStats struct {
	CallKey
	Counters
}

// Snapshot is the accounting at one moment.
type Snapshot struct {
	Calls []CallStats `json:"calls"`
	// ByAPI sums the calls over accounts and regions, keyed "service:API".
	ByAPI map[string]Counters `json:"byApi"`
	// PeakConcurrentQueries per "account/region".
	PeakConcurrentQueries map[string]int `json:"peakConcurrentQueries"`
	// EstimatedCostUSD is what the calls would have cost on AWS.
	EstimatedCostUSD float64 `json:"estimatedCostUsd"`
}

// Total sums every key's counters.
func (s Snapshot) Total() Counters {
	var t Counters
	for i := range s.Calls {
		t.add(&s.Calls[i].Counters)
	}
	return t
}

// API returns the counters of one "service:API" summed over keys.
func (s Snapshot) API(svc, api string) Counters { return s.ByAPI[svc+":"+api] }

type accounting struct {
	mu    sync.Mutex
	m     map[CallKey]*Counters
	peaks map[string]int
}

func newAccounting() *accounting {
	return &accounting{m: map[CallKey]*Counters{}, peaks: map[string]int{}}
}

func (a *accounting) update(k CallKey, f func(*Counters)) {
	a.mu.Lock()
	c := a.m[k]
	if c == nil {
		c = &Counters{}
		a.m[k] = c
	}
	f(c)
	a.mu.Unlock()
}

func (a *accounting) peak(account, region string, n int) {
	a.mu.Lock()
	k := account + "/" + region
	if n > a.peaks[k] {
		a.peaks[k] = n
	}
	a.mu.Unlock()
}

func (a *accounting) reset() {
	a.mu.Lock()
	a.m = map[CallKey]*Counters{}
	a.peaks = map[string]int{}
	a.mu.Unlock()
}

func (a *accounting) snapshot() Snapshot {
	a.mu.Lock()
	defer a.mu.Unlock()
	s := Snapshot{ByAPI: map[string]Counters{}, PeakConcurrentQueries: map[string]int{}}
	for k, c := range a.m {
		s.Calls = append(s.Calls, CallStats{k, *c})
		t := s.ByAPI[k.Service+":"+k.API]
		t.add(c)
		s.ByAPI[k.Service+":"+k.API] = t
		s.EstimatedCostUSD += float64(c.MetricsRequested) * pricePerMetricRequested
		s.EstimatedCostUSD += float64(c.BytesScanned) / bytesPerGB * pricePerGBScanned
		if k.Service == svcCloudWatch && (k.API == "GetMetricStatistics" || k.API == "ListMetrics") {
			s.EstimatedCostUSD += float64(c.Calls) * pricePerAPIRequest
		}
	}
	for k, v := range a.peaks {
		s.PeakConcurrentQueries[k] = v
	}
	sort.Slice(s.Calls, func(i, j int) bool {
		a, b := s.Calls[i].CallKey, s.Calls[j].CallKey
		if a.Account != b.Account {
			return a.Account < b.Account
		}
		if a.Region != b.Region {
			return a.Region < b.Region
		}
		if a.Service != b.Service {
			return a.Service < b.Service
		}
		return a.API < b.API
	})
	return s
}
