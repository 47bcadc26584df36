package scanner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"golang.org/x/sync/errgroup"

	"github.com/lambdaudit/lambdaudit/fanout"
	"github.com/lambdaudit/lambdaudit/metrics"
	"github.com/lambdaudit/lambdaudit/store"
)

// Emit hands the units a unit produced to the host (the in-process pool,
// an SQS queue). An error fails the units not taken: Work records them
// failed in the store rather than dropping them.
type Emit func(ctx context.Context, units ...fanout.Unit) error

// Work runs one unit of a scan and writes its outcome to st under the
// unit's ID (overwriting the outcome of an earlier delivery of the same
// unit; a listing cut short, like a failure RecordFailure writes, never
// replaces one). An inventory unit emits the scan's metrics units as its listing
// fills them; metrics and logs units emit nothing (emit may be nil).
//
// Failures of the AWS calls are part of the outcome: a denied listing is
// an inventory outcome whose target failed, with its cause. Work returns
// an error when the unit should be tried again (a metrics or logs call
// that failed: the host's pool retries it and, after the last attempt,
// records it with RecordFailure), when the unit is not one of a scan
// (fanout.Permanent), when the outcome could not be written, or when ctx
// ended before the unit finished (no outcome is written then: the
// assembly names the unit "interrupted").
func (s *Scanner) Work(ctx context.Context, st store.Store, u fanout.Unit, emit Emit) error {
	switch u.Kind {
	case KindInventory:
		var b inventoryBody
		if err := json.Unmarshal(u.Body, &b); err != nil || b.Scan == "" {
			return fanout.Permanent(fmt.Errorf("inventory unit %s: bad body: %v", u.ID, errOr(err, "no scan")))
		}
		return s.workInventory(ctx, st, u, b, emit)
	case KindMetrics:
		var b metricsBody
		if err := json.Unmarshal(u.Body, &b); err != nil || b.Scan == "" {
			return fanout.Permanent(fmt.Errorf("metrics unit %s: bad body: %v", u.ID, errOr(err, "no scan")))
		}
		return s.workMetrics(ctx, st, u, b)
	case KindLogs:
		var b logsBody
		if err := json.Unmarshal(u.Body, &b); err != nil || b.Scan == "" {
			return fanout.Permanent(fmt.Errorf("logs unit %s: bad body: %v", u.ID, errOr(err, "no scan")))
		}
		return s.workLogs(ctx, st, u, b)
	}
	return fanout.Permanent(fmt.Errorf("unit %s: %w %q (want %s, %s or %s)", u.ID, fanout.ErrUnknownKind, u.Kind, KindInventory, KindMetrics, KindLogs))
}

func errOr(err error, s string) error {
	if err != nil {
		return err
	}
	return errors.New(s)
}

// RecordFailure writes the outcome of a metrics or logs unit that failed
// for good (its last attempt, or an error no retry can fix): every item
// of the unit fails with err normalised. A host calls it from its pool's
// fanout.Config.OnFailure, so that a failed unit is an outcome, not a
// gap. Units of other kinds, or whose body names no scan, have nothing
// to record.
//
// The failure never replaces an outcome already in the store: queues
// deliver at least once, and a unit whose earlier delivery wrote its
// outcome (its acknowledgement lost, its visibility timed out) may come
// again and fail this time; what the first delivery fetched is kept.
func (s *Scanner) RecordFailure(ctx context.Context, st store.Store, u fanout.Unit, err error) error {
	s.progress.failedUnits.Add(1)
	var head struct {
		Scan string `json:"scan"`
	}
	if json.Unmarshal(u.Body, &head) != nil || head.Scan == "" {
		return nil
	}
	var o any
	switch u.Kind {
	case KindMetrics:
		fl := failureOf(StageMetrics, err)
		o = metricsOutcome{Unit: u.ID, Items: u.Items, Failure: &fl}
	case KindLogs:
		fl := failureOf(StageLogs, err)
		o = logsOutcome{Unit: u.ID, Items: u.Items, Failure: &fl}
	default:
		return nil
	}
	if err := createJSON(ctx, st, outcomeKey(head.Scan, u.ID), o); err != nil && !errors.Is(err, store.ErrExists) {
		return err
	}
	return nil
}

// clients are a pair's SDK clients, made once per pair and process.
type clients struct {
	cw   *cloudwatch.Client
	logs *cloudwatchlogs.Client
}

func (s *Scanner) clients(ctx context.Context, p Pair) (*clients, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.pairClients[p]; c != nil {
		return c, nil
	}
	cfg, err := s.sessions.Config(ctx, p)
	if err != nil {
		return nil, err
	}
	c := &clients{cw: cloudwatch.NewFromConfig(cfg), logs: cloudwatchlogs.NewFromConfig(cfg)}
	s.pairClients[p] = c
	return c, nil
}

