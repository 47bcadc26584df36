package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/spf13/cobra"

	"github.com/lambdaudit/lambdaudit/atomicfile"
	"github.com/lambdaudit/lambdaudit/insights"
	"github.com/lambdaudit/lambdaudit/notify/delivery"
	notifys3 "github.com/lambdaudit/lambdaudit/notify/s3"
	notifytext "github.com/lambdaudit/lambdaudit/notify/text"
	"github.com/lambdaudit/lambdaudit/scanner"
	"github.com/lambdaudit/lambdaudit/store"
)

func newNotifyCmd() *cobra.Command {
	var (
		scanPath, cfgPath, prices, out, s3URL, logLevel string
		freeTier, text, force                           bool
		httpTimeout, callTimeout, deliveryTimeout       time.Duration
	)
	cmd := &cobra.Command{
		Use:   "notify",
		Short: "Deliver a scan: the Slack digest, Opsgenie alerts, the CSV cost report",
		Long: `notify builds the report of a scan result and delivers it. It first writes
scan.json, report.json, report.csv, summary.csv, slack.json (the Block Kit
payload) and opsgenie.json (the alert requests) into --out (each file atomically),
and to S3 with --s3 (the digest then links the CSV). Then it posts the digest to
Slack and sends the alerts to Opsgenie or Jira Service Management. The alerts it
opened and whose finding is gone are closed; the open set is kept in --out/state
with its report day, and a report older than that day is refused unless --force.
A 401 or 403 stops the alerts at the first request.

Slack (environment):
  SLACK_WEBHOOK_URL       an incoming webhook (https://hooks.slack.com/…), or
  SLACK_BOT_TOKEN         a bot token (xoxb-…) with
  SLACK_CHANNEL           the channel to post in (the details go in a thread)
Opsgenie (environment; without OPSGENIE_API_KEY the alerts are a dry run):
  OPSGENIE_API_KEY        the API integration's key
  OPSGENIE_REGION         us (default), eu or jsm (Jira Service Management)
  OPSGENIE_URL            another API base URL, https (replaces OPSGENIE_REGION's)
  OPSGENIE_MIN_SEVERITY   lowest severity alerted: warning (default) or critical
  OPSGENIE_PRIORITIES     severity=P1..P5 or kind=P1..P5 pairs (a kind wins), default
                          critical=P2,warning=P3,deprecated-runtime=P4, info kinds P5
  OPSGENIE_MAX_NEW_ALERTS new alerts opened a run, default 20 (none = no cap); the
                          rest are listed in one summary alert
  OPSGENIE_FORCE          true: send a report older than the stored open alerts' day
  OPSGENIE_RESPONDERS     type:name pairs, e.g. team:payments,user:ana@example.com
  OPSGENIE_TEAM           one team responder (added to OPSGENIE_RESPONDERS)
  OPSGENIE_TAGS           tags added to every alert, comma-separated
  OPSGENIE_DRY_RUN        true: write opsgenie.json but send nothing, even with a key
S3 uploads (--s3) use the default AWS credential chain; every call is bounded by
--http-timeout per attempt and --call-timeout per call.

Bounded waits: each HTTP attempt to Slack or Opsgenie times out after 10s, and
each channel's delivery, its retries included, after --delivery-timeout (default
2m): an endpoint that never answers fails within it, named in the error. An
Opsgenie request that gets no answer after its retries (a timeout, a refused or
reset connection) stops the alerts there, like a 401/403: the rest are not sent,
and it is said once. Slack and Opsgenie are sent one after the other, so notify
waits at most twice --delivery-timeout for them.

SIGINT or SIGTERM stop the deliveries under way; the files already written stay.

Exit status: 0 delivered; 4 the files are written but a delivery failed; 2 bad
input or settings (checked, with the output directory, before anything is
written); 130/143 interrupted by SIGINT/SIGTERM.`,
		Example: `  lambdaudit scan -o scan.json && lambdaudit notify --scan scan.json --out reports/
  SLACK_WEBHOOK_URL=https://hooks.slack.com/services/… lambdaudit notify --scan scan.json --s3 s3://my-bucket/lambdaudit`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			logger, err := newLogger(cmd.ErrOrStderr(), logLevel)
			if err != nil {
				return err
			}
			ch, err := delivery.ChannelsFromEnv(out)
			if err != nil {
				return err
			}
			ch.Logger = logger
			if deliveryTimeout <= 0 {
				return fmt.Errorf("--delivery-timeout %s: must be more than 0 (e.g. 2m)", deliveryTimeout)
			}
			ch.Timeout = deliveryTimeout
			if force {
				ch.Opsgenie.Force = true
			}
			if err := atomicfile.CheckDir(out); err != nil {
				return fmt.Errorf("--out: %w", err)
			}
			if s3URL != "" {
				s3cfg, err := notifys3.ParseURL(s3URL)
				if err != nil {
					return fmt.Errorf("--s3: %w", err)
				}
				awsCfg, err := config.LoadDefaultConfig(cmd.Context())
				if err != nil {
					return fmt.Errorf("aws config: %w", err)
				}
				scanner.BoundCalls(&awsCfg, httpTimeout, callTimeout)
				client := s3.NewFromConfig(awsCfg, func(o *s3.Options) { o.UsePathStyle = awsCfg.BaseEndpoint != nil })
				if ch.S3, err = notifys3.NewUploader(client, s3.NewPresignClient(client), s3cfg); err != nil {
					return fmt.Errorf("--s3: %w", err)
				}
			}
			res, err := readScan(cmd.InOrStdin(), scanPath)
			if err != nil {
				return err
			}
			// The CSVs list the costs the report was priced with.
			rep, costs, err := buildReport(res, scanPath, cfgPath, prices, freeTier, time.Now())
			if err != nil {
				return err
			}
			// The open alerts are kept in --out/state, made only now that
			// the inputs have been read.
			if ch.Store, err = store.NewDir(delivery.StateDir(out)); err != nil {
				return fmt.Errorf("--out: %w", err)
			}
			ctx := cmd.Context()
			d, err := delivery.Deliver(ctx, ch, res, costs, rep)
			if err != nil {
				return asInterrupted(ctx, err, "stopped before the files were all written")
			}
			o := cmd.OutOrStdout()
			if text {
				topt := notifytext.Options{Color: isTerminal(o)}
				if a := d.Alerts; a != nil {
					topt.AlertsCapped, topt.AlertCap = len(a.Plan.Capped), a.Plan.Cap
				}
				if err := notifytext.WriteWith(o, rep, topt); err != nil {
					return err
				}
			}
			for _, f := range d.Files {
				fmt.Fprintf(cmd.ErrOrStderr(), "wrote %s\n", f)
			}
			for _, obj := range d.S3 {
				fmt.Fprintf(cmd.ErrOrStderr(), "uploaded s3://%s/%s\n", obj.Bucket, obj.Key)
			}
			for _, s := range d.Sent {
				fmt.Fprintf(cmd.ErrOrStderr(), "sent to %s\n", s)
			}
			if i := interruptedBy(ctx); i != nil && len(d.Errors) > 0 {
				return &exitError{code: i.code, err: fmt.Errorf("%s: the files are written in %s; %s not finish: %w", i, out,
					insights.Plural(float64(len(d.Errors)), "delivery did", "deliveries did"), errors.Join(d.Errors...))}
			}
			if a := d.Alerts; !text && a != nil && len(a.Plan.Capped) > 0 && (a.DryRun || a.Accepted > 0) {
				fmt.Fprintf(cmd.ErrOrStderr(), "opsgenie: %s over the cap of %s opened no alert; one summary alert lists them\n",
					insights.Plural(float64(len(a.Plan.Capped)), "insight", "insights"), insights.Plural(float64(a.Plan.Cap), "new alert", "new alerts"))
			}
			if len(d.Errors) > 0 {
				return &exitError{code: exitDeliveryFailed, err: fmt.Errorf("%s failed (the files are written): %w",
					insights.Plural(float64(len(d.Errors)), "delivery", "deliveries"), errors.Join(d.Errors...))}
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&scanPath, "scan", "", "the scan result to deliver (- = stdin)")
	fl.StringVar(&cfgPath, "config", "", "insights config file (YAML)")
	fl.StringVar(&prices, "prices", "", "price table file (default: the refreshed table, else the embedded one)")
	fl.BoolVar(&freeTier, "free-tier", false, "apply the monthly free tier once per account")
	fl.StringVarP(&out, "out", "o", "lambdaudit-report", "output directory")
	fl.StringVar(&s3URL, "s3", "", "also upload the reports to s3://bucket/prefix, with presigned links")
	fl.BoolVar(&text, "text", false, "print the digest on stdout")
	fl.BoolVar(&force, "force", false, "send the alerts of a report older than the stored open alerts' day (OPSGENIE_FORCE)")
	fl.StringVar(&logLevel, "log-level", "warn", "log level on stderr: debug, info, warn, error")
	fl.DurationVar(&httpTimeout, "http-timeout", scanner.DefaultHTTPTimeout, "most one HTTP attempt of an S3 call may take")
	fl.DurationVar(&callTimeout, "call-timeout", scanner.DefaultCallTimeout, "most one S3 call may take, its retries included")
	fl.DurationVar(&deliveryTimeout, "delivery-timeout", delivery.DefaultTimeout, "most each channel's delivery (Slack, Opsgenie) may take, its retries included")
	return cmd
}
