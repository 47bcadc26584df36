package lambdahost_test

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/lambdaudit/lambdaudit/fanout"
	"github.com/lambdaudit/lambdaudit/insights"
	"github.com/lambdaudit/lambdaudit/lambdahost"
	"github.com/lambdaudit/lambdaudit/lambdatest"
	"github.com/lambdaudit/lambdaudit/notify/delivery"
	"github.com/lambdaudit/lambdaudit/notify/opsgenie"
	notifys3 "github.com/lambdaudit/lambdaudit/notify/s3"
	"github.com/lambdaudit/lambdaudit/notify/slack"
	"github.com/lambdaudit/lambdaudit/scanner"
	"github.com/lambdaudit/lambdaudit/sim"
	"github.com/lambdaudit/lambdaudit/sim/fleet"
	"github.com/lambdaudit/lambdaudit/sim/simtest"
	"github.com/lambdaudit/lambdaudit/store"
)

// The end-to-end tests run the deployment as AWS would: the real
// bootstrap binary (cmd/lambdaudit-lambda, built as for Lambda) under
// the official Runtime Interface Emulator, one emulator process per
// execution environment, fed by lambdatest's event source mapping
// stand-in from a FIFO queue in moto_server. The functions reach the
// scanned services (the simulated account, in this process) through
// AWS_ENDPOINT_URL and their own — the queue, the store, the secrets —
// through AWS_ENDPOINT_URL_SQS, _S3 and _SSM (moto_server); Slack and
// Opsgenie are stand-ins here, the Opsgenie one enforcing the Alert
// API's contract. What they deliver is compared with the CLI's
// one-process run over the same fleet.
//
// The bootstrap runs on the real clock (nothing in the environment sets
// a clock), so the fleet is built "now": the schedule's time is the
// current second, and the deadline handler's arithmetic is real.

// e2eSpec is fleetSpec's fleet without its fixed time: built at the
// test's start.
const e2eSpec = `
seed: 11
days: 15
now: "%s"
generate:
  functions: 100
  accounts: ["111111111111"]
  regions: [us-east-1, eu-west-2]
  mix: {near-timeout: 0.05, cost-spike: 0.05, memory-overprovisioned: 0.05, error-rate: 0.05, provisioned-concurrency-idle: 0.03}
`

// Timings of the functions and the queue. The emulator takes whole
// seconds; the queue's visibility stays above the work function's
// timeout, as Lambda requires, and short so that a batch of a killed
// worker comes back quickly.
const (
	workTimeout     = 4 * time.Second
	queueVisibility = 5 * time.Second
)

// ogKey is the Opsgenie API key, held in an SSM SecureString parameter.
const ogKey = "e2e-0000-genie-key"

// opsgenieStandIn is the Opsgenie Alert API v2 as far as lambdaudit uses
// it, refusing what the real API refuses (docs.opsgenie.com/docs/alert-api):
// POST only, "Authorization: GenieKey <key>", JSON bodies with only the
// documented fields, a message of 1–130 characters, priority P1–P5,
// alias ≤ 512, ≤ 20 tags of ≤ 50; it answers 202 with a request ID.
// It records every request it accepted.
type opsgenieStandIn struct {
	mu       sync.Mutex
	accepted []ogRequest
	refused  []string
}

// ogRequest is a request the stand-in accepted.
type ogRequest struct {
	Method, Path string
	Body         []byte
}

// ogCreate is the create body as the API documents it, every field.
type ogCreate struct {
	Message     *string           `json:"message"`
	Alias       string            `json:"alias"`
	Description string            `json:"description"`
	Responders  []json.RawMessage `json:"responders"`
	VisibleTo   []json.RawMessage `json:"visibleTo"`
	Actions     []string          `json:"actions"`
	Tags        []string          `json:"tags"`
	Details     map[string]string `json:"details"`
	Entity      string            `json:"entity"`
	Source      string            `json:"source"`
	Priority    string            `json:"priority"`
	User        string            `json:"user"`
	Note        string            `json:"note"`
}

func (s *opsgenieStandIn) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if problem := ogCheck(r, body); problem != "" {
		s.mu.Lock()
		s.refused = append(s.refused, r.Method+" "+r.URL.Path+": "+problem)
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnprocessableEntity)
		fmt.Fprintf(w, `{"message":%q,"took":0.001,"requestId":"err"}`, problem)
		return
	}
	s.mu.Lock()
	s.accepted = append(s.accepted, ogRequest{Method: r.Method, Path: r.URL.EscapedPath() + "?" + r.URL.RawQuery, Body: body})
	n := len(s.accepted)
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	fmt.Fprintf(w, `{"result":"Request will be processed","took":0.002,"requestId":"00000000-0000-4000-8000-%012d"}`, n)
}

