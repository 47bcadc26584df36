package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/lambdaudit/lambdaudit/scanner"
)

// Exit codes.
const (
	exitFailures       = 3 // the scan completed, but data that should have come back was lost (scanner.Result.Failed)
	exitDeliveryFailed = 4 // the outputs are written, but a delivery (Slack, Opsgenie) failed
)

func newScanCmd() *cobra.Command {
	var (
		cfgPath, out, progress, logLevel string
		timeout                          time.Duration
		c                                scanner.Config
		logs, tags                       bool
		budget                           float64
	)
	cmd := &cobra.Command{
		Use:   "scan",
		Short: "Scan Lambda functions' configuration, CloudWatch metrics and REPORT logs; write the scan result as JSON",
		Long: `scan lists every Lambda function of the target accounts and regions, fetches
their CloudWatch metrics (GetMetricData, 500 queries a call) and their REPORT
statistics (Logs Insights, within a budget), paced under AWS's quotas, and writes
the scan result (JSON, schema "lambdaudit/scan" version 1, docs/scan-result.md).

Credentials come from the default chain; AWS_ENDPOINT_URL points every client at
another endpoint (e.g. lambdaudit sim). Every flag can also be set in the config
file (--config, YAML, the keys of docs/configuration.md) or as LAMBDAUDIT_<FLAG>
in the environment (LAMBDAUDIT_REGIONS=all); flags win over the environment, the
environment over the file.

Exit status: 0 no data lost (a Logs Insights budget skip or absent optional
data is coverage, counted in the result); 3 data that should have come back was
lost (an account or region denied, an AWS call failed: one line per cause on
stderr, the full errors in the result); 2 bad input or the scan could not run.`,
		Example: `  lambdaudit scan --regions us-east-1,eu-west-1 -o scan.json
  lambdaudit scan --regions all --accounts all --role LambdauditReadOnly --external-id x1 -o scan.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := applyEnv(cmd.Flags()); err != nil {
				return err
			}
			if cfgPath != "" {
				file, err := scanner.LoadConfig(cfgPath)
				if err != nil {
					return err
				}
				c = mergeConfig(cmd.Flags(), file, c)
			}
			if cmd.Flags().Changed("logs") || c.Logs == nil {
				c.Logs = &logs
			}
			if cmd.Flags().Changed("tags") || c.Tags == nil {
				c.Tags = &tags
			}
			if cmd.Flags().Changed("logs-budget-usd") || c.LogsBudgetUSD == nil {
				c.LogsBudgetUSD = &budget
			}
			logger, err := newLogger(cmd.ErrOrStderr(), logLevel)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			if timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, timeout)
				defer cancel()
			}
			res, err := runScan(ctx, c, logger, cmd.ErrOrStderr(), progress)
			if err != nil {
				return err
			}
			if err := writeOut(cmd.OutOrStdout(), out, res.Encode); err != nil {
				return err
			}
			return reportFailures(cmd.ErrOrStderr(), res)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&cfgPath, "config", "", "config file (YAML; keys as in docs/configuration.md)")
	fl.StringVarP(&out, "out", "o", "-", "write the scan result to this file (- = stdout)")
	fl.StringSliceVar(&c.Regions, "regions", nil, "regions to scan, or all (default: the configured region)")
	fl.StringSliceVar(&c.Accounts, "accounts", nil, "12-digit account IDs, or all (Organizations ListAccounts); default: the caller's account")
	fl.StringVar(&c.Role, "role", "", "role to assume in member accounts: a name, or an ARN template with {account}")
	fl.StringVar(&c.ExternalID, "external-id", "", "external ID for sts:AssumeRole")
	fl.StringVar(&c.SessionName, "session-name", "", "role session name (default lambdaudit)")
	fl.StringVar(&c.Day, "day", "", "report day YYYY-MM-DD, UTC (default: yesterday)")
	fl.IntVar(&c.Days, "days", 0, "window in days, the report day included (default 15)")
	fl.BoolVar(&logs, "logs", true, "query REPORT statistics with Logs Insights")
	fl.Float64Var(&budget, "logs-budget-usd", scanner.DefaultLogsBudgetUSD, "most a scan may spend on Logs Insights bytes scanned, in USD (0 = no budget)")
	fl.IntVar(&c.ConcurrentQueries, "concurrent-queries", 0, "Logs Insights running-query limit per account-region (default 30)")
	fl.BoolVar(&tags, "tags", true, "read tags (Resource Groups Tagging API)")
	fl.Float64Var(&c.RateFraction, "rate-fraction", scanner.DefaultRateFraction, "share of each AWS API quota the scan may use, (0, 1]")
	fl.IntVar(&c.Pairs, "pairs", 0, "account × region pairs scanned at once (default 8)")
	fl.IntVar(&c.Workers, "workers", 0, "GetMetricData batches in flight per pair (default 4)")
	fl.IntVar(&c.MaxAttempts, "max-attempts", 0, "attempts per work unit before its functions are marked failed (default 3)")
	fl.IntVar(&c.SDKAttempts, "sdk-attempts", 0, "SDK attempts per API call (default 8)")
	fl.DurationVar(&timeout, "timeout", 0, "give up after this long (0 = no limit)")
	fl.StringVar(&progress, "progress", "auto", "progress on stderr: auto (when a terminal), always, never")
	fl.StringVar(&logLevel, "log-level", "warn", "log level on stderr: debug, info, warn, error")
	return cmd
}

// runScan builds the SDK configuration, the sessions and the scanner from
// c and runs one scan, drawing progress on w.
func runScan(ctx context.Context, c scanner.Config, logger *slog.Logger, w io.Writer, progress string) (*scanner.Result, error) {
	base, err := config.LoadDefaultConfig(ctx, config.WithRetryer(scanner.Retryer(c.SDKAttempts)))
	if err != nil {
		return nil, fmt.Errorf("aws config: %w", err)
	}
	return scanWith(ctx, base, c, logger, w, progress)
}

// scanWith runs a scan from a base SDK configuration.
func scanWith(ctx context.Context, base aws.Config, c scanner.Config, logger *slog.Logger, w io.Writer, progress string) (*scanner.Result, error) {
	set, err := c.Settings(time.Now())
	if err != nil {
		return nil, err
	}
	ls, err := c.Limiters()
	if err != nil {
		return nil, err
	}
	meter := scanner.NewMeter()
	sess, err := scanner.NewSessions(base, c.Targets(), scanner.APIOptions(ls, meter))
	if err != nil {
		return nil, err
	}
	// Bad credentials, an unreachable endpoint or bad targets stop here,
	// before any scanning; a member account that fails is reported by
	// the scan with its reason.
	if _, err := sess.Preflight(ctx); err != nil {
		return nil, err
	}
	prog := &scanner.Progress{}
	s, err := scanner.New(sess, meter, logger, prog, set, time.Now)
	if err != nil {
		return nil, err
	}
	stop := drawProgress(w, progress, func() scanner.ProgressSnapshot { return prog.Snapshot(meter) })
	res, err := s.Scan(ctx)
	stop()
	if err != nil {
		return nil, err
	}
	return res, nil
}

// reportFailures writes the scan's summary on w — coverage, what was
// skipped by design, the calls and their cost — then, when data that
// should have come back was lost, one line per cause with the number of
// functions (or account-regions) it cost, and returns the "completed
// with failures" exit. The full detail of each failure is in the scan
// result.
func reportFailures(w io.Writer, res *scanner.Result) error {
	cv := res.Coverage
	fmt.Fprintf(w, "lambdaudit scan: %s (%s failed), %s: %s scanned, %s partial, %s failed",
		plural(cv.Targets, "target", "targets"), count(float64(cv.TargetsFailed)), plural(cv.Listed, "function", "functions"),
		count(float64(cv.Scanned)), count(float64(cv.Partial)), count(float64(cv.Failed)))
	if cv.LogsSkipped > 0 {
		fmt.Fprintf(w, "; logs not queried for %s (%s)", plural(cv.LogsSkipped, "function", "functions"), skippedBy(cv.LogsSkippedBy))
	}
	fmt.Fprintf(w, "; %s, %s throttled, est. $%.4f\n", plural(sum(res.API.Calls), "API call", "API calls"), count(float64(sum(res.API.Throttles))), res.API.EstimatedCostUSD)
	if !res.Failed() {
		return nil
	}
	fmt.Fprintf(w, "not covered: %s of %s", count(float64(cv.NotCovered)), plural(cv.Listed, "function", "functions"))
	if cv.Listed > 0 {
		fmt.Fprintf(w, " (%s)", share(cv.NotCovered, cv.Listed))
	}
	if cv.TargetsFailed > 0 {
		fmt.Fprintf(w, ", %s of %s not listed", count(float64(cv.TargetsFailed)), plural(cv.Targets, "account-region", "account-regions"))
	}
	fmt.Fprintln(w)
	const maxCauses = 20
	for i, c := range cv.Causes {
		if i == maxCauses {
			fmt.Fprintf(w, "  … and %s more: see coverage.causes in the scan result\n", plural(len(cv.Causes)-maxCauses, "cause", "causes"))
			break
		}
		what := plural(c.Functions, "function", "functions")
		if c.Functions == 0 {
			what = plural(c.Targets, "account-region", "account-regions") + " not listed"
		}
		fmt.Fprintf(w, "  %s: %s\n", cleanText(c.String()), what)
	}
	fmt.Fprintln(w, "  (each failure's full error is in the scan result: functions[].failures[].detail, targets[].error)")
	return &exitError{code: exitFailures, err: errors.New("scan completed with failures")}
}

// share is n of total as a percentage, truncated (never rounded up to
// "100 %" while a function is still covered); "<1 %" for a few.
func share(n, total int) string {
	if n > 0 && n*100 < total {
		return "<1 %"
	}
	return fmt.Sprintf("%d %%", n*100/total)
}

// plural is "1 function", "2,250 functions".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return count(float64(n)) + " " + many
}

// skippedBy is "log budget 49,976, no log data in window 24", largest
// first.
func skippedBy(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = cleanText(k) + " " + count(float64(m[k]))
	}
	return strings.Join(parts, ", ")
}

// cleanText drops control characters from text that came from AWS
// before it reaches a terminal.
func cleanText(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return -1
		}
		return r
	}, s)
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// writeOut writes with write to path, or to stdout for "-".
func writeOut(stdout io.Writer, path string, write func(io.Writer) error) error {
	if path == "-" || path == "" {
		return write(stdout)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// applyEnv sets every flag not given on the command line from
// LAMBDAUDIT_<FLAG> (upper case, dashes as underscores) when set.
func applyEnv(fs *pflag.FlagSet) error {
	var err error
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Changed || err != nil {
			return
		}
		name := "LAMBDAUDIT_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(name); ok {
			if e := fs.Set(f.Name, v); e != nil {
				err = fmt.Errorf("%s=%q: %w", name, v, e)
			}
		}
	})
	return err
}

// mergeConfig fills what flags and environment did not set from the
// config file.
func mergeConfig(fs *pflag.FlagSet, file, flags scanner.Config) scanner.Config {
	c := file
	set := func(name string, apply func()) {
		if fs.Changed(name) {
			apply()
		}
	}
	set("regions", func() { c.Regions = flags.Regions })
	set("accounts", func() { c.Accounts = flags.Accounts })
	set("role", func() { c.Role = flags.Role })
	set("external-id", func() { c.ExternalID = flags.ExternalID })
	set("session-name", func() { c.SessionName = flags.SessionName })
	set("day", func() { c.Day = flags.Day })
	set("days", func() { c.Days = flags.Days })
	set("concurrent-queries", func() { c.ConcurrentQueries = flags.ConcurrentQueries })
	set("rate-fraction", func() { c.RateFraction = flags.RateFraction })
	set("pairs", func() { c.Pairs = flags.Pairs })
	set("workers", func() { c.Workers = flags.Workers })
	set("max-attempts", func() { c.MaxAttempts = flags.MaxAttempts })
	set("sdk-attempts", func() { c.SDKAttempts = flags.SDKAttempts })
	if c.RateFraction == 0 {
		c.RateFraction = flags.RateFraction
	}
	return c
}

func newLogger(w io.Writer, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l})), nil
}

// drawProgress redraws one status line on w every 250 ms (a terminal) or
// writes one line every 10 s (always, not a terminal) until stopped.
func drawProgress(w io.Writer, mode string, snap func() scanner.ProgressSnapshot) (stop func()) {
	tty := isTerminal(w)
	switch {
	case mode == "never", mode == "auto" && !tty:
		return func() {}
	}
	every := 250 * time.Millisecond
	if !tty {
		every = 10 * time.Second
	}
	start := time.Now()
	done := make(chan struct{})
	finished := make(chan struct{})
	line := func() string {
		s := snap()
		eta := "–"
		if s.Units > 0 && s.UnitsTotal > s.Units && s.TargetsDone == s.Targets {
			el := time.Since(start)
			eta = (time.Duration(float64(el) / float64(s.Units) * float64(s.UnitsTotal-s.Units))).Round(time.Second).String()
		}
		return fmt.Sprintf("targets %d/%d · functions listed %d · units %d/%d (%d failed) · throttles absorbed %d · %s elapsed · ETA %s",
			s.TargetsDone, s.Targets, s.Listed, s.Units, s.UnitsTotal, s.FailedUnits, s.Throttles, time.Since(start).Round(time.Second), eta)
	}
	go func() {
		defer close(finished)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				if tty {
					fmt.Fprintf(w, "\r\033[K%s\n", line())
				}
				return
			case <-t.C:
				if tty {
					fmt.Fprintf(w, "\r\033[K%s", line())
				} else {
					fmt.Fprintln(w, line())
				}
			}
		}
	}()
	return func() { close(done); <-finished }
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
