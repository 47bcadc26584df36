package bench

import (
	"context"
	"testing"
	"time"

	"github.com/lambdaudit/lambdaudit/sim"
)

func TestComparisonStrategies(t *testing.T) {
	cfg := Config{Sizes: []int{120}, Seed: 3, Strategies: []string{Naive, FixedConcurrency}, Quotas: sim.DefaultQuotas(),
		Now: time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC)}
	rows, err := Run(context.Background(), cfg, map[string]StrategyFunc{Naive: NaiveStrategy, FixedConcurrency: FixedConcurrencyStrategy})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		t.Logf("%+v", r)
	}
}
