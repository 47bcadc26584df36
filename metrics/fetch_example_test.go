package metrics_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"

	"github.com/lambdaudit/lambdaudit/metrics"
	"github.com/lambdaudit/lambdaudit/sim"
	"github.com/lambdaudit/lambdaudit/sim/fleet"
)

// ExampleFetch discovers the optional metrics of a two-function region,
// plans its queries, sends them as one batch through the real CloudWatch
// client (here to the simulated account) and reads the report day's
// values back by function ID and metric key.
func ExampleFetch() {
	now := time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC)
	spec, err := fleet.Parse([]byte(`
accounts:
  - id: "123456789012"
    regions:
      - name: us-east-1
        functions:
          - name: checkout-api
            profile: {invocations: 1200, duration: {p50: 80, p99: 240, max: 410}, errors: 6}
          - name: clicks-consumer
            profile: {invocations: 300, iteratorAgeMs: 90000}
`))
	if err != nil {
		log.Fatal(err)
	}
	f, err := fleet.Build(spec, now)
	if err != nil {
		log.Fatal(err)
	}
	srv, err := sim.New(f, sim.WithClock(func() time.Time { return now }), sim.WithLatency(sim.Latency{}))
	if err != nil {
		log.Fatal(err)
	}
	run, err := srv.Start("")
	if err != nil {
		log.Fatal(err)
	}
	defer run.Close()
	cw := cloudwatch.NewFromConfig(aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(sim.AccessKeyID, sim.SecretAccessKey, ""),
		BaseEndpoint: aws.String(run.URL),
	})
	ctx := context.Background()

	fns := []metrics.Function{
		{ID: "123456789012/us-east-1/checkout-api", Name: "checkout-api"},
		{ID: "123456789012/us-east-1/clicks-consumer", Name: "clicks-consumer"},
	}
	found, err := metrics.Discover(ctx, cw)
	if err != nil {
		log.Fatal(err)
	}
	found.Apply(fns)
	window := metrics.LastCompleteDay(now)
	plan, err := metrics.NewPlan(window, fns)
	if err != nil {
		log.Fatal(err)
	}
	batch, err := metrics.NewBatch(window, plan.Queries) // fewer than 500 queries: one batch
	if err != nil {
		log.Fatal(err)
	}
	body, _ := json.Marshal(batch) // what a work unit carries
	fmt.Printf("%d queries, %d bytes of unit body\n", len(batch.Queries), len(body))

	res, err := metrics.Fetch(ctx, cw, batch)
	if err != nil {
		log.Fatal(err)
	}
	for _, fn := range fns {
		for _, m := range []string{metrics.InvocationsSum, metrics.ErrorsSum, metrics.DurationP99, metrics.IteratorAgeMaximum} {
			s, ok := res.Get(fn.ID, m)
			if !ok {
				fmt.Printf("%s %s: not queried\n", fn.Name, m)
				continue
			}
			if v, ok := s.Last(); ok {
				fmt.Printf("%s %s: %g\n", fn.Name, m, v)
			}
		}
	}
	first, _ := res.Get(fns[0].ID, metrics.InvocationsSum)
	fmt.Println("oldest day has data:", first[0] != nil)
	// Output:
	// 19 queries, 680 bytes of unit body
	// checkout-api Invocations:Sum: 1200
	// checkout-api Errors:Sum: 6
	// checkout-api Duration:p99: 240
	// checkout-api IteratorAge:Maximum: not queried
	// clicks-consumer Invocations:Sum: 300
	// clicks-consumer Errors:Sum: 0
	// clicks-consumer Duration:p99: 125
	// clicks-consumer IteratorAge:Maximum: 90000
	// oldest day has data: false
}
