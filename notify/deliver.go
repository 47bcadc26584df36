package notify

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
	S3 *S3Uploader
	// Slack and Opsgenie: an empty SlackConfig sends nothing; an Opsgenie
	// config without a key is a dry run (opsgenie.json only).
	Slack    SlackConfig
	Opsgenie OpsgenieConfig
	// Store keeps the open-alert set between runs (required; the CLI and
	// the demo use a store.Dir at StateDir(Out)).
	Store StateStore
	// HTTPClient sends to Slack and Opsgenie (nil: their own clients, whose
	// attempts time out after DefaultAttemptTimeout).
	HTTPClient *http.Client
	Logger     *slog.Logger
	// Timeout bounds each channel's delivery, its retries included: Slack
	// and Opsgenie each get at most this long, so an endpoint that never
	// answers fails within it, named (0: DefaultDeliveryTimeout).
	Timeout time.Duration
}

// Bounds of a delivery.
const (
	// DefaultDeliveryTimeout is the most one channel's delivery may
	// take, its retries included (Channels.Timeout, notify and demo's
	// --delivery-timeout).
	DefaultDeliveryTimeout = 2 * time.Minute
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
// OpenAlertsKey): <out>/state, a store.Dir.
func StateDir(out string) string { return filepath.Join(out, "state") }

// ChannelsFromEnv reads the Slack and Opsgenie settings from the
// environment (SLACK_*, OPSGENIE_*) into a validated Channels writing to out.
func ChannelsFromEnv(out string) (Channels, error) {
	og, err := OpsgenieConfigFromEnv()
	if err != nil {
		return Channels{}, err
	}
	c := Channels{Out: out, Slack: SlackConfigFromEnv(), Opsgenie: og}
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

// Delivery is what Deliver wrote and sent.
type Delivery struct {
	// Files are the local files written, in order.
	Files []string
	// S3 are the objects uploaded, with their presigned links.
	S3 []*S3Object
	// Sent names the channels that delivered ("slack", "opsgenie").
	Sent []string
	// Errors are the deliveries that failed; the files are written anyway.
	Errors  []error
	Slack   *SlackDelivery
	Alerts  *OpsgenieRun
	Message DigestMessage
}

// Deliver writes the outputs of a scan — scan.json, report.json,
// report.csv, summary.csv, slack.json (the exact Block Kit payload) and
// opsgenie.json (the exact alert requests) — into c.Out and S3 if set,
// then posts the digest to Slack and the alerts to Opsgenie when
// configured. A channel that fails is recorded in Delivery.Errors and does
// not stop the others; Deliver does not log those failures, the caller
// reports them once. The returned error is for outputs that could not be
// written.
func Deliver(ctx context.Context, c Channels, res *scanner.Result, costs *cost.Costs, r *insights.Report) (*Delivery, error) {
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
	d := &Delivery{}
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
		{"scan.json", res.Encode},
		{"report.json", r.Encode},
		{"report.csv", func(w io.Writer) error { return WriteCSV(w, res, costs, r) }},
		{"summary.csv", func(w io.Writer) error { return WriteCSVSummary(w, costs) }},
	} {
		if err := write(o.name, o.w); err != nil {
			return nil, err
		}
	}
	csvURL := ""
	if c.S3 != nil {
		for _, up := range []func() (*S3Object, error){
			func() (*S3Object, error) { return c.S3.UploadCSV(ctx, res, costs, r) },
			func() (*S3Object, error) { return c.S3.UploadCSVSummary(ctx, costs) },
			func() (*S3Object, error) { return c.S3.UploadReportJSON(ctx, r) },
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
	og, err := NewOpsgenie(c.Opsgenie, c.HTTPClient, log, OpsgenieRetry{})
	if err != nil {
		return nil, fmt.Errorf("delivery: %w", err)
	}
	run, ogErr := og.Prepare(ctx, c.Store, r, CoverageFromScan(res))
	dopt := DigestOptions{CSVURL: csvURL, Thread: c.Slack.Mode() == SlackBot}
	if run != nil {
		dopt.AlertsCapped, dopt.AlertCap = len(run.Plan.Capped), run.Plan.Cap
	}
	d.Message = Digest(r, dopt)
	payload, err := SlackPayload(d.Message, c.Slack)
	if err != nil {
		return nil, fmt.Errorf("delivery: slack.json: %w", err)
	}
	if err := write("slack.json", func(w io.Writer) error { _, err := w.Write(payload); return err }); err != nil {
		return nil, err
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultDeliveryTimeout
	}
	if c.Slack.Enabled() {
		sender, err := NewSlackSender(c.Slack, SlackSenderOptions{HTTPClient: c.HTTPClient, Logger: log})
		if err == nil {
			sctx, cancel := withDeliveryDeadline(ctx, "slack", timeout)
			var sd SlackDelivery
			sd, err = sender.Send(sctx, d.Message)
			d.Slack = &sd
			if dl := deadlinePassed(sctx); err != nil && dl != nil {
				at := c.Slack.APIURL
				if at == "" {
					at = "https://slack.com/api/"
				}
				if c.Slack.Mode() == SlackWebhook {
					at = endpoint(c.Slack.WebhookURL)
				}
				err = fmt.Errorf("slack at %s: no answer within %s (--delivery-timeout): %w", at, dl.d, err)
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
		octx, cancel := withDeliveryDeadline(ctx, "opsgenie", timeout)
		run, ogErr = og.Execute(octx, c.Store, run)
		cancel()
	}
	d.Alerts = run
	if run != nil {
		if err := write("opsgenie.json", func(w io.Writer) error { return WriteOpsgenieRequests(w, c.Opsgenie.BaseURL, run.Plan) }); err != nil {
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
