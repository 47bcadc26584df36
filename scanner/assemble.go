package scanner

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/lambdaudit/lambdaudit/logstats"
	"github.com/lambdaudit/lambdaudit/metrics"
	"github.com/lambdaudit/lambdaudit/store"
)

// ResultWriter receives an assembled result in its order: Begin with
// everything that precedes the functions (Functions is nil), Function
// once per function in ID order, End with the whole result but its
// functions (Coverage, Logs, API filled). NewResultEncoder streams it as
// JSON; a host that wants the result in memory collects the functions.
type ResultWriter interface {
	Begin(r *Result) error
	Function(f *Function) error
	End(r *Result) error
}

// AssembleOptions are what the host knows and the store does not.
type AssembleOptions struct {
	// Stopped is why the run stopped early (ctx.Err() of an interrupted
	// scan): a unit without outcome then fails its functions
	// "interrupted" rather than CodeNoOutcome.
	Stopped error
	// Interrupted goes to Result.Interrupted (InterruptSignal, …).
	Interrupted string
	// Meter gives Result.API: the calls counted by the host's meter.
	Meter *Meter
	// API gives Result.API instead, when the units ran in several
	// processes: the sum of their meters' usage (Usage.Add). With
	// neither, the calls are empty (the Logs Insights bytes are still
	// priced).
	API *Usage
	// Deployment goes to Result.Deployment (a deployed host's own cost).
	Deployment *Deployment
	// FinishedAt is Result.FinishedAt (default: now).
	FinishedAt time.Time
}

// Assemble builds the result of the scan m from the outcomes in st and
// hands it to w, function by function: memory holds one account-region's
// inventory and the outcomes its functions are being read from, never
// the whole result. A unit with no outcome fails its functions (or its
// target) with "no outcome for unit …", and a scan with logs on whose
// logs plan is not in the store (PlanLogs never ran) fails its
// functions' logs with "no logs plan for scan …"; both are
// "interrupted" instead when opt.Stopped is set. It returns the result
// without its functions.
func Assemble(ctx context.Context, st store.Store, m *Manifest, opt AssembleOptions, w ResultWriter) (*Result, error) {
	return assemble(ctx, st, m, opt, w, false)
}

// AssembleResult is Assemble into memory: the whole result, functions
// included, for a host that needs them all (Scan; a report builds its
// insights across the fleet). A listing out of name order keeps its
// outcomes until written rather than going through a spill file.
func AssembleResult(ctx context.Context, st store.Store, m *Manifest, opt AssembleOptions) (*Result, error) {
	var c collector
	res, err := assemble(ctx, st, m, opt, &c, true)
	if err != nil {
		return nil, err
	}
	res.Functions = c.fns
	if res.Functions == nil {
		res.Functions = []Function{}
	}
	return res, nil
}

// assemble is Assemble; inMemory says the result is collected whole.
func assemble(ctx context.Context, st store.Store, m *Manifest, opt AssembleOptions, w ResultWriter, inMemory bool) (*Result, error) {
	if opt.FinishedAt.IsZero() {
		opt.FinishedAt = time.Now()
	}
	a := &assembly{ctx: ctx, st: st, m: m, stopped: opt.Stopped, inMemory: inMemory}
	res := &Result{Schema: Schema, Version: SchemaVersion, StartedAt: m.StartedAt, FinishedAt: opt.FinishedAt.UTC(),
		Interrupted: opt.Interrupted, Window: m.Window, Targets: make([]Target, 0, len(m.Targets))}
	for i := range m.Targets {
		t, err := a.target(i)
		if err != nil {
			return nil, err
		}
		res.Targets = append(res.Targets, t)
	}
	if err := a.logsFirstPass(res); err != nil {
		return nil, err
	}
	if err := w.Begin(res); err != nil {
		return nil, err
	}
	t := newTally(res.Targets)
	for i := range m.Targets {
		if err := a.functions(i, func(f *Function) error {
			t.add(f)
			return w.Function(f)
		}); err != nil {
			return nil, err
		}
	}
	res.Coverage = t.finish(res.Logs.Skipped)
	switch {
	case opt.API != nil:
		res.API = opt.API.Add(Usage{}).Priced(res.Logs.ScannedBytes)
	case opt.Meter != nil:
		res.API = opt.Meter.Usage(res.Logs.ScannedBytes)
	default:
		res.API = Usage{Calls: map[string]int{}, Throttles: map[string]int{}, Errors: map[string]int{}}.Priced(res.Logs.ScannedBytes)
	}
	res.Deployment = opt.Deployment
	if err := w.End(res); err != nil {
		return nil, err
	}
	return res, nil
}

