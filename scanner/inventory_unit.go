package scanner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/lambdaudit/lambdaudit/fanout"
	"github.com/lambdaudit/lambdaudit/metrics"
	"github.com/lambdaudit/lambdaudit/store"
)

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
	r := newInventoryRun(s, st, u, b, emit)
	c, err := s.clients(ctx, r.pair)
	if err != nil {
		r.out.failTarget(ctx, err, "")
		if ctx.Err() == nil {
			r.log.Info("target failed", "err", err)
		}
		return r.write(ctx)
	}
	cfg, err := s.sessions.Config(ctx, r.pair)
	if err != nil { // cannot happen: clients just made it
		r.out.failTarget(ctx, err, "")
		return r.write(ctx)
	}
	if r.packer, err = fanout.NewPacker(metrics.Caps(), func(metrics.Query) []int { return []int{1, b.Window.Days} }); err != nil {
		r.out.failTarget(ctx, err, "")
		return r.write(ctx)
	}
	inv := NewInventory(cfg, r.pair)
	// Discovery, account settings and tags run beside the listing.
	go r.discover(ctx, c.cw)
	side := r.readSide(ctx, inv)
	r.list(ctx, inv)
	<-r.discDone
	r.planListed(ctx)
	r.submit(ctx, r.packer.Flush())
	if r.discErr != nil {
		fl := failureIn(ctx, StageMetrics, r.discErr)
		fl.Detail = "optional metrics not discovered: " + fl.Detail
		r.out.Discovery = &fl
	}
	side(ctx)
	r.provisionedConcurrency(ctx, inv)
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.write(ctx); err != nil {
		return err
	}
	// Complete: say how many metrics units it emitted (ReadStatus).
	if err := st.Put(ctx, expectKey(b.Scan, u.ID, len(r.out.Units)), nil); err != nil {
		return fmt.Errorf("inventory unit %s: %w", u.ID, err)
	}
	return nil
}

// inventoryRun is one inventory unit while it runs: the listing, the
// metrics planning and packing behind it, and the outcome it builds.
type inventoryRun struct {
	s    *Scanner
	st   store.Store
	u    fanout.Unit
	b    inventoryBody
	emit Emit
	pair Pair
	log  *slog.Logger

	out inventoryOutcome
	// mu guards out.Failed and out.Units: emit may fail units from the
	// host's goroutines.
	mu sync.Mutex

	packer  *fanout.Packer[metrics.Query]
	planner *metrics.Planner
	// mfns are the listed functions as the metrics stage sees them, in
	// listing order; planned of them are planned, the region's queries
	// too once regionPlanned.
	mfns          []metrics.Function
	planned       int
	regionPlanned bool

	// disc is ListMetrics discovery, done when discDone is closed.
	disc     *metrics.Discovery
	discErr  error
	discDone chan struct{}
}

func newInventoryRun(s *Scanner, st store.Store, u fanout.Unit, b inventoryBody, emit Emit) *inventoryRun {
	p := Pair{Account: u.Account, Region: u.Region}
	if emit == nil {
		emit = func(context.Context, ...fanout.Unit) error { return errors.New("no host to run metrics units") }
	}
	return &inventoryRun{s: s, st: st, u: u, b: b, emit: emit, pair: p, planner: metrics.NewPlanner(), discDone: make(chan struct{}),
		log: s.logger.With("account", p.Account, "region", p.Region),
		out: inventoryOutcome{Unit: u.ID, Target: Target{Account: p.Account, Region: p.Region, Status: StatusOK},
			Functions: []Function{}, Units: []unitRef{}, Failed: map[string]Failure{}, ConfigFailed: map[string][]Failure{}, Optional: map[string][]string{}}}
}

