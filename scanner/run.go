package scanner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/smithy-go"
	"golang.org/x/sync/errgroup"

	"github.com/lambdaudit/lambdaudit/fanout"
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
	// scan (0 = no budget). metrics.LogsBudgetBytes converts dollars.
	LogsBudgetBytes float64
	// LogsSettings tune the Logs Insights runner.
	LogsSettings metrics.LogsSettings
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

// New returns a scanner. sessions give each pair's SDK config (build
// them with WithAPIOptions(APIOptions(limiters, meter)) so every call is
// paced and counted); meter is the one the sessions count with; progress,
// when not nil, is updated as the scan goes.
func New(sessions *Sessions, meter *Meter, logger *slog.Logger, progress *Progress, set Settings, now func() time.Time) (*Scanner, error) {
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
	failed map[string]string // function ID → metrics failure
	// configFailed: function ID → why its provisioned concurrency was
	// not read.
	configFailed map[string]string
	discErr      error
}

// Scan scans every target: inventory and metrics per account × region,
// concurrently, then Logs Insights within the budget over the whole
// scan. A failed target or function is recorded in the result with its
// reason; Scan's error is for the scan as a whole (ctx cancelled, no
// target could even be resolved).
func (s *Scanner) Scan(ctx context.Context) (*Result, error) {
	res := &Result{Schema: Schema, Version: SchemaVersion, StartedAt: s.now().UTC(), Window: s.set.Window}
	pairs, err := s.sessions.Pairs(ctx)
	if err != nil {
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
	if err := g.Wait(); err != nil {
		return nil, fmt.Errorf("scan: %w", err)
	}
	var logs *logsOutcome
	if s.set.Logs {
		if logs, err = s.runLogs(ctx, scans); err != nil {
			return nil, err
		}
	}
	s.assemble(res, scans, logs)
	res.FinishedAt = s.now().UTC()
	return res, nil
}

// scanPair lists a pair's functions and fetches their metrics, with
// GetMetricData batches sent as soon as ListFunctions pages fill them.
func (s *Scanner) scanPair(ctx context.Context, p Pair) *pairScan {
	ps := &pairScan{pair: p, target: Target{Account: p.Account, Region: p.Region, Status: StatusOK}, failed: map[string]string{}, configFailed: map[string]string{}}
	log := s.logger.With("account", p.Account, "region", p.Region)
	cfg, err := s.sessions.Config(ctx, p)
	if err != nil {
		ps.target.Status, ps.target.Error = StatusFailed, reason(err)
		log.Warn("target failed", "err", err)
		return ps
	}
	ps.cfg = cfg
	cw := cloudwatch.NewFromConfig(cfg)
	ps.values = metrics.NewResult(s.set.Window)

	packer, err := fanout.NewPacker(metrics.Caps(), func(metrics.Query) []int { return []int{1, s.set.Window.Days} })
	if err != nil {
		ps.target.Status, ps.target.Error = StatusFailed, reason(err)
		return ps
	}
	var mu sync.Mutex // guards ps.values and ps.failed
	ledger := fanout.NewLedger()
	queue := fanout.NewMemory()
	handle := func(ctx context.Context, u fanout.Unit) error {
		var b metrics.Batch
		if err := json.Unmarshal(u.Body, &b); err != nil {
			return fanout.Permanent(fmt.Errorf("metrics unit %s: %w", u.ID, err))
		}
		s.meter.AddMetrics(len(b.Queries))
		r, err := metrics.Fetch(ctx, cw, b)
		if err != nil {
			return classify(err)
		}
		mu.Lock()
		defer mu.Unlock()
		s.progress.units.Add(1)
		return ps.values.Merge(r)
	}
	pool, err := fanout.NewPool(queue, fanout.Mux{KindMetrics: handle}.Handle, ledger, fanout.Config{Workers: s.set.Workers, MaxAttempts: s.set.MaxAttempts, BaseDelay: s.set.RetryDelay})
	if err != nil {
		ps.target.Status, ps.target.Error = StatusFailed, reason(err)
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
		if ps.discErr != nil {
			log.Warn("ListMetrics discovery failed; optional metrics not queried", "err", ps.discErr)
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
				ps.failed[id] = "metrics batch: " + err.Error()
			}
			mu.Unlock()
			return
		}
		u.ID = fmt.Sprintf("%s/%s/%s/%05d", p.Account, p.Region, KindMetrics, seq)
		seq++
		s.progress.unitsTotal.Add(1)
		if err := pool.Submit(ctx, u); err != nil {
			log.Warn("metrics unit not submitted", "unit", u.ID, "err", err)
		}
	}
	add := func(qs []metrics.Query) {
		for _, q := range qs {
			full, err := packer.Add(q)
			if err != nil {
				mu.Lock()
				ps.failed[q.Key] = "metrics: " + err.Error()
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
				ps.failed[fn.ID] = "metrics: " + err.Error()
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
		ps.target.Status = StatusFailed
		ps.target.Error = fmt.Sprintf("listing stopped after %d functions: %s", len(ps.fns), reason(listErr))
		log.Warn("ListFunctions failed", "listed", len(ps.fns), "err", listErr)
	}
	<-discDone
	planListed()
	submit(packer.Flush())
	pool.CloseInput()
	if err := side.Wait(); err != nil {
		log.Warn("GetAccountSettings failed", "err", err)
		ps.target.Error = joinReason(ps.target.Error, "account settings: "+reason(err))
	}
	if tagsErr != nil {
		// Without tags, tag overrides cannot apply: each function says so.
		log.Warn("tags not read", "err", tagsErr)
		for _, f := range ps.fns {
			ps.configFailed[f.ID] = "tags: " + reason(tagsErr)
		}
	}
	s.settle(ledger, <-poolDone, ps.failed)
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
			log.Warn("provisioned concurrency configs failed", "err", err)
			for _, name := range pc {
				if _, ok := alloc[name]; !ok {
					ps.configFailed[p.Account+"/"+p.Region+"/"+name] = joinReason(ps.configFailed[p.Account+"/"+p.Region+"/"+name], "provisioned concurrency: "+reason(err))
				}
			}
		}
	}
	return ps
}

