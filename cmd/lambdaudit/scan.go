package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/lambdaudit/lambdaudit/scanner"
)

// Exit codes.
const (
	exitFailures       = 3 // the scan completed, but some targets or functions failed
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

Exit status: 0 every function scanned; 3 completed with failures (listed on
stderr and in the result); 2 bad input or the scan could not run.`,
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

// reportFailures lists the scan's failures on w and returns the
// "completed with failures" exit, or nil when everything was scanned.
func reportFailures(w io.Writer, res *scanner.Result) error {
	cv := res.Coverage
	fmt.Fprintf(w, "lambdaudit scan: %d targets (%d failed), %d functions: %d scanned, %d partial, %d failed; %d API calls, %d throttled, est. $%.4f\n",
		cv.Targets, cv.TargetsFailed, cv.Listed, cv.Scanned, cv.Partial, cv.Failed, sum(res.API.Calls), sum(res.API.Throttles), res.API.EstimatedCostUSD)
	if !res.Failed() {
		return nil
	}
	for _, t := range res.Targets {
		if t.Status != scanner.StatusOK {
			fmt.Fprintf(w, "  target %s/%s failed: %s\n", t.Account, t.Region, t.Error)
		}
	}
	shown := 0
	for _, f := range res.Functions {
		if len(f.Failures) == 0 {
			continue
		}
		if shown == 20 {
			fmt.Fprintf(w, "  … and more: see the failures in the scan result\n")
			break
		}
		shown++
		var rs []string
		for _, fl := range f.Failures {
			rs = append(rs, fl.Stage+": "+fl.Reason)
		}
		fmt.Fprintf(w, "  %s %s: %s\n", f.ID, f.Status, strings.Join(rs, "; "))
	}
	return &exitError{code: exitFailures, err: errors.New("scan completed with failures")}
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