// ogCheck is what the real API would refuse in r ("" when nothing).
func ogCheck(r *http.Request, body []byte) string {
	switch {
	case r.Method != http.MethodPost:
		return "method not allowed"
	case r.Header.Get("Authorization") != "GenieKey "+ogKey:
		return "could not authenticate"
	case !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json"):
		return "content type must be application/json"
	}
	path := r.URL.EscapedPath()
	if strings.HasSuffix(path, "/close") && strings.HasPrefix(path, "/v2/alerts/") {
		if r.URL.Query().Get("identifierType") != "alias" {
			return "close: want identifierType=alias"
		}
		return ""
	}
	if path != "/v2/alerts" || r.URL.RawQuery != "" {
		return "resource not found: " + path
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var c ogCreate
	if err := dec.Decode(&c); err != nil {
		return "body: " + err.Error()
	}
	switch {
	case c.Message == nil || strings.TrimSpace(*c.Message) == "" || utf8.RuneCountInString(*c.Message) > 130:
		return "message must be 1 to 130 characters"
	case utf8.RuneCountInString(c.Alias) > 512:
		return "alias longer than 512"
	case len(c.Tags) > 20:
		return "more than 20 tags"
	case !slices.Contains([]string{"", "P1", "P2", "P3", "P4", "P5"}, c.Priority):
		return "priority must be P1 to P5"
	}
	for _, tag := range c.Tags {
		if tag == "" || utf8.RuneCountInString(tag) > 50 {
			return "a tag is 1 to 50 characters"
		}
	}
	return ""
}

func (s *opsgenieStandIn) requests() (accepted []ogRequest, refused []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.accepted), slices.Clone(s.refused)
}

// e2e is a deployment run by the real bootstrap under the emulator.
type e2e struct {
	now      time.Time // the schedule's time, the fleet's now
	day      string    // the report day (the day before now)
	sim      *simtest.Env
	moto     aws.Config
	sqs      *sqs.Client
	queue    string
	dlq      string
	s3       *s3.Client
	bucket   string
	slack    *slackStandIn
	opsgenie *opsgenieStandIn
	// environ is every function's environment but LAMBDAUDIT_HANDLER.
	environ map[string]string
	rie     string
	boot    string
}

// e2eBinaries are the emulator and the bootstrap, built once for all
// the end-to-end tests.
type e2eBinaries struct{ rie, boot string }

// TestE2E builds the bootstrap as for Lambda and the emulator, and runs
// the end-to-end scenarios with them. It skips (fails in CI) without
// Linux, the go tool or moto_server.
func TestE2E(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the bootstrap and runs it under the Lambda emulator; skipped in -short mode")
	}
	start := time.Now()
	b := e2eBinaries{rie: lambdatest.BuildRIE(t), boot: lambdatest.BuildBootstrap(t, "github.com/lambdaudit/lambdaudit/cmd/lambdaudit-lambda")}
	t.Logf("built the emulator and the bootstrap in %v", time.Since(start).Round(time.Millisecond))
	for _, c := range []struct {
		name string
		run  func(*testing.T, e2eBinaries)
	}{
		{"ScheduledScan", testE2EScheduledScan},
		{"WorkerKilledMidUnit", testE2EWorkerKilledMidUnit},
		{"LastUnitNeverLands", testE2ELastUnitNeverLands},
		{"PoisonAndThrottle", testE2EPoisonAndThrottle},
	} {
		t.Run(c.name, func(t *testing.T) { c.run(t, b) })
	}
}

// e2eSetup shapes a deployment.
type e2eSetup struct {
	// deadline is LAMBDAUDIT_REPORT_DEADLINE.
	deadline time.Duration
	// sim are options of the simulated account (faults).
	sim []sim.Option
	// env are more variables of every function.
	env map[string]string
	// maxReceiveCount is the redrive policy's (default 5).
	maxReceiveCount int
}

