package fanout

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"
	"golang.org/x/time/rate"

	"github.com/lambdaudit/lambdaudit/awserr"
)

// Quotas maps an API bucket to its quota in requests/s per account and
// region. A key is "Service:Operation" or "Service:*", Service being the
// SDK's service ID ("Lambda", "CloudWatch", "CloudWatch Logs", "STS",
// "Resource Groups Tagging API") and Operation its operation name; "*"
// alone is a default for every other API. An operation uses its own key
// if there is one, else its service's "Service:*" bucket — one bucket
// shared by all those operations — else "*". An API with no key, or a
// quota of 0, is not limited: fanout does not guess quotas it was not
// given, and a throttle there is still counted (LimitersStats.Unlimited).
type Quotas map[string]float64

// DefaultQuotas are AWS's default quotas for the APIs a scan calls
// (../shared/AWS-FACTS.md); the Logs and Tagging rates are unconfirmed.
func DefaultQuotas() Quotas {
	return Quotas{
		"Lambda:*":                          15,
		"Lambda:GetFunction":                100,
		"CloudWatch:GetMetricData":          50,
		"CloudWatch:GetMetricStatistics":    400,
		"CloudWatch:ListMetrics":            25,
		"CloudWatch Logs:StartQuery":        5,
		"CloudWatch Logs:GetQueryResults":   10,
		"CloudWatch Logs:DescribeLogGroups": 10,
		"CloudWatch Logs:*":                 5,
		"STS:*":                             600,
		"Resource Groups Tagging API:*":     5,
	}
}

// Validate checks the keys and rates, naming the first bad key.
func (q Quotas) Validate() error {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if v := q[k]; !(v >= 0) || math.IsInf(v, 0) {
			return fmt.Errorf("fanout: quota %q: rate %v must be a finite number ≥ 0", k, v)
		}
		if k == "*" {
			continue
		}
		svc, op, ok := strings.Cut(k, ":")
		if !ok || svc == "" || op == "" || strings.Contains(op, ":") {
			return fmt.Errorf("fanout: quota %q: want \"Service:Operation\", \"Service:*\" or \"*\"", k)
		}
	}
	return nil
}

// Bucket names the bucket of an API and its quota (0 = unlimited).
func (q Quotas) Bucket(service, operation string) (string, float64) {
	for _, k := range []string{service + ":" + operation, service + ":*", "*"} {
		if v, ok := q[k]; ok {
			return k, v
		}
	}
	return service + ":" + operation, 0
}

// LimitersConfig sets up Limiters; zero fields take the defaults.
type LimitersConfig struct {
	// Fraction of each quota to run at: in (0, 1], default 0.8. In
	// Lambda mode, divide it by the number of concurrent workers.
	Fraction float64
	// Burst of every limiter: default 0, one second of its rate (at
	// least 1), as AWS's token buckets hold; 1 spaces calls evenly.
	Burst int
	// AIMD is how each limiter adapts.
	AIMD AIMD
}

// Limiters holds one adaptive Limiter per (account, region, bucket),
// created on first use. It is safe for concurrent use.
type Limiters struct {
	quotas Quotas
	cfg    LimitersConfig

	mu sync.Mutex
	m  map[bucketKey]*Limiter

	unlimited, unlimitedThrottles atomic.Int64
}

type bucketKey struct{ account, region, bucket string }

// NewLimiters returns limiters for the quotas.
func NewLimiters(q Quotas, cfg LimitersConfig) (*Limiters, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	if cfg.Fraction == 0 {
		cfg.Fraction = 0.8
	}
	if !(cfg.Fraction > 0 && cfg.Fraction <= 1) {
		return nil, fmt.Errorf("fanout: limiters fraction %v: must be in (0, 1]", cfg.Fraction)
	}
	if cfg.Burst < 0 {
		return nil, fmt.Errorf("fanout: limiters burst %d: must be positive", cfg.Burst)
	}
	a, err := cfg.AIMD.withDefaults()
	if err != nil {
		return nil, err
	}
	cfg.AIMD = a
	qc := make(Quotas, len(q))
	for k, v := range q {
		qc[k] = v
	}
	return &Limiters{quotas: qc, cfg: cfg, m: map[bucketKey]*Limiter{}}, nil
}

