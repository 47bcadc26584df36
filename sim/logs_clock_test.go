package sim_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/lambdaudit/lambdaudit/sim"
	"github.com/lambdaudit/lambdaudit/sim/simtest"
)

// TestLogsQueryClock: with WithQueryClock a query's status follows that
// clock alone — Scheduled for the first fifth of its QueryTime, Running
// until the end, then Complete with its rows — however much real time
// passes.
func TestLogsQueryClock(t *testing.T) {
	var mu sync.Mutex
	qnow := simtest.Now
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return qnow }
	advance := func(d time.Duration) { mu.Lock(); defer mu.Unlock(); qnow = qnow.Add(d) }
	env := simtest.Start(t, logsSpec, sim.WithQueryClock(clock), sim.WithQueryTime(sim.QueryTime{Base: time.Hour}))
	c := cloudwatchlogs.NewFromConfig(env.Config)
	ctx := context.Background()
	day := env.Fleet.Anchor.Add(-24 * time.Hour)
	out, err := c.StartQuery(ctx, &cloudwatchlogs.StartQueryInput{
		LogGroupNames: []string{"/aws/lambda/text-fn"},
		StartTime:     aws.Int64(day.Unix()), EndTime: aws.Int64(day.Add(24*time.Hour - time.Second).Unix()),
		QueryString: aws.String(`filter @type = "REPORT" | stats count(*) as n by @log`),
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		advance time.Duration
		want    types.QueryStatus
	}{
		{"at the start", 0, types.QueryStatusScheduled},
		{"a fifth in", 12 * time.Minute, types.QueryStatusRunning},
		{"a second before the end", 48*time.Minute - time.Second, types.QueryStatusRunning},
		{"at the end", time.Second, types.QueryStatusComplete},
	} {
		t.Run(tc.name, func(t *testing.T) {
			advance(tc.advance)
			res, err := c.GetQueryResults(ctx, &cloudwatchlogs.GetQueryResultsInput{QueryId: out.QueryId})
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != tc.want {
				t.Fatalf("status %s, want %s", res.Status, tc.want)
			}
			if tc.want == types.QueryStatusComplete && len(res.Results) != 1 {
				t.Errorf("%d rows, want one", len(res.Results))
			}
		})
	}
	if _, err := sim.New(env.Fleet, sim.WithQueryClock(nil)); err == nil {
		t.Error("a nil query clock was accepted")
	}
}