// startE2E starts what the functions talk to. It skips (fails in CI)
// without moto_server.
func startE2E(t *testing.T, b e2eBinaries, o e2eSetup) *e2e {
	t.Helper()
	d := &e2e{rie: b.rie, boot: b.boot}
	motoURL := simtest.Moto(t)
	t.Setenv("LAMBDAUDIT_MOTO_URL", motoURL)

	d.now = time.Now().UTC().Truncate(time.Second)
	d.day = d.now.AddDate(0, 0, -1).Format(time.DateOnly)
	spec, err := fleet.Parse(fmt.Appendf(nil, e2eSpec, d.now.Format(time.RFC3339)))
	if err != nil {
		t.Fatal(err)
	}
	f, err := fleet.Build(spec, d.now)
	if err != nil {
		t.Fatal(err)
	}
	d.sim = simtest.StartFleet(t, f, append([]sim.Option{sim.WithClock(func() time.Time { return d.now }), sim.WithQueryTime(sim.QueryTime{Base: 10 * time.Millisecond})}, o.sim...)...)

	d.moto = simtest.SDKConfig(t, motoURL, "us-east-1")
	d.sqs, d.queue, d.dlq = simtest.MotoSQS(t, simtest.MotoQueue{FIFO: true, MaxReceiveCount: cmp.Or(o.maxReceiveCount, 5), VisibilityTimeout: queueVisibility})
	d.s3, d.bucket = simtest.MotoS3(t)

	d.slack, d.opsgenie = &slackStandIn{}, &opsgenieStandIn{}
	slackSrv, ogSrv := httptest.NewServer(d.slack), httptest.NewServer(d.opsgenie)
	t.Cleanup(slackSrv.Close)
	t.Cleanup(ogSrv.Close)
	webhookParam := "/lambdaudit/e2e/" + d.bucket + "/slack-webhook"
	keyParam := "/lambdaudit/e2e/" + d.bucket + "/opsgenie-key"
	for name, value := range map[string]string{webhookParam: slackSrv.URL + "/services/T0/B0/secret", keyParam: ogKey} {
		if _, err := ssm.NewFromConfig(d.moto).PutParameter(context.Background(), &ssm.PutParameterInput{
			Name: aws.String(name), Type: ssmtypes.ParameterTypeSecureString, Value: aws.String(value),
		}); err != nil {
			t.Fatal(err)
		}
	}
	d.environ = map[string]string{
		// The scanned services: the simulated account, with its user's
		// keys (moto_server takes any).
		"AWS_ENDPOINT_URL":      d.sim.URL,
		"AWS_ACCESS_KEY_ID":     sim.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY": sim.SecretAccessKey,
		"AWS_REGION":            "us-east-1",
		// The deployment's own services: moto_server.
		"AWS_ENDPOINT_URL_SQS":      motoURL,
		"AWS_ENDPOINT_URL_S3":       motoURL,
		"AWS_ENDPOINT_URL_SSM":      motoURL,
		"AWS_EC2_METADATA_DISABLED": "true",

		"LAMBDAUDIT_STORE":                  "s3://" + d.bucket + "/lambdaudit",
		"LAMBDAUDIT_QUEUE_URL":              d.queue,
		"LAMBDAUDIT_REGIONS":                "us-east-1,eu-west-2",
		"LAMBDAUDIT_DAY":                    d.day,
		"LAMBDAUDIT_LOGS_BUDGET_USD":        "0.05",
		"LAMBDAUDIT_SLACK_WEBHOOK_PARAM":    webhookParam,
		"LAMBDAUDIT_OPSGENIE_API_KEY_PARAM": keyParam,
		"OPSGENIE_URL":                      ogSrv.URL,
		"LAMBDAUDIT_SAFETY_MARGIN":          "300ms",
		"LAMBDAUDIT_REPORT_DEADLINE":        o.deadline.String(),
		"LAMBDAUDIT_DEPLOYMENT":             "e2e",
	}
	maps.Copy(d.environ, o.env)
	return d
}

// function is one execution environment of handler.
func (d *e2e) function(handler string, timeout time.Duration) lambdatest.Function {
	env := map[string]string{"LAMBDAUDIT_HANDLER": handler}
	for k, v := range d.environ {
		env[k] = v
	}
	return lambdatest.Function{RIE: d.rie, Bootstrap: d.boot, Env: env, Timeout: timeout, MemoryMB: 512, Name: "lambdaudit-" + handler}
}

// invoke invokes in with event and decodes its answer into out.
func invoke(t *testing.T, in *lambdatest.Instance, event string, out any) {
	t.Helper()
	b, err := in.Invoke(context.Background(), []byte(event))
	if err != nil {
		t.Fatalf("invoke %s: %v\n%s", event, err, in.Logs())
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("invoke %s: answer %s: %v", event, b, err)
	}
}

// plan invokes a plan function with the schedule's event.
func (d *e2e) plan(t *testing.T) lambdahost.PlanResult {
	t.Helper()
	in := lambdatest.Start(t, d.function(lambdahost.HandlerPlan, 10*time.Second))
	var p lambdahost.PlanResult
	invoke(t, in, `{"kind":"plan","scheduledTime":"`+d.now.Format(time.RFC3339)+`"}`, &p)
	if p.Scan == "" || p.Targets != 2 || p.Units != 2 {
		t.Fatalf("plan answered %+v, want a scan of 2 targets with 2 inventory units", p)
	}
	return p
}

