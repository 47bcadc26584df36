package sim_test

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/smithy-go"

	"github.com/lambdaudit/lambdaudit/sim"
	"github.com/lambdaudit/lambdaudit/sim/simtest"
)

const logsSpec = `
accounts:
- id: "111111111111"
  regions:
  - name: us-east-1
    functions:
    - name: text-fn
      memoryMB: 512
      timeoutS: 6
      profile:
        invocations: 2000
        duration: {p50: 100, p99: 900, max: 5600}
        memoryUsed: {p50: 200, p99: 400, max: 480}
        timeouts: 4
        coldStarts: 50
        initDuration: {p50: 300, p95: 1200, max: 1500}
    - name: json-fn
      logFormat: JSON
      logGroup: /custom/json-fn
      memoryMB: 256
      profile:
        invocations: 1000
        memoryUsed: {p50: 100, max: 200}
`

// runQuery starts a query and polls it to completion with the SDK.
func runQuery(t *testing.T, c *cloudwatchlogs.Client, groups []string, start, end time.Time, q string) *cloudwatchlogs.GetQueryResultsOutput {
	t.Helper()
	ctx := context.Background()
	out, err := c.StartQuery(ctx, &cloudwatchlogs.StartQueryInput{LogGroupNames: groups, StartTime: aws.Int64(start.Unix()), EndTime: aws.Int64(end.Unix()), QueryString: aws.String(q)})
	if err != nil {
		t.Fatalf("StartQuery: %v", err)
	}
	var seen []types.QueryStatus
	for i := 0; i < 200; i++ {
		res, err := c.GetQueryResults(ctx, &cloudwatchlogs.GetQueryResultsInput{QueryId: out.QueryId})
		if err != nil {
			t.Fatalf("GetQueryResults: %v", err)
		}
		if len(seen) == 0 || seen[len(seen)-1] != res.Status {
			seen = append(seen, res.Status)
		}
		if res.Status == types.QueryStatusComplete {
			if seen[0] != types.QueryStatusScheduled && seen[0] != types.QueryStatusRunning {
				t.Errorf("statuses %v: a query should be Scheduled or Running before Complete", seen)
			}
			return res
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("query did not complete; statuses %v", seen)
	return nil
}

func row(r []types.ResultField) map[string]string {
	m := map[string]string{}
	for _, f := range r {
		m[aws.ToString(f.Field)] = aws.ToString(f.Value)
	}
	return m
}

func TestLogsInsightsOverREPORT(t *testing.T) {
	env := simtest.Start(t, logsSpec, sim.WithQueryTime(sim.QueryTime{Base: 50 * time.Millisecond}))
	c := cloudwatchlogs.NewFromConfig(env.Config)
	day := env.Fleet.Anchor.Add(-24 * time.Hour)
	truth := env.Fleet.Account("111111111111").Region("us-east-1").Function("text-fn").Day(1)

	res := runQuery(t, c, []string{"/aws/lambda/text-fn", "/custom/json-fn"}, day, day.Add(24*time.Hour-time.Second),
		`filter @type = "REPORT" | stats count(*) as n, max(@maxMemoryUsed/1000/1000) as maxMem, sum(strcontains(@message, "Init Duration")) as cold, sum(strcontains(@message, "Status: timeout")) as timeouts, pct(@initDuration, 95) as p95init by @log`)
	if len(res.Results) != 1 {
		t.Fatalf("want one group (the JSON function has no @type), got %d rows: %+v", len(res.Results), res.Results)
	}
	got := row(res.Results[0])
	for k, want := range map[string]string{"@log": "111111111111:/aws/lambda/text-fn", "n": "2000", "maxMem": "480", "cold": "50", "timeouts": "4", "p95init": "1200"} {
		if got[k] != want {
			t.Errorf("%s = %q, want %q (row %v)", k, got[k], want, got)
		}
	}
	if truth.Invocations != 2000 || truth.ColdStarts != 50 {
		t.Fatalf("fleet day: %+v", truth)
	}
	if res.Statistics == nil || res.Statistics.BytesScanned <= 0 || res.Statistics.RecordsMatched != 2000 {
		t.Errorf("statistics: %+v", res.Statistics)
	}

	// The JSON log format's platform.report records, by their JSON fields.
	res = runQuery(t, c, []string{"/custom/json-fn"}, day, day.Add(24*time.Hour-time.Second),
		"filter type = \"platform.report\" | stats count(*) as n, max(`record.metrics.maxMemoryUsedMB`) as maxMem")
	got = row(res.Results[0])
	if got["n"] != "1000" || got["maxMem"] != "200" {
		t.Errorf("JSON format: %v", got)
	}

	snap := env.Server.Accounting()
	if sq := snap.API("logs", "StartQuery"); sq.QueriesStarted != 2 || sq.BytesScanned <= 0 {
		t.Errorf("accounting StartQuery: %+v", sq)
	}
}

func TestLogsErrors(t *testing.T) {
	env := simtest.Start(t, logsSpec, sim.WithQuotas(func() sim.Quotas { q := sim.DefaultQuotas(); q.ConcurrentQueries = 1; q.StartQuery = 0; return q }()),
		sim.WithQueryTime(sim.QueryTime{Base: time.Minute}))
	c := cloudwatchlogs.NewFromConfig(env.Config)
	ctx := context.Background()
	now := simtest.Now
	many := make([]string, 51)
	for i := range many {
		many[i] = "/aws/lambda/g" + strconv.Itoa(i)
	}
	for _, tc := range []struct {
		name string
		in   *cloudwatchlogs.StartQueryInput
		code string
	}{
		{"malformed query names the token", &cloudwatchlogs.StartQueryInput{LogGroupNames: []string{"/aws/lambda/text-fn"}, QueryString: aws.String("stats median(@duration)")}, "MalformedQueryException"},
		{"unknown log group", &cloudwatchlogs.StartQueryInput{LogGroupNames: []string{"/aws/lambda/nope"}, QueryString: aws.String("fields @message")}, "ResourceNotFoundException"},
		{"more than 50 groups", &cloudwatchlogs.StartQueryInput{LogGroupNames: many, QueryString: aws.String("fields @message")}, "InvalidParameterException"},
		{"end before start", &cloudwatchlogs.StartQueryInput{LogGroupNames: []string{"/aws/lambda/text-fn"}, QueryString: aws.String("fields @message"), StartTime: aws.Int64(now.Unix()), EndTime: aws.Int64(now.Unix() - 10)}, "InvalidParameterException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.in.StartTime == nil {
				tc.in.StartTime, tc.in.EndTime = aws.Int64(now.Add(-time.Hour).Unix()), aws.Int64(now.Unix())
			}
			_, err := c.StartQuery(ctx, tc.in)
			var ae smithy.APIError
			if !errors.As(err, &ae) || ae.ErrorCode() != tc.code {
				t.Fatalf("err = %v, want %s", err, tc.code)
			}
		})
	}
	// The concurrency limit: the second query while the first runs.
	in := &cloudwatchlogs.StartQueryInput{LogGroupNames: []string{"/aws/lambda/text-fn"}, QueryString: aws.String("fields @message"), StartTime: aws.Int64(now.Add(-time.Hour).Unix()), EndTime: aws.Int64(now.Unix())}
	first, err := c.StartQuery(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.StartQuery(ctx, in)
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "LimitExceededException" {
		t.Fatalf("second concurrent query: err = %v, want LimitExceededException; accounting %+v", err, env.Server.Accounting().ByAPI)
	}
	if _, err := c.StopQuery(ctx, &cloudwatchlogs.StopQueryInput{QueryId: first.QueryId}); err != nil {
		t.Fatalf("StopQuery: %v", err)
	}
	if _, err := c.StartQuery(ctx, in); err != nil {
		t.Fatalf("a query after StopQuery freed the slot: %v", err)
	}
	if p := env.Server.Accounting().PeakConcurrentQueries["111111111111/us-east-1"]; p != 1 {
		t.Errorf("peak concurrent queries = %d, want 1", p)
	}
}

func TestDescribeLogGroupsPaginates(t *testing.T) {
	env := simtest.Start(t, logsSpec)
	c := cloudwatchlogs.NewFromConfig(env.Config)
	p := cloudwatchlogs.NewDescribeLogGroupsPaginator(c, &cloudwatchlogs.DescribeLogGroupsInput{Limit: aws.Int32(1)})
	var names []string
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range out.LogGroups {
			names = append(names, aws.ToString(g.LogGroupName))
			if aws.ToInt64(g.StoredBytes) <= 0 {
				t.Errorf("%s: storedBytes %d", aws.ToString(g.LogGroupName), aws.ToInt64(g.StoredBytes))
			}
		}
	}
	if len(names) != 2 || names[0] != "/aws/lambda/text-fn" || names[1] != "/custom/json-fn" {
		t.Fatalf("groups %v", names)
	}
}
