package scanner

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"gopkg.in/yaml.v3"

	"github.com/lambdaudit/lambdaudit/didyoumean"
	"github.com/lambdaudit/lambdaudit/fanout"
	"github.com/lambdaudit/lambdaudit/logstats"
	"github.com/lambdaudit/lambdaudit/metrics"
)

// Config is a scan's configuration as a file, flags or environment give
// it (docs/configuration.md lists every key). Zero values take the
// defaults.
type Config struct {
	// Regions and Accounts take a list, or one value (a comma-separated
	// string in the file, like the flag and the variable).
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
	// HTTPTimeout bounds each HTTP attempt of an AWS call, answer
	// included (default DefaultHTTPTimeout); CallTimeout bounds a whole
	// call, its retries included (default DefaultCallTimeout). See
	// BoundCalls.
	HTTPTimeout time.Duration `yaml:"httpTimeout"`
	CallTimeout time.Duration `yaml:"callTimeout"`

	// What the command does around the scan (lambdaudit scan's --out,
	// --timeout, --progress, --log-level), as file keys.
	Out      string        `yaml:"out"`
	Timeout  time.Duration `yaml:"timeout"`
	Progress string        `yaml:"progress"`
	LogLevel string        `yaml:"logLevel"`
}

// Defaults of Config.
const (
	DefaultRateFraction  = 0.9
	DefaultLogsBudgetUSD = 1.00
	DefaultSDKAttempts   = 8
	DefaultHTTPTimeout   = 30 * time.Second
	DefaultCallTimeout   = 5 * time.Minute
)

// ProgressModes are the values of --progress (the file's progress key).
var ProgressModes = []string{"auto", "always", "never"}

// LogLevels are the values of --log-level (the file's logLevel key).
var LogLevels = []string{"debug", "info", "warn", "error"}

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

// LoadConfig reads a YAML config file (see ParseConfig).
func LoadConfig(path string) (Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	c, err := ParseConfig(b)
	var fe *FieldError
	switch {
	case errors.As(err, &fe):
		return c, fmt.Errorf("config %s: %w", path, inFile{fe})
	case err != nil:
		return c, fmt.Errorf("config %s: %w", path, err)
	}
	return c, nil
}

// ParseConfig decodes a YAML config. An unknown key is an error naming
// it, its line and the nearest valid key; a value of the wrong kind names
// the key and the kind wanted; a value set to 0 where 0 means nothing
// (days, rateFraction, …) is refused rather than read as the default.
// An empty document is an empty config.
func ParseConfig(b []byte) (Config, error) {
	var c Config
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return c, err
	}
	if len(doc.Content) == 0 {
		return c, nil
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return c, nil
	}
	if root.Kind != yaml.MappingNode {
		return c, fmt.Errorf("line %d: want keys and values (docs/configuration.md), like \"regions: [us-east-1]\"", root.Line)
	}
	fields := configFields()
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	rv := reflect.ValueOf(&c).Elem()
	seen := map[string]int{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		idx, ok := fields[k.Value]
		if !ok {
			msg := fmt.Sprintf("unknown key '%s' at line %d", k.Value, k.Line)
			if n := didyoumean.Nearest(k.Value, keys); n != "" {
				return c, fmt.Errorf("%s; did you mean '%s'?", msg, n)
			}
			return c, fmt.Errorf("%s; the keys are %s", msg, strings.Join(keys, ", "))
		}
		if l, dup := seen[k.Value]; dup {
			return c, fmt.Errorf("key '%s' at line %d is already set at line %d", k.Value, k.Line, l)
		}
		seen[k.Value] = k.Line
		if err := decodeField(rv.Field(idx), k.Value, v); err != nil {
			return c, err
		}
	}
	return c, nil
}

// NoZero are the keys whose 0 would mean nothing: an explicit 0 is
// refused, with the range; leaving the key out takes the default.
var NoZero = map[string]string{
	"days":              "must be 1 to 63 (leave it out for the default, 15)",
	"rateFraction":      "must be in (0, 1] (leave it out for the default, 0.9)",
	"maxAttempts":       "must be 1 to 20 (leave it out for the default, 3)",
	"concurrentQueries": "must be 1 to 100 (leave it out for the default, 30)",
	"sdkAttempts":       "must be 1 to 20 (leave it out for the default, 8)",
	"pairs":             "must be at least 1 (leave it out for the default, 8)",
	"workers":           "must be at least 1 (leave it out for the default, 4)",
	"httpTimeout":       "must be more than 0 (leave it out for the default, 30s)",
	"callTimeout":       "must be more than 0 (leave it out for the default, 5m)",
}

// configFields maps each file key to its Config field index.
func configFields() map[string]int {
	t := reflect.TypeFor[Config]()
	m := make(map[string]int, t.NumField())
	for i := range t.NumField() {
		if tag := t.Field(i).Tag.Get("yaml"); tag != "" {
			m[tag] = i
		}
	}
	return m
}

var durationType = reflect.TypeFor[time.Duration]()