// work runs the event source mapping with three workers until the queue
// has been empty for a while.
func (d *e2e) work(t *testing.T, onInvoke func(*lambdatest.Instance, events.SQSEvent)) *lambdatest.ESM {
	t.Helper()
	fn := d.function(lambdahost.HandlerWork, workTimeout)
	esm := &lambdatest.ESM{
		Client: d.sqs, QueueURL: d.queue,
		BatchSize: 10, MaximumConcurrency: 3, ReportBatchItemFailures: true,
		NewInstance: func() (*lambdatest.Instance, error) { return lambdatest.TryStart(t, fn) },
		IdleTimeout: 1500 * time.Millisecond,
		OnInvoke:    onInvoke,
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := esm.Run(ctx); err != nil {
		t.Fatalf("event source mapping: %v", err)
	}
	t.Logf("event source mapping: %+v", esm.Stats())
	return esm
}

// object reads an object of the deployment's bucket.
func (d *e2e) object(t *testing.T, key string) []byte {
	t.Helper()
	return getObject(t, d.s3, d.bucket, key)
}

// report is the deployed report (report.json in S3).
func (d *e2e) report(t *testing.T) (*insights.Report, []byte) {
	t.Helper()
	b := d.object(t, "lambdaudit/reports/"+d.day+"/report.json")
	var rep insights.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatalf("report.json: %v", err)
	}
	return &rep, b
}

// localRun is what the CLI's one-process run delivers for the same fleet.
type localRun struct {
	files    map[string][]byte // report.csv, summary.csv, report.json as uploaded
	rep      *insights.Report
	slack    []byte
	opsgenie []ogRequest
}

// local scans the fleet in one process with the functions' settings and
// delivers to stand-ins of its own and another bucket, as `lambdaudit
// scan` does; its report is built at the deployed report's time, so that
// nothing but the host differs.
func (d *e2e) local(t *testing.T, at time.Time) localRun {
	t.Helper()
	ctx := context.Background()
	var environ []string
	for k, v := range d.environ {
		environ = append(environ, k+"="+v)
	}
	c, err := lambdahost.ConfigFromEnv(append(environ, "LAMBDAUDIT_HANDLER=plan"), nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := scanner.NewFromConfig(d.sim.Config, c.Scan.Scanner, scanner.WithClock(func() time.Time { return d.now }))
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Scan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rep, costs, err := insights.BuildWithCosts(res, insights.Options{Now: at})
	if err != nil {
		t.Fatal(err)
	}
	sl, og := &slackStandIn{}, &opsgenieStandIn{}
	slackSrv, ogSrv := httptest.NewServer(sl), httptest.NewServer(og)
	defer slackSrv.Close()
	defer ogSrv.Close()
	ogc, err := opsgenie.ConfigFromLookup(func(k string) (string, bool) {
		switch k {
		case "OPSGENIE_API_KEY":
			return ogKey, true
		case "OPSGENIE_URL":
			return ogSrv.URL, true
		}
		v, ok := d.environ[k]
		return v, ok
	})
	if err != nil {
		t.Fatal(err)
	}
	s3c, bucket := simtest.MotoS3(t)
	up, err := notifys3.NewUploader(s3c, s3.NewPresignClient(s3c), notifys3.Config{Bucket: bucket, Prefix: "lambdaudit/reports"})
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	st, err := store.NewDir(filepath.Join(out, "state"))
	if err != nil {
		t.Fatal(err)
	}
	ch := delivery.Channels{Out: out, S3: up, Slack: slack.Config{WebhookURL: slackSrv.URL + "/services/T0/B0/local"}, Opsgenie: ogc, Store: st}
	if _, err := delivery.Deliver(ctx, ch, res, costs, rep); err != nil {
		t.Fatal(err)
	}
	if len(sl.posts) != 1 {
		t.Fatalf("the local run posted %d times to Slack, want 1", len(sl.posts))
	}
	l := localRun{files: map[string][]byte{}, rep: rep, slack: sl.posts[0]}
	for _, name := range []string{"report.csv", "summary.csv", "report.json"} {
		o, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("lambdaudit/reports/" + d.day + "/" + name)})
		if err != nil {
			t.Fatalf("local %s: %v", name, err)
		}
		l.files[name], _ = io.ReadAll(o.Body)
		o.Body.Close()
	}
	var refused []string
	l.opsgenie, refused = og.requests()
	if len(refused) > 0 {
		t.Fatalf("the Opsgenie stand-in refused the local run's requests: %v", refused)
	}
	return l
}

