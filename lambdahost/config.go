package lambdahost

import (
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/lambdaudit/lambdaudit/config"
	"github.com/lambdaudit/lambdaudit/scanner"
)

// Handlers a function can run (LAMBDAUDIT_HANDLER).
const (
	HandlerPlan   = "plan"
	HandlerWork   = "work"
	HandlerReport = "report"
)

// The host's environment variables (the scan's settings are package
// config's LAMBDAUDIT_* variables; Slack's and Opsgenie's non-secret
// settings are theirs, SLACK_CHANNEL, OPSGENIE_TEAM, …).
const (
	EnvHandler        = "LAMBDAUDIT_HANDLER"
	EnvStore          = "LAMBDAUDIT_STORE"
	EnvQueueURL       = "LAMBDAUDIT_QUEUE_URL"
	EnvReportDeadline = "LAMBDAUDIT_REPORT_DEADLINE"
	EnvSafetyMargin   = "LAMBDAUDIT_SAFETY_MARGIN"
	EnvInsightsConfig = "LAMBDAUDIT_INSIGHTS_CONFIG"
	// EnvDeployment names the deployment (the stack): the dimension of
	// the metrics the alarms watch.
	EnvDeployment = "LAMBDAUDIT_DEPLOYMENT"
	// EnvMaxConcurrency is the event source mapping's
	// ScalingConfig.MaximumConcurrency: the most workers at once. On a
	// standard queue (not .fifo) several workers may hold one
	// account-region's units at once, so each takes the rate fraction
	// divided by it; required there for the work handler.
	EnvMaxConcurrency = "LAMBDAUDIT_MAX_CONCURRENCY"
	// The secrets are never environment values: these name SSM Parameter
	// Store SecureString parameters, read once per container.
	EnvSlackWebhookParam   = "LAMBDAUDIT_SLACK_WEBHOOK_PARAM"
	EnvSlackBotTokenParam  = "LAMBDAUDIT_SLACK_BOT_TOKEN_PARAM"
	EnvOpsgenieAPIKeyParam = "LAMBDAUDIT_OPSGENIE_API_KEY_PARAM"
)

// Defaults of the host's settings.
const (
	DefaultReportDeadline = 3 * time.Hour
	DefaultSafetyMargin   = 30 * time.Second
)

// secretVars are the variables that would hold a secret in plain text:
// refused, the parameter variable named instead.
var secretVars = map[string]string{
	"SLACK_WEBHOOK_URL": EnvSlackWebhookParam,
	"SLACK_BOT_TOKEN":   EnvSlackBotTokenParam,
	"OPSGENIE_API_KEY":  EnvOpsgenieAPIKeyParam,
}

// Config is a function's configuration, read from its environment.
type Config struct {
	// Handler is plan, work or report.
	Handler string
	// Bucket and Prefix locate the store (LAMBDAUDIT_STORE=s3://bucket/prefix).
	Bucket, Prefix string
	// QueueURL is the SQS queue of units (FIFO: its name ends in .fifo).
	QueueURL string
	// ReportDeadline: a scan not reported this long after its plan is
	// reported by the deadline handler, with what arrived.
	ReportDeadline time.Duration
	// SafetyMargin: a handler stops taking work this long before its
	// Lambda deadline and hands the rest back.
	SafetyMargin time.Duration
	// InsightsConfig is the insights thresholds file: a path in the
	// artifact or s3://bucket/key (empty: the defaults).
	InsightsConfig string
	// The SSM parameters holding the secrets (empty: that secret unused).
	SlackWebhookParam, SlackBotTokenParam, OpsgenieAPIKeyParam string
	// Deployment is the deployment's name (the stack's), the metrics'
	// dimension; empty: no metric is written.
	Deployment string
	// MaxConcurrency is the most workers at once (the event source
	// mapping's MaximumConcurrency; 0 = not set). On a standard queue the
	// scan's rate fraction is already divided by it (see ConfigFromEnv).
	MaxConcurrency int
	// Scan is the scan's settings (package config, from LAMBDAUDIT_*).
	Scan config.Config
	// Env is the environment the configuration was read from: Slack's and
	// Opsgenie's non-secret settings are looked up in it.
	Env map[string]string
}

