package bench

import (
	"context"
	"testing"
	"time"

	"github.com/lambdaudit/lambdaudit/sim"
)

func TestFloor(t *testing.T) {
	q := sim.DefaultQuotas()
	lat := sim.DefaultLatency()
	tests := []struct {
		name string
		need Need
		want time.Duration
	}{
		{"nothing to do", Need{}, 0},
		// 200 sequential pages: 200 × 30 ms = 6 s of latency, but the
		// bucket admits 15 at once and 15/s after: 185/15 s + 30 ms.
		{"listing is rate-bound", Need{ListFunctionsPages: 200}, 12363333333},
		// 10 pages fit the burst: latency-bound, 10 × 30 ms.
		{"short listing is latency-bound", Need{ListFunctionsPages: 10}, 300 * time.Millisecond},
		// The last GetMetricData follows the last page: 300 ms + 40 ms.
		{"GetMetricData after the listing", Need{ListFunctionsPages: 10, Queries: 1000}, 340 * time.Millisecond},
		// 100 tagging pages at 5/s: 95/5 s + 20 ms.
		{"tagging dominates", Need{ListFunctionsPages: 200, TaggingPages: 100}, 19020 * time.Millisecond},
		// 5,000 calls' worth of queries at 50/s: 4,950/50 s + 40 ms.
		{"GetMetricData rate-bound", Need{Queries: 2500000}, 99040 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Floor(tt.need, q, lat)
			if d := got - tt.want; d < -time.Millisecond || d > time.Millisecond {
				t.Errorf("Floor(%+v) = %v, want %v", tt.need, got, tt.want)
			}
		})
	}
}

// TestStrategies runs every strategy on a small fleet at AWS's quotas (1 ms
// latency, to stay fast): the engine loses no function and packs
// GetMetricData densely; the naive scanner makes far more calls.
func TestStrategies(t *testing.T) {
	cfg := Config{Sizes: []int{300}, Seed: 3, Strategies: Strategies, Quotas: sim.DefaultQuotas(), Latency: sim.Latency{Default: time.Millisecond},
		Now: time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC)}
	rows, err := Run(context.Background(), cfg, map[string]StrategyFunc{
		Batched: BatchedStrategy(false), Naive: NaiveStrategy, FixedConcurrency: FixedConcurrencyStrategy})
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]Row{}
	for _, r := range rows {
		t.Logf("%s: %v (floor %v), %d calls, %d throttled, %d failed", r.Strategy, r.Wall, r.Floor, r.TotalCalls(), r.Throttles, r.FailedFunctions)
		by[r.Strategy] = r
	}
	b, n := by[Batched], by[Naive]
	if b.Err != "" || b.FailedFunctions != 0 {
		t.Errorf("batched: %d failed functions, err %q", b.FailedFunctions, b.Err)
	}
	if b.Floor <= 0 {
		t.Errorf("batched floor %v", b.Floor)
	}
	if n.TotalCalls() < 20*b.TotalCalls() {
		t.Errorf("naive %d calls, batched %d: want naive ≥ 20× more", n.TotalCalls(), b.TotalCalls())
	}
	if n.Calls["monitoring:GetMetricStatistics"] < 300*6 {
		t.Errorf("naive made %d GetMetricStatistics calls, want at least 6 per function", n.Calls["monitoring:GetMetricStatistics"])
	}
}
