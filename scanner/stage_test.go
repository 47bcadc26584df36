package scanner_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambdaudit/lambdaudit/fanout"
	"github.com/lambdaudit/lambdaudit/logstats"
	"github.com/lambdaudit/lambdaudit/metrics"
	"github.com/lambdaudit/lambdaudit/scanner"
	"github.com/lambdaudit/lambdaudit/scanner/scantest"
	"github.com/lambdaudit/lambdaudit/sim"
	"github.com/lambdaudit/lambdaudit/sim/fleet"
	"github.com/lambdaudit/lambdaudit/sim/simtest"
	"github.com/lambdaudit/lambdaudit/store"
)

// The stage tests scan the example fleet — two accounts (one entered
// with AssumeRole), two regions and a disabled one, tags, provisioned
// concurrency, Lambda Insights (optional metrics) — with logs on and a
// Logs Insights budget that skips some log groups, on the fake query
// clock of TestScanResultGolden so that every host makes the same calls.
var stageTargets = scanner.Targets{
	Regions:    []string{"us-east-1", "eu-west-1", "ap-east-1"},
	Accounts:   []string{"111111111111", "222222222222"},
	Role:       "lambdaudit-member",
	ExternalID: "lambdaudit-staging-7f3a",
}

// stageBudget admits the busiest log groups of the example fleet over
// stageWindow and skips the rest (TestStagesHosts checks it does both).
const stageBudget = 1.2e6

var stageWindow = metrics.Window{End: simtest.Now.Truncate(24 * time.Hour), Days: 3}

func stageSettings(qt *fakeQueryTime, budget float64) scanner.Settings {
	set := scanner.Settings{Logs: true, Tags: true, LogsBudgetBytes: budget, Window: stageWindow, MaxAttempts: 2,
		LogsWorkers: 1} // one query at a time: their polls depend on the shared fake clock only
	set.LogsSettings = logstats.Settings{InitialPoll: 25 * time.Millisecond, MaxConcurrentQueries: 1, Clock: qt.Now, Sleep: qt.Sleep}
	return set
}

// startStageSim serves the example fleet with Logs Insights on qt's
// clock. Its quotas are AWS's with a burst of a minute: the instances of
// a distributed scan pace their calls each with limiters of its own, and
// the fake clock lets them poll as fast as the machine goes, so at a
// burst of a second the throttles would cost the SDK's back-off.
func startStageSim(t *testing.T, qt *fakeQueryTime, opts ...sim.Option) *simtest.Env {
	t.Helper()
	q := sim.DefaultQuotas()
	q.BurstSeconds = 60
	return simtest.Start(t, exampleSpec(t), append([]sim.Option{sim.WithQueryClock(qt.Now), sim.WithQuotas(q)}, opts...)...)
}

// distributed is a host that runs every unit in a Scanner of its own, as
// separate Lambda containers would (each its own sessions, limiters and
// meter), the units travelling between the stages as JSON through
// fanout.Memory queues and the outcomes through a shared store.
type distributed struct {
	t       *testing.T
	env     *simtest.Env
	targets scanner.Targets
	set     scanner.Settings
	st      store.Store
	// drop, when set, loses the units it returns true for: never
	// delivered (a worker that died, a message in a dead-letter queue).
	drop func(fanout.Unit) bool
	// noLogsPlan: the scan stops after the metrics units (PlanLogs never
	// runs: its process died, or the reporter did not wait for it).
	noLogsPlan bool

	mu        sync.Mutex
	meters    []*scanner.Meter
	instances int
	// units are every unit planned or emitted, by kind; dropped the lost.
	units   map[string][]fanout.Unit
	dropped []fanout.Unit
}

func newDistributed(t *testing.T, env *simtest.Env, set scanner.Settings, st store.Store) *distributed {
	return &distributed{t: t, env: env, targets: stageTargets, set: set, st: st, units: map[string][]fanout.Unit{}}
}

// instance is a new scanner, as a new process builds it.
func (d *distributed) instance() *scanner.Scanner {
	s, m := scantest.New(d.t, d.env, d.targets, d.set)
	d.mu.Lock()
	defer d.mu.Unlock()
	d.meters = append(d.meters, m)
	d.instances++
	return s
}

