package main

import (
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/lambdaudit/lambdaudit/atomicfile"
	"github.com/lambdaudit/lambdaudit/didyoumean"
	"github.com/lambdaudit/lambdaudit/insights"
	"github.com/lambdaudit/lambdaudit/scanner"
	"github.com/lambdaudit/lambdaudit/store"
)

// Exit codes.
const (
	exitFailures       = 3 // the scan completed, but data that should have come back was lost (scanner.Result.Failed)
	exitDeliveryFailed = 4 // the outputs are written, but a delivery (Slack, Opsgenie) failed
)

func newScanCmd() *cobra.Command {
	var (
		cfgPath    string
		c          scanner.Config
		logs, tags bool
		budget     float64
		quotas     map[string]string
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
environment over the file. The output path is checked before any AWS call.

Every AWS call is bounded: each HTTP attempt by --http-timeout, the call with
its retries by --call-timeout; one that gets no answer fails naming the API and
the endpoint.

SIGINT, SIGTERM or --timeout stop the scan cleanly (running Logs Insights
queries are stopped) and write what finished, marked "interrupted" in the
result; stopped before any function was listed, it writes nothing and leaves
the output file as it was; a second signal exits at once without writing.

Exit status: 0 no data lost (a Logs Insights budget skip or absent optional
data is coverage, counted in the result); 3 data that should have come back was
lost (an account or region denied, an AWS call failed: one line per cause on
stderr, the full errors in the result); 2 bad input or the scan could not run;
130 SIGINT, 143 SIGTERM, 124 --timeout (the partial result is written).`,
		Example: `  lambdaudit scan --regions us-east-1,eu-west-1 -o scan.json
  lambdaudit scan --regions all --accounts all --role LambdauditReadOnly --external-id x1 -o scan.json
  lambdaudit scan --quotas "CloudWatch:GetMetricData=100" --timeout 30m -o scan.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fs := cmd.Flags()
			errw := cmd.ErrOrStderr()
			warnUnknownEnv(errw, fs, os.Environ())
			fromEnv, err := applyEnv(fs)
			if err != nil {
				return err
			}
			if err := checkFlagRanges(fs, fromEnv); err != nil {
				return err
			}
			if fs.Changed("quotas") {
				if c.Quotas, err = parseQuotas(quotas, flagName(fs.Lookup("quotas"), fromEnv)); err != nil {
					return err
				}
			}
			if cfgPath != "" {
				file, err := scanner.LoadConfig(cfgPath)
				if err != nil {
					return err
				}
				c = mergeConfig(fs, file, c)
			}
			if fs.Changed("logs") || c.Logs == nil {
				c.Logs = &logs
			}
			if fs.Changed("tags") || c.Tags == nil {
				c.Tags = &tags
			}
			if fs.Changed("logs-budget-usd") || c.LogsBudgetUSD == nil {
				c.LogsBudgetUSD = &budget
			}
			if _, err := c.Settings(time.Now()); err != nil {
				return err
			}
			logger, err := newLogger(errw, c.LogLevel)
			if err != nil {
				return err
			}
			// The output is checked before any AWS call: a scan that
			// cannot be written is not run.
			if c.Out != "-" && c.Out != "" {
				if err := atomicfile.CheckFile(c.Out); err != nil {
					return fmt.Errorf("--out: %w", err)
				}
			}
			ctx, cancel := withTimeout(cmd.Context(), c.Timeout)
			defer cancel()
			run := newScanRun()
			stop := drawProgress(errw, c.Progress, run.snapshot)
			sc, err := runScan(ctx, c, logger, run)
			if sc != nil {
				defer sc.close()
			}
			i := interruptedBy(ctx)
			if err != nil && (i == nil || sc == nil && run.snapshot().Listed > 0) {
				stop()
				kept := "stopped before anything was scanned; nothing written"
				if run.snapshot().Listed > 0 {
					kept = "the scanner returned no partial result; nothing written"
				}
				return asInterrupted(ctx, err, kept)
			}
			if err != nil && run.snapshot().Listed == 0 {
				// Stopped before any function was listed: an empty result
				// would only replace a good one, so nothing is written.
				stop()
				kept := "stopped before any function was listed; nothing written"
				if c.Out != "-" && c.Out != "" {
					kept += " (" + c.Out + " is left as it was)"
				}
				return &exitError{code: i.code, err: fmt.Errorf("%s: %s", i, kept)}
			}
			opt := scanner.AssembleOptions{Stopped: ctx.Err(), Meter: run.meter}
			if err != nil {
				opt.Interrupted = i.reason
			}
			run.prog.SetStage(scanner.ProgressWriting)
			var res *scanner.Result
			werr := writeOut(cmd.OutOrStdout(), c.Out, func(w io.Writer) error {
				var aerr error
				res, aerr = sc.write(context.WithoutCancel(ctx), w, opt, strings.HasSuffix(c.Out, ".gz"))
				return aerr
			})
			stop()
			if werr != nil {
				return werr
			}
			ferr := reportFailures(errw, res)
			if err != nil {
				where := c.Out
				if where == "-" || where == "" {
					where = "stdout"
				}
				return &exitError{code: i.code, err: fmt.Errorf("%s: the partial scan result is written to %s, marked interrupted", i, where)}
			}
			return ferr
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&cfgPath, "config", "", "config file (YAML; keys as in docs/configuration.md)")
	fl.StringVarP(&c.Out, "out", "o", "-", "write the scan result to this file (- = stdout); checked before the scan")
	fl.StringSliceVar(&c.Regions, "regions", nil, "regions to scan, or all (default: the configured region)")
	fl.StringSliceVar(&c.Accounts, "accounts", nil, "12-digit account IDs, or all (Organizations ListAccounts); default: the caller's account")
	fl.StringVar(&c.Role, "role", "", "role to assume in member accounts: a name, or an ARN template with {account}")
	fl.StringVar(&c.ExternalID, "external-id", "", "external ID for sts:AssumeRole")
	fl.StringVar(&c.SessionName, "session-name", "", "role session name (default lambdaudit)")
	fl.StringVar(&c.Day, "day", "", "report day YYYY-MM-DD, UTC (default: yesterday)")
	fl.IntVar(&c.Days, "days", 0, "window in days, the report day included, 1 to 63 (default 15)")
	fl.BoolVar(&logs, "logs", true, "query REPORT statistics with Logs Insights")
	fl.Float64Var(&budget, "logs-budget-usd", scanner.DefaultLogsBudgetUSD, "most a scan may spend on Logs Insights bytes scanned, in USD (0 = no budget)")
	fl.IntVar(&c.ConcurrentQueries, "concurrent-queries", 0, "Logs Insights running-query limit per account-region, 1 to 100 (default 30)")
	fl.BoolVar(&tags, "tags", true, "read tags (Resource Groups Tagging API)")
	fl.Float64Var(&c.RateFraction, "rate-fraction", scanner.DefaultRateFraction, "share of each AWS API quota the scan may use, (0, 1]")
	fl.StringToStringVar(&quotas, "quotas", nil, `AWS quotas to use instead of the defaults, "Service:Operation=requests per second" (or "Service:*=…"), comma-separated`)
	fl.IntVar(&c.Pairs, "pairs", 0, "account × region pairs scanned at once (default 8)")
	fl.IntVar(&c.Workers, "workers", 0, "GetMetricData batches in flight per pair (default 4)")
	fl.IntVar(&c.MaxAttempts, "max-attempts", 0, "attempts per work unit before its functions are marked failed, 1 to 20 (default 3)")
	fl.IntVar(&c.SDKAttempts, "sdk-attempts", 0, "SDK attempts per API call, 1 to 20 (default 8)")
	fl.DurationVar(&c.HTTPTimeout, "http-timeout", scanner.DefaultHTTPTimeout, "most one HTTP attempt of an AWS call may take, answer included")
	fl.DurationVar(&c.CallTimeout, "call-timeout", scanner.DefaultCallTimeout, "most one AWS call may take, its retries included")
	fl.DurationVar(&c.Timeout, "timeout", 0, "stop after this long and write what finished, exit 124 (0 = no limit)")
	fl.StringVar(&c.Progress, "progress", "auto", "progress on stderr: auto (when a terminal), always, never")
	fl.StringVar(&c.LogLevel, "log-level", "warn", "log level on stderr: debug, info, warn, error")
	return cmd
}