func (s *Scanner) workMetrics(ctx context.Context, st store.Store, u fanout.Unit, b metricsBody) error {
	c, err := s.clients(ctx, Pair{Account: u.Account, Region: u.Region})
	if err != nil {
		return err
	}
	s.meter.AddMetrics(len(b.Batch.Queries))
	r, err := metrics.Fetch(ctx, c.cw, b.Batch)
	if err != nil {
		return err
	}
	if err := putJSON(ctx, st, outcomeKey(b.Scan, u.ID), metricsOutcome{Unit: u.ID, Items: u.Items, Result: r}); err != nil {
		return fanout.Permanent(fmt.Errorf("metrics unit %s: %w", u.ID, err))
	}
	s.progress.units.Add(1)
	return nil
}

func (s *Scanner) workLogs(ctx context.Context, st store.Store, u fanout.Unit, b logsBody) error {
	c, err := s.clients(ctx, Pair{Account: u.Account, Region: u.Region})
	if err != nil {
		return err
	}
	r, err := s.logsRunner.Run(ctx, c.logs, b.Batch)
	if err != nil {
		return err
	}
	if err := putJSON(ctx, st, outcomeKey(b.Scan, u.ID), logsOutcome{Unit: u.ID, Items: u.Items, Result: r}); err != nil {
		return fanout.Permanent(fmt.Errorf("logs unit %s: %w", u.ID, err))
	}
	s.progress.units.Add(1)
	return nil
}

