package lambdahost_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/lambdaudit/lambdaudit/fanout"
	"github.com/lambdaudit/lambdaudit/insights"
	"github.com/lambdaudit/lambdaudit/lambdahost"
	"github.com/lambdaudit/lambdaudit/notify/delivery"
	"github.com/lambdaudit/lambdaudit/scanner"
	"github.com/lambdaudit/lambdaudit/sim"
	"github.com/lambdaudit/lambdaudit/sim/simtest"
	"github.com/lambdaudit/lambdaudit/store"
)

// fleetSpec is a small two-region fleet with findings, logs over a
// budget, tags and provisioned concurrency.
const fleetSpec = `
seed: 11
days: 15
now: "2026-11-21T06:00:00Z"
generate:
  functions: 100
  accounts: ["111111111111"]
  regions: [us-east-1, eu-west-2]
  mix: {near-timeout: 0.05, cost-spike: 0.05, memory-overprovisioned: 0.05, error-rate: 0.05, provisioned-concurrency-idle: 0.03}
`

// slackStandIn records the webhook posts.
type slackStandIn struct {
	mu    sync.Mutex
	posts [][]byte
}

func (s *slackStandIn) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.posts = append(s.posts, b)
	s.mu.Unlock()
	io.WriteString(w, "ok")
}

// deployment is a deployed lambdaudit over the sim (scanned services)
// and moto_server (queue, store, secrets).
type deployment struct {
	env     *simtest.Env
	sqs     *sqs.Client
	s3      *s3.Client
	queue   string
	dlq     string
	bucket  string
	environ []string
	slack   *slackStandIn
	moto    aws.Config
}

// setup shapes a test deployment.
type setup struct {
	// sim are options of the simulated account (faults).
	sim []sim.Option
	// env are more variables of every function.
	env []string
	// visibility is the queue's visibility timeout (default 30s).
	visibility time.Duration
}

func deploy(t *testing.T, spec string, o setup) *deployment {
	t.Helper()
	if os.Getenv("LAMBDAUDIT_MOTO_URL") == "" {
		t.Setenv("LAMBDAUDIT_MOTO_URL", simtest.Moto(t))
	}
	if o.visibility == 0 {
		o.visibility = 30 * time.Second
	}
	d := &deployment{env: simtest.Start(t, spec, append([]sim.Option{sim.WithQueryTime(sim.QueryTime{Base: 10 * time.Millisecond})}, o.sim...)...), slack: &slackStandIn{}}
	d.moto = simtest.SDKConfig(t, os.Getenv("LAMBDAUDIT_MOTO_URL"), "us-east-1")
	d.sqs, d.queue, d.dlq = simtest.MotoSQS(t, simtest.MotoQueue{FIFO: true, MaxReceiveCount: 5, VisibilityTimeout: o.visibility})
	d.s3, d.bucket = simtest.MotoS3(t)
	srv := httptest.NewServer(d.slack)
	t.Cleanup(srv.Close)
	param := "/lambdaudit/test/" + d.bucket + "/slack-webhook"
	if _, err := ssm.NewFromConfig(d.moto).PutParameter(context.Background(), &ssm.PutParameterInput{
		Name: aws.String(param), Type: ssmtypes.ParameterTypeSecureString, Value: aws.String(srv.URL + "/services/T0/B0/secret"),
	}); err != nil {
		t.Fatal(err)
	}
	d.environ = append([]string{
		"LAMBDAUDIT_STORE=s3://" + d.bucket + "/lambdaudit",
		"LAMBDAUDIT_QUEUE_URL=" + d.queue,
		"LAMBDAUDIT_REGIONS=us-east-1,eu-west-2",
		"LAMBDAUDIT_DAY=2026-11-20",
		"LAMBDAUDIT_LOGS_BUDGET_USD=0.05",
		"LAMBDAUDIT_SLACK_WEBHOOK_PARAM=" + param,
		"LAMBDAUDIT_SAFETY_MARGIN=2s",
		"LAMBDAUDIT_DEPLOYMENT=test",
	}, o.env...)
	return d
}

