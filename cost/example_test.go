package cost_test

import (
	"fmt"
	"log"
	"time"

	"github.com/lambdaudit/lambdaudit/cost"
	"github.com/lambdaudit/lambdaudit/metrics"
	"github.com/lambdaudit/lambdaudit/scanner"
)

// AWS's mobile backend example: 3M requests a month of 120 ms at 1536 MB
// on x86_64 in us-east-1, with the free tier.
func ExamplePrices_Estimate() {
	t := cost.Embedded()
	p, err := t.Prices("us-east-1", "x86_64")
	if err != nil {
		log.Fatal(err)
	}
	b, err := p.Estimate(cost.Usage{Architecture: "x86_64", MemoryMB: 1536, Requests: 3_000_000, DurationMs: 3_000_000 * 120}, &t.FreeTier)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("requests $%.2f, duration $%.2f, total $%.2f\n", b.Requests, b.Duration, b.Total)
	// Output:
	// requests $0.40, duration $2.33, total $2.73
}

// A scan result's function, priced per day: two days of data, then one
// without (no data is not $0).
func ExampleModel() {
	v := func(f float64) *float64 { return &f }
	res := &scanner.Result{Schema: scanner.Schema, Version: scanner.SchemaVersion,
		Window: metrics.Window{End: time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC), Days: 3},
		Functions: []scanner.Function{{
			ID: "111111111111/us-east-1/checkout-api", Account: "111111111111", Region: "us-east-1", Name: "checkout-api",
			Runtime: "nodejs22.x", Architecture: "x86_64", PackageType: "Zip", MemoryMB: 1024, EphemeralMB: 512,
			Metrics: map[string]metrics.Series{
				"Invocations:Sum": {v(1e6), v(2e6), nil},
				"Duration:Sum":    {v(1e6 * 99.5), v(2e6 * 99.5), nil},
			},
		}}}
	c, err := cost.Model(res, cost.Embedded(), cost.Options{})
	if err != nil {
		log.Fatal(err)
	}
	f := c.Functions[0]
	for i, d := range f.Days {
		if d == nil {
			fmt.Printf("%s: no data\n", c.Window.DayStart(i).Format(time.DateOnly))
			continue
		}
		fmt.Printf("%s: $%.2f (requests $%.2f, duration $%.2f)\n", c.Window.DayStart(i).Format(time.DateOnly), d.Total, d.Requests, d.Duration)
	}
	fmt.Printf("month to date $%.2f, projected %s $%.2f\n", f.MonthToDate.Total, c.Month, *f.ProjectedMonth)
	// Output:
	// 2026-11-18: $1.87 (requests $0.20, duration $1.67)
	// 2026-11-19: $3.73 (requests $0.40, duration $3.33)
	// 2026-11-20: no data
	// month to date $5.60, projected 2026-11 $81.20
}
