package scanner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/smithy-go"
	"golang.org/x/sync/errgroup"

	"github.com/lambdaudit/lambdaudit/fanout"
	"github.com/lambdaudit/lambdaudit/logstats"
	"github.com/lambdaudit/lambdaudit/metrics"
	"github.com/lambdaudit/lambdaudit/store"
)

// Settings tune a scan; zero fields take the defaults.
type Settings struct {
	// Window is the scanned range (default: metrics.LastCompleteDay of now).
	Window metrics.Window
	// Pairs is how many account × region pairs are scanned at once
	// (default 8).
	Pairs int
	// Workers is the number of GetMetricData batches in flight per pair
	// (default 4); the rate limiter, not this, paces the calls.
	Workers int
	// MaxAttempts is how often a unit is tried before its functions are
	// marked failed (default 3; each attempt has the SDK's own retries).
	MaxAttempts int
	// RetryDelay is the pool's back-off before a unit's second attempt
	// (default 1 s).
	RetryDelay time.Duration
	// Logs turns the Logs Insights stage on.
	Logs bool
	// LogsBudgetBytes caps the bytes the Logs Insights stage may scan per
	// scan (0 = no budget). logstats.BudgetBytes converts dollars.
	LogsBudgetBytes float64
	// LogsSettings tune the Logs Insights runner.
	LogsSettings logstats.Settings
	// LogsWorkers is the number of Logs Insights queries in flight over
	// the whole scan (default 30 per pair, at most 120).
	LogsWorkers int
	// Tags turns reading tags (Resource Groups Tagging API) on.
	Tags bool
}

func (s Settings) withDefaults(now time.Time) Settings {
	if s.Window.Days == 0 {
		s.Window = metrics.LastCompleteDay(now)
	}
	if s.Pairs <= 0 {
		s.Pairs = 8
	}
	if s.Workers <= 0 {
		s.Workers = 4
	}
	if s.MaxAttempts <= 0 {
		s.MaxAttempts = 3
	}
	if s.RetryDelay <= 0 {
		s.RetryDelay = time.Second
	}
	return s
}

// Scanner runs scans over its targets.
type Scanner struct {
	sessions *Sessions
	meter    *Meter
	logger   *slog.Logger
	progress *Progress
	set      Settings
	now      func() time.Time
	// logsRunner paces Logs Insights queries per account-region over
	// every logs unit of this process.
	logsRunner  *logstats.Runner
	mu          sync.Mutex
	pairClients map[Pair]*clients
}

// newScanner returns a scanner (NewFromConfig builds its parts).
// sessions give each pair's SDK config, every call paced and counted
// (APIOptions(limiters, meter)); meter is the one the sessions count
// with; progress, when not nil, is updated as the scan goes.
func newScanner(sessions *Sessions, meter *Meter, logger *slog.Logger, progress *Progress, set Settings, now func() time.Time) (*Scanner, error) {
	if sessions == nil || meter == nil {
		return nil, errors.New("scanner: sessions and meter are required")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if progress == nil {
		progress = &Progress{}
	}
	if now == nil {
		now = time.Now
	}
	set = set.withDefaults(now())
	if err := set.Window.Validate(); err != nil {
		return nil, fmt.Errorf("scanner: %w", err)
	}
	return &Scanner{sessions: sessions, meter: meter, logger: logger, progress: progress, set: set, now: now,
		logsRunner: logstats.NewRunner(set.LogsSettings), pairClients: map[Pair]*clients{}}, nil
}

// Scan runs a whole scan in this process over an in-memory store and
// returns its result: Execute, then Assemble into memory. A failed
// target or function is recorded in the result with its reason; Scan's
// error is for the scan as a whole (ctx cancelled, no target could even
// be resolved).
//
// Interrupted scans: when ctx is cancelled or its deadline passes
// (SIGINT, SIGTERM, --timeout), Scan stops its calls (running Logs
// Insights queries are stopped with StopQuery), waits for its goroutines
// and returns both a non-nil *Result and an error for which
// errors.Is(err, ctx.Err()) holds (context.Canceled or
// context.DeadlineExceeded). The result holds everything that finished;
// every listed function is in it, those whose stages did not finish
// failed with reason "interrupted" at the stage where the scan stopped
// (an account-region not listed yet fails the same way). Scan does not
// set Result.Interrupted: the caller knows why ctx ended and says so
// (InterruptSignal, InterruptTerminate, InterruptTimeout) before writing
// the result. Any other error comes with a nil *Result.
func (s *Scanner) Scan(ctx context.Context) (*Result, error) {
	st := store.NewMemory()
	m, err := s.Execute(ctx, st)
	if m == nil {
		if ctx.Err() != nil { // nothing finished: an empty result
			res := &Result{Schema: Schema, Version: SchemaVersion, StartedAt: s.now().UTC(), Window: s.set.Window,
				Targets: []Target{}, Functions: []Function{}, API: s.meter.Usage(0)}
			res.summarise()
			res.FinishedAt = s.now().UTC()
			return res, err
		}
		return nil, err
	}
	res, aerr := AssembleResult(context.WithoutCancel(ctx), st, m, AssembleOptions{Stopped: ctx.Err(), Meter: s.meter, FinishedAt: s.now()})
	if aerr != nil {
		return nil, aerr
	}
	return res, err
}

// Execute runs the Plan and Work stages of a scan in this process, the
// outcomes going to st: the inventory units of up to Settings.Pairs
// account-regions at once, each with a pool of Settings.Workers running
// its metrics units as the listing emits them; then PlanLogs and the
// logs units over the whole scan. It returns the manifest for Assemble.
//
// A nil manifest comes with the error that stopped the plan (the targets
// could not be resolved, or ctx ended first). Once planned, Execute
// returns the manifest and, when ctx ended, an error for which
// errors.Is(err, ctx.Err()) holds: what finished is in st, and Assemble
// with AssembleOptions.Stopped names the rest "interrupted".
func (s *Scanner) Execute(ctx context.Context, st store.Store) (*Manifest, error) {
	m, units, err := s.Plan(ctx, st)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("scan interrupted before any target was resolved: %w", ctx.Err())
		}
		return nil, err
	}
	s.progress.targets.Store(int64(len(units)))
	s.progress.SetStage(ProgressListing)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(s.set.Pairs)
	for _, u := range units {
		g.Go(func() error {
			s.runInventory(gctx, st, u)
			s.progress.targetsDone.Add(1)
			return gctx.Err()
		})
	}
	_ = g.Wait() // the units record their own failures; only ctx ends it early
	if s.set.Logs && ctx.Err() == nil {
		s.progress.SetStage(ProgressLogs)
		units, err := s.PlanLogs(ctx, st, m)
		if err != nil {
			if ctx.Err() != nil {
				return m, fmt.Errorf("scan interrupted: %w", ctx.Err())
			}
			return nil, err
		}
		workers := s.set.LogsWorkers
		if workers <= 0 {
			pairs := map[Pair]bool{}
			for _, u := range units {
				pairs[Pair{Account: u.Account, Region: u.Region}] = true
			}
			workers = min(120, 30*max(1, len(pairs)))
		}
		s.runUnits(ctx, st, units, workers)
	}
	if err := ctx.Err(); err != nil {
		return m, fmt.Errorf("scan interrupted: %w", err)
	}
	return m, nil
}