// presigned matches a presigned link to the report in S3: its bucket,
// date and signature differ between the two runs.
var presigned = regexp.MustCompile(`http://127\.0\.0\.1:\d+/lambdaudit-test-[0-9a-f]+/[^\s"|<>\\]*`)

// scanLine matches what the digest's line about the scan itself says
// differently by host: the deployed scan adds how long it took (plan to
// report, real time; the local run's clock is fixed, so it has none) and
// the deployment's own cost — its Lambda invocations, SQS and S3
// requests. The API call count is normalised too: an attempt that fails
// on the wire and is retried (a connection reset under load) adds a call
// and a failure in one run and not the other. Everything else on the
// line (the scan's CloudWatch and Logs cost, metrics and queries) must be
// equal.
var scanLine = regexp.MustCompile(`^(\*Scan\* [^\n]*?)( · took [^·\n]+)?( · deployment [^\n]*)?$`)

// apiCalls is the scan line's count of API calls, throttles and failures.
var apiCalls = regexp.MustCompile(` · [0-9,]+ API calls? \([0-9,]+ throttled, [0-9,]+ failed\)`)

// normalSlack is a Slack payload with the links and the scan line's
// host-dependent parts normalised (see presigned and scanLine).
func normalSlack(t *testing.T, payload []byte) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(payload, &v); err != nil {
		t.Fatalf("slack payload: %v", err)
	}
	var walk func(v any) any
	walk = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				x[k] = walk(e)
			}
		case []any:
			for i, e := range x {
				x[i] = walk(e)
			}
		case string:
			x = scanLine.ReplaceAllString(presigned.ReplaceAllString(x, "<report link>"), "$1")
			if strings.HasPrefix(x, "*Scan* ") {
				x = apiCalls.ReplaceAllString(x, " · <API calls>")
			}
			return x
		}
		return v
	}
	b, _ := json.MarshalIndent(walk(v), "", " ")
	return string(b)
}

// ogCreates are the create requests by alias, with their bodies' links
// normalised.
func ogCreates(t *testing.T, reqs []ogRequest) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, r := range reqs {
		if r.Path != "/v2/alerts?" {
			t.Errorf("Opsgenie request %s %s: want only creates on a first scan", r.Method, r.Path)
			continue
		}
		var c ogCreate
		if err := json.Unmarshal(r.Body, &c); err != nil {
			t.Fatal(err)
		}
		if _, dup := out[c.Alias]; dup {
			t.Errorf("alert %q created twice", c.Alias)
		}
		out[c.Alias] = presigned.ReplaceAllString(string(r.Body), "<report link>")
	}
	return out
}

// compare checks the deployment delivered what the local run did.
func (d *e2e) compare(t *testing.T, want localRun) {
	t.Helper()
	for _, name := range []string{"report.csv", "summary.csv"} {
		if got := d.object(t, "lambdaudit/reports/"+d.day+"/"+name); !bytes.Equal(got, want.files[name]) {
			t.Errorf("%s in S3 differs from the local run's:\n%s\nwant:\n%s", name, got, want.files[name])
		}
	}
	got, _ := d.report(t)
	for _, part := range []struct {
		name      string
		got, want any
	}{
		{"insights", got.Insights, want.rep.Insights}, {"counts", got.Counts, want.rep.Counts},
		{"coverage", got.Coverage, want.rep.Coverage}, {"summary", got.Summary, want.rep.Summary},
		{"topFunctions", got.TopFunctions, want.rep.TopFunctions}, {"costMovers", got.CostMovers, want.rep.CostMovers},
		{"missing", got.Missing, want.rep.Missing}, {"window", got.Window, want.rep.Window},
	} {
		g, _ := json.Marshal(part.got)
		w, _ := json.Marshal(part.want)
		if !bytes.Equal(g, w) {
			t.Errorf("report.json's %s differs from the local run's:\n%s\nwant:\n%s", part.name, g, w)
		}
	}
	if len(d.slack.posts) != 1 {
		t.Fatalf("Slack got %d posts, want 1", len(d.slack.posts))
	}
	if g, w := normalSlack(t, d.slack.posts[0]), normalSlack(t, want.slack); g != w {
		t.Errorf("the Slack digest differs from the local run's:\n%s\nwant:\n%s", g, w)
	}
	accepted, refused := d.opsgenie.requests()
	if len(refused) > 0 {
		t.Errorf("the Opsgenie stand-in refused requests: %v", refused)
	}
	g, w := ogCreates(t, accepted), ogCreates(t, want.opsgenie)
	if len(w) == 0 {
		t.Fatal("the local run opened no Opsgenie alert: the fleet should have findings that page")
	}
	if len(accepted) != len(want.opsgenie) {
		t.Errorf("Opsgenie got %d requests, the local run sent %d", len(accepted), len(want.opsgenie))
	}
	for alias, body := range w {
		if g[alias] != body {
			t.Errorf("Opsgenie alert %q:\n%s\nwant:\n%s", alias, g[alias], body)
		}
	}
	for alias := range g {
		if _, ok := w[alias]; !ok {
			t.Errorf("Opsgenie alert %q was not opened by the local run", alias)
		}
	}
}