// assembly is one Assemble's state.
type assembly struct {
	ctx     context.Context
	st      store.Store
	m       *Manifest
	stopped error
	// The logs stage: ran (its plan is in the store), its failures and
	// skips by function, and which unit holds each function's stats.
	logsRan     bool
	logsFailed  map[string]Failure
	logsSkipped map[string]bool
	logsUnit    map[string]int
	logsUnits   []unitRef
	// peakMetrics and peakLogs are the most outcomes functions held at
	// once (unitCache.peak), for the test of the memory bound.
	peakMetrics, peakLogs int
	// inMemory: the result is kept whole anyway (Scan), so a listing out
	// of name order keeps its outcomes until written rather than going
	// through a spill file.
	inMemory bool
}

// missing is the failure of a stage whose unit has no outcome.
func (a *assembly) missing(stage, unit string) Failure {
	if a.stopped != nil {
		return interrupted(stage, a.stopped)
	}
	return Failure{Stage: stage, Code: CodeNoOutcome, Reason: CodeNoOutcome, Detail: "no outcome for unit " + unit}
}

func (a *assembly) inventory(i int) (*inventoryOutcome, error) {
	var inv inventoryOutcome
	found, err := getJSON(a.ctx, a.st, outcomeKey(a.m.ID, a.m.Units[i]), &inv)
	if err != nil {
		return nil, fmt.Errorf("assemble: %w", err)
	}
	if !found {
		return nil, nil
	}
	return &inv, nil
}

// target is the i-th target's entry, with its region-level metrics.
func (a *assembly) target(i int) (Target, error) {
	p := a.m.Targets[i]
	// The functions are only counted here (decoded into nothing): they
	// are read again, one account-region at a time, when written.
	var inv struct {
		Target    Target     `json:"target"`
		Listed    bool       `json:"listed"`
		Functions []struct{} `json:"functions"`
		Units     []unitRef  `json:"units"`
	}
	found, err := getJSON(a.ctx, a.st, outcomeKey(a.m.ID, a.m.Units[i]), &inv)
	if err != nil {
		return Target{}, fmt.Errorf("assemble: %w", err)
	}
	if !found {
		fl := a.missing(StageInventory, a.m.Units[i])
		return Target{Account: p.Account, Region: p.Region, Status: StatusFailed, Error: fl.Detail,
			Cause: &Cause{Code: fl.Code, Account: p.Account, Region: p.Region}}, nil
	}
	t := inv.Target
	t.Functions = len(inv.Functions)
	for _, ref := range inv.Units {
		if !ref.Region {
			continue
		}
		var mo metricsOutcome
		if _, err := getJSON(a.ctx, a.st, outcomeKey(a.m.ID, ref.ID), &mo); err != nil {
			return Target{}, fmt.Errorf("assemble: %w", err)
		}
		if mo.Result != nil {
			t.Metrics = mo.Result.Values[metrics.RegionKey]
			if why, ok := mo.Result.FailedKeys()[metrics.RegionKey]; ok {
				t.Error = joinReason(t.Error, "region metrics: "+why)
			}
		}
	}
	if t.Status == StatusOK && !inv.Listed && a.stopped != nil {
		// Cannot happen (a listing cut short fails its target), kept so
		// that an interrupted target never reads as complete.
		t.Status, t.Cause = StatusFailed, &Cause{Code: CodeInterrupted, API: StageInventory, Account: t.Account, Region: t.Region}
	}
	return t, nil
}

// logsSummary is a logs outcome without its statistics, for the first pass.
type logsSummary struct {
	Result *struct {
		Failed       []logstats.Skip `json:"failed"`
		Queries      int             `json:"queries"`
		BytesScanned float64         `json:"bytesScanned"`
	} `json:"result"`
	Failure *Failure `json:"failure"`
}

