package main

import (
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/spf13/cobra"

	"github.com/lambdaudit/lambdaudit/atomicfile"
	"github.com/lambdaudit/lambdaudit/insights"
	"github.com/lambdaudit/lambdaudit/scanner"
	"github.com/lambdaudit/lambdaudit/store"
)

// Exit codes.
const (
	exitFailures       = 3 // the scan completed, but data that should have come back was lost (scanner.Result.Failed)
	exitDeliveryFailed = 4 // the outputs are written, but a delivery (Slack, Opsgenie) failed
)

// scanMemoryLimit is the soft memory limit (runtime/debug) of `scan`
// unless GOMEMLIMIT says otherwise: lower than the other commands'
// (defaultMemoryLimit), because a scan keeps its outcomes on disk and
// streams its result, so its live heap is one account-region's listing
// and the units in flight, and it spends its time waiting on AWS's rate
// limits — garbage collection to stay under the limit is cheap. It is
// soft: a bigger listing goes over it rather than failing.
const scanMemoryLimit = 200 << 20

func newScanCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "scan",
		Short: "Scan Lambda functions' configuration, CloudWatch metrics and REPORT logs; write the scan result as JSON",
		Long: `scan lists every Lambda function of the target accounts and regions, fetches
their CloudWatch metrics (GetMetricData, 500 queries a call) and their REPORT
statistics (Logs Insights, within a budget), paced under AWS's quotas, and writes
the scan result (JSON, schema "lambdaudit/scan" version 1, docs/scan-result.md),
compact, streamed as it is assembled from the work units' outcomes (kept in a
temporary directory until then); an --out ending in .gz is gzip-compressed.

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
			if os.Getenv("GOMEMLIMIT") == "" {
				debug.SetMemoryLimit(scanMemoryLimit)
			}
			errw := cmd.ErrOrStderr()
			c, err := loadScanConfig(cmd)
			if err != nil {
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
			sc, err := runScan(ctx, c.Scanner, logger, run)
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
	addScanFlags(cmd)
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