// testE2EScheduledScan: a scheduled event goes in; plan, three workers
// and the report unit run as separate processes under the emulator, and
// the Slack digest, the Opsgenie alerts and the reports in S3 equal the
// one-process run's. Invoked again afterwards — by hand and by the
// deadline schedule — the report function delivers nothing more.
func testE2EScheduledScan(t *testing.T, b e2eBinaries) {
	start := time.Now()
	d := startE2E(t, b, e2eSetup{deadline: time.Second})
	p := d.plan(t)
	esm := d.work(t, nil)
	worked := time.Now()
	if st := esm.Stats(); st.FunctionErrors+st.InvokeErrors != 0 {
		t.Errorf("invocations failed: %+v", st)
	}
	var peaks []string
	for _, in := range esm.Used() {
		peak := in.PeakRSS()
		peaks = append(peaks, fmt.Sprintf("%d MiB", peak>>20))
		if peak > 256<<20 {
			t.Errorf("a worker peaked at %d MiB, over the 256 MB target", peak>>20)
		}
	}
	t.Logf("workers' peak RSS: %s", strings.Join(peaks, ", "))

	rep, _ := d.report(t)
	dep := rep.Scan.Deployment
	if dep == nil {
		t.Fatal("report.json has no deployment section")
	}
	if dep.Invocations[lambdahost.HandlerPlan] != 1 || dep.Invocations[lambdahost.HandlerWork] == 0 || dep.GBSeconds <= 0 || dep.CostUSD <= 0 ||
		dep.SQSRequests["SQS:SendMessageBatch"] == 0 || dep.S3Requests["S3:PutObject"] == 0 {
		t.Errorf("deployment section %+v: want the plan's invocation, the workers', GB-s, SQS and S3 requests", dep)
	}
	d.compare(t, d.local(t, rep.GeneratedAt))
	if !strings.Contains(string(d.slack.posts[0]), " · deployment $") {
		t.Errorf("the digest's scan line does not give the deployment's cost:\n%s", d.slack.posts[0])
	}

	// The reporter invoked twice more: by hand for this scan, and by the
	// deadline schedule once the deadline (1s) has passed.
	time.Sleep(time.Until(d.now.Add(1100 * time.Millisecond)))
	late := lambdatest.Start(t, d.function(lambdahost.HandlerReport, 10*time.Second))
	for _, ev := range []string{`{"kind":"report","scan":"` + p.Scan + `"}`, `{"kind":"deadline"}`} {
		var r lambdahost.ReportResult
		invoke(t, late, ev, &r)
		if len(r.Reported) != 0 || len(r.Errors) != 0 {
			t.Errorf("%s: %+v, want nothing reported again", ev, r)
		}
	}
	if len(d.slack.posts) != 1 {
		t.Errorf("Slack got %d posts after the reporter ran again, want 1", len(d.slack.posts))
	}
	if accepted, _ := d.opsgenie.requests(); len(ogCreates(t, accepted)) != len(accepted) {
		t.Errorf("Opsgenie got a request twice after the reporter ran again")
	}
	t.Logf("timings: plan and work %v, compare and late reports %v; %d worker instances",
		worked.Sub(start).Round(time.Millisecond), time.Since(worked).Round(time.Millisecond), len(esm.Used()))
}

// unitsOf are the units of an event (those that decode).
func unitsOf(ev events.SQSEvent) []fanout.Unit {
	var us []fanout.Unit
	for _, r := range ev.Records {
		if u, err := fanout.DecodeMessage(r.MessageId, 1, r.Body); err == nil {
			us = append(us, u)
		}
	}
	return us
}