// logsFirstPass reads the logs plan and what every logs unit failed,
// skipped and scanned (not the statistics): res.Logs and the failures
// by function, before any function is written.
func (a *assembly) logsFirstPass(res *Result) error {
	var lp logsPlan
	found, err := getJSON(a.ctx, a.st, logsPlanKey(a.m.ID), &lp)
	if err != nil {
		return fmt.Errorf("assemble: %w", err)
	}
	if !found {
		return nil
	}
	a.logsRan = true
	a.logsFailed, a.logsSkipped, a.logsUnit, a.logsUnits = map[string]Failure{}, map[string]bool{}, map[string]int{}, lp.Units
	usage := LogsUsage{BudgetBytes: lp.BudgetBytes, EstimatedBytes: lp.EstimatedBytes}
	skips := append([]logstats.Skip(nil), lp.Skipped...)
	for j, ref := range lp.Units {
		for _, id := range ref.Items {
			a.logsUnit[id] = j
		}
		var o logsSummary
		found, err := getJSON(a.ctx, a.st, outcomeKey(a.m.ID, ref.ID), &o)
		if err != nil {
			return fmt.Errorf("assemble: %w", err)
		}
		switch {
		case !found:
			for _, id := range ref.Items {
				a.logsFailed[id] = a.missing(StageLogs, ref.ID)
			}
		case o.Failure != nil:
			for _, id := range ref.Items {
				a.logsFailed[id] = *o.Failure
			}
		case o.Result != nil:
			for _, f := range o.Result.Failed {
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
				a.logsFailed[f.ID] = fl
			}
			usage.ScannedBytes += o.Result.BytesScanned
			usage.Queries += o.Result.Queries
		}
	}
	usage.Skipped = groupSkips(skips)
	for _, sk := range usage.Skipped {
		for _, id := range sk.Functions {
			a.logsSkipped[id] = true
		}
	}
	res.Logs = usage
	return nil
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

// unitCache holds the outcomes a pair's functions are being read from,
// each until the last of its functions is written.
type unitCache[T any] struct {
	load      func(ref unitRef) (*T, bool, error)
	refs      []unitRef
	loaded    map[int]*T
	found     map[int]bool
	remaining map[int]int
	// peak is the most outcomes loaded at once.
	peak int
}

func newUnitCache[T any](refs []unitRef, load func(unitRef) (*T, bool, error)) *unitCache[T] {
	c := &unitCache[T]{load: load, refs: refs, loaded: map[int]*T{}, found: map[int]bool{}, remaining: map[int]int{}}
	for j, r := range refs {
		c.remaining[j] = len(r.Items)
	}
	return c
}

// get is unit j's outcome; nil when it has none.
func (c *unitCache[T]) get(j int) (*T, error) {
	if f, ok := c.found[j]; ok {
		if !f {
			return nil, nil
		}
		return c.loaded[j], nil
	}
	o, found, err := c.load(c.refs[j])
	if err != nil {
		return nil, err
	}
	c.found[j] = found
	if found {
		c.loaded[j] = o
		c.peak = max(c.peak, len(c.loaded))
	}
	return c.get(j)
}

// done says one of unit j's functions is written.
func (c *unitCache[T]) done(j int) {
	c.remaining[j]--
	if c.remaining[j] <= 0 {
		delete(c.loaded, j)
	}
}

// functions assembles the i-th target's functions in name order.
func (a *assembly) functions(i int, emit func(*Function) error) error {
	inv, err := a.inventory(i)
	if err != nil || inv == nil {
		return err
	}
	mc := newUnitCache(inv.Units, func(ref unitRef) (*metricsOutcome, bool, error) {
		var o metricsOutcome
		found, err := getJSON(a.ctx, a.st, outcomeKey(a.m.ID, ref.ID), &o)
		if err != nil {
			return nil, false, fmt.Errorf("assemble: %w", err)
		}
		return &o, found, nil
	})
	unitsOf := map[string][]int{}
	for j, ref := range inv.Units {
		for _, id := range ref.Items {
			unitsOf[id] = append(unitsOf[id], j)
		}
	}
	lc := newUnitCache(a.logsUnits, func(ref unitRef) (*logsOutcome, bool, error) {
		var o logsOutcome
		found, err := getJSON(a.ctx, a.st, outcomeKey(a.m.ID, ref.ID), &o)
		if err != nil {
			return nil, false, fmt.Errorf("assemble: %w", err)
		}
		return &o, found, nil
	})
	defer func() { a.peakMetrics, a.peakLogs = max(a.peakMetrics, mc.peak), max(a.peakLogs, lc.peak) }()
	byID := func(x, y Function) int { return strings.Compare(x.ID, y.ID) }
	// Metrics units are packed in listing order and functions written in
	// ID order. When the listing came in ID order (AWS lists by name), a
	// unit is held only until its last function is written; otherwise
	// the functions' metrics are gathered unit by unit into a spill file
	// first, so memory still holds one unit at a time.
	var spilled *metricsSpill
	if !a.inMemory && !slices.IsSortedFunc(inv.Functions, byID) {
		if spilled, err = a.spillMetrics(inv, mc, unitsOf); err != nil {
			return err
		}
		defer spilled.close()
	}
	order := make([]int, len(inv.Functions))
	for k := range order {
		order[k] = k
	}
	sort.SliceStable(order, func(x, y int) bool { return inv.Functions[order[x]].ID < inv.Functions[order[y]].ID })
	for _, k := range order {
		f := inv.Functions[k]
		inv.Functions[k] = Function{} // written once: let it go
		if fl, ok := inv.Failed[f.ID]; ok {
			f.Failures = append(f.Failures, fl)
		} else {
			var acc *metricsAcc
			if spilled != nil {
				acc, err = spilled.get(f.ID)
			} else {
				acc, err = a.gather(f.ID, mc, unitsOf[f.ID])
			}
			if err != nil {
				return err
			}
			acc.apply(&f, inv.Discovery)
		}
		if spilled == nil {
			for _, j := range unitsOf[f.ID] {
				mc.done(j)
			}
		}
		f.Failures = append(f.Failures, inv.ConfigFailed[f.ID]...)
		if err := a.functionLogs(&f, lc); err != nil {
			return err
		}
		if err := emit(&f); err != nil {
			return err
		}
	}
	return nil
}

// metricsAcc is one function's metrics gathered from its units.
type metricsAcc struct {
	Vals map[string]metrics.Series `json:"v"`
	// Why are the metric keys that failed, with their reasons.
	Why map[string]string `json:"w,omitempty"`
	// Fail is set when a unit of the function failed or has no outcome:
	// its metrics are not reported.
	Fail *Failure `json:"f,omitempty"`
}

// add takes the function's part of one unit's outcome (o nil: none).
func (acc *metricsAcc) add(a *assembly, id string, ref unitRef, o *metricsOutcome) {
	if acc.Fail != nil {
		return
	}
	switch {
	case o == nil || (o.Failure == nil && o.Result == nil):
		fl := a.missing(StageMetrics, ref.ID)
		acc.Fail = &fl
	case o.Failure != nil:
		acc.Fail = o.Failure
	default:
		if acc.Vals == nil {
			acc.Vals = map[string]metrics.Series{}
		}
		maps.Copy(acc.Vals, o.Result.Values[id])
		for mk, why := range o.Result.Failed[id] {
			if acc.Why == nil {
				acc.Why = map[string]string{}
			}
			acc.Why[mk] = why
		}
	}
}

// apply fills f.Metrics, or the failure of its metrics; disc is the
// discovery failure of its account-region.
func (acc *metricsAcc) apply(f *Function, disc *Failure) {
	if acc.Fail != nil {
		f.Failures = append(f.Failures, *acc.Fail)
		return
	}
	for mk := range acc.Vals {
		delete(acc.Why, mk) // failed in one unit, came back in another
	}
	f.Metrics = acc.Vals
	if f.Metrics == nil {
		f.Metrics = map[string]metrics.Series{}
	}
	if len(acc.Why) > 0 {
		f.Failures = append(f.Failures, failureText(StageMetrics, acc.Why[slices.Min(slices.Collect(maps.Keys(acc.Why)))]))
	}
	if disc != nil {
		f.Failures = append(f.Failures, *disc)
	}
}

// gather is a function's metrics from its units, read through the cache.
func (a *assembly) gather(id string, mc *unitCache[metricsOutcome], units []int) (*metricsAcc, error) {
	acc := &metricsAcc{}
	for _, j := range units {
		o, err := mc.get(j)
		if err != nil {
			return nil, err
		}
		if acc.add(a, id, mc.refs[j], o); acc.Fail != nil {
			break
		}
	}
	return acc, nil
}

// metricsSpill holds a pair's functions' gathered metrics in a temporary
// file, indexed by function ID.
type metricsSpill struct {
	f     *os.File
	index map[string][2]int64 // offset, length
}

// spillMetrics reads a pair's metrics outcomes one at a time, in unit
// order, and writes each function's gathered metrics to a spill file as
// soon as its last unit is read.
func (a *assembly) spillMetrics(inv *inventoryOutcome, mc *unitCache[metricsOutcome], unitsOf map[string][]int) (*metricsSpill, error) {
	f, err := os.CreateTemp("", "lambdaudit-assemble-*")
	if err != nil {
		return nil, fmt.Errorf("assemble: %w", err)
	}
	sp := &metricsSpill{f: f, index: map[string][2]int64{}}
	left := map[string]int{}
	for id, js := range unitsOf {
		left[id] = len(js)
	}
	open := map[string]*metricsAcc{}
	w := bufio.NewWriter(f)
	var off int64
	for _, ref := range inv.Units {
		o, found, err := mc.load(ref)
		if err != nil {
			sp.close()
			return nil, err
		}
		if !found {
			o = nil
		}
		mc.peak = max(mc.peak, 1)
		for _, id := range ref.Items {
			acc := open[id]
			if acc == nil {
				acc = &metricsAcc{}
				open[id] = acc
			}
			acc.add(a, id, ref, o)
			if left[id]--; left[id] > 0 {
				continue
			}
			delete(open, id)
			b, err := json.Marshal(acc)
			if err == nil {
				_, err = w.Write(b)
			}
			if err != nil {
				sp.close()
				return nil, fmt.Errorf("assemble: spill: %w", err)
			}
			sp.index[id] = [2]int64{off, int64(len(b))}
			off += int64(len(b))
		}
	}
	if err := w.Flush(); err != nil {
		sp.close()
		return nil, fmt.Errorf("assemble: spill: %w", err)
	}
	return sp, nil
}

// get is a function's gathered metrics (none gathered: no unit covered it).
func (sp *metricsSpill) get(id string) (*metricsAcc, error) {
	at, ok := sp.index[id]
	if !ok {
		return &metricsAcc{}, nil
	}
	b := make([]byte, at[1])
	if _, err := sp.f.ReadAt(b, at[0]); err != nil {
		return nil, fmt.Errorf("assemble: spill: %w", err)
	}
	var acc metricsAcc
	if err := json.Unmarshal(b, &acc); err != nil {
		return nil, fmt.Errorf("assemble: spill: %w", err)
	}
	return &acc, nil
}

func (sp *metricsSpill) close() {
	sp.f.Close()
	os.Remove(sp.f.Name())
}

// functionLogs fills f.Logs, or the failure of its logs.
func (a *assembly) functionLogs(f *Function, lc *unitCache[logsOutcome]) error {
	if !a.logsRan {
		if a.m.Settings.Logs && f.Metrics != nil {
			// The logs stage never started: the scan was stopped, or
			// PlanLogs never ran (its process died, or the assembly did
			// not wait for it); the function is not scanned either way.
			fl := Failure{Stage: StageLogs, Code: CodeNoOutcome, Reason: CodeNoOutcome, Detail: "no logs plan for scan " + a.m.ID}
			if a.stopped != nil {
				fl = interrupted(StageLogs, a.stopped)
			}
			f.Failures = append(f.Failures, fl)
		}
		return nil
	}
	j, ok := a.logsUnit[f.ID]
	if !ok {
		return nil // not planned: skipped (coverage) or failed before
	}
	defer lc.done(j)
	o, err := lc.get(j)
	if err != nil {
		return err
	}
	if o != nil && o.Result != nil {
		if st, ok := o.Result.Stats[f.ID]; ok {
			f.Logs = st
			return nil
		}
	}
	if fl, ok := a.logsFailed[f.ID]; ok {
		f.Failures = append(f.Failures, fl)
	}
	return nil
}
