package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/lambdaudit/lambdaudit/bench"
	"github.com/lambdaudit/lambdaudit/sim"
)

func newBenchCmd() *cobra.Command {
	var (
		sizes      []int
		strategies []string
		faults     []string
		seed       int64
		logs       bool
		noLatency  bool
		timeout    time.Duration
		logLevel   string
	)
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Benchmark scan strategies against the simulated account under AWS's quotas and latencies",
		Long: `bench serves generated fleets (one region) from the simulated account with
AWS's default quotas and latencies, scans each with every strategy in turn, and
prints per strategy: wall time, the floor (the shortest time any client could
take for the same data under the same quotas and latencies; see package bench),
API calls, throttles returned, HTTP 5xx, failed functions, the estimated AWS bill
of the calls, and the process's peak RSS (the simulated account included).

Strategies: batched (lambdaudit's engine), naive (one GetMetricStatistics per
function and metric, all at once), fixed-concurrency (GetMetricData batches of
500, 5 in flight, no rate limiter).`,
		Example: `  lambdaudit bench --sizes 1000,10000,50000
  lambdaudit bench --sizes 10000 --strategies batched \
    --fault throttlePct=20 --fault errorPct=2`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			logger, err := newLogger(cmd.ErrOrStderr(), logLevel)
			if err != nil {
				return err
			}
			cfg := bench.Config{Sizes: sizes, Seed: seed, Strategies: strategies, Quotas: sim.DefaultQuotas(),
				Latency: sim.DefaultLatency(), Now: time.Now(), Timeout: timeout, Logger: logger}
			if noLatency {
				cfg.Latency = sim.Latency{}
			}
			for _, s := range faults {
				f, err := sim.ParseFault(s)
				if err != nil {
					return fmt.Errorf("--fault: %w", err)
				}
				cfg.Faults = append(cfg.Faults, f)
			}
			cfg.Progress = func(r bench.Row) {
				fmt.Fprintf(cmd.ErrOrStderr(), "bench: %d functions, %s: %s (floor %s), %d calls, %d throttled, %d failed functions\n",
					r.Functions, r.Strategy, r.Wall.Round(time.Millisecond), r.Floor.Round(time.Millisecond), r.TotalCalls(), r.Throttles, r.FailedFunctions)
			}
			impl := map[string]bench.StrategyFunc{
				bench.Batched:          bench.BatchedStrategy(logs),
				bench.Naive:            bench.NaiveStrategy,
				bench.FixedConcurrency: bench.FixedConcurrencyStrategy,
			}
			rows, err := bench.Run(cmd.Context(), cfg, impl)
			if len(rows) > 0 {
				out := cmd.OutOrStdout()
				if werr := bench.WriteTable(out, rows); werr != nil {
					return werr
				}
				fmt.Fprintln(out)
				if werr := bench.WriteCalls(out, rows); werr != nil {
					return werr
				}
			}
			return err
		},
	}
	fl := cmd.Flags()
	fl.IntSliceVar(&sizes, "sizes", []int{1000, 10000, 50000}, "fleet sizes (functions in one region)")
	fl.StringSliceVar(&strategies, "strategies", bench.Strategies, "strategies to run, in order")
	fl.StringArrayVar(&faults, "fault", nil, "extra fault on top of the quotas, as for lambdaudit sim (repeatable), e.g. throttlePct=20")
	fl.Int64Var(&seed, "seed", 1, "fleet generator seed")
	fl.BoolVar(&logs, "logs", false, "include the Logs Insights stage in the batched strategy (the others do not query logs)")
	fl.BoolVar(&noLatency, "no-latency", false, "serve without simulated latency")
	fl.DurationVar(&timeout, "timeout", 30*time.Minute, "bound on each strategy's run")
	fl.StringVar(&logLevel, "log-level", "warn", "log level on stderr")
	return cmd
}
