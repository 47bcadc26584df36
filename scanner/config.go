package scanner

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"

	"github.com/lambdaudit/lambdaudit/didyoumean"
	"github.com/lambdaudit/lambdaudit/fanout"
	"github.com/lambdaudit/lambdaudit/logstats"
	"github.com/lambdaudit/lambdaudit/metrics"
)

// Config is what a scanner is built from (NewFromConfig). Zero values
// take the defaults. Package config reads it from a YAML file,
// LAMBDAUDIT_* variables and flags (docs/configuration.md lists every
// key); a host that builds one in code gets the same checks from
// NewFromConfig, its errors naming the file key (*FieldError).
type Config struct {
	// Regions and Accounts take a list of names, or "all".
	Regions     []string
	Accounts    []string
	Role        string
	ExternalID  string
	SessionName string
	// Day is the report day, YYYY-MM-DD (UTC); default yesterday.
	Day string
	// Days is the window in days, the report day included (default 15:
	// the day and 14 days of history).
	Days int
	// Logs turns the Logs Insights stage on (default true).
	Logs *bool
	// LogsBudgetUSD caps what one scan may spend on Logs Insights bytes
	// scanned (default 1.00; 0 = no budget).
	LogsBudgetUSD *float64
	// ConcurrentQueries is the Logs Insights running-query limit per
	// account-region (default 30).
	ConcurrentQueries int
	// Tags turns reading tags on (default true).
	Tags *bool
	// RateFraction is the share of each AWS quota the scan may use
	// (default 0.9).
	RateFraction float64
	// Quotas overrides AWS's default quotas, "Service:Operation" or
	// "Service:*" → requests per second.
	Quotas map[string]float64
	// Pairs, Workers, MaxAttempts: see Settings.
	Pairs       int
	Workers     int
	MaxAttempts int
	// SDKAttempts is the SDK retryer's attempts per call (default 8).
	SDKAttempts int
	// HTTPTimeout bounds each HTTP attempt of an AWS call, answer
	// included (default DefaultHTTPTimeout); CallTimeout bounds a whole
	// call, its retries included (default DefaultCallTimeout). See
	// BoundCalls.
	HTTPTimeout time.Duration
	CallTimeout time.Duration
}

// Defaults of Config.
const (
	DefaultRateFraction  = 0.9
	DefaultLogsBudgetUSD = 1.00
	DefaultSDKAttempts   = 8
	DefaultHTTPTimeout   = 30 * time.Second
	DefaultCallTimeout   = 5 * time.Minute
)

// ScanAPIs are the AWS APIs a scan calls, by SDK service ID: the keys a
// quotas entry may name ("Service:Operation", or "Service:*").
var ScanAPIs = map[string][]string{
	"Lambda":                      {"ListFunctions", "ListProvisionedConcurrencyConfigs", "GetAccountSettings"},
	"CloudWatch":                  {"GetMetricData", "ListMetrics"},
	"CloudWatch Logs":             {"StartQuery", "GetQueryResults", "StopQuery", "DescribeLogGroups"},
	"Resource Groups Tagging API": {"GetResources"},
	"STS":                         {"GetCallerIdentity", "AssumeRole"},
	"EC2":                         {"DescribeRegions"},
	"Organizations":               {"ListAccounts"},
}

// quotaKeys is every valid quotas key, sorted.
func quotaKeys() []string {
	keys := []string{"*"}
	for svc, ops := range ScanAPIs {
		keys = append(keys, svc+":*")
		for _, op := range ops {
			keys = append(keys, svc+":"+op)
		}
	}
	slices.Sort(keys)
	return keys
}

// CheckQuota checks one quotas entry: a key naming an API the scan calls
// (or a service's "*", or "*") and a finite rate ≥ 0.
func CheckQuota(key string, rps float64) *FieldError {
	keys := quotaKeys()
	if !slices.Contains(keys, key) {
		msg := "not an API the scan calls"
		n := didyoumean.Nearest(key, keys)
		if n == "" && !strings.Contains(key, ":") {
			// An operation without its service: name the service.
			for svc, ops := range ScanAPIs {
				if o := didyoumean.Nearest(key, ops); o != "" {
					n = svc + ":" + o
				}
			}
		}
		if n != "" {
			msg += fmt.Sprintf("; did you mean %q?", n)
		}
		return &FieldError{"quotas." + key, msg + ` Keys are "Service:Operation" or "Service:*" of: ` + strings.Join(keys, ", ")}
	}
	if !(rps >= 0) || math.IsInf(rps, 0) {
		return &FieldError{"quotas." + key, fmt.Sprintf("want requests per second ≥ 0, got %v", rps)}
	}
	return nil
}

// FieldError is a config value out of its range, naming the field.
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return "config: " + e.Field + ": " + e.Msg }

