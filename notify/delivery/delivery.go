package delivery

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/lambdaudit/lambdaudit/atomicfile"
	"github.com/lambdaudit/lambdaudit/cost"
	"github.com/lambdaudit/lambdaudit/insights"
	"github.com/lambdaudit/lambdaudit/notify"
	"github.com/lambdaudit/lambdaudit/notify/csv"
	"github.com/lambdaudit/lambdaudit/notify/opsgenie"
	"github.com/lambdaudit/lambdaudit/notify/s3"
	"github.com/lambdaudit/lambdaudit/notify/slack"
	"github.com/lambdaudit/lambdaudit/scanner"
)

// Channels are a delivery's settings: where the outputs go and which
// channels send. Check them with Validate before scanning.
type Channels struct {
	// Out is the local output directory; always written, before anything
	// is sent, so a failed delivery loses nothing.
	Out string
	// S3, when set, also receives report.csv, summary.csv and report.json;
	// the digest then links the CSV by its presigned URL.
	S3 *s3.Uploader
	// Slack and Opsgenie: an empty slack.Config sends nothing; an Opsgenie
	// config without a key is a dry run (opsgenie.json only).
	Slack    slack.Config
	Opsgenie opsgenie.Config
	// Store keeps the open-alert set between runs (required; the CLI and
	// the demo use a store.Dir at StateDir(Out)).
	Store opsgenie.StateStore
	// HTTPClient sends to Slack and Opsgenie (nil: their own clients, whose
	// attempts time out after notify.DefaultAttemptTimeout).
	HTTPClient *http.Client
	Logger     *slog.Logger
	// Timeout bounds each channel's delivery, its retries included: Slack
	// and Opsgenie each get at most this long, so an endpoint that never
	// answers fails within it, named (0: DefaultTimeout).
	Timeout time.Duration
}

// Bounds of a delivery.
const (
	// DefaultTimeout is the most one channel's delivery may
	// take, its retries included (Channels.Timeout, notify and demo's
	// --delivery-timeout).
	DefaultTimeout = 2 * time.Minute
)

// endpoint is a URL without its path, query or credentials: what an
// error may name (a webhook's path is its secret).
func endpoint(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "the configured URL"
	}
	return u.Scheme + "://" + u.Host
}

// StateDir is the directory under an output directory where the CLI and
// the demo keep what must outlive a run (the Opsgenie open alerts, under
// opsgenie.OpenAlertsKey): <out>/state, a store.Dir.
func StateDir(out string) string { return filepath.Join(out, "state") }

// ChannelsFromEnv reads the Slack and Opsgenie settings from the
// environment (SLACK_*, OPSGENIE_*) into a validated Channels writing to out.
func ChannelsFromEnv(out string) (Channels, error) {
	og, err := opsgenie.ConfigFromEnv()
	if err != nil {
		return Channels{}, err
	}
	c := Channels{Out: out, Slack: slack.ConfigFromEnv(), Opsgenie: og}
	return c, c.Validate()
}

// Validate checks every channel's settings, naming the one at fault; an
// Opsgenie config without a key becomes a dry run.
func (c *Channels) Validate() error {
	if c.Out == "" {
		return errors.New("delivery: no output directory")
	}
	if err := c.Slack.Validate(); err != nil {
		return err
	}
	if !c.Opsgenie.Enabled() {
		c.Opsgenie.DryRun = true
	}
	return c.Opsgenie.Validate()
}

// Result is what Deliver wrote and sent.
type Result struct {
	// Files are the local files written, in order.
	Files []string
	// S3 are the objects uploaded, with their presigned links.
	S3 []*s3.Object
	// Sent names the channels that delivered ("slack", "opsgenie").
	Sent []string
	// Errors are the deliveries that failed; the files are written anyway.
	Errors  []error
	Slack   *slack.Delivery
	Alerts  *opsgenie.Run
	Message slack.DigestMessage
}

