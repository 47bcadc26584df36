package scanner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/smithy-go"
	"golang.org/x/sync/errgroup"

	"github.com/lambdaudit/lambdaudit/fanout"
	"github.com/lambdaudit/lambdaudit/logstats"
	"github.com/lambdaudit/lambdaudit/metrics"
)

// Unit kinds of a scan.
const (
	KindMetrics = "metrics"
	KindLogs    = "logs"
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
	return &Scanner{sessions: sessions, meter: meter, logger: logger, progress: progress, set: set, now: now}, nil
}

// pairScan is one account × region while it is scanned.
type pairScan struct {
	pair   Pair
	cfg    aws.Config
	target Target
	fns    []Function // in listing order
	mfns   []metrics.Function
	values *metrics.Result
	failed map[string]Failure // function ID → metrics failure
	// configFailed: function ID → why its tags or provisioned
	// concurrency were not read.
	configFailed map[string][]Failure
	discErr      error
	// listed: the listing ran to its end (an interrupted one did not).
	listed bool
}

// Scan scans every target: inventory and metrics per account × region,
// concurrently, then Logs Insights within the budget over the whole
// scan. A failed target or function is recorded in the result with its
// reason; Scan's error is for the scan as a whole (ctx cancelled, no
// target could even be resolved).
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
	res := &Result{Schema: Schema, Version: SchemaVersion, StartedAt: s.now().UTC(), Window: s.set.Window,
		Targets: []Target{}, Functions: []Function{}}
	pairs, err := s.sessions.Pairs(ctx)
	if err != nil {
		if ctx.Err() != nil { // nothing finished: an empty result
			res.API = s.meter.Usage(0)
			res.summarise()
			res.FinishedAt = s.now().UTC()
			return res, fmt.Errorf("scan interrupted before any target was resolved: %w", ctx.Err())
		}
		return nil, fmt.Errorf("scan: %w", err)
	}
	s.progress.targets.Store(int64(len(pairs)))
	s.progress.SetStage(ProgressListing)
	scans := make([]*pairScan, len(pairs))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(s.set.Pairs)
	for i, p := range pairs {
		g.Go(func() error {
			scans[i] = s.scanPair(gctx, p)
			s.progress.targetsDone.Add(1)
			return gctx.Err()
		})
	}
	_ = g.Wait() // scanPair records its own failures; only ctx ends it early
	var logs *logsOutcome
	if s.set.Logs && ctx.Err() == nil {
		if logs, err = s.runLogs(ctx, scans); err != nil && ctx.Err() == nil {
			return nil, err
		}
	}
	s.assemble(ctx, res, scans, logs)
	res.FinishedAt = s.now().UTC()
	if err := ctx.Err(); err != nil {
		return res, fmt.Errorf("scan interrupted: %w", err)
	}
	return res, nil
}

// failTarget marks a pair failed with err, in full (Error) and
// normalised (Cause).
func (ps *pairScan) failTarget(ctx context.Context, err error, prefix string) {
	code, api := normalise(err)
	if ctx.Err() != nil {
		code = CodeInterrupted
	}
	ps.target.Status = StatusFailed
	ps.target.Error = prefix + detail(err)
	ps.target.Cause = &Cause{Code: code, API: api, Account: ps.pair.Account, Region: ps.pair.Region}
}

