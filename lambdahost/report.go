package lambdahost

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/lambdaudit/lambdaudit/cost"
	"github.com/lambdaudit/lambdaudit/insights"
	"github.com/lambdaudit/lambdaudit/notify/delivery"
	"github.com/lambdaudit/lambdaudit/notify/opsgenie"
	notifys3 "github.com/lambdaudit/lambdaudit/notify/s3"
	"github.com/lambdaudit/lambdaudit/notify/slack"
	"github.com/lambdaudit/lambdaudit/scanner"
	"github.com/lambdaudit/lambdaudit/store"
)

// ReportResult is the report handler's answer.
type ReportResult struct {
	// Reported are the scans this invocation reported; Skipped those it
	// found reported already (or not due yet), with why.
	Reported []string          `json:"reported"`
	Skipped  map[string]string `json:"skipped,omitempty"`
	// Errors are the deliveries that failed (the files are written).
	Errors []string `json:"errors,omitempty"`
}

// deadlineWindow is how far back the deadline handler looks for scans
// left unreported.
const deadlineWindow = 7 * 24 * time.Hour

// Report is the report handler. With {"kind":"deadline"} (the second
// schedule) it reports every scan of the last 7 days planned more than
// ReportDeadline ago and not reported yet — partial coverage, the units
// that never landed named; with {"kind":"report","scan":ID} it reports
// that scan. A scan already reported is not reported again.
func (h *Host) Report(ctx context.Context, ev Event) (ReportResult, error) {
	inv := h.begin(ctx, HandlerReport)
	out := ReportResult{Reported: []string{}, Skipped: map[string]string{}}
	var scans []string
	switch ev.Kind {
	case "report":
		if ev.Scan == "" {
			return out, errors.New(`report: {"kind":"report"} needs "scan": the scan ID`)
		}
		scans = []string{ev.Scan}
	case "deadline", "":
		due, err := h.dueScans(ctx, out.Skipped)
		if err != nil {
			return out, err
		}
		scans = due
	default:
		return out, fmt.Errorf(`report: event kind %q: want "deadline" or "report"`, ev.Kind)
	}
	var errs []error
	for _, scan := range scans {
		done, err := h.reportScan(ctx, scan, ev.Kind != "report", inv)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("scan %s: %w", scan, err))
		case done:
			out.Reported = append(out.Reported, scan)
		default:
			out.Skipped[scan] = "reported already"
		}
	}
	if len(scans) > 0 {
		h.end(ctx, inv, scans[0])
	}
	return out, errors.Join(errs...)
}

// dueScans are the scans past their deadline with no report claim.
func (h *Host) dueScans(ctx context.Context, skipped map[string]string) ([]string, error) {
	now := h.now()
	var due []string
	for key, err := range h.st.List(ctx, "index/") {
		if err != nil {
			return nil, fmt.Errorf("report: list scans: %w", err)
		}
		scan := strings.TrimPrefix(key, "index/")
		day, err := time.Parse(time.DateOnly, scan[:min(len(scan), len(time.DateOnly))])
		if err != nil || now.Sub(day) > deadlineWindow {
			continue
		}
		if _, err := h.st.Get(ctx, scanner.ScanKey(scan, "claims/report")); err == nil {
			continue
		} else if !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		m, err := h.manifest(ctx, scan)
		if err != nil {
			skipped[scan] = err.Error()
			continue
		}
		if now.Sub(m.StartedAt) < h.c.ReportDeadline {
			skipped[scan] = "not due until " + m.StartedAt.Add(h.c.ReportDeadline).UTC().Format(time.RFC3339)
			continue
		}
		due = append(due, scan)
	}
	return due, nil
}

// report reports a scan from a worker (the report unit).
func (h *Host) report(ctx context.Context, scan string, late bool) error {
	_, err := h.reportScan(ctx, scan, late, nil)
	return err
}