// workInventory lists an account-region's functions and emits their
// GetMetricData units as ListFunctions pages fill them; discovery
// (ListMetrics), account settings, tags and provisioned concurrency are
// read beside the listing. Failures are logged at Info level with their
// full error: the outcome carries each one (Target.Error,
// Failure.Detail) and the host reports them grouped by cause, so the
// default (warn) stderr is one line per cause, not one per target.
//
// When ctx ends the outcome is still written, with what was listed and
// the target failed "interrupted": the listing was paid for.
func (s *Scanner) workInventory(ctx context.Context, st store.Store, u fanout.Unit, b inventoryBody, emit Emit) error {
	p := Pair{Account: u.Account, Region: u.Region}
	if emit == nil {
		emit = func(context.Context, ...fanout.Unit) error { return errors.New("no host to run metrics units") }
	}
	out := inventoryOutcome{Unit: u.ID, Target: Target{Account: p.Account, Region: p.Region, Status: StatusOK},
		Functions: []Function{}, Units: []unitRef{}, Failed: map[string]Failure{}, ConfigFailed: map[string][]Failure{}, Optional: map[string][]string{}}
	write := func() error {
		// Written even when ctx ended: what was listed is kept. A
		// listing cut short (denied, failed, interrupted) never replaces
		// an outcome an earlier delivery of the unit wrote: queues
		// deliver at least once, and the first listing may have run to
		// its end and emitted the units whose outcomes are in the store.
		wctx, key := context.WithoutCancel(ctx), outcomeKey(b.Scan, u.ID)
		var err error
		if out.Listed {
			err = putJSON(wctx, st, key, out)
		} else if err = createJSON(wctx, st, key, out); errors.Is(err, store.ErrExists) {
			err = nil
		}
		if err != nil {
			return fmt.Errorf("inventory unit %s: %w", u.ID, err)
		}
		return ctx.Err()
	}
	log := s.logger.With("account", p.Account, "region", p.Region)
	c, err := s.clients(ctx, p)
	if err != nil {
		out.failTarget(ctx, err, "")
		if ctx.Err() == nil {
			log.Info("target failed", "err", err)
		}
		return write()
	}
	cfg, err := s.sessions.Config(ctx, p)
	if err != nil { // cannot happen: clients just made it
		out.failTarget(ctx, err, "")
		return write()
	}
	packer, err := fanout.NewPacker(metrics.Caps(), func(metrics.Query) []int { return []int{1, b.Window.Days} })
	if err != nil {
		out.failTarget(ctx, err, "")
		return write()
	}

	// Discovery, account settings and tags run beside the listing.
	var disc *metrics.Discovery
	var discErr error
	discDone := make(chan struct{})
	go func() {
		defer close(discDone)
		disc, discErr = metrics.Discover(ctx, c.cw)
		if discErr != nil && ctx.Err() == nil {
			log.Info("ListMetrics discovery failed; optional metrics not queried", "err", discErr)
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
	if b.Tags {
		side.Go(func() error {
			tags, tagsErr = inv.Tags(ctx)
			return nil // a function-level failure, below
		})
	}

	// Listing → planning → packing → units. mu guards out.Failed and
	// out.Units: emit may fail units from the host's goroutines.
	var mu sync.Mutex
	planner := metrics.NewPlanner()
	var mfns []metrics.Function
	submit := func(qs []metrics.Query) {
		if len(qs) == 0 {
			return
		}
		mb, err := metrics.NewBatch(b.Window, qs)
		var mu2 fanout.Unit
		if err == nil {
			mu2, err = fanout.NewUnit(p.Account, p.Region, KindMetrics, mb.FunctionIDs(), metricsBody{Scan: b.Scan, Batch: mb})
		}
		if err != nil {
			// A batch the planner built is always valid; if not, its
			// functions are recorded failed rather than dropped.
			mu.Lock()
			for _, id := range mb.FunctionIDs() {
				out.Failed[id] = failureOf(StageMetrics, err)
			}
			mu.Unlock()
			return
		}
		mu.Lock()
		out.Units = append(out.Units, unitRef{ID: mu2.ID, Items: mu2.Items})
		for _, q := range qs {
			if q.Key == metrics.RegionKey {
				out.Units[len(out.Units)-1].Region = true
				break
			}
		}
		mu.Unlock()
		s.progress.unitsTotal.Add(1)
		if err := emit(ctx, mu2); err != nil {
			if ctx.Err() == nil {
				// On an interruption every unit left is not submitted:
				// the assembly says so (interrupted), not a warning
				// per unit. Otherwise the unit fails with the reason.
				log.Warn("metrics unit not submitted", "unit", mu2.ID, "err", err)
				if rerr := s.RecordFailure(ctx, st, mu2, err); rerr != nil {
					log.Warn("metrics unit failure not recorded", "unit", mu2.ID, "err", rerr)
				}
			}
		}
	}
	add := func(qs []metrics.Query) {
		for _, q := range qs {
			full, err := packer.Add(q)
			if err != nil {
				mu.Lock()
				out.Failed[q.Key] = failureOf(StageMetrics, err)
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
		rest := mfns[planned:]
		if disc != nil {
			disc.Apply(rest)
		}
		for _, fn := range rest {
			qs, err := planner.Function(nil, fn)
			if err != nil {
				mu.Lock()
				out.Failed[fn.ID] = failureOf(StageMetrics, err)
				mu.Unlock()
				continue
			}
			add(qs)
		}
		planned = len(mfns)
	}
	listErr := inv.ListFunctions(ctx, func(page []Function) error {
		s.progress.listed.Add(int64(len(page)))
		for _, f := range page {
			out.Functions = append(out.Functions, f)
			mfns = append(mfns, f.metricsFunction())
		}
		select {
		case <-discDone:
			planListed()
		default:
		}
		return nil
	})
	if listErr != nil {
		out.failTarget(ctx, listErr, fmt.Sprintf("listing stopped after %d functions: ", len(out.Functions)))
		if ctx.Err() == nil {
			log.Info("ListFunctions failed", "listed", len(out.Functions), "err", listErr)
		}
	} else {
		out.Listed = true
	}
	<-discDone
	planListed()
	submit(packer.Flush())
	if discErr != nil {
		fl := failureIn(ctx, StageMetrics, discErr)
		fl.Detail = "optional metrics not discovered: " + fl.Detail
		out.Discovery = &fl
	}
	if err := side.Wait(); err != nil {
		if ctx.Err() == nil {
			log.Info("GetAccountSettings failed", "err", err)
		}
		out.Target.Error = joinReason(out.Target.Error, "account settings: "+reason(err))
	}
	if settings != nil {
		out.Target.ConcurrencyLimit = &settings.ConcurrencyLimit
		out.Target.UnreservedConcurrencyLimit = &settings.UnreservedConcurrencyLimit
	}
	if tagsErr != nil {
		// Without tags, tag overrides cannot apply: each function says so.
		if ctx.Err() == nil {
			log.Info("tags not read", "err", tagsErr)
		}
		fl := failureIn(ctx, StageConfig, tagsErr)
		fl.Detail = "tags: " + fl.Detail
		for _, f := range out.Functions {
			out.ConfigFailed[f.ID] = append(out.ConfigFailed[f.ID], fl)
		}
	}
	for i := range out.Functions {
		if t, ok := tags[out.Functions[i].ARN]; ok {
			out.Functions[i].Tags = t
		}
	}
	// Provisioned concurrency only for the functions that have its
	// metrics; LambdaInsights as discovery found it.
	var pc []string
	for i, f := range mfns {
		out.Functions[i].LambdaInsights = f.LambdaInsights
		if len(f.Optional) > 0 {
			out.Optional[f.ID] = f.Optional
		}
		for _, o := range f.Optional {
			if o == "ProvisionedConcurrencyUtilization" {
				pc = append(pc, f.Name)
				break
			}
		}
	}
	if len(pc) > 0 {
		alloc, err := inv.ProvisionedConcurrency(ctx, pc)
		for i := range out.Functions {
			if n, ok := alloc[out.Functions[i].Name]; ok {
				out.Functions[i].ProvisionedConcurrency = &n
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
					out.ConfigFailed[id] = append(out.ConfigFailed[id], fl)
				}
			}
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if err := write(); err != nil {
		return err
	}
	// Complete: say how many metrics units it emitted (ReadStatus).
	if err := st.Put(ctx, expectKey(b.Scan, u.ID, len(out.Units)), nil); err != nil {
		return fmt.Errorf("inventory unit %s: %w", u.ID, err)
	}
	return nil
}

// failTarget marks the outcome's target failed with err, in full (Error)
// and normalised (Cause).
func (o *inventoryOutcome) failTarget(ctx context.Context, err error, prefix string) {
	code, api := normalise(err)
	if ctx.Err() != nil {
		code = CodeInterrupted
	}
	o.Target.Status = StatusFailed
	o.Target.Error = prefix + detail(err)
	o.Target.Cause = &Cause{Code: code, API: api, Account: o.Target.Account, Region: o.Target.Region}
}