// scanPair lists a pair's functions and fetches their metrics, with
// GetMetricData batches sent as soon as ListFunctions pages fill them.
// Failures are logged at Info level with their full error: the result
// carries each one (Target.Error, Failure.Detail) and the caller reports
// them grouped by cause, so the default (warn) stderr is one line per
// cause, not one per target.
func (s *Scanner) scanPair(ctx context.Context, p Pair) *pairScan {
	ps := &pairScan{pair: p, target: Target{Account: p.Account, Region: p.Region, Status: StatusOK}, failed: map[string]Failure{}, configFailed: map[string][]Failure{}}
	log := s.logger.With("account", p.Account, "region", p.Region)
	cfg, err := s.sessions.Config(ctx, p)
	if err != nil {
		ps.failTarget(ctx, err, "")
		if ctx.Err() == nil {
			log.Info("target failed", "err", err)
		}
		return ps
	}
	ps.cfg = cfg
	cw := cloudwatch.NewFromConfig(cfg)
	ps.values = metrics.NewResult(s.set.Window)

	packer, err := fanout.NewPacker(metrics.Caps(), func(metrics.Query) []int { return []int{1, s.set.Window.Days} })
	if err != nil {
		ps.failTarget(ctx, err, "")
		return ps
	}
	var mu sync.Mutex // guards ps.values and ps.failed
	ledger := fanout.NewLedger()
	unitErrs := &unitErrors{}
	queue := fanout.NewMemory()
	handle := func(ctx context.Context, u fanout.Unit) error {
		var b metrics.Batch
		if err := json.Unmarshal(u.Body, &b); err != nil {
			return fanout.Permanent(fmt.Errorf("metrics unit %s: %w", u.ID, err))
		}
		s.meter.AddMetrics(len(b.Queries))
		r, err := metrics.Fetch(ctx, cw, b)
		if err != nil {
			unitErrs.set(u.ID, err)
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		s.progress.units.Add(1)
		return ps.values.Merge(r)
	}
	pool, err := fanout.NewPool(queue, fanout.Mux{KindMetrics: handle}.Handle, ledger, fanout.Config{Workers: s.set.Workers, MaxAttempts: s.set.MaxAttempts, BaseDelay: s.set.RetryDelay})
	if err != nil {
		ps.failTarget(ctx, err, "")
		return ps
	}
	poolDone := make(chan error, 1)
	go func() { poolDone <- pool.Run(ctx) }()

	// Discovery, account settings and tags run beside the listing.
	var disc *metrics.Discovery
	discDone := make(chan struct{})
	go func() {
		defer close(discDone)
		disc, ps.discErr = metrics.Discover(ctx, cw)
		if ps.discErr != nil && ctx.Err() == nil {
			log.Info("ListMetrics discovery failed; optional metrics not queried", "err", ps.discErr)
		}
	}()
	inv := NewInventory(cfg, p)
	var settings *AccountSettings
	var tags map[string]map[string]string
	var tagsErr error
	var side errgroup.Group
	side.Go(func() error {
		var err error
		settings, err = inv.AccountSettings(ctx)
		return err
	})
	if s.set.Tags {
		side.Go(func() error {
			tags, tagsErr = inv.Tags(ctx)
			return nil // a function-level failure, below
		})
	}

	// Listing → planning → packing → units.
	planner := metrics.NewPlanner()
	seq := 0
	submit := func(qs []metrics.Query) {
		if len(qs) == 0 {
			return
		}
		b, err := metrics.NewBatch(s.set.Window, qs)
		var u fanout.Unit
		if err == nil {
			u, err = fanout.NewUnit(p.Account, p.Region, KindMetrics, b.FunctionIDs(), b)
		}
		if err != nil {
			// A batch the planner built is always valid; if not, its
			// functions are recorded failed rather than dropped.
			mu.Lock()
			for _, id := range b.FunctionIDs() {
				ps.failed[id] = failureOf(StageMetrics, err)
			}
			mu.Unlock()
			return
		}
		u.ID = fmt.Sprintf("%s/%s/%s/%05d", p.Account, p.Region, KindMetrics, seq)
		seq++
		s.progress.unitsTotal.Add(1)
		if err := pool.Submit(ctx, u); err != nil && ctx.Err() == nil {
			// On an interruption every unit left is not submitted: the
			// result says so (interrupted), not a warning per unit.
			log.Warn("metrics unit not submitted", "unit", u.ID, "err", err)
		}
	}
	add := func(qs []metrics.Query) {
		for _, q := range qs {
			full, err := packer.Add(q)
			if err != nil {
				mu.Lock()
				ps.failed[q.Key] = failureOf(StageMetrics, err)
				mu.Unlock()
				continue
			}
			for _, bin := range full {
				submit(bin)
			}
		}
	}
	// Functions are planned once discovery is in (it says which optional
	// metrics each has), page by page from then on.
	planned, regionPlanned := 0, false
	planListed := func() {
		if !regionPlanned {
			add(planner.Region(nil))
			regionPlanned = true
		}
		rest := ps.mfns[planned:]
		if disc != nil {
			disc.Apply(rest)
		}
		for _, fn := range rest {
			qs, err := planner.Function(nil, fn)
			if err != nil {
				mu.Lock()
				ps.failed[fn.ID] = failureOf(StageMetrics, err)
				mu.Unlock()
				continue
			}
			add(qs)
		}
		planned = len(ps.mfns)
	}
	listErr := inv.ListFunctions(ctx, func(page []Function) error {
		s.progress.listed.Add(int64(len(page)))
		for _, f := range page {
			ps.fns = append(ps.fns, f)
			ps.mfns = append(ps.mfns, f.metricsFunction())
		}
		select {
		case <-discDone:
			planListed()
		default:
		}
		return nil
	})
	if listErr != nil {
		ps.failTarget(ctx, listErr, fmt.Sprintf("listing stopped after %d functions: ", len(ps.fns)))
		if ctx.Err() == nil {
			log.Info("ListFunctions failed", "listed", len(ps.fns), "err", listErr)
		}
	} else {
		ps.listed = true
	}
	<-discDone
	planListed()
	submit(packer.Flush())
	pool.CloseInput()
	if err := side.Wait(); err != nil {
		if ctx.Err() == nil {
			log.Info("GetAccountSettings failed", "err", err)
		}
		ps.target.Error = joinReason(ps.target.Error, "account settings: "+reason(err))
	}
	if tagsErr != nil {
		// Without tags, tag overrides cannot apply: each function says so.
		if ctx.Err() == nil {
			log.Info("tags not read", "err", tagsErr)
		}
		fl := failureIn(ctx, StageConfig, tagsErr)
		fl.Detail = "tags: " + fl.Detail
		for _, f := range ps.fns {
			ps.configFailed[f.ID] = append(ps.configFailed[f.ID], fl)
		}
	}
	s.settle(ctx, ledger, <-poolDone, StageMetrics, unitErrs, ps.failed)
	if settings != nil {
		ps.target.ConcurrencyLimit = &settings.ConcurrencyLimit
		ps.target.UnreservedConcurrencyLimit = &settings.UnreservedConcurrencyLimit
	}
	for i := range ps.fns {
		if t, ok := tags[ps.fns[i].ARN]; ok {
			ps.fns[i].Tags = t
		}
	}
	// Provisioned concurrency only for the functions that have its metrics.
	var pc []string
	for _, f := range ps.mfns {
		for _, o := range f.Optional {
			if o == "ProvisionedConcurrencyUtilization" {
				pc = append(pc, f.Name)
				break
			}
		}
	}
	if len(pc) > 0 {
		alloc, err := inv.ProvisionedConcurrency(ctx, pc)
		for i := range ps.fns {
			if n, ok := alloc[ps.fns[i].Name]; ok {
				ps.fns[i].ProvisionedConcurrency = &n
			}
		}
		if err != nil {
			if ctx.Err() == nil {
				log.Info("provisioned concurrency configs failed", "err", err)
			}
			fl := failureIn(ctx, StageConfig, err)
			fl.Detail = "provisioned concurrency: " + fl.Detail
			for _, name := range pc {
				if _, ok := alloc[name]; !ok {
					id := p.Account + "/" + p.Region + "/" + name
					ps.configFailed[id] = append(ps.configFailed[id], fl)
				}
			}
		}
	}
	return ps
}

// logsOutcome is the Logs Insights stage's result over the whole scan.
type logsOutcome struct {
	plan   *logstats.Plan
	stats  map[string]*logstats.Stats
	failed map[string]Failure
	usage  LogsUsage
	// done: the stage ran to its end (not interrupted).
	done bool
}

// runLogs plans the Logs Insights queries of every pair within the
// scan's budget and runs them.
func (s *Scanner) runLogs(ctx context.Context, scans []*pairScan) (*logsOutcome, error) {
	s.progress.SetStage(ProgressLogs)
	var fns []metrics.Function
	estimates := map[string]metrics.Series{}
	clients := map[string]*cloudwatchlogs.Client{}
	for _, ps := range scans {
		if ps.values == nil {
			continue
		}
		clients[ps.pair.Account+"/"+ps.pair.Region] = cloudwatchlogs.NewFromConfig(ps.cfg)
		for _, f := range ps.mfns {
			if _, bad := ps.failed[f.ID]; bad {
				continue // no estimate to plan with; already failed
			}
			fns = append(fns, f)
			if v, ok := ps.values.Get(f.LogGroupName(), "IncomingBytes:Sum"); ok {
				estimates[f.ID] = v
			}
		}
	}
	out := &logsOutcome{stats: map[string]*logstats.Stats{}, failed: map[string]Failure{}}
	plan, err := logstats.NewPlan(fns, s.set.Window, estimates, logstats.PlanOptions{BudgetBytes: s.set.LogsBudgetBytes})
	if err != nil {
		return nil, fmt.Errorf("scan: plan logs: %w", err)
	}
	out.plan = plan
	out.usage = LogsUsage{BudgetBytes: s.set.LogsBudgetBytes, EstimatedBytes: plan.EstimatedBytes}
	// Skips by design — over the budget, no data, no log group — are
	// coverage, not failures: the plan's now, the runner's (a log group
	// that does not exist) as they come.
	skips := append([]logstats.Skip(nil), plan.Skipped...)
	defer func() { out.usage.Skipped = groupSkips(skips) }()
	if len(plan.Batches) == 0 {
		out.done = true
		return out, nil
	}
	unitErrs := &unitErrors{}
	runner := logstats.NewRunner(s.set.LogsSettings)
	var mu sync.Mutex
	handle := func(ctx context.Context, u fanout.Unit) error {
		var b logstats.Batch
		if err := json.Unmarshal(u.Body, &b); err != nil {
			return fanout.Permanent(fmt.Errorf("logs unit %s: %w", u.ID, err))
		}
		api := clients[b.Account+"/"+b.Region]
		if api == nil {
			return fanout.Permanent(fmt.Errorf("logs unit %s: no client for %s/%s", u.ID, b.Account, b.Region))
		}
		r, err := runner.Run(ctx, api, b)
		if err != nil {
			unitErrs.set(u.ID, err)
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		for id, st := range r.Stats {
			out.stats[id] = st
		}
		for _, f := range r.Failed {
			if logstats.CoverageReason(f.Reason) {
				skips = append(skips, f) // no log group, Delivery class: coverage
				continue
			}
			fl := failureText(StageLogs, f.Reason)
			if m := reCodeAPI.FindStringSubmatch(f.Reason); m != nil {
				fl.Code, fl.API = m[1], m[2]
				fl.Reason = Cause{Code: fl.Code, API: fl.API}.Reason()
			}
			fl.Detail = f.Reason + ": " + f.LogGroup
			out.failed[f.ID] = fl
		}
		out.usage.ScannedBytes += r.BytesScanned
		out.usage.Queries += r.Queries
		s.progress.units.Add(1)
		return nil
	}
	workers := s.set.LogsWorkers
	if workers <= 0 {
		workers = min(120, 30*max(1, len(clients)))
	}
	ledger := fanout.NewLedger()
	pool, err := fanout.NewPool(fanout.NewMemory(), fanout.Mux{KindLogs: handle}.Handle, ledger, fanout.Config{Workers: workers, MaxAttempts: s.set.MaxAttempts, BaseDelay: s.set.RetryDelay})
	if err != nil {
		return nil, fmt.Errorf("scan: logs pool: %w", err)
	}
	for i, b := range plan.Batches {
		u, err := fanout.NewUnit(b.Account, b.Region, KindLogs, b.Items(), b)
		if err != nil {
			for _, id := range b.Items() {
				out.failed[id] = failureOf(StageLogs, err)
			}
			continue
		}
		u.ID = fmt.Sprintf("%s/%s/%s/%05d", b.Account, b.Region, KindLogs, i)
		s.progress.unitsTotal.Add(1)
		if err := pool.Submit(ctx, u); err != nil && ctx.Err() == nil {
			// On an interruption every unit left is not submitted: the
			// result says so (interrupted), not a warning per unit.
			s.logger.Warn("logs unit not submitted", "unit", u.ID, "err", err)
		}
	}
	pool.CloseInput()
	s.settle(ctx, ledger, pool.Run(ctx), StageLogs, unitErrs, out.failed)
	out.done = ctx.Err() == nil
	return out, ctx.Err()
}

// groupSkips turns per-function skips into Result.Logs.Skipped: one
// entry per log group and reason, sorted.
func groupSkips(skips []logstats.Skip) []Skipped {
	byGroup := map[string]*Skipped{}
	var out []Skipped
	var keys []string
	for _, sk := range skips {
		k := sk.LogGroup + "\x00" + sk.Reason
		if byGroup[k] == nil {
			byGroup[k] = &Skipped{LogGroup: sk.LogGroup, Reason: sk.Reason}
			keys = append(keys, k)
		}
		byGroup[k].Functions = append(byGroup[k].Functions, sk.ID)
	}
	sort.Strings(keys)
	for _, k := range keys {
		sort.Strings(byGroup[k].Functions)
		out = append(out, *byGroup[k])
	}
	return out
}

// assemble builds the result from the pairs and the logs stage. ctx
// says whether the scan was interrupted: then a stage that did not run
// for a function is a failure "interrupted" of that stage.
func (s *Scanner) assemble(ctx context.Context, res *Result, scans []*pairScan, logs *logsOutcome) {
	stopped := ctx.Err()
	skipped := map[string]bool{}
	if logs != nil {
		for _, sk := range logs.usage.Skipped {
			for _, id := range sk.Functions {
				skipped[id] = true
			}
		}
		res.Logs = logs.usage
	}
	for _, ps := range scans {
		t := ps.target
		t.Functions = len(ps.fns)
		if ps.values != nil {
			t.Metrics = ps.values.Values[metrics.RegionKey]
			if why, ok := ps.values.FailedKeys()[metrics.RegionKey]; ok {
				t.Error = joinReason(t.Error, "region metrics: "+why)
			}
		}
		if t.Status == StatusOK && !ps.listed && stopped != nil {
			// Cannot happen (a listing cut short fails its target), kept
			// so that an interrupted target never reads as complete.
			t.Status, t.Cause = StatusFailed, &Cause{Code: CodeInterrupted, API: StageInventory, Account: t.Account, Region: t.Region}
		}
		res.Targets = append(res.Targets, t)
		failedKeys := map[string]string{}
		if ps.values != nil {
			failedKeys = ps.values.FailedKeys()
		}
		for i, f := range ps.fns {
			mf := ps.mfns[i]
			f.LambdaInsights = mf.LambdaInsights
			if fl, ok := ps.failed[f.ID]; ok {
				f.Failures = append(f.Failures, fl)
			} else {
				f.Metrics = ps.values.Values[f.ID]
				if f.Metrics == nil {
					f.Metrics = map[string]metrics.Series{}
				}
				if why, ok := failedKeys[f.ID]; ok {
					f.Failures = append(f.Failures, failureText(StageMetrics, why))
				}
				if ps.discErr != nil {
					fl := failureIn(ctx, StageMetrics, ps.discErr)
					fl.Detail = "optional metrics not discovered: " + fl.Detail
					f.Failures = append(f.Failures, fl)
				}
			}
			f.Failures = append(f.Failures, ps.configFailed[f.ID]...)
			switch {
			case logs != nil:
				if st, ok := logs.stats[f.ID]; ok {
					f.Logs = st
				} else if fl, ok := logs.failed[f.ID]; ok {
					f.Failures = append(f.Failures, fl)
				} else if !skipped[f.ID] && !logs.done && f.Metrics != nil {
					f.Failures = append(f.Failures, interrupted(StageLogs, stopped))
				}
			case s.set.Logs && stopped != nil && f.Metrics != nil:
				// The logs stage never started.
				f.Failures = append(f.Failures, interrupted(StageLogs, stopped))
			}
			res.Functions = append(res.Functions, f)
		}
	}
	var scanned float64
	if logs != nil {
		scanned = logs.usage.ScannedBytes
	}
	res.API = s.meter.Usage(scanned)
	res.summarise()
}

// unitErrors keeps the last error of each work unit, so that a unit's
// failure is normalised from the error itself rather than its text.
type unitErrors struct {
	mu sync.Mutex
	m  map[string]error
}

func (u *unitErrors) set(id string, err error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.m == nil {
		u.m = map[string]error{}
	}
	u.m[id] = err
}

func (u *unitErrors) get(id string) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.m[id]
}

// settle records a finished pool's outcome: units still pending when it
// stopped on runErr fail with that reason ("interrupted" when ctx
// ended), and every item of a failed unit goes into failed with the
// unit's error normalised.
func (s *Scanner) settle(ctx context.Context, ledger *fanout.Ledger, runErr error, stage string, errs *unitErrors, failed map[string]Failure) {
	const pendingMark = "\x00pending"
	if runErr != nil {
		ledger.FailPending(pendingMark + reason(runErr))
	}
	cov := ledger.Snapshot()
	for _, f := range cov.Failures {
		if f.Item == "" {
			continue
		}
		var fl Failure
		switch err := errs.get(f.Unit); {
		case strings.HasPrefix(f.Reason, pendingMark):
			fl = interrupted(stage, runErr)
			if ctx.Err() == nil {
				fl = failureText(stage, strings.TrimPrefix(f.Reason, pendingMark))
			}
		case ctx.Err() != nil && (err == nil || errors.Is(err, ctx.Err())):
			fl = interrupted(stage, err)
			fl.Detail = f.Reason
		case err != nil:
			fl = failureOf(stage, err)
			fl.Detail = f.Reason
		default:
			fl = failureText(stage, f.Reason)
		}
		failed[f.Item] = fl
	}
	s.progress.failedUnits.Add(int64(cov.Units.Failed))
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