// logsOutcome is the Logs Insights stage's result over the whole scan.
type logsOutcome struct {
	plan   *metrics.LogsPlan
	stats  map[string]*metrics.LogStats
	failed map[string]string
	usage  LogsUsage
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
	out := &logsOutcome{stats: map[string]*metrics.LogStats{}, failed: map[string]string{}}
	plan, err := metrics.PlanLogs(fns, s.set.Window, estimates, metrics.LogsPlanOptions{BudgetBytes: s.set.LogsBudgetBytes})
	if err != nil {
		return nil, fmt.Errorf("scan: plan logs: %w", err)
	}
	out.plan = plan
	out.usage = LogsUsage{BudgetBytes: s.set.LogsBudgetBytes, EstimatedBytes: plan.EstimatedBytes}
	byGroup := map[string]*Skipped{}
	for _, sk := range plan.Skipped {
		k := sk.LogGroup + "\x00" + sk.Reason
		if byGroup[k] == nil {
			byGroup[k] = &Skipped{LogGroup: sk.LogGroup, Reason: sk.Reason}
		}
		byGroup[k].Functions = append(byGroup[k].Functions, sk.ID)
	}
	for _, sk := range byGroup {
		out.usage.Skipped = append(out.usage.Skipped, *sk)
	}
	sort.Slice(out.usage.Skipped, func(i, j int) bool { return out.usage.Skipped[i].LogGroup < out.usage.Skipped[j].LogGroup })
	if len(plan.Batches) == 0 {
		return out, nil
	}
	runner := metrics.NewLogsRunner(s.set.LogsSettings)
	var mu sync.Mutex
	handle := func(ctx context.Context, u fanout.Unit) error {
		var b metrics.LogsBatch
		if err := json.Unmarshal(u.Body, &b); err != nil {
			return fanout.Permanent(fmt.Errorf("logs unit %s: %w", u.ID, err))
		}
		api := clients[b.Account+"/"+b.Region]
		if api == nil {
			return fanout.Permanent(fmt.Errorf("logs unit %s: no client for %s/%s", u.ID, b.Account, b.Region))
		}
		r, err := runner.Run(ctx, api, b)
		if err != nil {
			return classify(err)
		}
		mu.Lock()
		defer mu.Unlock()
		for id, st := range r.Stats {
			out.stats[id] = st
		}
		for _, f := range r.Failed {
			out.failed[f.ID] = f.Reason
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
				out.failed[id] = "logs batch: " + err.Error()
			}
			continue
		}
		u.ID = fmt.Sprintf("%s/%s/%s/%05d", b.Account, b.Region, KindLogs, i)
		s.progress.unitsTotal.Add(1)
		if err := pool.Submit(ctx, u); err != nil {
			s.logger.Warn("logs unit not submitted", "unit", u.ID, "err", err)
		}
	}
	pool.CloseInput()
	s.settle(ledger, pool.Run(ctx), out.failed)
	return out, ctx.Err()
}

