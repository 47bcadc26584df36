package lambdahost_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/lambdaudit/lambdaudit/fanout"
	"github.com/lambdaudit/lambdaudit/insights"
	"github.com/lambdaudit/lambdaudit/lambdahost"
	"github.com/lambdaudit/lambdaudit/scanner"
	"github.com/lambdaudit/lambdaudit/sim"
	"github.com/lambdaudit/lambdaudit/sim/simtest"
)

// planScan runs the plan handler for the fixed schedule time.
func (d *deployment) planScan(t *testing.T) lambdahost.PlanResult {
	t.Helper()
	p, err := d.host(t, lambdahost.HandlerPlan).Plan(context.Background(), lambdahost.Event{Kind: "plan", ScheduledTime: simtest.Now.Format(time.RFC3339)})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (d *deployment) workers(t *testing.T, n int) []*lambdahost.Host {
	var ws []*lambdahost.Host
	for range n {
		ws = append(ws, d.host(t, lambdahost.HandlerWork))
	}
	return ws
}

// reportJSON is the report the deployment uploaded.
func (d *deployment) reportJSON(t *testing.T) insights.Report {
	t.Helper()
	var rep insights.Report
	if err := json.Unmarshal(d.object(t, "lambdaudit/reports/2026-11-20/report.json"), &rep); err != nil {
		t.Fatal(err)
	}
	return rep
}

// TestReportInvokedTwiceDeliversOnce: the report unit redelivered, the
// report function invoked by hand and the deadline schedule all find the
// scan reported: one Slack post.
func TestReportInvokedTwiceDeliversOnce(t *testing.T) {
	d := deploy(t, fleetSpec, setup{})
	p := d.planScan(t)
	d.drain(t, d.workers(t, 2))
	late := d.host(t, lambdahost.HandlerReport)
	for _, ev := range []lambdahost.Event{{Kind: "report", Scan: p.Scan}, {Kind: "report", Scan: p.Scan}, {Kind: "deadline"}} {
		r, err := late.Report(context.Background(), ev)
		if err != nil {
			t.Fatalf("%+v: %v", ev, err)
		}
		if len(r.Reported) != 0 {
			t.Errorf("%+v reported %v again", ev, r.Reported)
		}
	}
	if len(d.slack.posts) != 1 {
		t.Errorf("slack got %d posts, want 1", len(d.slack.posts))
	}
}

// TestWorkerKilledMidUnit: the first two invocations die mid-unit; SQS
// delivers their batches again after the visibility timeout and the scan
// completes with nothing lost and nothing doubled.
func TestWorkerKilledMidUnit(t *testing.T) {
	d := deploy(t, fleetSpec, setup{visibility: 2 * time.Second})
	d.planScan(t)
	d.drainWith(t, d.workers(t, 3), drainOpts{kill: 2})
	if len(d.slack.posts) != 1 {
		t.Fatalf("slack got %d posts, want 1", len(d.slack.posts))
	}
	rep := d.reportJSON(t)
	want, wantRep := d.local(t)
	if got := d.object(t, "lambdaudit/reports/2026-11-20/report.csv"); !bytes.Equal(got, want) {
		t.Errorf("report.csv differs from the one-process run's after a worker was killed")
	}
	if rep.Coverage.Listed != wantRep.Coverage.Listed || rep.Coverage.NotCovered != 0 {
		t.Errorf("coverage %+v, want %d listed and all covered", rep.Coverage, wantRep.Coverage.Listed)
	}
}

// TestPoisonMessageGoesToDLQ: a message that is not a unit is refused on
// every receive, reaches the dead-letter queue after maxReceiveCount, and
// the scan completes around it.
func TestPoisonMessageGoesToDLQ(t *testing.T) {
	d := deploy(t, fleetSpec, setup{})
	d.planScan(t)
	if _, err := d.sqs.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String(d.queue), MessageBody: aws.String("{not a unit"),
		MessageGroupId: aws.String("111111111111/us-east-1"), MessageDeduplicationId: aws.String("poison")}); err != nil {
		t.Fatal(err)
	}
	d.drain(t, d.workers(t, 2))
	if len(d.slack.posts) != 1 {
		t.Errorf("slack got %d posts, want 1", len(d.slack.posts))
	}
	out, err := d.sqs.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(d.dlq), MaxNumberOfMessages: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Messages) != 1 || aws.ToString(out.Messages[0].Body) != "{not a unit" {
		t.Errorf("dead-letter queue holds %d messages, want the poison one", len(out.Messages))
	}
}

