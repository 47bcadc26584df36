package insights

import (
	"fmt"
	"testing"

	"github.com/lambdaudit/lambdaudit/metrics"
	"github.com/lambdaudit/lambdaudit/scanner"
)

// benchResult is a synthetic scan of n functions over two accounts and
// two regions, one in ten with something wrong, some with tags.
func benchResult(n int) *scanner.Result {
	fns := make([]scanner.Function, 0, n)
	accounts, regions := []string{"111111111111", "222222222222"}, []string{"us-east-1", "eu-west-1"}
	for i := 0; i < n; i++ {
		acct, region := accounts[i%2], regions[(i/2)%2]
		f := testFunction(fmt.Sprintf("fn-%05d", i), func(f *scanner.Function) {
			f.Account, f.Region = acct, region
			f.ID = acct + "/" + region + "/" + f.Name
			f.Metrics[metrics.InvocationsSum] = flat(float64(100 + i%5000))
			switch i % 10 {
			case 0:
				f.Metrics[metrics.DurationMaximum] = flat(9000)
			case 1:
				f.Logs.MemoryMaxMB = flat(1000)
			case 2:
				f.Metrics[metrics.ErrorsSum] = flat(200)
			case 3:
				f.Architecture, f.Metrics[metrics.DurationSum] = "x86_64", flat(5e7)
			case 4:
				f.Tags = map[string]string{"team": "x", "lambdaudit:ignore": "cold-starts", "lambdaudit:near-timeout.warn": "0.9"}
			case 5:
				f.Metrics[metrics.InvocationsSum] = withLast(flat(1000), fp(9000))
			}
		})
		fns = append(fns, f)
	}
	res := testResult(fns...)
	limit := 1000
	res.Targets = nil
	for _, a := range accounts {
		for _, r := range regions {
			res.Targets = append(res.Targets, scanner.Target{Account: a, Region: r, Status: scanner.StatusOK, Functions: n / 4,
				ConcurrencyLimit: &limit, Metrics: map[string]metrics.Series{metrics.ConcurrentExecutionsMaximum: flat(850)}})
		}
	}
	return res
}

// BenchmarkBuild prices and evaluates a scan of 10,000 functions and
// assembles the report.
func BenchmarkBuild(b *testing.B) {
	res := benchResult(10000)
	cfg, err := ParseConfig([]byte("overrides:\n  - match: \"fn-0*\"\n    thresholds: {cold-starts.share: 0.1}\n"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var rep *Report
	for b.Loop() {
		if rep, err = Build(res, Options{Config: cfg}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(rep.Insights)), "insights")
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/10000, "µs/function")
}
