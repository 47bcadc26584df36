package insights_test

import (
	"fmt"
	"log"
	"os"

	"github.com/lambdaudit/lambdaudit/insights"
	"github.com/lambdaudit/lambdaudit/scanner"
)

// Building the report of a scan result — what `lambdaudit report` does
// with the file `lambdaudit scan` wrote. The scan is one of the
// simulated account (testdata/report-fleet.yaml).
func ExampleBuild() {
	f, err := os.Open("testdata/scan.json")
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	res, err := scanner.Decode(f)
	if err != nil {
		log.Fatal(err)
	}
	cfg, err := insights.ParseConfig([]byte("rules:\n  near-timeout: {warn: 0.8, critical: 0.95}\n"))
	if err != nil {
		log.Fatal(err)
	}
	rep, err := insights.Build(res, insights.Options{Config: cfg})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s: %d of %d functions scanned, %d critical, %d warnings, %d info\n", rep.ReportDay,
		rep.Coverage.Scanned, rep.Coverage.Listed, rep.Counts.Critical, rep.Counts.Warning, rep.Counts.Info)
	s := rep.Summary
	fmt.Printf("invocations %.0f (%+.0f %% on the week), cost $%.2f, projected month $%.2f\n",
		*s.Invocations.Value, *s.Invocations.ChangeRatio*100, *s.CostUSD.Value, *s.ProjectedMonthUSD.Value)
	for _, in := range rep.Insights[:6] {
		about := in.Function
		if about == "" { // an account-region's insight
			about = in.Region
		}
		fmt.Printf("%-8s %s: %s\n", in.Severity, about, in.Title)
	}
	// Output:
	// 2026-11-20: 10 of 10 functions scanned, 3 critical, 7 warnings, 2 info
	// invocations 268000 (+89 % on the week), cost $4.60, projected month $66.13
	// critical ledger-sync: timeouts: 12 % of the invocations timed out on 2026-11-20 (240 of 2,000) at 3 s; lost compute $0.02/month; errors 12 % on 2026-11-20 (100 % of them timeouts)
	// critical notify-email: throttles: 300 of 2,300 requests throttled (13 %) on the report day
	// critical legacy-report: deprecated runtime: python3.8 reached end of support on 2024-10-14 (768 days ago)
	// warning  checkout-api: near timeout: 5.6 s of 6 s (max), p99 4.1 s
	// warning  search-indexer: cold starts: 180 of 2,000 invocations (9 %), p95 init 2.3 s; INIT billed $0.10/month
	// warning  ingest-stream: iterator age: 1 h 30 min behind the stream (max on the report day)
}
