package lambdahost

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/lambdaudit/lambdaudit/fanout"
	"github.com/lambdaudit/lambdaudit/scanner"
	"github.com/lambdaudit/lambdaudit/store"
)

// SSMAPI is the Parameter Store call the host makes to read its secrets.
type SSMAPI interface {
	GetParameter(ctx context.Context, params *ssm.GetParameterInput, optFns ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
}

// Host is one Lambda container's state: its clients, store, queue and
// scanners, built once and reused by every invocation the container
// serves. Its handlers are Plan, Work and Report; Handler picks the one
// its Config names.
type Host struct {
	c    Config
	base aws.Config
	st   store.Store
	// s3c reads the insights thresholds from S3 and uploads the reports.
	s3c *s3.Client
	// presign signs the report links: an S3 client without the meter (a
	// presigned request is never sent, and its stack has no retry step
	// for the meter to follow).
	presign *s3.PresignClient
	queue   *fanout.SQS
	ssm     SSMAPI
	// own counts the host's own SQS, S3 and SSM calls (the deployment's
	// cost); calls the scan's AWS calls (the scanner's meter).
	own, calls *scanner.Meter
	logger     *slog.Logger
	now        func() time.Time
	metricsOut io.Writer
	memoryMB   int
	// ownCfg is the SDK configuration of the deployment's own services
	// (SQS, S3, SSM): base, unless WithServiceConfig.
	ownCfg *aws.Config

	mu        sync.Mutex
	scanners  map[string]*scanner.Scanner // by scan ID: built from its manifest's scope
	manifests map[string]*scanner.Manifest
	secrets   *secrets
}

// Option configures New.
type Option func(*Host)

// WithLogger logs to l (default: lambdacontext.NewLogger(), JSON with the
// request ID).
func WithLogger(l *slog.Logger) Option { return func(h *Host) { h.logger = l } }

// WithClock is the host's clock (default time.Now).
func WithClock(now func() time.Time) Option { return func(h *Host) { h.now = now } }

// WithMetricsOutput is where the CloudWatch embedded-metric-format lines
// go (default stdout, which Lambda sends to CloudWatch Logs).
func WithMetricsOutput(w io.Writer) Option { return func(h *Host) { h.metricsOut = w } }

// WithServiceConfig is the SDK configuration of the deployment's own
// services — the queue (SQS), the store (S3) and the secrets (SSM) —
// when they are not where the scanned services are (tests: moto_server
// beside the simulated account). Default: New's base.
func WithServiceConfig(cfg aws.Config) Option { return func(h *Host) { h.ownCfg = &cfg } }

// New builds a container's host from the SDK configuration base (its
// credentials, region, endpoints, retryer: see scanner.Retryer and
// scanner.BoundCalls) and c. It makes no AWS call.
func New(base aws.Config, c Config, opts ...Option) (*Host, error) {
	h := &Host{c: c, base: base, own: scanner.NewMeter(), calls: scanner.NewMeter(), now: time.Now,
		metricsOut: os.Stdout, scanners: map[string]*scanner.Scanner{}, manifests: map[string]*scanner.Manifest{}}
	for _, o := range opts {
		o(h)
	}
	if h.logger == nil {
		h.logger = lambdacontext.NewLogger()
	}
	h.memoryMB, _ = strconv.Atoi(os.Getenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"))
	svc := base
	if h.ownCfg != nil {
		svc = *h.ownCfg
	}
	// A local endpoint (moto_server in tests) takes path-style URLs and
	// sends no checksums (the SDK would log every skipped check).
	local := svc.BaseEndpoint != nil || os.Getenv("AWS_ENDPOINT_URL_S3") != "" || os.Getenv("AWS_ENDPOINT_URL") != ""
	s3opts := func(o *s3.Options) {
		o.UsePathStyle = local
		o.DisableLogOutputChecksumValidationSkipped = local
	}
	// The presign client has no meter: a presigned request is never sent,
	// and its stack has no retry step for the meter to follow.
	h.presign = s3.NewPresignClient(s3.NewFromConfig(svc, s3opts))
	ownCfg := svc.Copy()
	ownCfg.APIOptions = append(ownCfg.APIOptions[:len(ownCfg.APIOptions):len(ownCfg.APIOptions)], h.own.Middleware)
	h.s3c = s3.NewFromConfig(ownCfg, s3opts)
	st, err := store.NewS3(h.s3c, c.Bucket, c.Prefix)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", EnvStore, err)
	}
	h.st = st
	if c.QueueURL != "" {
		if h.queue, err = fanout.NewSQS(sqs.NewFromConfig(ownCfg), c.QueueURL, fanout.SQSConfig{Logger: h.logger}); err != nil {
			return nil, fmt.Errorf("%s: %w", EnvQueueURL, err)
		}
	}
	h.ssm = ssm.NewFromConfig(ownCfg)
	return h, nil
}

// Calls are the deployment's own AWS calls this container made (SQS, S3,
// SSM), by "Service:Operation", retries included.
func (h *Host) Calls() map[string]int { return h.own.Usage(0).Calls }

// Store is the host's store (for tests and tools).
func (h *Host) Store() store.Store { return h.st }

// Handler is the handler c.Handler names, for lambda.Start.
func (h *Host) Handler() any {
	switch h.c.Handler {
	case HandlerPlan:
		return h.Plan
	case HandlerWork:
		return h.Work
	}
	return h.Report
}

// withMargin is ctx ending SafetyMargin before the invocation's deadline,
// so a handler hands unfinished work back instead of timing out.
func (h *Host) withMargin(ctx context.Context) (context.Context, context.CancelFunc) {
	if d, ok := ctx.Deadline(); ok {
		return context.WithDeadline(ctx, d.Add(-h.c.SafetyMargin))
	}
	return context.WithCancel(ctx)
}

// manifest is a scan's manifest, read once per container.
func (h *Host) manifest(ctx context.Context, scan string) (*scanner.Manifest, error) {
	h.mu.Lock()
	m := h.manifests[scan]
	h.mu.Unlock()
	if m != nil {
		return m, nil
	}
	m, err := scanner.LoadManifest(ctx, h.st, scan)
	if err != nil {
		return nil, err
	}
	h.mu.Lock()
	h.manifests[scan] = m
	h.mu.Unlock()
	return m, nil
}

// scanner is the scanner that runs a scan's units in this container:
// built once per scan from the manifest's scope, so workers never resolve
// the targets (list the organization) again, and its sessions keep each
// account's assumed-role credentials for every unit the container runs.
func (h *Host) scanner(ctx context.Context, scan string) (*scanner.Scanner, error) {
	m, err := h.manifest(ctx, scan)
	if err != nil {
		return nil, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if s := h.scanners[scan]; s != nil {
		return s, nil
	}
	s, err := scanner.NewFromConfig(h.base, h.c.Scan.Scanner, scanner.WithScope(m.Scope), scanner.WithLogger(h.logger), scanner.WithMeter(h.calls))
	if err != nil {
		return nil, err
	}
	h.scanners[scan] = s
	return s, nil
}

// claim makes a scan's claim name: true for the one caller that made it.
func (h *Host) claim(ctx context.Context, scan, name string, v any) (bool, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return false, err
	}
	err = h.st.Create(ctx, scanner.ScanKey(scan, "claims/"+name), b)
	if errors.Is(err, store.ErrExists) {
		return false, nil
	}
	return err == nil, err
}

// invocation is one handler call being measured for the deployment's cost.
type invocation struct {
	handler, requestID string
	start              time.Time
	own, calls         scanner.Usage
}

// usageRecord is what one invocation cost, kept with the scan it served
// (scans/<id>/usage/<handler>-<request ID>.json) for the report's
// "what the scan cost".
type usageRecord struct {
	Handler    string        `json:"handler"`
	RequestID  string        `json:"requestId"`
	DurationMs int64         `json:"durationMs"`
	MemoryMB   int           `json:"memoryMB"`
	Arch       string        `json:"arch"`
	Own        scanner.Usage `json:"own"`
	API        scanner.Usage `json:"api"`
}

func (h *Host) begin(ctx context.Context, handler string) *invocation {
	inv := &invocation{handler: handler, start: h.now(), own: h.own.Usage(0), calls: h.calls.Usage(0)}
	if lc, ok := lambdacontext.FromContext(ctx); ok && lc.AwsRequestID != "" {
		inv.requestID = lc.AwsRequestID
	} else {
		var b [8]byte
		_, _ = rand.Read(b[:])
		inv.requestID = "local-" + hex.EncodeToString(b[:])
	}
	return inv
}

// record is the invocation's usage so far.
func (h *Host) record(inv *invocation) usageRecord {
	return usageRecord{Handler: inv.handler, RequestID: inv.requestID, DurationMs: max(1, h.now().Sub(inv.start).Milliseconds()),
		MemoryMB: h.memoryMB, Arch: runtime.GOARCH, Own: h.own.Usage(0).Sub(inv.own), API: h.calls.Usage(0).Sub(inv.calls)}
}

// end keeps the invocation's usage with the first scan it served (one
// record per invocation, so nothing is counted twice).
func (h *Host) end(ctx context.Context, inv *invocation, scan string) {
	if scan == "" {
		return
	}
	rec := h.record(inv)
	b, err := json.Marshal(rec)
	if err == nil {
		err = h.st.Put(context.WithoutCancel(ctx), scanner.ScanKey(scan, "usage/"+inv.handler+"-"+inv.requestID+".json"), b)
	}
	if err != nil {
		h.logger.WarnContext(ctx, "invocation usage not recorded; the report's deployment cost will miss it", "scan", scan, "err", err)
	}
}

// emitMetric writes a CloudWatch embedded-metric-format line: Lambda
// sends stdout to CloudWatch Logs, which turns it into the metric
// (namespace lambdaudit) without any API call.
// The metric's dimension is Deployment = LAMBDAUDIT_DEPLOYMENT (the
// stack's name); without it no line is written.
func (h *Host) emitMetric(name string, value float64, scan string) {
	if h.c.Deployment == "" {
		return
	}
	line := map[string]any{
		"_aws": map[string]any{
			"Timestamp":         h.now().UnixMilli(),
			"CloudWatchMetrics": []any{map[string]any{"Namespace": MetricNamespace, "Dimensions": [][]string{{"Deployment"}}, "Metrics": []any{map[string]string{"Name": name, "Unit": "Count"}}}},
		},
		name:         value,
		"Deployment": h.c.Deployment,
		"scan":       scan,
	}
	b, err := json.Marshal(line)
	if err != nil {
		return
	}
	_, _ = h.metricsOut.Write(append(b, '\n'))
}

// Metrics the host emits (embedded metric format) for the template's
// alarms.
const (
	MetricNamespace = "lambdaudit"
	// MetricScansReported is 1 for every scan reported.
	MetricScansReported = "ScansReported"
	// MetricScansReportedLate is 1 for a scan the deadline handler
	// reported because its units did not all land in time, 0 for one
	// reported when its last outcome landed.
	MetricScansReportedLate = "ScansReportedLate"
)