// assemble builds the result from the pairs and the logs stage.
func (s *Scanner) assemble(res *Result, scans []*pairScan, logs *logsOutcome) {
	skipped := map[string]string{}
	if logs != nil {
		for _, sk := range logs.usage.Skipped {
			for _, id := range sk.Functions {
				skipped[id] = sk.Reason
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
		res.Targets = append(res.Targets, t)
		failedKeys := map[string]string{}
		if ps.values != nil {
			failedKeys = ps.values.FailedKeys()
		}
		for i, f := range ps.fns {
			mf := ps.mfns[i]
			f.LambdaInsights = mf.LambdaInsights
			if why, ok := ps.failed[f.ID]; ok {
				f.Failures = append(f.Failures, Failure{Stage: StageMetrics, Reason: why})
			} else {
				f.Metrics = ps.values.Values[f.ID]
				if f.Metrics == nil {
					f.Metrics = map[string]metrics.Series{}
				}
				if why, ok := failedKeys[f.ID]; ok {
					f.Failures = append(f.Failures, Failure{Stage: StageMetrics, Reason: why})
				}
				if ps.discErr != nil {
					f.Failures = append(f.Failures, Failure{Stage: StageMetrics, Reason: "optional metrics not discovered: " + reason(ps.discErr)})
				}
			}
			if why, ok := ps.configFailed[f.ID]; ok {
				f.Failures = append(f.Failures, Failure{Stage: StageConfig, Reason: why})
			}
			if logs != nil {
				if st, ok := logs.stats[f.ID]; ok {
					f.Logs = st
				} else if why, ok := logs.failed[f.ID]; ok {
					f.Failures = append(f.Failures, Failure{Stage: StageLogs, Reason: why})
				} else if why, ok := skipped[f.ID]; ok && why != metrics.ReasonNoLogData && why != metrics.ReasonLambdaInsights {
					f.Failures = append(f.Failures, Failure{Stage: StageLogs, Reason: why})
				}
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

// settle records a finished pool's outcome: units still pending when it
// stopped on runErr fail with that reason, and every item of a failed unit
// goes into failed with its reason.
func (s *Scanner) settle(ledger *fanout.Ledger, runErr error, failed map[string]string) {
	if runErr != nil {
		ledger.FailPending(reason(runErr))
	}
	cov := ledger.Snapshot()
	for _, f := range cov.Failures {
		if f.Item != "" {
			failed[f.Item] = f.Reason
		}
	}
	s.progress.failedUnits.Add(int64(cov.Units.Failed))
}

// classify marks errors retrying cannot fix as permanent.
func classify(err error) error {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "AccessDenied", "AccessDeniedException", "UnrecognizedClientException", "InvalidClientTokenId",
			"ExpiredToken", "ExpiredTokenException", "InvalidParameterValue", "InvalidParameterCombination",
			"ValidationException", "MalformedQueryException", "InvalidParameterException":
			return fanout.Permanent(err)
		}
	}
	return err
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
