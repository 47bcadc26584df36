package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/lambdaudit/lambdaudit/scanner"
)

// BatchedStrategy is lambdaudit's engine as `lambdaudit scan` runs it
// (default settings: rate limiters at 0.9 of the quotas, tags, the
// optional-metric discovery), with or without the Logs Insights stage.
func BatchedStrategy(logs bool) StrategyFunc {
	return func(ctx context.Context, env *Env) (Outcome, error) {
		base, err := env.AWSConfig(ctx, nil)
		if err != nil {
			return Outcome{}, err
		}
		base.Retryer = scanner.Retryer(0)
		c := scanner.Config{Regions: []string{env.Region}, Logs: &logs}
		s, err := scanner.NewFromConfig(base, c, scanner.WithClock(func() time.Time { return env.Now }))
		if err != nil {
			return Outcome{}, err
		}
		res, err := s.Scan(ctx)
		if err != nil {
			return Outcome{}, fmt.Errorf("batched: %w", err)
		}
		snap := env.Server.Accounting()
		ok := func(api string) int { return int(snap.API("lambda", api).OK) }
		need := Need{
			ListFunctionsPages: ok("ListFunctions"),
			LambdaOther:        ok("GetAccountSettings") + ok("ListProvisionedConcurrencyConfigs"),
			TaggingPages:       int(snap.API("tagging", "GetResources").OK),
			ListMetricsCalls:   int(snap.API("monitoring", "ListMetrics").OK),
			ListMetricsChain:   1,
			Queries:            res.API.MetricQueries,
			LogQueries:         res.Logs.Queries,
		}
		return Outcome{Functions: res.Coverage.Listed, Failed: res.Coverage.Failed + res.Coverage.Partial, Need: need}, nil
	}
}