// write stores the outcome, even when ctx ended: what was listed is
// kept. A listing cut short (denied, failed, interrupted) never replaces
// an outcome an earlier delivery of the unit wrote: queues deliver at
// least once, and the first listing may have run to its end and emitted
// the units whose outcomes are in the store. It returns ctx's error, so
// a host hands an interrupted unit back.
func (r *inventoryRun) write(ctx context.Context) error {
	wctx, key := context.WithoutCancel(ctx), outcomeKey(r.b.Scan, r.u.ID)
	var err error
	if r.out.Listed {
		err = putJSON(wctx, r.st, key, r.out)
	} else if err = createJSON(wctx, r.st, key, r.out); errors.Is(err, store.ErrExists) {
		err = nil
	}
	if err != nil {
		return fmt.Errorf("inventory unit %s: %w", r.u.ID, err)
	}
	return ctx.Err()
}

// discover runs ListMetrics discovery (which optional metrics each
// function has) and closes discDone.
func (r *inventoryRun) discover(ctx context.Context, api metrics.ListMetricsAPI) {
	defer close(r.discDone)
	r.disc, r.discErr = metrics.Discover(ctx, api)
	if r.discErr != nil && ctx.Err() == nil {
		r.log.Info("ListMetrics discovery failed; optional metrics not queried", "err", r.discErr)
	}
}

// readSide starts reading the account settings and, when the scan reads
// tags, the tags; the function it returns waits for them and puts them
// in the outcome.
func (r *inventoryRun) readSide(ctx context.Context, inv *Inventory) func(context.Context) {
	var settings *AccountSettings
	var tags map[string]map[string]string
	var tagsErr error
	var side errgroup.Group
	side.Go(func() error {
		var err error
		settings, err = inv.AccountSettings(ctx)
		return err
	})
	if r.b.Tags {
		side.Go(func() error {
			tags, tagsErr = inv.Tags(ctx)
			return nil // a function-level failure, below
		})
	}
	return func(ctx context.Context) {
		if err := side.Wait(); err != nil {
			if ctx.Err() == nil {
				r.log.Info("GetAccountSettings failed", "err", err)
			}
			r.out.Target.Error = joinReason(r.out.Target.Error, "account settings: "+reason(err))
		}
		if settings != nil {
			r.out.Target.ConcurrencyLimit = &settings.ConcurrencyLimit
			r.out.Target.UnreservedConcurrencyLimit = &settings.UnreservedConcurrencyLimit
		}
		if tagsErr != nil {
			// Without tags, tag overrides cannot apply: each function says so.
			if ctx.Err() == nil {
				r.log.Info("tags not read", "err", tagsErr)
			}
			fl := failureIn(ctx, StageConfig, tagsErr)
			fl.Detail = "tags: " + fl.Detail
			for _, f := range r.out.Functions {
				r.out.ConfigFailed[f.ID] = append(r.out.ConfigFailed[f.ID], fl)
			}
		}
		for i := range r.out.Functions {
			if t, ok := tags[r.out.Functions[i].ARN]; ok {
				r.out.Functions[i].Tags = t
			}
		}
	}
}

// list lists the functions page by page, planning each page once
// discovery is in.
func (r *inventoryRun) list(ctx context.Context, inv *Inventory) {
	err := inv.ListFunctions(ctx, func(page []Function) error {
		r.s.progress.listed.Add(int64(len(page)))
		for _, f := range page {
			r.out.Functions = append(r.out.Functions, f)
			r.mfns = append(r.mfns, f.metricsFunction())
		}
		select {
		case <-r.discDone:
			r.planListed(ctx)
		default:
		}
		return nil
	})
	if err != nil {
		r.out.failTarget(ctx, err, fmt.Sprintf("listing stopped after %d functions: ", len(r.out.Functions)))
		if ctx.Err() == nil {
			r.log.Info("ListFunctions failed", "listed", len(r.out.Functions), "err", err)
		}
		return
	}
	r.out.Listed = true
}