// run delivers units through a memory queue to a pool whose every
// delivery is handled by a new instance; a unit that fails for good is
// recorded by yet another (the pool's OnFailure). It returns the units
// the handlers emitted, sorted by ID.
func (d *distributed) run(ctx context.Context, units []fanout.Unit, workers int) []fanout.Unit {
	d.t.Helper()
	var mu sync.Mutex
	var emitted []fanout.Unit
	emit := func(_ context.Context, us ...fanout.Unit) error {
		mu.Lock()
		defer mu.Unlock()
		emitted = append(emitted, us...)
		return nil
	}
	handle := func(ctx context.Context, u fanout.Unit) error { return d.instance().Work(ctx, d.st, u, emit) }
	onFailure := func(ctx context.Context, u fanout.Unit, err error) error {
		rerr := d.instance().RecordFailure(ctx, d.st, u, err)
		if rerr != nil {
			d.t.Errorf("RecordFailure %s: %v", u.ID, rerr)
		}
		return rerr
	}
	pool, err := fanout.NewPool(fanout.NewMemory(), handle, fanout.NewLedger(), fanout.Config{Workers: workers,
		MaxAttempts: d.set.MaxAttempts, BaseDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond, OnFailure: onFailure})
	if err != nil {
		d.t.Fatal(err)
	}
	var send []fanout.Unit
	for _, u := range units {
		d.mu.Lock()
		d.units[u.Kind] = append(d.units[u.Kind], u)
		if d.drop != nil && d.drop(u) {
			d.dropped = append(d.dropped, u)
			d.mu.Unlock()
			continue
		}
		d.mu.Unlock()
		send = append(send, u)
	}
	if err := pool.Submit(ctx, send...); err != nil {
		d.t.Fatal(err)
	}
	pool.CloseInput()
	if err := pool.Run(ctx); err != nil {
		d.t.Fatal(err)
	}
	sort.Slice(emitted, func(i, j int) bool { return emitted[i].ID < emitted[j].ID })
	return emitted
}

// scan runs the stages, each in other instances: Plan; the inventory
// units (4 at a time); the metrics units they emitted; PlanLogs once
// every metrics outcome is in; the logs units (one at a time: the fake
// query clock is shared). It returns the manifest as a later process
// reads it from the store.
func (d *distributed) scan(ctx context.Context) *scanner.Manifest {
	d.t.Helper()
	m, inv, err := d.instance().Plan(ctx, d.st)
	if err != nil {
		d.t.Fatal(err)
	}
	mu := d.run(ctx, inv, 4)
	d.run(ctx, mu, 4)
	if m.Settings.Logs && !d.noLogsPlan {
		lu, err := d.instance().PlanLogs(ctx, d.st, m)
		if err != nil {
			d.t.Fatal(err)
		}
		d.run(ctx, lu, 1)
	}
	loaded, err := scanner.LoadManifest(ctx, d.st, m.ID)
	if err != nil {
		d.t.Fatal(err)
	}
	if !reflect.DeepEqual(loaded, m) {
		d.t.Errorf("manifest read back %+v, planned %+v", loaded, m)
	}
	return loaded
}

// usage is the sum of the instances' meters: what the scan cost over
// every process.
func (d *distributed) usage(logsBytes float64) scanner.Usage {
	d.mu.Lock()
	defer d.mu.Unlock()
	sum := scanner.Usage{Calls: map[string]int{}, Throttles: map[string]int{}, Errors: map[string]int{}}
	for i, m := range d.meters {
		u := m.Usage(0)
		if i == 0 {
			u = m.Usage(logsBytes) // the Logs Insights bytes, priced once
		}
		addCounts(sum.Calls, u.Calls)
		addCounts(sum.Throttles, u.Throttles)
		addCounts(sum.Errors, u.Errors)
		sum.MetricsRequested += u.MetricsRequested
		sum.MetricQueries += u.MetricQueries
		sum.EstimatedCostUSD += u.EstimatedCostUSD
	}
	return sum
}

func addCounts(dst, src map[string]int) {
	for k, v := range src {
		dst[k] += v
	}
}

// collect is a ResultWriter keeping the functions.
type collect struct{ fns []scanner.Function }

func (c *collect) Begin(*scanner.Result) error { return nil }
func (c *collect) Function(f *scanner.Function) error {
	c.fns = append(c.fns, *f)
	return nil
}
func (c *collect) End(*scanner.Result) error { return nil }

// assemble is the Assemble stage into memory.
func assemble(t *testing.T, st store.Store, m *scanner.Manifest, opt scanner.AssembleOptions) *scanner.Result {
	t.Helper()
	if opt.FinishedAt.IsZero() {
		opt.FinishedAt = simtest.Now
	}
	var c collect
	res, err := scanner.Assemble(context.Background(), st, m, opt, &c)
	if err != nil {
		t.Fatal(err)
	}
	res.Functions = c.fns
	if res.Functions == nil {
		res.Functions = []scanner.Function{}
	}
	return res
}

