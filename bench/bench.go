// Package bench owns `lambdaudit bench`: the evidence for lambdaudit's core
// promise. It serves generated fleets from the simulated account (package
// sim) with AWS's default quotas and latencies, scans them with several
// strategies side by side — lambdaudit's batched engine, the naive
// per-function GetMetricStatistics scanner, and batched GetMetricData at a
// fixed concurrency without a rate limiter — and reports, per strategy,
// wall time, API calls, throttles, failed functions, the estimated AWS
// bill, peak memory, and the floor: the shortest time any client could
// take for the same data under the same quotas and latencies.
package bench

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/lambdaudit/lambdaudit/sim"
	"github.com/lambdaudit/lambdaudit/sim/fleet"
)

// Strategy names.
const (
	Batched          = "batched"
	Naive            = "naive"
	FixedConcurrency = "fixed-concurrency"
)

// Strategies are every strategy, in the order they run.
var Strategies = []string{Batched, Naive, FixedConcurrency}

// Config is one benchmark run.
type Config struct {
	// Sizes are the fleet sizes (functions, one region), e.g. 1000, 10000.
	Sizes      []int
	Seed       int64
	Strategies []string
	// Faults are injected on top of the quotas (e.g. 20 % throttles and
	// 2 % HTTP 5xx on GetMetricData).
	Faults  []sim.Fault
	Latency sim.Latency
	Quotas  sim.Quotas
	// Now is the simulated time; the window is the day before it.
	Now time.Time
	// Timeout bounds each strategy's run.
	Timeout time.Duration
	Logger  *slog.Logger
	// Progress, when set, receives one line per finished strategy.
	Progress func(Row)
}

// Env is what a strategy runs against: one served fleet.
type Env struct {
	URL    string
	Region string
	Fleet  *fleet.Fleet
	Server *sim.Server
	Now    time.Time
}

// AWSConfig is an SDK config for the simulated account with the SDK's
// default retryer, as a typical client would use it; hc, when not nil,
// is its HTTP client.
func (e *Env) AWSConfig(ctx context.Context, hc aws.HTTPClient) (aws.Config, error) {
	opts := []func(*config.LoadOptions) error{
		config.WithRegion(e.Region),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(sim.AccessKeyID, sim.SecretAccessKey, "")),
		config.WithBaseEndpoint(e.URL),
		config.WithSharedConfigProfile(""),
	}
	if hc != nil {
		opts = append(opts, config.WithHTTPClient(hc))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("sdk config: %w", err)
	}
	return cfg, nil
}

// Outcome is what a strategy reports about its own run.
type Outcome struct {
	Functions int // listed
	Failed    int // functions without their complete data
	// Need is the work the data took, for the floor: calls per API that
	// any client needs for this data.
	Need Need
}

// A StrategyFunc scans env's fleet.
type StrategyFunc func(ctx context.Context, env *Env) (Outcome, error)

// Row is one strategy at one size.
type Row struct {
	Strategy  string
	Functions int
	Wall      time.Duration
	Floor     time.Duration
	// Calls and Throttles per "service:API", as the simulated account
	// counted them.
	Calls           map[string]int64
	Throttles       int64
	ServerErrors    int64
	FailedFunctions int
	CostUSD         float64
	PeakRSSMB       float64
	Err             string
}

// TotalCalls sums the calls over APIs.
func (r Row) TotalCalls() int64 {
	var n int64
	for _, v := range r.Calls {
		n += v
	}
	return n
}

// Run benchmarks every size with every strategy. strategies maps names to
// implementations (Batched comes from the scan engine; see Default).
func Run(ctx context.Context, cfg Config, strategies map[string]StrategyFunc) ([]Row, error) {
	if len(cfg.Sizes) == 0 {
		return nil, errors.New("bench: no sizes")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now.IsZero() {
		cfg.Now = time.Now()
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Minute
	}
	for _, s := range cfg.Strategies {
		if strategies[s] == nil {
			return nil, fmt.Errorf("bench: unknown strategy %q (have %s)", s, strings.Join(Strategies, ", "))
		}
	}
	var rows []Row
	for _, n := range cfg.Sizes {
		if n < 1 {
			return nil, fmt.Errorf("bench: size %d: must be at least 1", n)
		}
		spec := &fleet.Spec{Seed: cfg.Seed, Generate: &fleet.GeneratorSpec{Functions: n, Regions: []string{fleet.DefaultRegion}, Accounts: []string{fleet.DefaultAccount}}}
		if err := spec.Validate(); err != nil {
			return nil, fmt.Errorf("bench: fleet of %d: %w", n, err)
		}
		f, err := fleet.Build(spec, cfg.Now)
		if err != nil {
			return nil, fmt.Errorf("bench: fleet of %d: %w", n, err)
		}
		start := time.Now()
		clock := func() time.Time { return cfg.Now.Add(time.Since(start)) }
		srv, err := sim.New(f, sim.WithClock(clock), sim.WithQuotas(cfg.Quotas), sim.WithLatency(cfg.Latency), sim.WithFaults(cfg.Faults...), sim.WithSeed(uint64(cfg.Seed)))
		if err != nil {
			return nil, fmt.Errorf("bench: sim: %w", err)
		}
		running, err := srv.Start("")
		if err != nil {
			return nil, fmt.Errorf("bench: sim: %w", err)
		}
		env := &Env{URL: running.URL, Region: fleet.DefaultRegion, Fleet: f, Server: srv, Now: clock()}
		for _, name := range cfg.Strategies {
			row := runOne(ctx, cfg, env, name, strategies[name])
			row.Functions = n
			cfg.Logger.Info("bench: strategy done", "strategy", name, "functions", n, "wall", row.Wall, "calls", row.TotalCalls(), "throttles", row.Throttles, "failed", row.FailedFunctions)
			if cfg.Progress != nil {
				cfg.Progress(row)
			}
			rows = append(rows, row)
			if ctx.Err() != nil {
				running.Close()
				return rows, ctx.Err()
			}
		}
		running.Close()
	}
	return rows, nil
}

func runOne(ctx context.Context, cfg Config, env *Env, name string, fn StrategyFunc) Row {
	env.Server.ResetAccounting()
	debug.FreeOSMemory() // so the peak below starts from what is live now
	resetPeakRSS()
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	t0 := time.Now()
	out, err := fn(ctx, env)
	wall := time.Since(t0)
	snap := env.Server.Accounting()
	row := Row{Strategy: name, Wall: wall, Calls: map[string]int64{}, FailedFunctions: out.Failed, CostUSD: snap.EstimatedCostUSD, PeakRSSMB: peakRSSMB()}
	for k, c := range snap.ByAPI {
		row.Calls[k] = c.Calls
		row.Throttles += c.Throttled
		row.ServerErrors += c.ServerErrors
	}
	if err != nil {
		row.Err = err.Error()
		if out.Functions == 0 {
			row.FailedFunctions = env.Fleet.NumFunctions()
		}
	}
	row.Floor = Floor(out.Need, cfg.Quotas, cfg.Latency)
	return row
}

// resetPeakRSS resets the process's peak resident set size (Linux 4.0+:
// writing 5 to clear_refs), so each strategy reports its own peak. The
// simulated account runs in the same process and is included.
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// peakRSSMB is the process's peak resident set size in MB (Linux VmHWM).
func peakRSSMB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
			return kb / 1024
		}
	}
	return 0
}