// TestThrottledUnitReportedFailed: GetMetricData throttled in one region
// on every call: its units fail for good after their attempts, their
// functions are reported failed with the cause, and the scan reports.
func TestThrottledUnitReportedFailed(t *testing.T) {
	d := deploy(t, fleetSpec, setup{
		sim: []sim.Option{sim.WithFaults(sim.Fault{Service: "monitoring", API: "GetMetricData", Region: "eu-west-2", ThrottlePct: 100})},
		env: []string{"LAMBDAUDIT_MAX_ATTEMPTS=2", "LAMBDAUDIT_SDK_ATTEMPTS=1"},
	})
	d.planScan(t)
	d.drain(t, d.workers(t, 2))
	if len(d.slack.posts) != 1 {
		t.Fatalf("slack got %d posts, want 1", len(d.slack.posts))
	}
	rep := d.reportJSON(t)
	var throttled int
	for _, c := range rep.Coverage.Causes {
		if c.Region == "eu-west-2" && strings.Contains(c.Code, "Throttl") && c.API == "cloudwatch:GetMetricData" {
			throttled += c.Functions
		}
	}
	if throttled != 50 || rep.Coverage.Scanned != 50 {
		t.Errorf("causes %+v, scanned %d: want eu-west-2's 50 functions failed by the throttle and us-east-1's 50 scanned", rep.Coverage.Causes, rep.Coverage.Scanned)
	}
}

// TestLastUnitNeverLands: one metrics unit is lost; the scan never
// completes, and the deadline schedule reports it with the unit named
// and the rest of the fleet covered.
func TestLastUnitNeverLands(t *testing.T) {
	d := deploy(t, fleetSpec, setup{})
	p := d.planScan(t)
	dropped := ""
	d.drainWith(t, d.workers(t, 2), drainOpts{drop: func(u fanout.Unit) bool {
		if dropped == "" && u.Kind == scanner.KindMetrics && u.Region == "eu-west-2" {
			dropped = u.ID
			return true
		}
		return false
	}})
	if dropped == "" {
		t.Fatal("no metrics unit of eu-west-2 went by")
	}
	if len(d.slack.posts) != 0 {
		t.Fatalf("an incomplete scan was reported before its deadline (%d posts)", len(d.slack.posts))
	}
	early := d.host(t, lambdahost.HandlerReport)
	if r, err := early.Report(context.Background(), lambdahost.Event{Kind: "deadline"}); err != nil || len(r.Reported) != 0 {
		t.Fatalf("before the deadline: %+v, %v; want nothing reported", r, err)
	}
	c, err := lambdahost.ConfigFromEnv(append([]string{"LAMBDAUDIT_HANDLER=report"}, d.environ...), nil)
	if err != nil {
		t.Fatal(err)
	}
	var metrics bytes.Buffer
	late, err := lambdahost.New(d.env.Config, c, lambdahost.WithServiceConfig(d.moto), lambdahost.WithMetricsOutput(&metrics),
		lambdahost.WithClock(func() time.Time { return simtest.Now.Add(lambdahost.DefaultReportDeadline + time.Minute) }))
	if err != nil {
		t.Fatal(err)
	}
	r, err := late.Report(context.Background(), lambdahost.Event{Kind: "deadline"})
	if err != nil || len(r.Reported) != 1 || r.Reported[0] != p.Scan {
		t.Fatalf("deadline report: %+v, %v; want %s reported", r, err, p.Scan)
	}
	if len(d.slack.posts) != 1 {
		t.Fatalf("slack got %d posts, want 1", len(d.slack.posts))
	}
	rep := d.reportJSON(t)
	var lost int
	for _, c := range rep.Coverage.Causes {
		if c.Code == scanner.CodeNoOutcome {
			lost += c.Functions
		}
	}
	if lost == 0 || rep.Coverage.NotCovered != lost || rep.Coverage.Scanned != rep.Coverage.Listed-lost {
		t.Errorf("coverage %+v: want the dropped unit's functions not covered (NoOutcome) and the rest scanned", rep.Coverage)
	}
	if !strings.Contains(metrics.String(), `"ScansReportedLate":1`) {
		t.Errorf("no ScansReportedLate metric line: %q", metrics.String())
	}
	if !strings.Contains(string(d.slack.posts[0]), "INCOMPLETE, not covered") {
		t.Errorf("the digest of a partial scan does not lead with what was not covered")
	}
}
