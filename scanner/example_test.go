package scanner_test

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/lambdaudit/lambdaudit/scanner"
	"github.com/lambdaudit/lambdaudit/sim"
	"github.com/lambdaudit/lambdaudit/sim/fleet"
)

// exampleSim serves a one-function account at now and returns the SDK
// configuration that reaches it, and the function stopping it.
func exampleSim(now time.Time) (aws.Config, func()) {
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
	base, err := config.LoadDefaultConfig(context.Background(), config.WithRegion("us-east-1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(sim.AccessKeyID, sim.SecretAccessKey, "")),
		config.WithBaseEndpoint(running.URL), config.WithRetryer(scanner.Retryer(0)))
	if err != nil {
		log.Fatal(err)
	}

	return base, func() { running.Close() }
}

// A scan of the caller's account in one region, as `lambdaudit scan`
// runs it — limiters and a meter on every client, then Scan — here
// against the simulated account.
func ExampleScanner_Scan() {
	now := time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC)
	base, stop := exampleSim(now)
	defer stop()

	c := scanner.Config{Regions: []string{"us-east-1"}}
	s, err := scanner.NewFromConfig(base, c, scanner.WithClock(func() time.Time { return now }),
		scanner.WithSettings(func(set *scanner.Settings) { set.LogsSettings.InitialPoll = 10 * time.Millisecond }))
	if err != nil {
		log.Fatal(err)
	}
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

// Building a scanner as a host does: the meter and progress made first
// so the host can show the calls and the stage while the scan runs,
// Preflight to stop on bad credentials or an unreachable endpoint before
// any scanning (it calls STS), then Scan.
func ExampleNewFromConfig() {
	now := time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC)
	base, stop := exampleSim(now)
	defer stop()

	meter := scanner.NewMeter()
	prog := &scanner.Progress{}
	c := scanner.Config{Regions: []string{"us-east-1"}, Days: 7}
	s, err := scanner.NewFromConfig(base, c,
		scanner.WithClock(func() time.Time { return now }),
		scanner.WithMeter(meter), scanner.WithProgress(prog),
		scanner.WithLogger(slog.New(slog.DiscardHandler)),
		scanner.WithSettings(func(set *scanner.Settings) { set.LogsSettings.InitialPoll = 10 * time.Millisecond }))
	if err != nil {
		log.Fatal(err)
	}
	failed, err := s.Preflight(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("accounts failing preflight:", len(failed))
	res, err := s.Scan(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	snap := prog.Snapshot(meter)
	fmt.Println("window:", res.Window.Days, "days to", res.Window.End.Format("2006-01-02"))
	fmt.Println("functions listed:", snap.Listed, "scanned:", res.Coverage.Scanned)
	fmt.Println("work units done:", snap.Units, "of", snap.UnitsTotal)

	_, err = scanner.NewFromConfig(base, scanner.Config{Days: 90})
	fmt.Println(err)
	_, err = scanner.NewFromConfig(base, c, scanner.WithMeter(nil))
	fmt.Println(err)
	// Output:
	// accounts failing preflight: 0
	// window: 7 days to 2026-11-21
	// functions listed: 1 scanned: 1
	// work units done: 2 of 2
	// config: days: must be 1 to 63 (daily CloudWatch data older than 63 days is hourly-only), got 90
	// scanner: WithMeter: nil meter
}