// reportScan assembles the scan's result from its outcomes, builds the
// report and delivers it. Everything that can fail and be retried runs
// before the claim; the claim (a create-if-absent write) is taken just
// before delivering, so a scan is delivered once however often its
// report is invoked — by a worker, a retry, or the deadline. done is
// false when another invocation had claimed it.
func (h *Host) reportScan(ctx context.Context, scan string, deadline bool, self *invocation) (done bool, err error) {
	if _, err := h.st.Get(ctx, scanner.ScanKey(scan, "claims/report")); err == nil {
		return false, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return false, err
	}
	m, err := h.manifest(ctx, scan)
	if err != nil {
		return false, err
	}
	status, err := scanner.ReadStatus(ctx, h.st, m)
	if err != nil {
		return false, err
	}
	api, dep, err := h.deployment(ctx, scan, self)
	if err != nil {
		return false, err
	}
	res, err := scanner.AssembleResult(ctx, h.st, m, scanner.AssembleOptions{API: &api, Deployment: dep, FinishedAt: h.now()})
	if err != nil {
		return false, err
	}
	cfg, err := h.insightsConfig(ctx)
	if err != nil {
		return false, err
	}
	rep, costs, err := insights.BuildWithCosts(res, insights.Options{Config: cfg, Now: h.now()})
	if err != nil {
		return false, fmt.Errorf("report: %w", err)
	}
	ch, err := h.channels(ctx, scan)
	if err != nil {
		return false, err
	}
	won, err := h.claim(ctx, scan, "report", map[string]any{"at": h.now().UTC(), "deadline": deadline, "complete": status.Complete()})
	if err != nil || !won {
		return false, err
	}
	d, err := delivery.Deliver(ctx, ch, res, costs, rep)
	if err != nil {
		return true, fmt.Errorf("report: %w", err)
	}
	h.emitMetric(MetricScansReported, 1, scan)
	late := 0.0
	if deadline {
		late = 1
	}
	h.emitMetric(MetricScansReportedLate, late, scan)
	for _, e := range d.Errors {
		h.logger.ErrorContext(ctx, "delivery failed", "scan", scan, "err", e)
	}
	h.logger.InfoContext(ctx, "scan reported", "scan", scan, "complete", status.Complete(), "functions", res.Coverage.Listed,
		"notCovered", res.Coverage.NotCovered, "sent", strings.Join(d.Sent, ","), "files", len(d.S3))
	missing := missingUnits(res)
	if len(missing) > 0 {
		h.logger.WarnContext(ctx, "scan reported without some units' outcomes", "scan", scan, "missing", missing)
	}
	if err := h.st.Put(ctx, scanner.ScanKey(scan, "report-done.json"), mustJSON(map[string]any{"at": h.now().UTC(), "sent": d.Sent, "failed": len(d.Errors), "missing": missing})); err != nil {
		h.logger.WarnContext(ctx, "report marker not written", "scan", scan, "err", err)
	}
	return true, nil
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

// missingUnits names the units that never landed ("no outcome for unit …",
// "no logs plan for scan …"), sorted: the scan result that holds them
// stays in the container's /tmp, so report-done.json keeps them.
func missingUnits(res *scanner.Result) []string {
	seen := map[string]bool{}
	for i := range res.Functions {
		for _, f := range res.Functions[i].Failures {
			if f.Code == scanner.CodeNoOutcome && f.Detail != "" {
				seen[f.Detail] = true
			}
		}
	}
	out := slices.Sorted(maps.Keys(seen))
	if out == nil {
		out = []string{}
	}
	return out
}

// channels are the report's deliveries: files in /tmp, the reports
// uploaded beside the store (<prefix>/reports/<day>/), Slack and
// Opsgenie with their secrets from Parameter Store, and the open-alert
// set in the store (<prefix>/state).
func (h *Host) channels(ctx context.Context, scan string) (delivery.Channels, error) {
	sec, err := h.readSecrets(ctx)
	if err != nil {
		return delivery.Channels{}, err
	}
	og, err := opsgenie.ConfigFromLookup(func(k string) (string, bool) {
		if k == "OPSGENIE_API_KEY" {
			return sec.opsgenieKey, sec.opsgenieKey != ""
		}
		return h.c.lookup(k)
	})
	if err != nil {
		return delivery.Channels{}, err
	}
	sl := slack.Config{WebhookURL: sec.slackWebhook, BotToken: sec.slackToken, Channel: strings.TrimSpace(h.c.Env[slack.EnvChannel])}
	prefix := strings.Trim(h.c.Prefix+"/reports", "/")
	up, err := notifys3.NewUploader(h.s3c, h.presign, notifys3.Config{Bucket: h.c.Bucket, Prefix: prefix})
	if err != nil {
		return delivery.Channels{}, err
	}
	state, err := store.NewS3(h.s3c, h.c.Bucket, strings.Trim(h.c.Prefix+"/state", "/"))
	if err != nil {
		return delivery.Channels{}, err
	}
	ch := delivery.Channels{Out: filepath.Join(os.TempDir(), "lambdaudit", scan), S3: up, Slack: sl, Opsgenie: og, Store: state, Logger: h.logger}
	return ch, ch.Validate()
}

// secrets are the delivery secrets, read once per container.
type secrets struct{ slackWebhook, slackToken, opsgenieKey string }

// readSecrets reads the SecureString parameters the configuration names.
// An error names the parameter, never its value.
func (h *Host) readSecrets(ctx context.Context) (*secrets, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.secrets != nil {
		return h.secrets, nil
	}
	s := &secrets{}
	for _, p := range []struct {
		env, name string
		dst       *string
	}{{EnvSlackWebhookParam, h.c.SlackWebhookParam, &s.slackWebhook}, {EnvSlackBotTokenParam, h.c.SlackBotTokenParam, &s.slackToken},
		{EnvOpsgenieAPIKeyParam, h.c.OpsgenieAPIKeyParam, &s.opsgenieKey}} {
		if p.name == "" {
			continue
		}
		out, err := h.ssm.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(p.name), WithDecryption: aws.Bool(true)})
		if err != nil {
			return nil, fmt.Errorf("%s: read SSM parameter %q: %w", p.env, p.name, err)
		}
		if out.Parameter == nil || aws.ToString(out.Parameter.Value) == "" {
			return nil, fmt.Errorf("%s: SSM parameter %q is empty", p.env, p.name)
		}
		*p.dst = strings.TrimSpace(aws.ToString(out.Parameter.Value))
	}
	h.secrets = s
	return s, nil
}