// scanRun is one scan's progress counters and meter, made before the
// scan so the progress line runs from start-up to the written result.
type scanRun struct {
	prog  *scanner.Progress
	meter *scanner.Meter
}

func newScanRun() *scanRun {
	return &scanRun{prog: &scanner.Progress{}, meter: scanner.NewMeter()}
}

func (r *scanRun) snapshot() scanner.ProgressSnapshot { return r.prog.Snapshot(r.meter) }

// runScan builds the SDK configuration, the sessions and the scanner from
// c and runs one scan's Plan and Work stages.
func runScan(ctx context.Context, c scanner.Config, logger *slog.Logger, run *scanRun) (*scanned, error) {
	base, err := config.LoadDefaultConfig(ctx, config.WithRetryer(scanner.Retryer(c.SDKAttempts)))
	if err != nil {
		return nil, fmt.Errorf("aws config: %w", err)
	}
	scanner.BoundCalls(&base, c.HTTPTimeout, c.CallTimeout)
	return scanWith(ctx, base, c, logger, run)
}

// scanned is a scan whose units have run: its manifest, and the outcomes
// in a directory store of its own until close.
type scanned struct {
	m   *scanner.Manifest
	st  store.Store
	dir string
}

// write assembles the result onto w as compact JSON (gzip-compressed
// when gz), streaming: the functions are never all in memory. It
// returns the result without its functions.
func (sc *scanned) write(ctx context.Context, w io.Writer, opt scanner.AssembleOptions, gz bool) (*scanner.Result, error) {
	bw := bufio.NewWriterSize(w, 1<<16)
	var out io.Writer = bw
	var zw *gzip.Writer
	if gz {
		zw = gzip.NewWriter(bw)
		out = zw
	}
	res, err := scanner.Assemble(ctx, sc.st, sc.m, opt, scanner.NewResultEncoder(out))
	if err != nil {
		return nil, err
	}
	if zw != nil {
		if err := zw.Close(); err != nil {
			return nil, fmt.Errorf("write scan result: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return nil, fmt.Errorf("write scan result: %w", err)
	}
	return res, nil
}

// close removes the outcomes: the result holds them now.
func (sc *scanned) close() { _ = os.RemoveAll(sc.dir) }

// scanWith runs a scan's Plan and Work stages from a base SDK
// configuration, the outcomes going to a temporary directory store (so
// memory holds one account-region's listing and the units in flight,
// not the scan). On an interrupted ctx it returns what was kept with
// the error; a nil *scanned means nothing was.
func scanWith(ctx context.Context, base aws.Config, c scanner.Config, logger *slog.Logger, run *scanRun) (*scanned, error) {
	s, err := scanner.NewFromConfig(base, c, scanner.WithLogger(logger), scanner.WithProgress(run.prog), scanner.WithMeter(run.meter))
	if err != nil {
		return nil, err
	}
	// Bad credentials, an unreachable endpoint or bad targets stop here,
	// before any scanning; a member account that fails is reported by
	// the scan with its reason.
	if _, err := s.Preflight(ctx); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "lambdaudit-scan-")
	if err != nil {
		return nil, fmt.Errorf("scan: outcome store: %w", err)
	}
	st, err := store.NewDir(dir)
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("scan: outcome store: %w", err)
	}
	m, err := s.Execute(ctx, st)
	if m == nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	return &scanned{m: m, st: st, dir: dir}, err
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
		plural(cv.Targets, "target", "targets"), insights.FormatCount(float64(cv.TargetsFailed)), plural(cv.Listed, "function", "functions"),
		insights.FormatCount(float64(cv.Scanned)), insights.FormatCount(float64(cv.Partial)), insights.FormatCount(float64(cv.Failed)))
	if cv.LogsSkipped > 0 {
		fmt.Fprintf(w, "; logs not queried for %s (%s)", plural(cv.LogsSkipped, "function", "functions"), skippedBy(cv.LogsSkippedBy))
	}
	fmt.Fprintf(w, "; %s, %s throttled, est. $%.4f\n", plural(sum(res.API.Calls), "API call", "API calls"), insights.FormatCount(float64(sum(res.API.Throttles))), res.API.EstimatedCostUSD)
	if !res.Failed() {
		return nil
	}
	fmt.Fprintf(w, "not covered: %s of %s", insights.FormatCount(float64(cv.NotCovered)), plural(cv.Listed, "function", "functions"))
	if cv.Listed > 0 {
		fmt.Fprintf(w, " (%s)", insights.FormatPart(cv.NotCovered, cv.Listed))
	}
	if cv.TargetsFailed > 0 {
		fmt.Fprintf(w, ", %s of %s not listed", insights.FormatCount(float64(cv.TargetsFailed)), plural(cv.Targets, "account-region", "account-regions"))
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

// plural is "1 function", "2,250 functions" (insights.Plural, as the
// digest).
func plural(n int, one, many string) string { return insights.Plural(float64(n), one, many) }

// skippedBy is "log budget: 49,976, no log data in window: 24", largest
// first.
func skippedBy(m map[string]int) string {
	keys := scanner.ByCount(m)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = cleanText(k) + ": " + insights.FormatCount(float64(m[k]))
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

// writeOut writes with write to path atomically (the previous file
// stays whole if anything fails), or to stdout for "-".
func writeOut(stdout io.Writer, path string, write func(io.Writer) error) error {
	if path == "-" || path == "" {
		return write(stdout)
	}
	return atomicfile.Write(path, write)
}

// envName is the variable of a flag: LAMBDAUDIT_<FLAG>, upper case,
// dashes as underscores.
func envName(flag string) string {
	return "LAMBDAUDIT_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// applyEnv sets every flag not given on the command line from its
// variable (envName) when set, and returns the flags so set with their
// variable's name.
func applyEnv(fs *pflag.FlagSet) (map[string]string, error) {
	var err error
	from := map[string]string{}
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Changed || err != nil {
			return
		}
		name := envName(f.Name)
		if v, ok := os.LookupEnv(name); ok {
			if e := fs.Set(f.Name, v); e != nil {
				err = fmt.Errorf("%s=%q: %w", name, v, e)
				return
			}
			from[f.Name] = name
		}
	})
	return from, err
}

// otherEnv are LAMBDAUDIT_ variables read elsewhere (tests).
var otherEnv = []string{"LAMBDAUDIT_MOTO_URL"}

// warnUnknownEnv writes one line for each LAMBDAUDIT_ variable of env
// that no flag reads, naming the nearest that does: a typo in a
// pipeline's variables is otherwise silently ignored.
func warnUnknownEnv(w io.Writer, fs *pflag.FlagSet, env []string) {
	var known []string
	fs.VisitAll(func(f *pflag.Flag) { known = append(known, envName(f.Name)) })
	known = append(known, otherEnv...)
	var unknown []string
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "LAMBDAUDIT_") && !slices.Contains(known, name) {
			unknown = append(unknown, name)
		}
	}
	slices.Sort(unknown)
	for _, name := range unknown {
		msg := "lambdaudit: warning: " + name + " is not a lambdaudit variable and is ignored"
		if n := didyoumean.Nearest(name, known); n != "" {
			msg += "; did you mean " + n + "?"
		}
		fmt.Fprintln(w, msg)
	}
}

