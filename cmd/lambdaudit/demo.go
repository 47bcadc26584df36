package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lambdaudit/lambdaudit/demo"
	"github.com/lambdaudit/lambdaudit/insights"
	"github.com/lambdaudit/lambdaudit/notify/delivery"
	"github.com/lambdaudit/lambdaudit/scanner"
)

func newDemoCmd() *cobra.Command {
	var (
		out, specPath, logLevel string
		progress                string
		deliveryTimeout         time.Duration
	)
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Scan a simulated AWS account of 1,200 Lambda functions and print the morning digest",
		Long: `demo starts the embedded simulated AWS account (1,200 functions in two accounts
and two regions, every kind of finding present), scans it through the real engine
and AWS SDK clients, prints the digest, and writes into the output directory
(made only when the outputs are written; each file atomically):

  scan.json       the scan result (docs/scan-result.md)
  report.json     the report (docs/report.md)
  report.csv      one row per function, with its costs
  summary.csv     the costs summed by account, region and tag
  slack.json      the exact Block Kit payload
  opsgenie.json   the exact Opsgenie requests
  state/          the alerts left open, for the next run to close

With SLACK_WEBHOOK_URL, or SLACK_BOT_TOKEN and SLACK_CHANNEL, or
OPSGENIE_API_KEY set (see lambdaudit notify --help), it really sends them, each
channel bounded by --delivery-timeout (default 2m).
--spec runs another fleet (YAML, sim/fleet's format), e.g. examples/fleet.yaml.

SIGINT or SIGTERM during the scan stop it and write only scan.json, what was
scanned, marked interrupted; before any function was listed, nothing is written.

Exit status: 0 done; 4 the outputs are written but a delivery failed; 2 bad
input; 130/143 interrupted by SIGINT/SIGTERM.`,
		Example: `  lambdaudit demo
  lambdaudit demo --spec examples/fleet.yaml -o /tmp/demo`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			logger, err := newLogger(cmd.ErrOrStderr(), logLevel)
			if err != nil {
				return err
			}
			if err := checkProgress(progress); err != nil {
				return err
			}
			if deliveryTimeout <= 0 {
				return fmt.Errorf("--delivery-timeout %s: must be more than 0 (e.g. 2m)", deliveryTimeout)
			}
			opt := demo.Options{Out: out, Logger: logger, DeliveryTimeout: deliveryTimeout}
			if specPath != "" {
				if opt.Spec, err = os.ReadFile(specPath); err != nil {
					return fmt.Errorf("--spec: %w", err)
				}
			}
			errw := cmd.ErrOrStderr()
			tty := isTerminal(errw)
			show := progress == "always" || (progress == "auto" && tty)
			if show {
				opt.Stage = func(s string) {
					if tty {
						fmt.Fprint(errw, "\r\033[K")
					}
					fmt.Fprintf(errw, "· %s\n", s)
				}
				last := time.Time{}
				opt.Progress = func(p scanner.ProgressSnapshot) {
					line := fmt.Sprintf("  %s · targets %d/%d · functions listed %d · work units %d/%d · throttles absorbed %d",
						p.Stage, p.TargetsDone, p.Targets, p.Listed, p.Units, p.UnitsTotal, p.Throttles)
					switch {
					case tty:
						fmt.Fprintf(errw, "\r\033[K%s", line)
					case time.Since(last) > 5*time.Second:
						fmt.Fprintln(errw, line)
						last = time.Now()
					}
				}
			}
			ctx := cmd.Context()
			res, err := demo.Run(ctx, opt)
			if show && tty {
				fmt.Fprint(errw, "\r\033[K")
			}
			if err != nil {
				if res != nil && len(res.Files) > 0 {
					return asInterrupted(ctx, err, "wrote "+strings.Join(res.Files, ", ")+" (the partial scan, marked interrupted)")
				}
				return asInterrupted(ctx, err, "stopped before any function was listed; nothing written (the output directory is left as it was)")
			}
			o := cmd.OutOrStdout()
			if err := demo.WriteDigest(o, res, isTerminal(o)); err != nil {
				return err
			}
			fmt.Fprintf(o, "\nScanned %s in %s. Wrote:\n", insights.Plural(float64(res.Functions), "function", "functions"), res.Elapsed.Round(100*time.Millisecond))
			for _, f := range res.Files {
				fmt.Fprintf(o, "  %s\n", f)
			}
			for _, d := range res.Delivered {
				fmt.Fprintf(o, "Sent to %s.\n", d)
			}
			if len(res.DeliveryErrors) > 0 {
				// Told once, in the exit error: one line per failure.
				return &exitError{code: exitDeliveryFailed, err: fmt.Errorf("%s failed (the outputs above are written): %w",
					insights.Plural(float64(len(res.DeliveryErrors)), "delivery", "deliveries"), errors.Join(res.DeliveryErrors...))}
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&out, "out", "o", "lambdaudit-demo", "output directory")
	fl.StringVar(&specPath, "spec", "", "another fleet spec (YAML, sim/fleet's format) instead of the embedded one")
	fl.StringVar(&progress, "progress", "auto", "progress on stderr: auto (when a terminal), always, never")
	fl.StringVar(&logLevel, "log-level", "warn", "log level on stderr: debug, info, warn, error")
	fl.DurationVar(&deliveryTimeout, "delivery-timeout", delivery.DefaultTimeout, "most each channel's delivery (Slack, Opsgenie) may take, its retries included")
	return cmd
}