// testE2EWorkerKilledMidUnit: the first worker invocation that carries
// Logs Insights units is SIGKILLed — the emulator and the bootstrap at
// once, as a dying execution environment — once its first query has
// started in the simulated account, so the unit is half done. The event
// source mapping starts a new environment, SQS delivers the batch again
// after its visibility timeout, and the scan reports once, complete and
// equal to the one-process run: nothing lost, nothing doubled.
func testE2EWorkerKilledMidUnit(t *testing.T, b e2eBinaries) {
	d := startE2E(t, b, e2eSetup{deadline: time.Hour})
	d.plan(t)
	var once sync.Once
	var killed []string
	var midUnit atomic.Bool
	esm := d.work(t, func(in *lambdatest.Instance, ev events.SQSEvent) {
		for _, u := range unitsOf(ev) {
			if u.Kind != scanner.KindLogs {
				continue
			}
			once.Do(func() {
				for _, u := range unitsOf(ev) {
					killed = append(killed, u.ID)
				}
				queries := func() int64 { return d.sim.Server.Accounting().API("logs", "StartQuery").Calls }
				before := queries()
				go func() {
					for end := time.Now().Add(workTimeout); time.Now().Before(end); time.Sleep(2 * time.Millisecond) {
						if queries() > before {
							midUnit.Store(true)
							break
						}
					}
					in.Kill()
				}()
			})
			return
		}
	})
	if len(killed) == 0 {
		t.Fatal("no batch of Logs Insights units went by")
	}
	if !midUnit.Load() {
		t.Error("the worker was killed before its first query started: not mid-unit")
	}
	dead := 0
	for _, in := range esm.Used() {
		if !in.Alive() {
			dead++
		}
	}
	if st := esm.Stats(); st.InvokeErrors != 1 || dead != 1 {
		t.Errorf("stats %+v, %d environments dead: want the one invocation killed, its environment replaced", st, dead)
	}
	rep, _ := d.report(t)
	if rep.Coverage.NotCovered != 0 || rep.Coverage.Scanned != rep.Coverage.Listed {
		t.Errorf("coverage %+v: want every function scanned after the redelivery of %v", rep.Coverage, killed)
	}
	d.compare(t, d.local(t, rep.GeneratedAt))
}

// testE2ELastUnitNeverLands: one metrics unit's message is lost (deleted
// from the queue as its batch is handed to a worker, whose environment
// dies at once: the rest of the batch comes back). No outcome ever
// lands for it, so no worker reports the scan; the deadline schedule's
// invocation does, once LAMBDAUDIT_REPORT_DEADLINE has passed, with the
// unit's functions not covered and named, and only once.
func testE2ELastUnitNeverLands(t *testing.T, b e2eBinaries) {
	const deadline = 15 * time.Second
	d := startE2E(t, b, e2eSetup{deadline: deadline})
	p := d.plan(t)
	var once sync.Once
	var lost fanout.Unit
	d.work(t, func(in *lambdatest.Instance, ev events.SQSEvent) {
		for i, u := range unitsOf(ev) {
			if u.Kind != scanner.KindMetrics || u.Region != "eu-west-2" {
				continue
			}
			once.Do(func() {
				lost = u
				if _, err := d.sqs.DeleteMessage(context.Background(), &sqs.DeleteMessageInput{QueueUrl: aws.String(d.queue), ReceiptHandle: aws.String(ev.Records[i].ReceiptHandle)}); err != nil {
					t.Errorf("drop %s: %v", u.ID, err)
				}
				in.Kill()
			})
			return
		}
	})
	if lost.ID == "" {
		t.Fatal("no metrics unit of eu-west-2 went by")
	}
	t.Logf("the queue was idle %v after the schedule", time.Since(d.now).Round(time.Millisecond))
	if len(d.slack.posts) != 0 {
		t.Fatalf("a scan with a unit missing was reported before its deadline (%d Slack posts)", len(d.slack.posts))
	}
	reporter := lambdatest.Start(t, d.function(lambdahost.HandlerReport, 10*time.Second))
	var r lambdahost.ReportResult
	if time.Until(d.now.Add(deadline)) > 2*time.Second {
		invoke(t, reporter, `{"kind":"deadline"}`, &r)
		if len(r.Reported) != 0 || !strings.HasPrefix(r.Skipped[p.Scan], "not due until") {
			t.Errorf("before the deadline: %+v, want %s not due", r, p.Scan)
		}
	} else {
		t.Logf("the work took until %v past the schedule; the check before the deadline is skipped", time.Since(d.now))
	}
	time.Sleep(time.Until(d.now.Add(deadline + 100*time.Millisecond)))
	for i := range 2 {
		r = lambdahost.ReportResult{}
		invoke(t, reporter, `{"kind":"deadline"}`, &r)
		if want := []string{p.Scan}; i == 1 {
			want = []string{}
			if !slices.Equal(r.Reported, want) {
				t.Errorf("the deadline schedule again: %+v, want nothing reported", r)
			}
		} else if !slices.Equal(r.Reported, want) || len(r.Errors) != 0 {
			t.Fatalf("the deadline schedule: %+v, want %s reported", r, p.Scan)
		}
	}
	if len(d.slack.posts) != 1 {
		t.Fatalf("Slack got %d posts, want 1", len(d.slack.posts))
	}
	rep, _ := d.report(t)
	var noOutcome int
	// The lost unit's functions have no metrics; every other function has
	// no logs: the logs plan waits for every metrics outcome, so it never
	// ran ("no logs plan for scan …").
	for _, c := range rep.Coverage.Causes {
		if c.Code != scanner.CodeNoOutcome {
			continue
		}
		noOutcome += c.Functions
		want := "logs"
		if c.Region == lost.Region {
			want = scanner.KindMetrics
		}
		if c.Account != lost.Account || c.Stage != want {
			t.Errorf("cause %+v: want stage %s", c, want)
		}
	}
	if noOutcome == 0 || rep.Coverage.NotCovered != noOutcome || rep.Coverage.Scanned != rep.Coverage.Listed-noOutcome {
		t.Errorf("coverage %+v: want the lost unit's functions not covered (%s) and the rest scanned", rep.Coverage, scanner.CodeNoOutcome)
	}
	if !strings.Contains(string(d.slack.posts[0]), "INCOMPLETE, not covered") {
		t.Errorf("the digest of a partial scan does not lead with what was not covered:\n%s", d.slack.posts[0])
	}
	// The units that never landed are named where they last: the
	// report's marker in the store (the scan result is in the reporting
	// container's /tmp).
	var done struct {
		Sent    []string `json:"sent"`
		Missing []string `json:"missing"`
	}
	if err := json.Unmarshal(d.object(t, "lambdaudit/scans/"+p.Scan+"/report-done.json"), &done); err != nil {
		t.Fatal(err)
	}
	if want := []string{"no logs plan for scan " + p.Scan, "no outcome for unit " + lost.ID}; !slices.Equal(done.Missing, want) || !slices.Equal(done.Sent, []string{"slack", "opsgenie"}) {
		t.Errorf("report-done.json = %+v, want sent to slack and opsgenie and missing %q", done, want)
	}
}