// flagName is how an error names a flag's value: the variable it came
// from, or --flag.
func flagName(f *pflag.Flag, fromEnv map[string]string) string {
	if v, ok := fromEnv[f.Name]; ok {
		return v
	}
	return "--" + f.Name
}

// noZeroFlags are the flags whose file key refuses 0 (scanner.NoZero).
var noZeroFlags = map[string]string{
	"days": "days", "rate-fraction": "rateFraction", "max-attempts": "maxAttempts",
	"concurrent-queries": "concurrentQueries", "sdk-attempts": "sdkAttempts",
	"pairs": "pairs", "workers": "workers", "http-timeout": "httpTimeout", "call-timeout": "callTimeout",
}

// checkFlagRanges refuses what the flags (or their variables) set to a
// value the scan would otherwise read as something else: 0 where 0
// means nothing, an unknown --progress or --log-level.
func checkFlagRanges(fs *pflag.FlagSet, fromEnv map[string]string) error {
	var err error
	fs.Visit(func(f *pflag.Flag) {
		if err != nil {
			return
		}
		name := flagName(f, fromEnv)
		if key, ok := noZeroFlags[f.Name]; ok {
			v := f.Value.String()
			zero := v == "0" || v == "0s"
			if x, e := strconv.ParseFloat(v, 64); e == nil && x == 0 {
				zero = true
			}
			if zero {
				err = fmt.Errorf("%s %s: %s", name, v, scanner.NoZero[key])
			}
		}
		switch f.Name {
		case "progress":
			if !slices.Contains(scanner.ProgressModes, f.Value.String()) {
				err = fmt.Errorf("%s %q: want %s", name, f.Value.String(), strings.Join(scanner.ProgressModes, ", "))
			}
		case "log-level":
			if !slices.Contains(scanner.LogLevels, strings.ToLower(f.Value.String())) {
				err = fmt.Errorf("%s %q: want %s", name, f.Value.String(), strings.Join(scanner.LogLevels, ", "))
			}
		}
	})
	return err
}

