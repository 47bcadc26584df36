package scanner

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"gopkg.in/yaml.v3"

	"github.com/lambdaudit/lambdaudit/fanout"
	"github.com/lambdaudit/lambdaudit/metrics"
)

// Config is a scan's configuration as a file, flags or environment give
// it (docs/configuration.md lists every key). Zero values take the
// defaults.
type Config struct {
	Regions     []string `yaml:"regions"`
	Accounts    []string `yaml:"accounts"`
	Role        string   `yaml:"role"`
	ExternalID  string   `yaml:"externalId"`
	SessionName string   `yaml:"sessionName"`
	// Day is the report day, YYYY-MM-DD (UTC); default yesterday.
	Day string `yaml:"day"`
	// Days is the window in days, the report day included (default 15:
	// the day and 14 days of history).
	Days int `yaml:"days"`
	// Logs turns the Logs Insights stage on (default true).
	Logs *bool `yaml:"logs"`
	// LogsBudgetUSD caps what one scan may spend on Logs Insights bytes
	// scanned (default 1.00; 0 = no budget).
	LogsBudgetUSD *float64 `yaml:"logsBudgetUSD"`
	// ConcurrentQueries is the Logs Insights running-query limit per
	// account-region (default 30).
	ConcurrentQueries int `yaml:"concurrentQueries"`
	// Tags turns reading tags on (default true).
	Tags *bool `yaml:"tags"`
	// RateFraction is the share of each AWS quota the scan may use
	// (default 0.9).
	RateFraction float64 `yaml:"rateFraction"`
	// Quotas overrides AWS's default quotas, "Service:Operation" or
	// "Service:*" → requests per second.
	Quotas map[string]float64 `yaml:"quotas"`
	// Pairs, Workers, MaxAttempts: see Settings.
	Pairs       int `yaml:"pairs"`
	Workers     int `yaml:"workers"`
	MaxAttempts int `yaml:"maxAttempts"`
	// SDKAttempts is the SDK retryer's attempts per call (default 8).
	SDKAttempts int `yaml:"sdkAttempts"`
}

// Defaults of Config.
const (
	DefaultRateFraction  = 0.9
	DefaultLogsBudgetUSD = 1.00
	DefaultSDKAttempts   = 8
)

// LoadConfig reads a YAML config file; an unknown key is an error naming
// it and its line.
func LoadConfig(path string) (Config, error) {
	var c Config
	b, err := os.ReadFile(path)
	if err != nil {
		return c, fmt.Errorf("config: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) { // an empty file is an empty config
		return c, fmt.Errorf("config %s: %w", path, err)
	}
	return c, nil
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
	s.LogsBudgetBytes = metrics.LogsBudgetBytes(budget)
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
		if !strings.Contains(k, ":") || v < 0 {
			return nil, &FieldError{"quotas." + k, fmt.Sprintf("want \"Service:Operation\" (or \"Service:*\") → requests per second ≥ 0, got %v", v)}
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
