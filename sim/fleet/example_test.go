package fleet_test

import (
	"fmt"
	"io"
	"log"
	"time"

	"github.com/lambdaudit/lambdaudit/sim/fleet"
)

func ExampleBuild() {
	spec, err := fleet.Parse([]byte(`
seed: 1
accounts:
  - id: "123456789012"
    regions:
      - name: us-east-1
        functions:
          - name: long-calculation
            runtime: nodejs24.x
            timeoutS: 6
            profile:
              invocations: 1200
              duration: {p50: 1200, p99: 4100, max: 5600}
              errors: 3
`))
	if err != nil {
		log.Fatal(err)
	}
	now := time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC)
	f, err := fleet.Build(spec, now)
	if err != nil {
		log.Fatal(err)
	}
	r := f.Account("123456789012").Region("us-east-1")
	fn := r.Function("long-calculation")
	fmt.Println(fn.ARN)

	// What CloudWatch serves for yesterday, period one day.
	yesterday := f.Anchor.Add(-24 * time.Hour)
	for _, stat := range []string{"Maximum", "p99", "p50", "SampleCount"} {
		st, _ := fleet.ParseStat(stat)
		dps := r.Datapoints(fleet.MetricID{Namespace: fleet.NSLambda, Name: "Duration",
			Dims: []fleet.Dim{{Name: "FunctionName", Value: fn.Name}}}, st, yesterday, f.Anchor, 24*time.Hour, now)
		fmt.Println("Duration", stat, dps[0].Value)
	}

	// The ground truth says the same.
	ft := fn.Truth()
	d := ft.Days[len(ft.Days)-1]
	fmt.Println(d.Date, d.Invocations, d.Errors, d.Duration.Maximum, d.Duration.P99)

	// Output:
	// arn:aws:lambda:us-east-1:123456789012:function:long-calculation
	// Duration Maximum 5600
	// Duration p99 4100
	// Duration p50 1200
	// Duration SampleCount 1200
	// 2026-11-20 1200 3 5600 4100
}

// ExampleFleet_Truth writes the ground truth of a generated fleet.
func ExampleFleet_Truth() {
	spec, err := fleet.Parse([]byte(`
seed: 3
now: "2026-11-21T06:00:00Z"
generate:
  functions: 1
  mix: {near-timeout: 1}
`))
	if err != nil {
		log.Fatal(err)
	}
	f, err := fleet.Build(spec, time.Time{})
	if err != nil {
		log.Fatal(err)
	}
	t := f.Truth(f.Anchor)
	fn := t.Functions[0]
	last := fn.Days[len(fn.Days)-1]
	fmt.Println(t.SchemaVersion, len(t.Regions), len(t.Functions), fn.Name, fn.Anomaly, len(fn.Days))
	fmt.Printf("max %v ms of %d s\n", last.Duration.Maximum, fn.Config.TimeoutS)
	if err := t.WriteJSON(io.Discard); err != nil { // or a file, for a test to read
		log.Fatal(err)
	}
	// Output:
	// 1 1 1 orders-stream-publish-0 near-timeout 14
	// max 9680 ms of 10 s
}
