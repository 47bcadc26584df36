package sim_test

import (
	"context"
	"encoding/json"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/lambdaudit/lambdaudit/sim"
	"github.com/lambdaudit/lambdaudit/sim/simtest"
)

// TestAWSCLIRunsLogsInsights: the aws CLI (botocore, an independent
// client) starts a query on the sim and reads its results.
func TestAWSCLIRunsLogsInsights(t *testing.T) {
	cli := simtest.AWSCLI(t)
	env := simtest.Start(t, logsSpec, sim.WithQueryTime(sim.QueryTime{Base: 20 * time.Millisecond}))
	day := env.Fleet.Anchor.Add(-24 * time.Hour)
	run := func(args ...string) []byte {
		t.Helper()
		c := exec.Command(cli, append(args, "--endpoint-url", env.URL, "--output", "json")...)
		c.Env = simtest.CLIEnv(t, "us-east-1")
		out, err := c.Output()
		if err != nil {
			if ee, ok := err.(*exec.ExitError); ok {
				t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, ee.Stderr)
			}
			t.Fatal(err)
		}
		return out
	}
	var started struct {
		QueryID string `json:"queryId"`
	}
	if err := json.Unmarshal(run("logs", "start-query", "--log-group-name", "/aws/lambda/text-fn",
		"--start-time", strconv.FormatInt(day.Unix(), 10), "--end-time", strconv.FormatInt(day.Add(24*time.Hour-time.Second).Unix(), 10),
		"--query-string", `filter @type = "REPORT" | stats count(*) as n, max(@duration) as maxDur`), &started); err != nil || started.QueryID == "" {
		t.Fatalf("start-query: %v %+v", err, started)
	}
	var res struct {
		Status     string                            `json:"status"`
		Results    [][]struct{ Field, Value string } `json:"results"`
		Statistics struct{ BytesScanned float64 }    `json:"statistics"`
	}
	for i := 0; i < 50 && res.Status != "Complete"; i++ {
		time.Sleep(50 * time.Millisecond)
		if err := json.Unmarshal(run("logs", "get-query-results", "--query-id", started.QueryID), &res); err != nil {
			t.Fatal(err)
		}
	}
	if res.Status != "Complete" || len(res.Results) != 1 {
		t.Fatalf("get-query-results: %+v", res)
	}
	got := map[string]string{}
	for _, f := range res.Results[0] {
		got[f.Field] = f.Value
	}
	if got["n"] != "2000" || got["maxDur"] != "6000" || res.Statistics.BytesScanned <= 0 {
		t.Fatalf("results %v, bytes %v (want n=2000, maxDur=6000: the timeouts)", got, res.Statistics.BytesScanned)
	}
}

// TestLogsShapeMatchesMoto sends the same SDK StartQuery and
// GetQueryResults to moto_server and to the sim and compares the shapes.
// moto's own gaps, not compared: moto evaluates only a few commands and
// ignores stats (it returns raw events), omits statistics, and
// completes queries at once (no Scheduled/Running).
func TestLogsShapeMatchesMoto(t *testing.T) {
	motoURL := simtest.Moto(t)
	env := simtest.Start(t, logsSpec, sim.WithQueryTime(sim.QueryTime{Base: 10 * time.Millisecond}))
	ctx := context.Background()
	moto := cloudwatchlogs.NewFromConfig(simtest.SDKConfig(t, motoURL, "us-east-1"))
	group := "/aws/lambda/text-fn-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	if _, err := moto.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: &group}); err != nil {
		t.Fatalf("moto CreateLogGroup: %v", err)
	}
	if _, err := moto.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: &group, LogStreamName: aws.String("s")}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if _, err := moto.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: &group, LogStreamName: aws.String("s"), LogEvents: []types.InputLogEvent{
		{Timestamp: aws.Int64(now.Add(-time.Minute).UnixMilli()), Message: aws.String("REPORT RequestId: 1\tDuration: 10.00 ms\tBilled Duration: 10 ms\tMemory Size: 128 MB\tMax Memory Used: 64 MB\t")},
	}}); err != nil {
		t.Fatal(err)
	}
	shape := func(c *cloudwatchlogs.Client, group string, start, end time.Time, wantStats bool) (fields []string, status types.QueryStatus) {
		t.Helper()
		out, err := c.StartQuery(ctx, &cloudwatchlogs.StartQueryInput{LogGroupName: &group, StartTime: aws.Int64(start.Unix()), EndTime: aws.Int64(end.Unix()),
			QueryString: aws.String("fields @timestamp, @message | limit 1")})
		if err != nil {
			t.Fatalf("StartQuery: %v", err)
		}
		if aws.ToString(out.QueryId) == "" {
			t.Fatal("StartQuery: empty queryId")
		}
		for i := 0; i < 100; i++ {
			res, err := c.GetQueryResults(ctx, &cloudwatchlogs.GetQueryResultsInput{QueryId: out.QueryId})
			if err != nil {
				t.Fatalf("GetQueryResults: %v", err)
			}
			if res.Status == types.QueryStatusComplete {
				if wantStats && res.Statistics == nil {
					t.Fatal("no statistics")
				}
				for _, row := range res.Results {
					for _, f := range row {
						fields = append(fields, aws.ToString(f.Field))
					}
					break
				}
				sort.Strings(fields)
				return fields, res.Status
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Fatal("query did not complete")
		return nil, ""
	}
	simFields, simStatus := shape(cloudwatchlogs.NewFromConfig(env.Config), "/aws/lambda/text-fn", env.Fleet.Anchor.Add(-time.Hour), env.Fleet.Anchor, true)
	motoFields, motoStatus := shape(moto, group, now.Add(-time.Hour), now, false)
	if simStatus != motoStatus {
		t.Errorf("status: sim %s, moto %s", simStatus, motoStatus)
	}
	// Both return the selected fields; the sim adds @ptr like AWS does
	// (moto does not).
	want := map[string]bool{"@timestamp": true, "@message": true}
	for _, fs := range [][]string{simFields, motoFields} {
		n := 0
		for _, f := range fs {
			if want[f] {
				n++
			}
		}
		if n != 2 {
			t.Errorf("fields %v: want @timestamp and @message (sim %v, moto %v)", fs, simFields, motoFields)
		}
	}
}