// cliResult runs the stages as cmd/lambdaudit does — Execute into a
// directory store, then Assemble through NewResultEncoder — and decodes
// what it wrote.
func cliResult(t *testing.T, s *scanner.Scanner, meter *scanner.Meter) *scanner.Result {
	t.Helper()
	st, err := store.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.Execute(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if _, err := scanner.Assemble(context.Background(), st, m, scanner.AssembleOptions{Meter: meter, FinishedAt: simtest.Now}, scanner.NewResultEncoder(&b)); err != nil {
		t.Fatal(err)
	}
	res, err := scanner.Decode(&b)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// diffResults reports where got differs from want, field by field
// (StartedAt, FinishedAt and API aside: the caller compares those).
func diffResults(t *testing.T, name string, got, want *scanner.Result) {
	t.Helper()
	g, w := *got, *want
	g.StartedAt, g.FinishedAt, g.API = time.Time{}, time.Time{}, scanner.Usage{}
	w.StartedAt, w.FinishedAt, w.API = time.Time{}, time.Time{}, scanner.Usage{}
	if reflect.DeepEqual(jsonOf(t, g), jsonOf(t, w)) {
		return
	}
	fields := map[string][2]any{
		"schema/version": {[]any{g.Schema, g.Version}, []any{w.Schema, w.Version}},
		"interrupted":    {g.Interrupted, w.Interrupted},
		"window":         {g.Window, w.Window},
		"targets":        {g.Targets, w.Targets},
		"coverage":       {g.Coverage, w.Coverage},
		"logs":           {g.Logs, w.Logs},
	}
	for k, v := range fields {
		if a, b := jsonOf(t, v[0]), jsonOf(t, v[1]); a != b {
			t.Errorf("%s: %s differs:\n got %s\nwant %s", name, k, a, b)
		}
	}
	if len(g.Functions) != len(w.Functions) {
		t.Errorf("%s: %d functions, want %d", name, len(g.Functions), len(w.Functions))
	}
	for i := range min(len(g.Functions), len(w.Functions)) {
		if a, b := jsonOf(t, g.Functions[i]), jsonOf(t, w.Functions[i]); a != b {
			t.Errorf("%s: function %d differs:\n got %s\nwant %s", name, i, a, b)
		}
	}
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// answered is usage's calls that AWS answered (neither an error nor a
// throttle), STS aside. Every process resolves its own sessions
// (AssumeRole into the member account, GetCallerIdentity), so the STS
// calls grow with the number of processes; and how many of the parallel
// ListMetrics calls of a denied region go out before the first failure
// cancels the rest is a race, in one process or many. Every other call
// is made once per scan, whichever host runs it.
func answered(u scanner.Usage) map[string]int {
	out := map[string]int{}
	for k, v := range u.Calls {
		if n := v - u.Errors[k] - u.Throttles[k]; !strings.HasPrefix(k, "STS:") && n > 0 {
			out[k] = n
		}
	}
	return out
}

// checkUsage compares the calls AWS answered and what GetMetricData
// billed (see answered for what may differ).
func checkUsage(t *testing.T, got, want scanner.Usage) {
	t.Helper()
	if a, b := answered(got), answered(want); !reflect.DeepEqual(a, b) {
		t.Errorf("calls answered %v, Scan's %v", a, b)
	}
	if got.MetricsRequested != want.MetricsRequested || got.MetricQueries != want.MetricQueries || got.MetricsRequested == 0 {
		t.Errorf("GetMetricData billed %d metrics for %d queries, Scan %d for %d", got.MetricsRequested, got.MetricQueries, want.MetricsRequested, want.MetricQueries)
	}
}

// TestStagesHosts: the same fleet scanned by the three hosts — Scan in
// one process; the stages distributed over separate Scanner instances
// and a shared store (a directory, and S3 on moto_server); the CLI's
// directory store and streaming encoder — gives the same result, field
// by field, and the same calls in total.
func TestStagesHosts(t *testing.T) {
	qt := &fakeQueryTime{now: simtest.Now}
	env := startStageSim(t, qt)
	set := stageSettings(qt, stageBudget)
	s, _ := scantest.New(t, env, stageTargets, set)
	want, err := s.Scan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// The fleet exercises what the stages carry between processes.
	var tags, pc, optional, logs bool
	for _, f := range want.Functions {
		tags = tags || len(f.Tags) > 0
		pc = pc || f.ProvisionedConcurrency != nil && *f.ProvisionedConcurrency > 0
		optional = optional || f.LambdaInsights || f.Metrics["ProvisionedConcurrencyUtilization:Maximum"] != nil
		logs = logs || f.Logs != nil
	}
	if !tags || !pc || !optional || !logs || want.Coverage.LogsSkippedBy[logstats.ReasonLogBudget] == 0 || want.Coverage.TargetsFailed == 0 {
		t.Fatalf("the fleet does not exercise the stages: tags %v, provisioned %v, optional %v, logs %v, coverage %+v",
			tags, pc, optional, logs, want.Coverage)
	}

	dirStore := func(t *testing.T) store.Store {
		st, err := store.NewDir(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	s3Store := func(t *testing.T) store.Store {
		client, bucket := simtest.MotoS3(t)
		st, err := store.NewS3(client, bucket, "lambdaudit/")
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	for _, tc := range []struct {
		name  string
		store func(*testing.T) store.Store
	}{
		{"distributed over a directory store", dirStore},
		{"distributed over S3 (moto_server)", s3Store},
		{"the CLI: Execute into a directory, streamed", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.store == nil {
				s, meter := scantest.New(t, env, stageTargets, set)
				got := cliResult(t, s, meter)
				diffResults(t, tc.name, got, want)
				checkUsage(t, got.API, want.API)
				return
			}
			d := newDistributed(t, env, set, tc.store(t))
			m := d.scan(context.Background())
			got := assemble(t, d.st, m, scanner.AssembleOptions{})
			diffResults(t, tc.name, got, want)
			if got.StartedAt != want.StartedAt {
				t.Errorf("startedAt %v, Scan's %v", got.StartedAt, want.StartedAt)
			}
			// API usage is per process: their sum is the scan's.
			sum := d.usage(got.Logs.ScannedBytes)
			checkUsage(t, sum, want.API)
			if n := len(d.units[scanner.KindMetrics]); n < 2 || d.instances < 2*n {
				t.Errorf("%d metrics units over %d instances: not distributed", n, d.instances)
			}
		})
	}
}

// outcomeKeys lists the scan's keys in the store.
func outcomeKeys(t *testing.T, st store.Store, scan string) []string {
	t.Helper()
	var keys []string
	for k, err := range st.List(context.Background(), "scans/"+scan+"/") {
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func unitIDs(us []fanout.Unit) []string {
	ids := make([]string, len(us))
	for i, u := range us {
		ids[i] = u.ID
	}
	sort.Strings(ids)
	return ids
}

// TestStagesRedelivery: a unit delivered again — by another instance, as
// SQS may — overwrites its own outcome: the assembled result is the same
// (no doubled series, counts, bytes scanned or queries) and the store
// holds no new outcome. Unit IDs derive from the units' content.
func TestStagesRedelivery(t *testing.T) {
	qt := &fakeQueryTime{now: simtest.Now}
	env := startStageSim(t, qt)
	set := stageSettings(qt, stageBudget)
	st, err := store.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	d := newDistributed(t, env, set, st)
	m := d.scan(ctx)
	want := assemble(t, st, m, scanner.AssembleOptions{})
	keys := outcomeKeys(t, st, m.ID)
	if want.Logs.Queries == 0 || want.Coverage.Scanned == 0 {
		t.Fatalf("nothing to redeliver: logs %+v coverage %+v", want.Logs, want.Coverage)
	}
	first := map[string][]fanout.Unit{}
	for k, us := range d.units {
		first[k] = slices.Clone(us)
	}
	// The inventory unit of the first account's us-east-1, the busiest.
	pick := func(kind string) fanout.Unit {
		for _, u := range first[kind] {
			if u.Account == "111111111111" && u.Region == "us-east-1" && (kind == scanner.KindInventory || len(u.Items) > 0) {
				return u
			}
		}
		t.Fatalf("no %s unit of 111111111111/us-east-1", kind)
		return fanout.Unit{}
	}
	for _, kind := range []string{scanner.KindMetrics, scanner.KindLogs, scanner.KindInventory} {
		t.Run(kind+" unit delivered twice", func(t *testing.T) {
			u := pick(kind)
			emitted := d.run(ctx, []fanout.Unit{u}, 1)
			got := assemble(t, st, m, scanner.AssembleOptions{})
			diffResults(t, "after redelivery", got, want)
			if k := outcomeKeys(t, st, m.ID); !slices.Equal(k, keys) {
				t.Errorf("store keys after redelivery %v, before %v", k, keys)
			}
			if kind != scanner.KindInventory {
				if len(emitted) != 0 {
					t.Errorf("a %s unit emitted %d units", kind, len(emitted))
				}
				return
			}
			// The listing emits the same metrics units, by ID.
			var before []fanout.Unit
			for _, mu := range first[scanner.KindMetrics] {
				if mu.Account == u.Account && mu.Region == u.Region {
					before = append(before, mu)
				}
			}
			if a, b := unitIDs(emitted), unitIDs(before); len(a) == 0 || !slices.Equal(a, b) {
				t.Errorf("redelivered inventory emitted %v, first delivery %v", a, b)
			}
		})
	}

	// SQS delivers at least once: a unit whose first delivery wrote its
	// outcome may come again (its delete failed, its visibility timed
	// out) and fail for good this time — here against an account that
	// now denies GetMetricData. The failure does not replace the outcome.
	t.Run("metrics unit delivered again, failing for good", func(t *testing.T) {
		deniedEnv := startStageSim(t, qt, sim.WithFaults(sim.Fault{Service: "monitoring", API: "GetMetricData", AccessDenied: true}))
		d2 := newDistributed(t, deniedEnv, set, st)
		d2.run(ctx, []fanout.Unit{pick(scanner.KindMetrics)}, 1)
		if len(d2.meters) < 2 || d2.usage(0).Errors["CloudWatch:GetMetricData"] == 0 {
			t.Fatal("the second delivery did not fail: the test tests nothing")
		}
		got := assemble(t, st, m, scanner.AssembleOptions{})
		diffResults(t, "after a failed redelivery", got, want)
	})

	t.Run("inventory unit delivered again, its listing denied", func(t *testing.T) {
		deniedEnv := startStageSim(t, qt, sim.WithFaults(sim.Fault{Service: "lambda", API: "ListFunctions", AccessDenied: true}))
		d2 := newDistributed(t, deniedEnv, set, st)
		d2.run(ctx, []fanout.Unit{pick(scanner.KindInventory)}, 1) // emits the region's own metrics unit only
		if d2.usage(0).Errors["Lambda:ListFunctions"] == 0 {
			t.Fatal("the second listing was not denied: the test tests nothing")
		}
		got := assemble(t, st, m, scanner.AssembleOptions{})
		diffResults(t, "after a denied redelivery", got, want)
	})

	t.Run("inventory unit delivered again, interrupted", func(t *testing.T) {
		d2 := newDistributed(t, env, set, st)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if err := d2.instance().Work(cctx, st, pick(scanner.KindInventory), nil); err == nil {
			t.Fatal("an interrupted inventory unit returned no error")
		}
		got := assemble(t, st, m, scanner.AssembleOptions{})
		diffResults(t, "after an interrupted redelivery", got, want)
	})

	t.Run("unit IDs are stable", func(t *testing.T) {
		for _, tc := range []struct {
			name   string
			window metrics.Window
			same   bool
		}{
			{"the same scan planned again", set.Window, true},
			{"another window", metrics.Window{End: set.Window.End, Days: set.Window.Days - 1}, false},
			{"the window a day earlier", metrics.Window{End: set.Window.End.AddDate(0, 0, -1), Days: set.Window.Days}, false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				d2 := newDistributed(t, env, set, store.NewMemory())
				d2.set.Window = tc.window
				m2, inv, err := d2.instance().Plan(ctx, d2.st)
				if err != nil {
					t.Fatal(err)
				}
				if a, b := unitIDs(inv), unitIDs(first[scanner.KindInventory]); tc.same != slices.Equal(a, b) || tc.same != (m2.ID == m.ID) {
					t.Errorf("scan %s units %v; first plan: scan %s units %v (same: want %v)", m2.ID, a, m.ID, b, tc.same)
				}
				if !tc.same {
					for _, id := range m2.Units {
						if slices.Contains(m.Units, id) {
							t.Errorf("unit %s in both plans", id)
						}
					}
					return
				}
				if !slices.Equal(m2.Units, m.Units) {
					t.Errorf("manifest units %v, first %v", m2.Units, m.Units)
				}
				// PlanLogs again, in another instance: the same logs units.
				lu, err := d2.instance().PlanLogs(ctx, st, m)
				if err != nil {
					t.Fatal(err)
				}
				if a, b := unitIDs(lu), unitIDs(first[scanner.KindLogs]); len(a) == 0 || !slices.Equal(a, b) {
					t.Errorf("logs units planned again %v, first %v", a, b)
				}
			})
		}
	})
}

// dropFirst loses the first unit (by ID) of kind in 111111111111/region
// that covers functions.
func dropFirst(kind, region string) func(fanout.Unit) bool {
	var mu sync.Mutex
	done := false
	return func(u fanout.Unit) bool {
		mu.Lock()
		defer mu.Unlock()
		if done || u.Kind != kind || u.Account != "111111111111" || u.Region != region || (kind != scanner.KindInventory && len(u.Items) == 0) {
			return false
		}
		done = true
		return true
	}
}

// TestStagesNoOutcome: a unit whose outcome never reaches the store fails
// what it covers — its functions at its stage, or its target — naming the
// unit ("interrupted" when the scan was stopped); the rest of the fleet
// is scanned as if nothing happened and the coverage counts the failures.
// A unit that fails for good is recorded by the pool's OnFailure with
// its cause, not as a missing outcome.
func TestStagesNoOutcome(t *testing.T) {
	qt := &fakeQueryTime{now: simtest.Now}
	env := startStageSim(t, qt)
	// No budget: a function left out of the logs plan does not let
	// another group in.
	set := stageSettings(qt, 0)
	base, _ := scantest.New(t, env, stageTargets, set)
	want, err := base.Scan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	denied := func(t *testing.T) *simtest.Env {
		return startStageSim(t, qt, sim.WithFaults(sim.Fault{Service: "monitoring", API: "GetMetricData", Region: "eu-west-1", AccessDenied: true}))
	}
	type check struct {
		stage, code string
		detail      func(dropped fanout.Unit, scan string) string
		status      string
	}
	noOutcome := func(u fanout.Unit, _ string) string { return "no outcome for unit " + u.ID }
	for _, tc := range []struct {
		name string
		env  func(*testing.T) *simtest.Env
		drop func(fanout.Unit) bool
		opt  scanner.AssembleOptions
		// fn is what each function of the dropped unit shows; target
		// what the dropped inventory unit's target shows.
		fn     *check
		target *check
		// denied: every function of eu-west-1 fails GetMetricData.
		denied bool
		// noLogsPlan: PlanLogs never ran; every function with metrics is
		// affected.
		noLogsPlan bool
	}{
		{name: "metrics unit never run", drop: dropFirst(scanner.KindMetrics, "us-east-1"),
			fn: &check{stage: scanner.StageMetrics, code: scanner.CodeNoOutcome, detail: noOutcome, status: scanner.StatusFailed}},
		{name: "metrics unit never run, scan stopped", drop: dropFirst(scanner.KindMetrics, "us-east-1"),
			opt: scanner.AssembleOptions{Stopped: context.Canceled, Interrupted: scanner.InterruptSignal},
			fn:  &check{stage: scanner.StageMetrics, code: scanner.CodeInterrupted, status: scanner.StatusFailed}},
		{name: "logs unit never run", drop: dropFirst(scanner.KindLogs, "us-east-1"),
			fn: &check{stage: scanner.StageLogs, code: scanner.CodeNoOutcome, detail: noOutcome, status: scanner.StatusPartial}},
		{name: "logs never planned", noLogsPlan: true,
			fn: &check{stage: scanner.StageLogs, code: scanner.CodeNoOutcome, status: scanner.StatusPartial,
				detail: func(_ fanout.Unit, scan string) string { return "no logs plan for scan " + scan }}},
		{name: "inventory unit never run", drop: dropFirst(scanner.KindInventory, "eu-west-1"),
			target: &check{code: scanner.CodeNoOutcome, detail: noOutcome, status: scanner.StatusFailed}},
		{name: "GetMetricData denied in eu-west-1: recorded by OnFailure", env: denied, denied: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env, want := env, want
			if tc.env != nil {
				env = tc.env(t)
				s, _ := scantest.New(t, env, stageTargets, set)
				if want, err = s.Scan(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			d := newDistributed(t, env, set, store.NewMemory())
			d.drop, d.noLogsPlan = tc.drop, tc.noLogsPlan
			m := d.scan(context.Background())
			got := assemble(t, d.st, m, tc.opt)
			if got.Interrupted != tc.opt.Interrupted {
				t.Errorf("interrupted %q, want %q", got.Interrupted, tc.opt.Interrupted)
			}
			if tc.drop != nil && len(d.dropped) != 1 {
				t.Fatalf("dropped %d units, want 1", len(d.dropped))
			}
			affected := map[string]bool{}
			var dropped fanout.Unit
			if len(d.dropped) == 1 {
				dropped = d.dropped[0]
				for _, id := range dropped.Items {
					affected[id] = true
				}
			}
			wantByID := map[string]scanner.Function{}
			for _, f := range want.Functions {
				wantByID[f.ID] = f
				if tc.noLogsPlan && f.Metrics != nil {
					affected[f.ID] = true
				}
			}
			// The dropped inventory unit's target: failed, the unit named,
			// its functions not listed.
			for _, tg := range got.Targets {
				if tc.target == nil || tg.Account != dropped.Account || tg.Region != dropped.Region {
					continue
				}
				if tg.Status != tc.target.status || tg.Cause == nil || tg.Cause.Code != tc.target.code || tg.Error != tc.target.detail(dropped, m.ID) {
					t.Errorf("target %s/%s: %s %q cause %+v; want %s %q", tg.Account, tg.Region, tg.Status, tg.Error, tg.Cause, tc.target.status, tc.target.detail(dropped, m.ID))
				}
				for id, f := range wantByID {
					if f.Account == tg.Account && f.Region == tg.Region {
						affected[id] = true
					}
				}
			}
			failed := 0
			seen := map[string]bool{}
			for _, f := range got.Functions {
				seen[f.ID] = true
				switch {
				case tc.fn != nil && affected[f.ID]:
					failed++
					ok := f.Status == tc.fn.status && len(f.Failures) == 1
					if ok {
						fl := f.Failures[0]
						ok = fl.Stage == tc.fn.stage && fl.Code == tc.fn.code && (tc.fn.detail == nil || fl.Detail == tc.fn.detail(dropped, m.ID))
					}
					if !ok {
						t.Errorf("%s: %s %+v; want %s, one failure at %s with code %s", f.ID, f.Status, f.Failures, tc.fn.status, tc.fn.stage, tc.fn.code)
					}
				case tc.denied && f.Region == "eu-west-1":
					failed++
					if len(f.Failures) != 1 || f.Failures[0].Reason != "AccessDenied cloudwatch:GetMetricData" || !strings.Contains(f.Failures[0].Detail, "not authorized") {
						t.Errorf("%s: %s %+v; want failed with AccessDenied cloudwatch:GetMetricData", f.ID, f.Status, f.Failures)
					}
					// As Scan's, but for the request ID in the detail.
					g, w := f, wantByID[f.ID]
					g.Failures, w.Failures = slices.Clone(g.Failures), slices.Clone(w.Failures)
					for i := range g.Failures {
						g.Failures[i].Detail = ""
					}
					for i := range w.Failures {
						w.Failures[i].Detail = ""
					}
					if a, b := jsonOf(t, g), jsonOf(t, w); a != b {
						t.Errorf("%s differs from Scan's:\n got %s\nwant %s", f.ID, a, b)
					}
				default:
					if a, b := jsonOf(t, f), jsonOf(t, wantByID[f.ID]); a != b {
						t.Errorf("%s differs from the scan without the lost unit:\n got %s\nwant %s", f.ID, a, b)
					}
				}
			}
			if failed == 0 && tc.target == nil {
				t.Fatal("no function affected: the test tests nothing")
			}
			for id := range wantByID {
				if !seen[id] && !(tc.target != nil && affected[id]) {
					t.Errorf("%s: missing from the result", id)
				}
			}
			// The coverage counts them under their cause.
			c := got.Coverage
			if c.Listed != len(got.Functions) || c.Scanned+c.Partial+c.Failed != c.Listed || !got.Failed() {
				t.Errorf("coverage %+v of %d functions", c, len(got.Functions))
			}
			code := scanner.CodeNoOutcome
			switch {
			case tc.denied:
				code = "AccessDenied"
			case tc.fn != nil:
				code = tc.fn.code
			}
			n := 0
			for _, cc := range c.Causes {
				if cc.Code == code {
					n += cc.Functions + cc.Targets
				}
			}
			if tc.target != nil {
				failed = 1 // the target
			}
			if n != failed {
				t.Errorf("coverage causes %+v: %d counted under %s, want %d", c.Causes, n, code, failed)
			}
		})
	}
}

// TestStagesLogsBudget: the Logs Insights budget holds per scan when the
// units run in different processes — the logs batches planned after the
// metrics units ran in separate instances estimate, together, no more
// than the budget, and exactly what the one-process plan does.
func TestStagesLogsBudget(t *testing.T) {
	qt := &fakeQueryTime{now: simtest.Now}
	env := startStageSim(t, qt)
	for _, tc := range []struct {
		name   string
		budget float64
	}{
		{"a budget that skips some log groups", stageBudget},
		{"a third of that budget", stageBudget / 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			set := stageSettings(qt, tc.budget)
			s, _ := scantest.New(t, env, stageTargets, set)
			want, err := s.Scan(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			d := newDistributed(t, env, set, store.NewMemory())
			m := d.scan(context.Background())
			got := assemble(t, d.st, m, scanner.AssembleOptions{})
			var sum float64
			groups := 0
			for _, u := range d.units[scanner.KindLogs] {
				var body struct {
					Batch logstats.Batch `json:"batch"`
				}
				if err := json.Unmarshal(u.Body, &body); err != nil {
					t.Fatal(err)
				}
				sum += body.Batch.EstimatedBytes()
				groups += len(body.Batch.Groups)
			}
			if groups == 0 || sum <= 0 || sum > tc.budget {
				t.Errorf("%d log groups planned estimating %.0f bytes, budget %.0f", groups, sum, tc.budget)
			}
			if sum != want.Logs.EstimatedBytes || got.Logs.EstimatedBytes != want.Logs.EstimatedBytes {
				t.Errorf("planned %.0f bytes over the instances (result says %.0f), one process %.0f", sum, got.Logs.EstimatedBytes, want.Logs.EstimatedBytes)
			}
			if got.Coverage.LogsSkippedBy[logstats.ReasonLogBudget] == 0 || !reflect.DeepEqual(got.Logs.Skipped, want.Logs.Skipped) {
				t.Errorf("skipped %+v, one process %+v", got.Logs.Skipped, want.Logs.Skipped)
			}
		})
	}
}

// TestResultEncoder: the streaming encoder writes exactly the bytes of
// json.Marshal of the whole result and a newline, for results of the
// simulated account — a full one, an interrupted one, one with no
// function — and the gzip-compressed stream decodes to the same result.
func TestResultEncoder(t *testing.T) {
	qt := &fakeQueryTime{now: simtest.Now}
	env := startStageSim(t, qt)
	set := stageSettings(qt, stageBudget)
	lost := map[string]func(fanout.Unit) bool{
		scanner.KindMetrics: dropFirst(scanner.KindMetrics, "eu-west-1"),
		scanner.KindLogs:    dropFirst(scanner.KindLogs, "us-east-1"),
	}
	for _, tc := range []struct {
		name    string
		targets scanner.Targets
		drop    func(fanout.Unit) bool
		opt     scanner.AssembleOptions
	}{
		{name: "the example fleet", targets: stageTargets},
		{name: "interrupted", targets: stageTargets, drop: func(u fanout.Unit) bool { return lost[u.Kind] != nil && lost[u.Kind](u) },
			opt: scanner.AssembleOptions{Stopped: context.DeadlineExceeded, Interrupted: scanner.InterruptTimeout}},
		{name: "no function: two regions without functions",
			targets: scanner.Targets{Regions: []string{"eu-west-1", "ap-east-1"}, Accounts: []string{"222222222222"}, Role: stageTargets.Role, ExternalID: stageTargets.ExternalID}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			d := newDistributed(t, env, set, store.NewMemory())
			d.targets, d.drop = tc.targets, tc.drop
			m := d.scan(ctx)
			opt := tc.opt
			opt.FinishedAt, opt.Meter = simtest.Now.Add(time.Minute), d.meters[0]
			res := assemble(t, d.st, m, opt)
			switch {
			case tc.drop != nil && len(d.dropped) != 2:
				t.Fatalf("dropped %d units, want 2", len(d.dropped))
			case tc.targets.Accounts[0] == "222222222222" && len(res.Functions) != 0:
				t.Fatalf("%d functions, want none", len(res.Functions))
			}
			want, err := json.Marshal(res)
			if err != nil {
				t.Fatal(err)
			}
			want = append(want, '\n')

			var plain, zipped bytes.Buffer
			if _, err := scanner.Assemble(ctx, d.st, m, opt, scanner.NewResultEncoder(&plain)); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(plain.Bytes(), want) {
				t.Errorf("encoder wrote\n%s\njson.Marshal gives\n%s", plain.Bytes(), want)
			}
			zw := gzip.NewWriter(&zipped)
			if _, err := scanner.Assemble(ctx, d.st, m, opt, scanner.NewResultEncoder(zw)); err != nil {
				t.Fatal(err)
			}
			if err := zw.Close(); err != nil {
				t.Fatal(err)
			}
			fromGzip, err := scanner.Decode(&zipped)
			if err != nil {
				t.Fatal(err)
			}
			fromPlain, err := scanner.Decode(bytes.NewReader(plain.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(fromGzip, fromPlain) {
				t.Errorf("the gzip stream decodes to\n%+v\nthe plain one to\n%+v", fromGzip, fromPlain)
			}
			if again, _ := json.Marshal(fromGzip); !bytes.Equal(append(again, '\n'), want) {
				t.Errorf("decoded from gzip and encoded again:\n%s\nwant\n%s", again, want)
			}
		})
	}
}

// TestAssembleMemoryBound: assembling streams — each outcome is let go
// after the last of its functions is written. Over a 2,000-function
// account-region listed in name order, at most two metrics outcomes are
// held at once (a function whose queries straddle two units needs both),
// and two logs outcomes (one batch per log format), of dozens each.
//
// The metrics units are packed in listing order and the functions
// written in ID order: a listing out of name order (the sim's generated
// fleets; AWS documents no order) is gathered unit by unit into a spill
// file first, one outcome held at a time.
func TestAssembleMemoryBound(t *testing.T) {
	for _, tc := range []struct {
		name   string
		sorted bool
	}{{"listed in name order", true}, {"listed in generation order (spilled)", false}} {
		t.Run(tc.name, func(t *testing.T) { assembleMemoryBound(t, tc.sorted) })
	}
}

// assembleMemoryBound scans 2,000 functions of one region, listed in name
// order or not, and checks the assembly holds at most 2 outcomes at once.
func assembleMemoryBound(t *testing.T, sorted bool) {
	spec := &fleet.Spec{Seed: 5, Generate: &fleet.GeneratorSpec{Functions: 2000, Regions: []string{"us-east-1"}, Accounts: []string{fleet.DefaultAccount}}}
	if err := spec.Validate(); err != nil {
		t.Fatal(err)
	}
	f, err := fleet.Build(spec, simtest.Now)
	if err != nil {
		t.Fatal(err)
	}
	fns := f.Accounts[0].Regions[0].Functions
	if sorted {
		sort.Slice(fns, func(i, j int) bool { return fns[i].Name < fns[j].Name })
	}
	// Logs Insights on the fake clock, at quotas that let its 40 queries
	// through in no time.
	qt := &fakeQueryTime{now: simtest.Now}
	sq := sim.DefaultQuotas()
	sq.StartQuery, sq.GetQueryResults = 1000, 1000
	env := simtest.StartFleet(t, f, sim.WithQueryClock(qt.Now), sim.WithQuotas(sq))
	q := fanout.DefaultQuotas()
	q["CloudWatch Logs:StartQuery"], q["CloudWatch Logs:GetQueryResults"] = 1000, 1000
	ls, err := fanout.NewLimiters(q, fanout.LimitersConfig{})
	if err != nil {
		t.Fatal(err)
	}
	meter := scanner.NewMeter()
	s, err := scanner.NewFromConfig(env.Config, scanner.Config{}, scanner.WithLimiters(ls), scanner.WithMeter(meter),
		scanner.WithClock(func() time.Time { return simtest.Now }),
		scanner.WithSettings(func(s *scanner.Settings) {
			*s = scanner.Settings{Logs: true, Window: metrics.Window{End: simtest.Now.Truncate(24 * time.Hour), Days: 1}, LogsWorkers: 1,
				LogsSettings: logstats.Settings{InitialPoll: 25 * time.Millisecond, MaxConcurrentQueries: 1, Clock: qt.Now, Sleep: qt.Sleep}}
		}))
	if err != nil {
		t.Fatal(err)
	}
	st := store.NewMemory()
	m, err := s.Execute(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	last := ""
	peakMetrics, peakLogs, err := scanner.AssemblePeaks(context.Background(), st, m, func(f *scanner.Function) {
		n++
		if f.ID <= last {
			t.Errorf("%s after %s: not in ID order", f.ID, last)
		}
		last = f.ID
		if len(f.Failures) > 0 || f.Metrics == nil || f.Logs == nil {
			t.Errorf("%s: failures %+v, metrics %v, logs %v", f.ID, f.Failures, f.Metrics != nil, f.Logs != nil)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	u := meter.Usage(0)
	metricsUnits, logsUnits := u.Calls["CloudWatch:GetMetricData"], u.Calls["CloudWatch Logs:StartQuery"]
	t.Logf("%d functions: %d metrics units, at most %d held; %d logs units, at most %d held", n, metricsUnits, peakMetrics, logsUnits, peakLogs)
	if n != 2000 || metricsUnits < 10 || logsUnits < 10 {
		t.Fatalf("%d functions, %d metrics and %d logs units: not the pair the test needs", n, metricsUnits, logsUnits)
	}
	if peakMetrics < 1 || peakMetrics > 2 {
		t.Errorf("%d metrics outcomes held at once, want at most 2", peakMetrics)
	}
	if peakLogs < 1 || peakLogs > 2 {
		t.Errorf("%d logs outcomes held at once, want at most 2", peakLogs)
	}
}