// host is one Lambda container of handler.
func (d *deployment) host(t *testing.T, handler string) *lambdahost.Host {
	t.Helper()
	c, err := lambdahost.ConfigFromEnv(append([]string{"LAMBDAUDIT_HANDLER=" + handler}, d.environ...), nil)
	if err != nil {
		t.Fatal(err)
	}
	h, err := lambdahost.New(d.env.Config, c, lambdahost.WithServiceConfig(d.moto), lambdahost.WithClock(func() time.Time { return simtest.Now }),
		lambdahost.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))), lambdahost.WithMetricsOutput(io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// drain plays the event source mapping: it receives batches of up to 10
// messages and hands each to one of the workers (round robin: each a
// container of its own), deleting the records the response did not list
// as failures, until the queue stays empty.
func (d *deployment) drain(t *testing.T, workers []*lambdahost.Host) (invocations int) {
	t.Helper()
	return d.drainWith(t, workers, drainOpts{})
}

// drainOpts are faults the event source mapping stand-in injects.
type drainOpts struct {
	// drop deletes the messages whose unit it returns true for, unrun
	// (a unit that never lands).
	drop func(u fanout.Unit) bool
	// kill cuts the first kill invocations short after 20 ms, like a
	// worker that dies mid-unit: nothing of its batch is deleted.
	kill int
}

func (d *deployment) drainWith(t *testing.T, workers []*lambdahost.Host, o drainOpts) (invocations int) {
	t.Helper()
	ctx := context.Background()
	arn := "arn:aws:sqs:us-east-1:123456789012:" + d.queue[strings.LastIndexByte(d.queue, '/')+1:]
	idle := 0
	for i := 0; idle < 3; i++ {
		out, err := d.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(d.queue), MaxNumberOfMessages: 10, WaitTimeSeconds: 1,
			MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll}, MessageAttributeNames: []string{"All"}})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) == 0 {
			idle++
			continue
		}
		idle = 0
		ev := events.SQSEvent{}
		var kept []sqstypes.Message
		for _, m := range out.Messages {
			if u, err := fanout.DecodeMessage(aws.ToString(m.MessageId), 1, aws.ToString(m.Body)); err == nil && o.drop != nil && o.drop(u) {
				if _, err := d.sqs.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(d.queue), ReceiptHandle: m.ReceiptHandle}); err != nil {
					t.Fatal(err)
				}
				continue
			}
			kept = append(kept, m)
		}
		out.Messages = kept
		if len(kept) == 0 {
			continue
		}
		for _, m := range out.Messages {
			rec := events.SQSMessage{MessageId: aws.ToString(m.MessageId), ReceiptHandle: aws.ToString(m.ReceiptHandle), Body: aws.ToString(m.Body),
				Attributes: m.Attributes, EventSource: "aws:sqs", EventSourceARN: arn, AWSRegion: "us-east-1",
				MessageAttributes: map[string]events.SQSMessageAttribute{}}
			for k, v := range m.MessageAttributes {
				rec.MessageAttributes[k] = events.SQSMessageAttribute{DataType: aws.ToString(v.DataType), StringValue: v.StringValue}
			}
			ev.Records = append(ev.Records, rec)
		}
		ictx, cancel := context.WithTimeout(ctx, 60*time.Second)
		if invocations < o.kill {
			// No deadline to keep a margin from: the worker is mid-unit
			// when it dies.
			ictx, cancel = context.WithCancel(ctx)
			time.AfterFunc(20*time.Millisecond, cancel)
		}
		resp, err := workers[i%len(workers)].Work(ictx, ev)
		cancel()
		invocations++
		if err != nil || invocations <= o.kill {
			continue // the whole batch comes back after its visibility timeout
		}
		failed := map[string]bool{}
		for _, f := range resp.BatchItemFailures {
			failed[f.ItemIdentifier] = true
		}
		for _, m := range out.Messages {
			if !failed[aws.ToString(m.MessageId)] {
				if _, err := d.sqs.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(d.queue), ReceiptHandle: m.ReceiptHandle}); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	return invocations
}