// runInventory runs an inventory unit with a pool of its own for the
// metrics units it emits.
func (s *Scanner) runInventory(ctx context.Context, st store.Store, u fanout.Unit) {
	pool, err := s.pool(st, s.set.Workers)
	if err != nil { // the settings are validated: cannot happen
		s.logger.Error("metrics pool", "err", err)
		return
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = pool.Run(ctx) // units left pending when ctx ends are named by Assemble
	}()
	emit := func(ctx context.Context, units ...fanout.Unit) error { return pool.Submit(ctx, units...) }
	if err := s.Work(ctx, st, u, emit); err != nil && ctx.Err() == nil {
		s.logger.Warn("inventory unit failed", "unit", u.ID, "err", err)
	}
	pool.CloseInput()
	<-done
}

// runUnits runs units with a pool of workers until they are done.
func (s *Scanner) runUnits(ctx context.Context, st store.Store, units []fanout.Unit, workers int) {
	pool, err := s.pool(st, workers)
	if err != nil {
		s.logger.Error("pool", "err", err)
		return
	}
	s.progress.unitsTotal.Add(int64(len(units)))
	if err := pool.Submit(ctx, units...); err != nil && ctx.Err() == nil {
		s.logger.Warn("units not submitted", "err", err)
	}
	pool.CloseInput()
	_ = pool.Run(ctx)
}

// pool is an in-memory pool of Work, a unit failed for good recorded
// with RecordFailure.
func (s *Scanner) pool(st store.Store, workers int) (*fanout.Pool, error) {
	handle := func(ctx context.Context, u fanout.Unit) error { return s.Work(ctx, st, u, nil) }
	onFailure := func(ctx context.Context, u fanout.Unit, err error) error {
		if rerr := s.RecordFailure(ctx, st, u, err); rerr != nil {
			s.logger.Warn("unit failure not recorded", "unit", u.ID, "err", rerr)
			return rerr
		}
		return nil
	}
	return fanout.NewPool(fanout.NewMemory(), handle, fanout.NewLedger(), fanout.Config{Workers: workers,
		MaxAttempts: s.set.MaxAttempts, BaseDelay: s.set.RetryDelay, OnFailure: onFailure})
}

// failureIn is failureOf, or "interrupted" once ctx has ended.
func failureIn(ctx context.Context, stage string, err error) Failure {
	if ctx.Err() != nil {
		return interrupted(stage, err)
	}
	return failureOf(stage, err)
}

// reason is an error as the one line a report shows.
func reason(err error) string {
	var te *TargetError
	if errors.As(err, &te) {
		return te.Reason()
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode() + ": " + ae.ErrorMessage()
	}
	return err.Error()
}

func joinReason(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
}
