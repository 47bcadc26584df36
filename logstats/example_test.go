package logstats_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"

	"github.com/lambdaudit/lambdaudit/logstats"
	"github.com/lambdaudit/lambdaudit/metrics"
	"github.com/lambdaudit/lambdaudit/sim"
	"github.com/lambdaudit/lambdaudit/sim/fleet"
)

// ExampleRunner plans the Logs Insights queries of two functions, one
// logging Text and one JSON, and runs them against the simulated account
// with the real CloudWatch Logs client.
func ExampleRunner() {
	now := time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC)
	spec, err := fleet.Parse([]byte(`
accounts:
  - id: "123456789012"
    regions:
      - name: us-east-1
        functions:
          - name: report-builder
            memoryMB: 512
            timeoutS: 30
            profile:
              invocations: 1500
              duration: {p50: 2000, max: 9000}
              memoryUsed: {p50: 200, max: 310}
              timeouts: 2
          - name: search-indexer
            logFormat: JSON
            memoryMB: 1024
            profile:
              invocations: 3000
              coldStarts: {rate: 0.12}
              initDuration: {p50: 1800, p95: 2600, max: 3200}
`))
	if err != nil {
		log.Fatal(err)
	}
	f, err := fleet.Build(spec, now)
	if err != nil {
		log.Fatal(err)
	}
	srv, err := sim.New(f, sim.WithClock(func() time.Time { return now }), sim.WithLatency(sim.Latency{}),
		sim.WithQueryTime(sim.QueryTime{Base: 10 * time.Millisecond}))
	if err != nil {
		log.Fatal(err)
	}
	run, err := srv.Start("")
	if err != nil {
		log.Fatal(err)
	}
	defer run.Close()
	client := cloudwatchlogs.NewFromConfig(aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(sim.AccessKeyID, sim.SecretAccessKey, ""),
		BaseEndpoint: aws.String(run.URL),
	})

	fns := []metrics.Function{
		{ID: "123456789012/us-east-1/report-builder", Name: "report-builder"},
		{ID: "123456789012/us-east-1/search-indexer", Name: "search-indexer", LogFormat: logstats.LogFormatJSON},
	}
	w := metrics.LastCompleteDay(now)
	plan, err := logstats.NewPlan(fns, w, nil, logstats.PlanOptions{})
	if err != nil {
		log.Fatal(err)
	}
	runner := logstats.NewRunner(logstats.Settings{InitialPoll: 10 * time.Millisecond})
	for _, b := range plan.Batches {
		res, err := runner.Run(context.Background(), client, b)
		if err != nil {
			log.Fatal(err)
		}
		for _, id := range b.Items() {
			s := res.Stats[id]
			inv, _ := s.Invocations.Last()
			cold, _ := s.ColdStarts.Last()
			timeouts, _ := s.Timeouts.Last()
			mem, _ := s.MemoryMaxMB.Last()
			fmt.Printf("%s %s: %v invocations, %v cold, %v timed out, max memory %v MB", b.Format, s.LogGroup, inv, cold, timeouts, mem)
			if p95, ok := s.InitP95Ms.Last(); ok {
				fmt.Printf(", p95 init %v ms", p95)
			}
			fmt.Printf("; first day: %v\n", s.Invocations[0])
		}
	}
	// Output:
	// JSON /aws/lambda/search-indexer: 3000 invocations, 360 cold, 0 timed out, max memory 614 MB, p95 init 2600 ms; first day: <nil>
	// Text /aws/lambda/report-builder: 1500 invocations, 0 cold, 2 timed out, max memory 310 MB; first day: <nil>
}