// insightsConfig is the thresholds: the defaults, a file of the
// artifact, or an S3 object (s3://bucket/key).
func (h *Host) insightsConfig(ctx context.Context) (*insights.Config, error) {
	src := h.c.InsightsConfig
	if src == "" {
		return insights.DefaultConfig(), nil
	}
	if !strings.HasPrefix(src, "s3://") {
		return insights.LoadConfig(src)
	}
	u, err := url.Parse(src)
	if err != nil || u.Host == "" || strings.Trim(u.Path, "/") == "" {
		return nil, fmt.Errorf("%s=%q: want s3://bucket/key or a file path", EnvInsightsConfig, src)
	}
	out, err := h.s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(u.Host), Key: aws.String(strings.TrimPrefix(u.Path, "/"))})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", EnvInsightsConfig, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", EnvInsightsConfig, err)
	}
	return insights.ParseConfig(b)
}

// Prices of the deployment's own requests (us-east-1 list prices, 2026;
// the Lambda rates come from the price table, per region and
// architecture).
const (
	priceSQSFIFORequest = 0.50 / 1e6   // SQS FIFO, per request (64 KB chunks)
	priceS3Write        = 0.005 / 1000 // S3 Standard PUT, COPY, POST, LIST
	priceS3Read         = 0.0004 / 1000
)

// deployment sums the usage records of a scan's invocations — and self,
// the report's own invocation so far — into the scan's AWS API usage and
// the deployment's own cost.
func (h *Host) deployment(ctx context.Context, scan string, self *invocation) (scanner.Usage, *scanner.Deployment, error) {
	var recs []usageRecord
	for key, err := range h.st.List(ctx, scanner.ScanKey(scan, "usage/")) {
		if err != nil {
			return scanner.Usage{}, nil, err
		}
		b, err := h.st.Get(ctx, key)
		if err != nil {
			return scanner.Usage{}, nil, err
		}
		var r usageRecord
		if err := json.Unmarshal(b, &r); err != nil {
			h.logger.WarnContext(ctx, "usage record not readable; left out of the cost", "key", key, "err", err)
			continue
		}
		recs = append(recs, r)
	}
	if self != nil {
		recs = append(recs, h.record(self))
	}
	api := scanner.Usage{}
	d := &scanner.Deployment{Invocations: map[string]int{}, SQSRequests: map[string]int{}, S3Requests: map[string]int{}}
	table := cost.Embedded()
	region := h.base.Region
	for _, r := range recs {
		api = api.Add(r.API)
		d.Invocations[r.Handler]++
		d.LambdaRequests++
		gbs := float64(r.DurationMs) / 1000 * float64(r.MemoryMB) / 1024
		d.GBSeconds += gbs
		arch := "x86_64"
		if r.Arch == "arm64" {
			arch = "arm64"
		}
		if p, err := table.Prices(region, arch); err == nil && len(p.Duration) > 0 {
			d.LambdaUSD += gbs*float64(p.Duration[0].PerGBSecond) + float64(p.PerRequest)
		}
		for op, n := range r.Own.Calls {
			switch {
			case strings.HasPrefix(op, "SQS:"):
				d.SQSRequests[op] += n
				d.SQSUSD += float64(n) * priceSQSFIFORequest
			case strings.HasPrefix(op, "S3:"):
				d.S3Requests[op] += n
				if strings.HasSuffix(op, ":GetObject") || strings.HasSuffix(op, ":HeadObject") {
					d.S3USD += float64(n) * priceS3Read
				} else {
					d.S3USD += float64(n) * priceS3Write
				}
			}
		}
	}
	d.CostUSD = d.LambdaUSD + d.SQSUSD + d.S3USD
	d.Prices = "Lambda: the price table (" + region + "); SQS FIFO $0.50/M requests; S3 Standard $0.005/1,000 PUT/LIST, $0.0004/1,000 GET (us-east-1 list prices)"
	return api, d, nil
}