// ConfigFromEnv reads a function's configuration from environ (os.Environ
// form). Errors name the variable and what it accepts; the scan's
// settings are checked as the CLI checks them (config.Load). warn, when
// not nil, is told of LAMBDAUDIT_* variables nothing reads.
func ConfigFromEnv(environ []string, warn func(string)) (Config, error) {
	env := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	c := Config{Env: env, ReportDeadline: DefaultReportDeadline, SafetyMargin: DefaultSafetyMargin}
	var errs []error
	switch h := strings.TrimSpace(env[EnvHandler]); h {
	case HandlerPlan, HandlerWork, HandlerReport:
		c.Handler = h
	case "":
		errs = append(errs, fmt.Errorf("%s is not set: want plan, work or report", EnvHandler))
	default:
		errs = append(errs, fmt.Errorf("%s=%q: want plan, work or report", EnvHandler, h))
	}
	if raw := strings.TrimSpace(env[EnvStore]); raw == "" {
		errs = append(errs, fmt.Errorf("%s is not set: want s3://bucket/prefix", EnvStore))
	} else if u, err := url.Parse(raw); err != nil || u.Scheme != "s3" || u.Host == "" {
		errs = append(errs, fmt.Errorf("%s=%q: want s3://bucket/prefix", EnvStore, raw))
	} else {
		c.Bucket, c.Prefix = u.Host, strings.Trim(u.Path, "/")
	}
	if c.QueueURL = strings.TrimSpace(env[EnvQueueURL]); c.QueueURL == "" && c.Handler != HandlerReport {
		errs = append(errs, fmt.Errorf("%s is not set: want the SQS queue's URL (https://sqs.REGION.amazonaws.com/ACCOUNT/NAME.fifo)", EnvQueueURL))
	}
	for _, d := range []struct {
		name string
		dst  *time.Duration
	}{{EnvReportDeadline, &c.ReportDeadline}, {EnvSafetyMargin, &c.SafetyMargin}} {
		raw := strings.TrimSpace(env[d.name])
		if raw == "" {
			continue
		}
		v, err := time.ParseDuration(raw)
		if err != nil || v <= 0 {
			errs = append(errs, fmt.Errorf("%s=%q: want a duration more than 0, e.g. 3h or 30s", d.name, raw))
			continue
		}
		*d.dst = v
	}
	if raw := strings.TrimSpace(env[EnvMaxConcurrency]); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > 1000 {
			errs = append(errs, fmt.Errorf("%s=%q: want a whole number from 1 to 1000 (the event source mapping's MaximumConcurrency)", EnvMaxConcurrency, raw))
		} else {
			c.MaxConcurrency = n
		}
	}
	c.InsightsConfig = strings.TrimSpace(env[EnvInsightsConfig])
	c.Deployment = strings.TrimSpace(env[EnvDeployment])
	c.SlackWebhookParam = strings.TrimSpace(env[EnvSlackWebhookParam])
	c.SlackBotTokenParam = strings.TrimSpace(env[EnvSlackBotTokenParam])
	c.OpsgenieAPIKeyParam = strings.TrimSpace(env[EnvOpsgenieAPIKeyParam])
	var plain []string
	for k := range secretVars {
		if env[k] != "" {
			plain = append(plain, k)
		}
	}
	sort.Strings(plain)
	for _, k := range plain {
		errs = append(errs, fmt.Errorf("%s is set in the environment: a secret is never a plain environment value; store it as an SSM SecureString parameter and name it in %s", k, secretVars[k]))
	}
	known := []string{EnvHandler, EnvStore, EnvQueueURL, EnvReportDeadline, EnvSafetyMargin, EnvInsightsConfig, EnvDeployment, EnvMaxConcurrency,
		EnvSlackWebhookParam, EnvSlackBotTokenParam, EnvOpsgenieAPIKeyParam}
	sc, err := config.Load(config.Sources{Env: environ, Known: known, Warn: warn})
	if err != nil {
		errs = append(errs, err)
	}
	c.Scan = sc
	if c.QueueURL != "" && !IsFIFO(c.QueueURL) {
		// A standard queue: up to MaxConcurrency workers may hold one
		// account-region's units at once, and the quota is the
		// account-region's, so each worker takes its share of the
		// fraction. (On a FIFO queue the group account/region is held by
		// one worker at a time, which may use the whole fraction.)
		switch {
		case c.MaxConcurrency > 0:
			frac := c.Scan.Scanner.RateFraction
			if frac == 0 {
				frac = scanner.DefaultRateFraction
			}
			c.Scan.Scanner.RateFraction = frac / float64(c.MaxConcurrency)
		case c.Handler == HandlerWork:
			errs = append(errs, fmt.Errorf("%s is not set: a standard (not .fifo) queue lets several workers scan one account-region at once, so each takes the rate fraction divided by the event source mapping's MaximumConcurrency; set it to that (1 to 1000), or use a FIFO queue", EnvMaxConcurrency))
		}
	}
	return c, errors.Join(errs...)
}

// IsFIFO reports whether queueURL names an SQS FIFO queue (its name ends
// in .fifo).
func IsFIFO(queueURL string) bool {
	return strings.HasSuffix(strings.TrimRight(queueURL, "/"), ".fifo")
}

// lookup is the configuration's environment as os.LookupEnv.
func (c Config) lookup(k string) (string, bool) {
	v, ok := c.Env[k]
	return v, ok
}