// parseQuotas reads --quotas' "Service:Operation=rps" entries.
func parseQuotas(m map[string]string, name string) (map[string]float64, error) {
	q := make(map[string]float64, len(m))
	for k, v := range m {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return nil, fmt.Errorf("%s %s=%s: want requests per second", name, k, v)
		}
		if fe := scanner.CheckQuota(k, f); fe != nil {
			return nil, fmt.Errorf("%s: %s: %s", name, fe.Field, fe.Msg)
		}
		q[k] = f
	}
	return q, nil
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
	set("http-timeout", func() { c.HTTPTimeout = flags.HTTPTimeout })
	set("call-timeout", func() { c.CallTimeout = flags.CallTimeout })
	set("timeout", func() { c.Timeout = flags.Timeout })
	set("out", func() { c.Out = flags.Out })
	set("progress", func() { c.Progress = flags.Progress })
	set("log-level", func() { c.LogLevel = flags.LogLevel })
	// Quotas: the flag's entries win, key by key, over the file's.
	if fs.Changed("quotas") {
		q := maps.Clone(c.Quotas)
		if q == nil {
			q = map[string]float64{}
		}
		maps.Copy(q, flags.Quotas)
		c.Quotas = q
	}
	// What the file leaves out takes the flags' defaults.
	if c.RateFraction == 0 {
		c.RateFraction = flags.RateFraction
	}
	if c.HTTPTimeout == 0 {
		c.HTTPTimeout = flags.HTTPTimeout
	}
	if c.CallTimeout == 0 {
		c.CallTimeout = flags.CallTimeout
	}
	if c.Out == "" {
		c.Out = flags.Out
	}
	if c.Progress == "" {
		c.Progress = flags.Progress
	}
	if c.LogLevel == "" {
		c.LogLevel = flags.LogLevel
	}
	return c
}