// Targets are the config's targets (validated by NewSessions).
func (c Config) Targets() Targets {
	return Targets{Regions: c.Regions, Accounts: c.Accounts, Role: c.Role, ExternalID: c.ExternalID, SessionName: c.SessionName}
}

// Settings are the config's scan settings at now, or an error naming the
// field that is out of range.
func (c Config) Settings(now time.Time) (Settings, error) {
	var s Settings
	switch {
	case c.Days < 0 || c.Days > 63:
		return s, &FieldError{"days", fmt.Sprintf("must be 1 to 63 (daily CloudWatch data older than 63 days is hourly-only), got %d", c.Days)}
	case c.Pairs < 0:
		return s, &FieldError{"pairs", "must not be negative"}
	case c.Workers < 0:
		return s, &FieldError{"workers", "must not be negative"}
	case c.MaxAttempts < 0 || c.MaxAttempts > 20:
		return s, &FieldError{"maxAttempts", fmt.Sprintf("must be 1 to 20, got %d", c.MaxAttempts)}
	case c.ConcurrentQueries < 0 || c.ConcurrentQueries > 100:
		return s, &FieldError{"concurrentQueries", fmt.Sprintf("must be 1 to 100, got %d", c.ConcurrentQueries)}
	case c.LogsBudgetUSD != nil && *c.LogsBudgetUSD < 0:
		return s, &FieldError{"logsBudgetUSD", "must not be negative"}
	case c.SDKAttempts < 0 || c.SDKAttempts > 20:
		return s, &FieldError{"sdkAttempts", fmt.Sprintf("must be 1 to 20, got %d", c.SDKAttempts)}
	case c.HTTPTimeout < 0:
		return s, &FieldError{"httpTimeout", fmt.Sprintf("must be more than 0, got %v", c.HTTPTimeout)}
	case c.CallTimeout < 0:
		return s, &FieldError{"callTimeout", fmt.Sprintf("must be more than 0, got %v", c.CallTimeout)}
	}
	days := c.Days
	if days == 0 {
		days = metrics.DefaultDays
	}
	s.Window = metrics.LastCompleteDay(now)
	s.Window.Days = days
	if c.Day != "" {
		d, err := time.Parse("2006-01-02", c.Day)
		if err != nil {
			return s, &FieldError{"day", fmt.Sprintf("%q is not a date YYYY-MM-DD", c.Day)}
		}
		if !d.Before(now.UTC().Truncate(metrics.Day)) {
			return s, &FieldError{"day", fmt.Sprintf("%s is not a complete day yet", c.Day)}
		}
		s.Window.End = d.Add(metrics.Day)
	}
	s.Logs = c.Logs == nil || *c.Logs
	s.Tags = c.Tags == nil || *c.Tags
	budget := DefaultLogsBudgetUSD
	if c.LogsBudgetUSD != nil {
		budget = *c.LogsBudgetUSD
	}
	s.LogsBudgetBytes = logstats.BudgetBytes(budget)
	s.LogsSettings.MaxConcurrentQueries = c.ConcurrentQueries
	s.Pairs, s.Workers, s.MaxAttempts = c.Pairs, c.Workers, c.MaxAttempts
	return s, nil
}

// Limiters are the config's rate limiters: AWS's default quotas with the
// config's overrides, at the config's fraction.
func (c Config) Limiters() (*fanout.Limiters, error) {
	frac := c.RateFraction
	if frac == 0 {
		frac = DefaultRateFraction
	}
	if !(frac > 0 && frac <= 1) {
		return nil, &FieldError{"rateFraction", fmt.Sprintf("must be in (0, 1], got %v", frac)}
	}
	q := fanout.DefaultQuotas()
	for k, v := range c.Quotas {
		if fe := CheckQuota(k, v); fe != nil {
			return nil, fe
		}
		q[k] = v
	}
	ls, err := fanout.NewLimiters(q, fanout.LimitersConfig{Fraction: frac})
	if err != nil {
		return nil, &FieldError{"quotas", err.Error()}
	}
	return ls, nil
}

// Retryer is the SDK retryer of a scan: the standard retryer with
// attempts per call (0 = DefaultSDKAttempts), no client-side retry quota
// (the rate limiters pace the calls; the SDK's quota would turn a burst
// of throttles into failures), and a short jittered back-off, 50 ms
// doubling up to 2 s: the limiter, not the back-off, spaces the calls.
func Retryer(attempts int) func() aws.Retryer {
	if attempts <= 0 {
		attempts = DefaultSDKAttempts
	}
	return func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = attempts
			o.RateLimiter = ratelimit.None
			o.Backoff = retry.BackoffDelayerFunc(func(attempt int, _ error) (time.Duration, error) {
				d := 50 * time.Millisecond << min(attempt-1, 6)
				d = min(d, 2*time.Second)
				return d/2 + rand.N(d/2+1), nil
			})
		})
	}
}