// Deliver writes the outputs of a scan — scan.json, report.json,
// report.csv, summary.csv, slack.json (the exact Block Kit payload) and
// opsgenie.json (the exact alert requests) — into c.Out and S3 if set,
// then posts the digest to Slack and the alerts to Opsgenie when
// configured. A channel that fails is recorded in Result.Errors and does
// not stop the others; Deliver does not log those failures, the caller
// reports them once. The returned error is for outputs that could not be
// written.
func Deliver(ctx context.Context, c Channels, res *scanner.Result, costs *cost.Costs, r *insights.Report) (*Result, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if c.Store == nil {
		return nil, errors.New("delivery: no state store for the Opsgenie open alerts (the CLI keeps them in a directory store at <out>/state)")
	}
	log := c.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(c.Out, 0o755); err != nil {
		return nil, fmt.Errorf("delivery: %w", err)
	}
	d := &Result{}
	write := func(name string, w func(io.Writer) error) error {
		path := filepath.Join(c.Out, name)
		var buf bytes.Buffer
		if err := w(&buf); err != nil {
			return fmt.Errorf("delivery: %s: %w", path, err)
		}
		if err := atomicfile.WriteFile(path, buf.Bytes()); err != nil {
			// atomicfile's error already names path.
			return fmt.Errorf("delivery: %w", err)
		}
		d.Files = append(d.Files, path)
		return nil
	}
	for _, o := range []struct {
		name string
		w    func(io.Writer) error
	}{
		{"scan.json", res.Write},
		{"report.json", r.Encode},
		{"report.csv", func(w io.Writer) error { return csv.WriteReport(w, res, costs, r) }},
		{"summary.csv", func(w io.Writer) error { return csv.WriteSummary(w, costs) }},
	} {
		if err := write(o.name, o.w); err != nil {
			return nil, err
		}
	}
	csvURL := ""
	if c.S3 != nil {
		for _, up := range []func() (*s3.Object, error){
			func() (*s3.Object, error) { return c.S3.UploadCSV(ctx, res, costs, r) },
			func() (*s3.Object, error) { return c.S3.UploadCSVSummary(ctx, costs) },
			func() (*s3.Object, error) { return c.S3.UploadReportJSON(ctx, r) },
		} {
			obj, err := up()
			if err != nil {
				d.Errors = append(d.Errors, fmt.Errorf("s3: %w", err))
				continue
			}
			d.S3 = append(d.S3, obj)
		}
		if len(d.S3) > 0 {
			csvURL = d.S3[0].URL
		}
	}

	// The alerts are planned before the digest is built, so that it can
	// say which insights the Opsgenie cap left without an alert; they are
	// sent after Slack.
	og, err := opsgenie.New(c.Opsgenie, c.HTTPClient, log, opsgenie.Retry{})
	if err != nil {
		return nil, fmt.Errorf("delivery: %w", err)
	}
	run, ogErr := og.Prepare(ctx, c.Store, r, opsgenie.CoverageFromScan(res))
	dopt := slack.DigestOptions{CSVURL: csvURL, Thread: c.Slack.Mode() == slack.Bot}
	if run != nil {
		dopt.AlertsCapped, dopt.AlertCap = len(run.Plan.Capped), run.Plan.Cap
	}
	d.Message = slack.Digest(r, dopt)
	payload, err := slack.Payload(d.Message, c.Slack)
	if err != nil {
		return nil, fmt.Errorf("delivery: slack.json: %w", err)
	}
	if err := write("slack.json", func(w io.Writer) error { _, err := w.Write(payload); return err }); err != nil {
		return nil, err
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	if c.Slack.Enabled() {
		sender, err := slack.NewSender(c.Slack, slack.SenderOptions{HTTPClient: c.HTTPClient, Logger: log})
		if err == nil {
			sctx, cancel := notify.WithDeliveryDeadline(ctx, "slack", timeout)
			var sd slack.Delivery
			sd, err = sender.Send(sctx, d.Message)
			d.Slack = &sd
			if dl := notify.DeadlinePassed(sctx); err != nil && dl != nil {
				at := c.Slack.APIURL
				if at == "" {
					at = "https://slack.com/api/"
				}
				if c.Slack.Mode() == slack.Webhook {
					at = endpoint(c.Slack.WebhookURL)
				}
				err = fmt.Errorf("slack at %s: no answer within %s (--delivery-timeout): %w", at, dl.Timeout, err)
			} else if err != nil {
				err = fmt.Errorf("slack: %w", err)
			}
			cancel()
		} else {
			err = fmt.Errorf("slack: %w", err)
		}
		if err != nil {
			d.Errors = append(d.Errors, err)
		} else {
			d.Sent = append(d.Sent, "slack")
		}
	}

	if run != nil {
		octx, cancel := notify.WithDeliveryDeadline(ctx, "opsgenie", timeout)
		run, ogErr = og.Execute(octx, c.Store, run)
		cancel()
	}
	d.Alerts = run
	if run != nil {
		if err := write("opsgenie.json", func(w io.Writer) error { return opsgenie.WriteRequests(w, c.Opsgenie.BaseURL, run.Plan) }); err != nil {
			return nil, err
		}
	}
	switch {
	case ogErr != nil:
		// Not wrapped: every Opsgenie error already starts "opsgenie".
		d.Errors = append(d.Errors, ogErr)
	case !c.Opsgenie.DryRun:
		d.Sent = append(d.Sent, "opsgenie")
	}
	// d.Errors are not logged here: the caller reports them, once (the
	// command's exit error).
	return d, nil
}