func newLogger(w io.Writer, level string) (*slog.Logger, error) {
	var l slog.Level
	if !slices.Contains(scanner.LogLevels, strings.ToLower(level)) || l.UnmarshalText([]byte(level)) != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l})), nil
}

// drawProgress redraws one status line on w every 250 ms (a terminal) or
// writes one line every 10 s (always, not a terminal) until stopped, and
// the last line when stopped.
func drawProgress(w io.Writer, mode string, snap func() scanner.ProgressSnapshot) (stop func()) {
	tty := isTerminal(w)
	if mode == "never" || mode == "auto" && !tty {
		return func() {}
	}
	every := 250 * time.Millisecond
	if !tty {
		every = 10 * time.Second
	}
	start := time.Now()
	done := make(chan struct{})
	finished := make(chan struct{})
	line := func() string { return progressLine(snap(), time.Since(start)) }
	go func() {
		defer close(finished)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				if tty {
					fmt.Fprintf(w, "\r\033[K%s\n", line())
				} else {
					fmt.Fprintln(w, line())
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

// progressLine is the progress line of a snapshot taken elapsed after
// the start: the stage first, then the counters.
func progressLine(s scanner.ProgressSnapshot, elapsed time.Duration) string {
	eta := "–"
	if s.Units > 0 && s.UnitsTotal > s.Units && s.TargetsDone == s.Targets {
		eta = (time.Duration(float64(elapsed) / float64(s.Units) * float64(s.UnitsTotal-s.Units))).Round(time.Second).String()
	}
	return fmt.Sprintf("%s · targets %d/%d · functions listed %d · units %d/%d (%d failed) · throttles absorbed %d · %s elapsed · ETA %s",
		s.Stage, s.TargetsDone, s.Targets, s.Listed, s.Units, s.UnitsTotal, s.FailedUnits, s.Throttles, elapsed.Round(time.Second), eta)
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
