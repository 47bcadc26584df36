package cost_test

import (
	"fmt"
	"testing"

	"github.com/lambdaudit/lambdaudit/cost"
	"github.com/lambdaudit/lambdaudit/metrics"
	"github.com/lambdaudit/lambdaudit/scanner"
)

// BenchmarkModel prices 10,000 functions over a 15-day window (5
// accounts × 4 regions, both architectures, logs for half of them).
func BenchmarkModel(b *testing.B) {
	const n, days = 10000, 15
	regions := []string{"us-east-1", "us-east-2", "eu-west-1", "ap-northeast-1"}
	res := &scanner.Result{Schema: scanner.Schema, Version: scanner.SchemaVersion,
		Window: metrics.Window{End: windowEnd.AddDate(0, 0, 18), Days: days}}
	for i := range n {
		inv, dur, billed := make([]float64, days), make([]float64, days), make([]float64, days)
		for d := range days {
			inv[d] = float64(1000 + i%500*d)
			dur[d] = inv[d] * float64(20+i%300)
			billed[d] = dur[d] + inv[d]*0.5
		}
		arch := "x86_64"
		if i%3 == 0 {
			arch = "arm64"
		}
		f := billedFn(fmt.Sprintf("%012d", i%5), regions[i%4], fmt.Sprintf("fn-%d", i), arch, 128*(1+i%16), inv, billed)
		f.Metrics[metrics.DurationSum] = series(dur...)
		if i%2 == 0 {
			f.Logs = nil
		}
		res.Functions = append(res.Functions, f)
	}
	t := cost.Embedded()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := cost.Model(res, t, cost.Options{FreeTier: true}); err != nil {
			b.Fatal(err)
		}
	}
}