// object reads an object of the deployment's bucket.
func (d *deployment) object(t *testing.T, key string) []byte {
	t.Helper()
	return getObject(t, d.s3, d.bucket, key)
}

// getObject reads s3://bucket/key whole, failing the test if it cannot.
func getObject(t *testing.T, c *s3.Client, bucket, key string) []byte {
	t.Helper()
	out, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("s3://%s/%s: %v", bucket, key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatalf("s3://%s/%s: %v", bucket, key, err)
	}
	return b
}

// local is the same scan and report run by the CLI's path in one process.
func (d *deployment) local(t *testing.T) (csv []byte, rep *insights.Report) {
	t.Helper()
	c, err := lambdahost.ConfigFromEnv(append([]string{"LAMBDAUDIT_HANDLER=plan"}, d.environ...), nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := scanner.NewFromConfig(d.env.Config, c.Scan.Scanner, scanner.WithClock(func() time.Time { return simtest.Now }))
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Scan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	rep, costs, err := insights.BuildWithCosts(res, insights.Options{Now: simtest.Now})
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	st, _ := store.NewDir(filepath.Join(out, "state"))
	if _, err := delivery.Deliver(context.Background(), delivery.Channels{Out: out, Store: st}, res, costs, rep); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(out, "report.csv"))
	if err != nil {
		t.Fatal(err)
	}
	return b, rep
}

// TestDeployedScanMatchesLocal runs a scheduled scan through the three
// handlers — plan, three work containers fed by the FIFO queue, the
// report unit — and checks it delivers what the CLI's one-process run
// delivers: the same report.csv (in S3), the same insights, one Slack
// post, and the deployment's own cost in the result.
func TestDeployedScanMatchesLocal(t *testing.T) {
	d := deploy(t, fleetSpec, setup{})
	ctx := context.Background()
	plan, err := d.host(t, lambdahost.HandlerPlan).Plan(ctx, lambdahost.Event{Kind: "plan", ScheduledTime: simtest.Now.Format(time.RFC3339)})
	if err != nil {
		t.Fatal(err)
	}
	if plan.Targets != 2 || plan.Units != 2 {
		t.Fatalf("plan = %+v, want 2 targets and 2 inventory units", plan)
	}
	workers := []*lambdahost.Host{d.host(t, lambdahost.HandlerWork), d.host(t, lambdahost.HandlerWork), d.host(t, lambdahost.HandlerWork)}
	n := d.drain(t, workers)
	t.Logf("%d work invocations", n)
	if len(d.slack.posts) != 1 {
		t.Fatalf("slack got %d posts, want 1", len(d.slack.posts))
	}
	var scanResult scanner.Result
	done := d.object(t, "lambdaudit/scans/"+plan.Scan+"/report-done.json")
	if !bytes.Contains(done, []byte(`"sent":["slack"]`)) {
		t.Errorf("report-done = %s, want slack sent", done)
	}
	wantCSV, wantRep := d.local(t)
	gotCSV := d.object(t, "lambdaudit/reports/2026-11-20/report.csv")
	if !bytes.Equal(gotCSV, wantCSV) {
		t.Errorf("report.csv in S3 differs from the local run's:\n%s\nwant:\n%s", gotCSV, wantCSV)
	}
	gotRepJSON := d.object(t, "lambdaudit/reports/2026-11-20/report.json")
	var gotRep insights.Report
	if err := json.Unmarshal(gotRepJSON, &gotRep); err != nil {
		t.Fatal(err)
	}
	if len(gotRep.Insights) != len(wantRep.Insights) || gotRep.Coverage.Scanned != wantRep.Coverage.Scanned {
		t.Errorf("deployed report: %d insights, %d scanned; local: %d, %d", len(gotRep.Insights), gotRep.Coverage.Scanned, len(wantRep.Insights), wantRep.Coverage.Scanned)
	}
	_ = scanResult
	var msg map[string]any
	if err := json.Unmarshal(d.slack.posts[0], &msg); err != nil {
		t.Fatalf("slack post: %v", err)
	}
}