// planListed plans the region's queries (once) and the functions listed
// since the last call (discovery says which optional metrics each has).
func (r *inventoryRun) planListed(ctx context.Context) {
	if !r.regionPlanned {
		r.add(ctx, r.planner.Region(nil))
		r.regionPlanned = true
	}
	rest := r.mfns[r.planned:]
	if r.disc != nil {
		r.disc.Apply(rest)
	}
	for _, fn := range rest {
		qs, err := r.planner.Function(nil, fn)
		if err != nil {
			r.fail(fn.ID, failureOf(StageMetrics, err))
			continue
		}
		r.add(ctx, qs)
	}
	r.planned = len(r.mfns)
}

// add packs queries, submitting every batch they fill.
func (r *inventoryRun) add(ctx context.Context, qs []metrics.Query) {
	for _, q := range qs {
		full, err := r.packer.Add(q)
		if err != nil {
			r.fail(q.Key, failureOf(StageMetrics, err))
			continue
		}
		for _, bin := range full {
			r.submit(ctx, bin)
		}
	}
}

func (r *inventoryRun) fail(id string, fl Failure) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.out.Failed[id] = fl
}

// submit makes a metrics unit of a packed batch and emits it.
func (r *inventoryRun) submit(ctx context.Context, qs []metrics.Query) {
	if len(qs) == 0 {
		return
	}
	mb, err := metrics.NewBatch(r.b.Window, qs)
	var mu fanout.Unit
	if err == nil {
		mu, err = fanout.NewUnit(r.pair.Account, r.pair.Region, KindMetrics, mb.FunctionIDs(), metricsBody{Scan: r.b.Scan, Batch: mb})
	}
	if err != nil {
		// A batch the planner built is always valid; if not, its
		// functions are recorded failed rather than dropped.
		for _, id := range mb.FunctionIDs() {
			r.fail(id, failureOf(StageMetrics, err))
		}
		return
	}
	ref := unitRef{ID: mu.ID, Items: mu.Items}
	for _, q := range qs {
		if q.Key == metrics.RegionKey {
			ref.Region = true
			break
		}
	}
	r.mu.Lock()
	r.out.Units = append(r.out.Units, ref)
	r.mu.Unlock()
	r.s.progress.unitsTotal.Add(1)
	if err := r.emit(ctx, mu); err != nil && ctx.Err() == nil {
		// On an interruption every unit left is not submitted: the
		// assembly says so (interrupted), not a warning per unit.
		// Otherwise the unit fails with the reason.
		r.log.Warn("metrics unit not submitted", "unit", mu.ID, "err", err)
		if rerr := r.s.RecordFailure(ctx, r.st, mu, err); rerr != nil {
			r.log.Warn("metrics unit failure not recorded", "unit", mu.ID, "err", rerr)
		}
	}
}

// provisionedConcurrency records what discovery found per function
// (LambdaInsights, optional metrics) and reads the provisioned
// concurrency of the functions that have its metrics.
func (r *inventoryRun) provisionedConcurrency(ctx context.Context, inv *Inventory) {
	var pc []string
	for i, f := range r.mfns {
		r.out.Functions[i].LambdaInsights = f.LambdaInsights
		if len(f.Optional) > 0 {
			r.out.Optional[f.ID] = f.Optional
		}
		for _, o := range f.Optional {
			if o == "ProvisionedConcurrencyUtilization" {
				pc = append(pc, f.Name)
				break
			}
		}
	}
	if len(pc) == 0 {
		return
	}
	alloc, err := inv.ProvisionedConcurrency(ctx, pc)
	for i := range r.out.Functions {
		if n, ok := alloc[r.out.Functions[i].Name]; ok {
			r.out.Functions[i].ProvisionedConcurrency = &n
		}
	}
	if err == nil {
		return
	}
	if ctx.Err() == nil {
		r.log.Info("provisioned concurrency configs failed", "err", err)
	}
	fl := failureIn(ctx, StageConfig, err)
	fl.Detail = "provisioned concurrency: " + fl.Detail
	for _, name := range pc {
		if _, ok := alloc[name]; !ok {
			id := r.pair.Account + "/" + r.pair.Region + "/" + name
			r.out.ConfigFailed[id] = append(r.out.ConfigFailed[id], fl)
		}
	}
}