// testE2EPoisonAndThrottle: a message that is not a unit sits in a
// region's message group, and CloudWatch throttles every GetMetricData
// call of the other region. The poison message is refused on each
// receive and reaches the dead-letter queue after maxReceiveCount
// without blocking its group; the throttled region's metrics units fail
// for good after their attempts (retries delayed on the queue), its
// functions are reported failed with the cause, and the scan reports
// once with the rest covered.
func testE2EPoisonAndThrottle(t *testing.T, b e2eBinaries) {
	d := startE2E(t, b, e2eSetup{
		deadline:        time.Hour,
		sim:             []sim.Option{sim.WithFaults(sim.Fault{Service: "monitoring", API: "GetMetricData", Region: "eu-west-2", ThrottlePct: 100})},
		env:             map[string]string{"LAMBDAUDIT_MAX_ATTEMPTS": "2", "LAMBDAUDIT_SDK_ATTEMPTS": "1"},
		maxReceiveCount: 3,
	})
	d.plan(t)
	if _, err := d.sqs.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String(d.queue), MessageBody: aws.String("{not a unit"),
		MessageGroupId: aws.String("111111111111/us-east-1"), MessageDeduplicationId: aws.String("poison")}); err != nil {
		t.Fatal(err)
	}
	d.work(t, nil)
	out, err := d.sqs.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(d.dlq), MaxNumberOfMessages: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Messages) != 1 || aws.ToString(out.Messages[0].Body) != "{not a unit" {
		t.Errorf("the dead-letter queue holds %d messages, want the poison one alone", len(out.Messages))
	}
	if len(d.slack.posts) != 1 {
		t.Fatalf("Slack got %d posts, want 1", len(d.slack.posts))
	}
	rep, _ := d.report(t)
	var throttled int
	for _, c := range rep.Coverage.Causes {
		if c.Region == "eu-west-2" && strings.Contains(c.Code, "Throttl") && c.API == "cloudwatch:GetMetricData" {
			throttled += c.Functions
		}
	}
	if throttled != 50 || rep.Coverage.Scanned != 50 || rep.Coverage.NotCovered != 50 {
		t.Errorf("coverage %+v: want eu-west-2's 50 functions failed by the throttle and us-east-1's 50 scanned", rep.Coverage)
	}
}
