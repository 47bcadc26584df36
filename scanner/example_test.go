package scanner_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/lambdaudit/lambdaudit/scanner"
	"github.com/lambdaudit/lambdaudit/sim"
	"github.com/lambdaudit/lambdaudit/sim/fleet"
)

// A scan of the caller's account in one region, as `lambdaudit scan`
// runs it — limiters and a meter on every client, then Scan — here
// against the simulated account.
func ExampleScanner_Scan() {
	now := time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC)
	spec, err := fleet.Parse([]byte(`
days: 14
now: "2026-11-21T06:00:00Z"
accounts:
  - id: "111111111111"
    regions:
      - name: us-east-1
        functions:
          - {name: checkout-api, timeoutS: 6, profile: {invocations: 1000, duration: {p50: 900, max: 5600}}}
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
	running, err := srv.Start("")
	if err != nil {
		log.Fatal(err)
	}
	defer running.Close()
	base, err := config.LoadDefaultConfig(context.Background(), config.WithRegion("us-east-1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(sim.AccessKeyID, sim.SecretAccessKey, "")),
		config.WithBaseEndpoint(running.URL), config.WithRetryer(scanner.Retryer(0)))
	if err != nil {
		log.Fatal(err)
	}

	c := scanner.Config{Regions: []string{"us-east-1"}}
	ls, _ := c.Limiters()
	meter := scanner.NewMeter()
	sess, _ := scanner.NewSessions(base, c.Targets(), scanner.APIOptions(ls, meter))
	set, _ := c.Settings(now)
	set.LogsSettings.InitialPoll = 10 * time.Millisecond
	s, _ := scanner.New(sess, meter, nil, nil, set, func() time.Time { return now })
	res, err := s.Scan(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	fn := res.Functions[0]
	maxMs, _ := fn.Metrics["Duration:Maximum"].Last()
	fmt.Println(fn.ID, fn.Status)
	fmt.Printf("yesterday: max duration %.0f ms of a %d s timeout\n", maxMs, fn.TimeoutS)
	fmt.Println("GetMetricData calls:", res.API.Calls["CloudWatch:GetMetricData"])
	// Output:
	// 111111111111/us-east-1/checkout-api scanned
	// yesterday: max duration 5600 ms of a 6 s timeout
	// GetMetricData calls: 1
}