// decodeField sets field from node, naming key and the kind of value
// wanted when it does not fit.
func decodeField(field reflect.Value, key string, n *yaml.Node) error {
	bad := func(want string) error {
		got := n.Value
		if n.Kind != yaml.ScalarNode {
			got = map[yaml.Kind]string{yaml.SequenceNode: "a list", yaml.MappingNode: "a mapping", yaml.AliasNode: "an alias"}[n.Kind]
		} else {
			got = fmt.Sprintf("%q", got)
		}
		return &FieldError{key, fmt.Sprintf("want %s, got %s (line %d)", want, got, n.Line)}
	}
	scalar := n.Kind == yaml.ScalarNode && n.Tag != "!!null"
	zero := func() error {
		if why, ok := NoZero[key]; ok {
			return &FieldError{key, fmt.Sprintf("%s, got 0 (line %d)", why, n.Line)}
		}
		return nil
	}
	switch {
	case field.Type() == durationType:
		if !scalar {
			return bad("a duration like 30s or 5m")
		}
		d, err := time.ParseDuration(n.Value)
		if err != nil || d < 0 {
			return bad("a duration like 30s or 5m")
		}
		if d == 0 {
			if err := zero(); err != nil {
				return err
			}
		}
		field.SetInt(int64(d))
	case field.Kind() == reflect.String:
		if !scalar {
			return bad("a string")
		}
		field.SetString(n.Value)
	case field.Kind() == reflect.Slice:
		var list []string
		switch {
		case scalar:
			for _, s := range strings.Split(n.Value, ",") {
				if s = strings.TrimSpace(s); s != "" {
					list = append(list, s)
				}
			}
		case n.Kind == yaml.SequenceNode:
			for _, e := range n.Content {
				if e.Kind != yaml.ScalarNode || e.Tag == "!!null" {
					return bad("a name or a list of names")
				}
				list = append(list, e.Value)
			}
		default:
			return bad("a name or a list of names")
		}
		field.Set(reflect.ValueOf(list))
	case field.Kind() == reflect.Int:
		i, err := strconv.Atoi(n.Value)
		if !scalar || err != nil {
			return bad("a whole number")
		}
		if i == 0 {
			if err := zero(); err != nil {
				return err
			}
		}
		field.SetInt(int64(i))
	case field.Kind() == reflect.Float64, field.Kind() == reflect.Pointer && field.Type().Elem().Kind() == reflect.Float64:
		f, err := strconv.ParseFloat(n.Value, 64)
		if !scalar || err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return bad("a number")
		}
		if f == 0 {
			if err := zero(); err != nil {
				return err
			}
		}
		if field.Kind() == reflect.Pointer {
			field.Set(reflect.ValueOf(&f))
		} else {
			field.SetFloat(f)
		}
	case field.Kind() == reflect.Pointer && field.Type().Elem().Kind() == reflect.Bool:
		var b bool
		if !scalar || n.Tag != "!!bool" || n.Decode(&b) != nil {
			return bad("true or false")
		}
		field.Set(reflect.ValueOf(&b))
	case field.Kind() == reflect.Map:
		if n.Kind != yaml.MappingNode {
			return bad(`a mapping of "Service:Operation" to requests per second`)
		}
		m := map[string]float64{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			f, err := strconv.ParseFloat(v.Value, 64)
			if v.Kind != yaml.ScalarNode || err != nil {
				return &FieldError{key + "." + k.Value, fmt.Sprintf("want requests per second, got %q (line %d)", v.Value, v.Line)}
			}
			if fe := CheckQuota(k.Value, f); fe != nil {
				fe.Msg = fmt.Sprintf("line %d: %s", k.Line, fe.Msg)
				return fe
			}
			m[k.Value] = f
		}
		field.Set(reflect.ValueOf(m))
	default:
		return &FieldError{key, "cannot be set in the file"}
	}
	return nil
}

// FieldError is a config value out of its range, naming the field.
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return "config: " + e.Field + ": " + e.Msg }

// inFile is a FieldError of a file LoadConfig names already: the field
// and the message without a second "config:".
type inFile struct{ fe *FieldError }

func (e inFile) Error() string { return e.fe.Field + ": " + e.fe.Msg }
func (e inFile) Unwrap() error { return e.fe }

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
	case c.Timeout < 0:
		return s, &FieldError{"timeout", fmt.Sprintf("must not be negative (0 = no limit), got %v", c.Timeout)}
	case c.CallTimeout < 0:
		return s, &FieldError{"callTimeout", fmt.Sprintf("must be more than 0, got %v", c.CallTimeout)}
	case c.Progress != "" && !slices.Contains(ProgressModes, c.Progress):
		return s, &FieldError{"progress", fmt.Sprintf("%q: want %s", c.Progress, strings.Join(ProgressModes, ", "))}
	case c.LogLevel != "" && !slices.Contains(LogLevels, strings.ToLower(c.LogLevel)):
		return s, &FieldError{"logLevel", fmt.Sprintf("%q: want %s", c.LogLevel, strings.Join(LogLevels, ", "))}
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