// For returns the limiter of an API in an account and region, nil when
// the API is not limited.
func (ls *Limiters) For(account, region, service, operation string) *Limiter {
	bucket, quota := ls.quotas.Bucket(service, operation)
	if quota == 0 {
		return nil
	}
	k := bucketKey{account, region, bucket}
	ls.mu.Lock()
	defer ls.mu.Unlock()
	l := ls.m[k]
	if l == nil {
		// The config was validated in NewLimiters, so this cannot fail.
		r := quota * ls.cfg.Fraction
		burst := ls.cfg.Burst
		if burst == 0 {
			burst = max(1, int(r))
		}
		l, _ = NewLimiter(rate.Limit(r), burst, ls.cfg.AIMD)
		ls.m[k] = l
	}
	return l
}

// MiddlewareID is the ID of the limiter's middleware in the SDK stack.
const MiddlewareID = "fanout.Limiter"

// Middleware returns an SDK API option that limits every call a client
// makes for (account, region): add it to aws.Config.APIOptions or a
// client's Options.APIOptions. It sits in the Finalize step right after
// the SDK's "Retry" middleware, so each attempt, retries included, waits
// for a token, and each throttled attempt cuts the rate.
func (ls *Limiters) Middleware(account, region string) func(*middleware.Stack) error {
	return func(st *middleware.Stack) error {
		mw := middleware.FinalizeMiddlewareFunc(MiddlewareID, func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			lim := ls.For(account, region, awsmiddleware.GetServiceID(ctx), awsmiddleware.GetOperationName(ctx))
			if lim == nil {
				ls.unlimited.Add(1)
				out, md, err := next.HandleFinalize(ctx, in)
				if awserr.IsThrottle(err) {
					ls.unlimitedThrottles.Add(1)
				}
				return out, md, err
			}
			if err := lim.Wait(ctx); err != nil {
				return middleware.FinalizeOutput{}, middleware.Metadata{}, err
			}
			out, md, err := next.HandleFinalize(ctx, in)
			switch {
			case awserr.IsThrottle(err):
				lim.Throttled()
			case err == nil:
				lim.Succeeded()
			}
			return out, md, err
		})
		if err := st.Finalize.Insert(mw, "Retry", middleware.After); err != nil {
			return fmt.Errorf("fanout: insert %s after the SDK's Retry middleware: %w", MiddlewareID, err)
		}
		return nil
	}
}

// BucketStats are one limiter's counters.
type BucketStats struct {
	Account string `json:"account"`
	Region  string `json:"region"`
	Bucket  string `json:"bucket"`
	LimiterStats
}

// LimitersStats sum up every limiter, for a progress display or a report.
type LimitersStats struct {
	// Buckets are sorted by account, region and bucket.
	Buckets []BucketStats `json:"buckets"`
	// Throttles and Waited sum the buckets and the unlimited calls.
	Throttles int64         `json:"throttles"`
	Waited    time.Duration `json:"waitedNs"`
	// Unlimited counts calls to APIs without a quota, and the throttles
	// they met.
	Unlimited          int64 `json:"unlimited"`
	UnlimitedThrottles int64 `json:"unlimitedThrottles"`
}

// Stats returns every limiter's counters.
func (ls *Limiters) Stats() LimitersStats {
	ls.mu.Lock()
	s := LimitersStats{Buckets: make([]BucketStats, 0, len(ls.m))}
	for k, l := range ls.m {
		s.Buckets = append(s.Buckets, BucketStats{Account: k.account, Region: k.region, Bucket: k.bucket, LimiterStats: l.Stats()})
	}
	ls.mu.Unlock()
	sort.Slice(s.Buckets, func(i, j int) bool {
		a, b := s.Buckets[i], s.Buckets[j]
		if a.Account != b.Account {
			return a.Account < b.Account
		}
		if a.Region != b.Region {
			return a.Region < b.Region
		}
		return a.Bucket < b.Bucket
	})
	s.Unlimited, s.UnlimitedThrottles = ls.unlimited.Load(), ls.unlimitedThrottles.Load()
	s.Throttles = s.UnlimitedThrottles
	for _, b := range s.Buckets {
		s.Throttles += b.Throttles
		s.Waited += b.Waited
	}
	return s
}
