package config

import (
	"strings"

	"github.com/lambdaudit/lambdaudit/scanner"
)

// A Setting is one setting of a scan as every source names it: a flag,
// a file key and a variable (Env), with its default (Defaults), the
// range that refuses 0 where 0 would mean nothing, and the flag's help.
// docs/configuration.md has one row per Setting, in Table's order.
type Setting struct {
	Flag  string // the flag's name: "http-timeout"
	Short string // the flag's one-letter shorthand, or ""
	Key   string // the file key: "httpTimeout"; "" for --config alone
	Usage string // the flag's help
	// Zero is the range said when 0 is given where 0 would mean nothing
	// ("must be 1 to 63 (leave it out for the default, 15)"); "" = 0 is
	// a value like any other (logsBudgetUSD: no budget; timeout: none).
	Zero string
	// field is the setting's field in c; nil for --config.
	field func(c *Config) any
}

// Env is the setting's variable: LAMBDAUDIT_<FLAG>, upper case, dashes
// as underscores (LAMBDAUDIT_HTTP_TIMEOUT).
func (s Setting) Env() string { return EnvName(s.Flag) }

// EnvName is the variable of a flag: LAMBDAUDIT_<FLAG>, upper case,
// dashes as underscores.
func EnvName(flag string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// envPrefix begins every variable of lambdaudit.
const envPrefix = "LAMBDAUDIT_"

// Table is every setting, in docs/configuration.md's order. Flags,
// variables, file keys and the docs' table are all made from it (or
// checked against it): a setting added here is a flag, a variable and a
// key at once.
var Table = []Setting{
	{Flag: "regions", Key: "regions", Usage: "regions to scan, or all (default: the configured region)",
		field: func(c *Config) any { return &c.Scanner.Regions }},
	{Flag: "accounts", Key: "accounts", Usage: "12-digit account IDs, or all (Organizations ListAccounts); default: the caller's account",
		field: func(c *Config) any { return &c.Scanner.Accounts }},
	{Flag: "role", Key: "role", Usage: "role to assume in member accounts: a name, or an ARN template with {account}",
		field: func(c *Config) any { return &c.Scanner.Role }},
	{Flag: "external-id", Key: "externalId", Usage: "external ID for sts:AssumeRole",
		field: func(c *Config) any { return &c.Scanner.ExternalID }},
	{Flag: "session-name", Key: "sessionName", Usage: "role session name (default lambdaudit)",
		field: func(c *Config) any { return &c.Scanner.SessionName }},
	{Flag: "day", Key: "day", Usage: "report day YYYY-MM-DD, UTC (default: yesterday)",
		field: func(c *Config) any { return &c.Scanner.Day }},
	{Flag: "days", Key: "days", Usage: "window in days, the report day included, 1 to 63 (default 15)",
		Zero:  "must be 1 to 63 (leave it out for the default, 15)",
		field: func(c *Config) any { return &c.Scanner.Days }},
	{Flag: "logs", Key: "logs", Usage: "query REPORT statistics with Logs Insights",
		field: func(c *Config) any { return &c.Scanner.Logs }},
	{Flag: "logs-budget-usd", Key: "logsBudgetUSD", Usage: "most a scan may spend on Logs Insights bytes scanned, in USD (0 = no budget)",
		field: func(c *Config) any { return &c.Scanner.LogsBudgetUSD }},
	{Flag: "concurrent-queries", Key: "concurrentQueries", Usage: "Logs Insights running-query limit per account-region, 1 to 100 (default 30)",
		Zero:  "must be 1 to 100 (leave it out for the default, 30)",
		field: func(c *Config) any { return &c.Scanner.ConcurrentQueries }},
	{Flag: "tags", Key: "tags", Usage: "read tags (Resource Groups Tagging API)",
		field: func(c *Config) any { return &c.Scanner.Tags }},
	{Flag: "rate-fraction", Key: "rateFraction", Usage: "share of each AWS API quota the scan may use, (0, 1]",
		Zero:  "must be in (0, 1] (leave it out for the default, 0.9)",
		field: func(c *Config) any { return &c.Scanner.RateFraction }},
	{Flag: "quotas", Key: "quotas", Usage: `AWS quotas to use instead of the defaults, "Service:Operation=requests per second" (or "Service:*=…"), comma-separated`,
		field: func(c *Config) any { return &c.Scanner.Quotas }},
	{Flag: "pairs", Key: "pairs", Usage: "account × region pairs scanned at once (default 8)",
		Zero:  "must be at least 1 (leave it out for the default, 8)",
		field: func(c *Config) any { return &c.Scanner.Pairs }},
	{Flag: "workers", Key: "workers", Usage: "GetMetricData batches in flight per pair (default 4)",
		Zero:  "must be at least 1 (leave it out for the default, 4)",
		field: func(c *Config) any { return &c.Scanner.Workers }},
	{Flag: "max-attempts", Key: "maxAttempts", Usage: "attempts per work unit before its functions are marked failed, 1 to 20 (default 3)",
		Zero:  "must be 1 to 20 (leave it out for the default, 3)",
		field: func(c *Config) any { return &c.Scanner.MaxAttempts }},
	{Flag: "sdk-attempts", Key: "sdkAttempts", Usage: "SDK attempts per API call, 1 to 20 (default 8)",
		Zero:  "must be 1 to 20 (leave it out for the default, 8)",
		field: func(c *Config) any { return &c.Scanner.SDKAttempts }},
	{Flag: "http-timeout", Key: "httpTimeout", Usage: "most one HTTP attempt of an AWS call may take, answer included",
		Zero:  "must be more than 0 (leave it out for the default, 30s)",
		field: func(c *Config) any { return &c.Scanner.HTTPTimeout }},
	{Flag: "call-timeout", Key: "callTimeout", Usage: "most one AWS call may take, its retries included",
		Zero:  "must be more than 0 (leave it out for the default, 5m)",
		field: func(c *Config) any { return &c.Scanner.CallTimeout }},
	{Flag: "out", Short: "o", Key: "out", Usage: "write the scan result to this file (- = stdout); checked before the scan",
		field: func(c *Config) any { return &c.Out }},
	{Flag: "timeout", Key: "timeout", Usage: "stop after this long and write what finished, exit 124 (0 = no limit)",
		field: func(c *Config) any { return &c.Timeout }},
	{Flag: "progress", Key: "progress", Usage: "progress on stderr: auto (when a terminal), always, never",
		field: func(c *Config) any { return &c.Progress }},
	{Flag: "log-level", Key: "logLevel", Usage: "log level on stderr: debug, info, warn, error",
		field: func(c *Config) any { return &c.LogLevel }},
	{Flag: configFlag, Usage: "config file (YAML; keys as in docs/configuration.md)"},
}

// configFlag is the flag (and LAMBDAUDIT_CONFIG the variable) naming the
// config file: a flag and a variable, not a key.
const configFlag = "config"

// Defaults is the config no source sets anything in: the flags'
// defaults. A zero field takes the scanner's default (scanner.Config).
func Defaults() Config {
	logs, tags, budget := true, true, scanner.DefaultLogsBudgetUSD
	return Config{
		Scanner: scanner.Config{
			Logs:          &logs,
			Tags:          &tags,
			LogsBudgetUSD: &budget,
			RateFraction:  scanner.DefaultRateFraction,
			HTTPTimeout:   scanner.DefaultHTTPTimeout,
			CallTimeout:   scanner.DefaultCallTimeout,
		},
		Out:      "-",
		Progress: "auto",
		LogLevel: "warn",
	}
}

// byKey is the setting of a file key.
func byKey(key string) (Setting, bool) {
	for _, s := range Table {
		if s.Key != "" && s.Key == key {
			return s, true
		}
	}
	return Setting{}, false
}

// byFlag is the setting of a flag.
func byFlag(flag string) (Setting, bool) {
	for _, s := range Table {
		if s.Flag == flag {
			return s, true
		}
	}
	return Setting{}, false
}

// fileKeys are the file's keys, in Table's order.
func fileKeys() []string {
	var keys []string
	for _, s := range Table {
		if s.Key != "" {
			keys = append(keys, s.Key)
		}
	}
	return keys
}
