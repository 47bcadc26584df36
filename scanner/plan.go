package scanner

import (
	"context"
	"fmt"
	"sort"
	"strconv"

	"github.com/lambdaudit/lambdaudit/fanout"
	"github.com/lambdaudit/lambdaudit/logstats"
	"github.com/lambdaudit/lambdaudit/metrics"
	"github.com/lambdaudit/lambdaudit/store"
)

// Plan resolves the scan's targets (accounts × regions), writes the
// manifest to st and returns it with one inventory unit per
// account-region. Its error is for the scan as a whole: the targets could
// not be resolved (bad base credentials, an unreachable endpoint), or the
// manifest not written.
func (s *Scanner) Plan(ctx context.Context, st store.Store) (*Manifest, []fanout.Unit, error) {
	started := s.now().UTC()
	scope, err := s.sessions.Scope(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("scan: %w", err)
	}
	pairs := scope.Pairs()
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].Account != pairs[j].Account {
			return pairs[i].Account < pairs[j].Account
		}
		return pairs[i].Region < pairs[j].Region
	})
	set := PlanSettings{Tags: s.set.Tags, Logs: s.set.Logs, LogsBudgetBytes: s.set.LogsBudgetBytes}
	m := &Manifest{Schema: ManifestSchema, Version: ManifestVersion, StartedAt: started, Window: s.set.Window,
		Settings: set, Scope: scope, Targets: pairs, Units: make([]string, 0, len(pairs))}
	m.ID = scanID(started, m.Window, pairs, set)
	units := make([]fanout.Unit, 0, len(pairs))
	for _, p := range pairs {
		u, err := fanout.NewUnit(p.Account, p.Region, KindInventory, nil, inventoryBody{Scan: m.ID, Window: m.Window, Tags: set.Tags})
		if err != nil {
			return nil, nil, fmt.Errorf("scan: plan %s: %w", p, err)
		}
		m.Units = append(m.Units, u.ID)
		units = append(units, u)
	}
	if err := putJSON(ctx, st, manifestKey(m.ID), m); err != nil {
		return nil, nil, fmt.Errorf("scan: write manifest: %w", err)
	}
	return m, units, nil
}

// PlanLogs is the scan's second plan step, run once the metrics units
// are done: it reads the functions of every inventory outcome and the
// IncomingBytes estimates of the metrics outcomes, admits log groups
// within the scan's one Logs Insights budget (logstats.NewPlan: the
// busiest first), writes the logs plan to st and returns the logs units.
// Functions whose metrics failed or never came back are left out (there
// is no estimate to plan them with, and they have failed already).
func (s *Scanner) PlanLogs(ctx context.Context, st store.Store, m *Manifest) ([]fanout.Unit, error) {
	var fns []metrics.Function
	estimates := map[string]metrics.Series{}
	for i := range m.Targets {
		// Only what planning needs is decoded (not tags, ARNs, …): at
		// 50,000 functions an account-region's whole listing is tens of MB.
		var inv struct {
			Functions []struct {
				ID             string `json:"id"`
				Name           string `json:"name"`
				LogGroup       string `json:"logGroup"`
				LogFormat      string `json:"logFormat"`
				LambdaInsights bool   `json:"lambdaInsights"`
			} `json:"functions"`
			Optional map[string][]string `json:"optional"`
			Units    []unitRef           `json:"units"`
			Failed   map[string]Failure  `json:"failed"`
		}
		found, err := getJSON(ctx, st, outcomeKey(m.ID, m.Units[i]), &inv)
		if err != nil {
			return nil, fmt.Errorf("scan: plan logs: %w", err)
		}
		if !found {
			continue
		}
		bad := map[string]bool{}
		for id := range inv.Failed {
			bad[id] = true
		}
		groups := map[string]bool{}
		pfns := make([]metrics.Function, 0, len(inv.Functions))
		for _, f := range inv.Functions {
			mf := metrics.Function{ID: f.ID, Name: f.Name, LogGroup: f.LogGroup, LogFormat: f.LogFormat,
				Optional: inv.Optional[f.ID], LambdaInsights: f.LambdaInsights}
			pfns = append(pfns, mf)
			groups[mf.LogGroupName()] = true
		}
		series := map[string]metrics.Series{} // log group → IncomingBytes:Sum
		for _, ref := range inv.Units {
			var mo metricsOutcome
			found, err := getJSON(ctx, st, outcomeKey(m.ID, ref.ID), &mo)
			if err != nil {
				return nil, fmt.Errorf("scan: plan logs: %w", err)
			}
			if !found || mo.Failure != nil || mo.Result == nil {
				for _, id := range ref.Items {
					bad[id] = true
				}
				continue
			}
			for key, vals := range mo.Result.Values {
				if v, ok := vals["IncomingBytes:Sum"]; ok && groups[key] {
					series[key] = v
				}
			}
		}
		for _, f := range pfns {
			if bad[f.ID] {
				continue // no estimate to plan with; already failed
			}
			fns = append(fns, f)
			if v, ok := series[f.LogGroupName()]; ok {
				estimates[f.ID] = v
			}
		}
	}
	plan, err := logstats.NewPlan(fns, m.Window, estimates, logstats.PlanOptions{BudgetBytes: m.Settings.LogsBudgetBytes})
	if err != nil {
		return nil, fmt.Errorf("scan: plan logs: %w", err)
	}
	lp := logsPlan{BudgetBytes: m.Settings.LogsBudgetBytes, EstimatedBytes: plan.EstimatedBytes, Skipped: plan.Skipped, Units: []unitRef{}}
	units := make([]fanout.Unit, 0, len(plan.Batches))
	for i, b := range plan.Batches {
		u, err := fanout.NewUnit(b.Account, b.Region, KindLogs, b.Items(), logsBody{Scan: m.ID, Batch: b})
		if err != nil {
			// A batch the plan built is always valid; if not, its
			// functions are recorded failed rather than dropped.
			id := KindLogs + "/" + b.Account + "/" + b.Region + "/invalid-" + strconv.Itoa(i)
			fl := failureOf(StageLogs, err)
			if perr := putJSON(ctx, st, outcomeKey(m.ID, id), logsOutcome{Unit: id, Items: b.Items(), Failure: &fl}); perr != nil {
				return nil, fmt.Errorf("scan: plan logs: %w", perr)
			}
			lp.Units = append(lp.Units, unitRef{ID: id, Items: b.Items()})
			continue
		}
		lp.Units = append(lp.Units, unitRef{ID: u.ID, Items: u.Items})
		units = append(units, u)
	}
	if err := putJSON(ctx, st, logsPlanKey(m.ID), lp); err != nil {
		return nil, fmt.Errorf("scan: write logs plan: %w", err)
	}
	if err := st.Put(ctx, expectKey(m.ID, logsPlanUnit, len(lp.Units)), nil); err != nil {
		return nil, fmt.Errorf("scan: write logs plan: %w", err)
	}
	return units, nil
}
