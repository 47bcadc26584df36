package insights

import (
	"cmp"
	"fmt"

	"github.com/lambdaudit/lambdaudit/cost"
	"github.com/lambdaudit/lambdaudit/scanner"
)

// What the rules and the report take from the cost model (package cost),
// per function and per account-region. fromCost fills it from
// cost.Model's result; tests of the rules fill it by hand.

// daysPerMonth turns a daily figure into a monthly one: 365.25 / 12.
const daysPerMonth = 365.25 / 12

// Breakdown is one function-day's (or period's) cost by component, USD:
// the cost model's type.
type Breakdown = cost.Breakdown

// rounded is b with every component rounded to a millionth of a dollar,
// for the report.
func rounded(b *Breakdown) *Breakdown {
	if b == nil {
		return nil
	}
	return &Breakdown{Requests: round6(b.Requests), Duration: round6(b.Duration), Init: round6(b.Init), Ephemeral: round6(b.Ephemeral),
		ProvisionedIdle: round6(b.ProvisionedIdle), ProvisionedDuration: round6(b.ProvisionedDuration), Total: round6(b.Total)}
}

// unitPrices are the list prices the savings use, for the function's
// region and architecture.
type unitPrices struct {
	gbs       float64 // on-demand duration, USD per GB-s, first tier
	pcEnabled float64 // provisioned concurrency while enabled, USD per GB-s
}

type fnCost struct {
	days        []*Breakdown // per window day; nil: no cost figure that day
	monthToDate *float64
	projected   *float64
	price       *unitPrices // nil: no price for the region and architecture
	why         string      // why days are all nil, when they are
	// managed: a Lambda Managed Instances function, billed on EC2
	// capacity; a region's on-demand total is complete without it.
	managed bool
}

type regionCost struct {
	days      []*float64
	projected *float64
}

type costData struct {
	fns     map[string]*fnCost     // by function id
	regions map[string]*regionCost // by account/region
	// projected is the projected month of every function together.
	projected *float64
	asOf      string
	source    string
	// projection states the cost model's projection method.
	projection string
}

// day is the function's cost on window day i, or nil.
func (c *fnCost) day(i int) *Breakdown {
	if c == nil || i < 0 || i >= len(c.days) {
		return nil
	}
	return c.days[i]
}

// modelCosts runs the cost model and returns its result with what the
// rules take from it; a function it does not price (a region
// or architecture without prices, Managed Instances, a value outside
// Lambda's limits: cost.FunctionCost.Unpriced) gets no cost figures and
// says why, rather than failing the whole report.
func modelCosts(res *scanner.Result, t *cost.Table, opt cost.Options) (*costData, *cost.Costs, error) {
	cd := &costData{fns: make(map[string]*fnCost, len(res.Functions)), regions: map[string]*regionCost{},
		asOf: t.AsOf, source: t.Source}
	prices := map[string]*unitPrices{}
	for i := range res.Functions {
		f := &res.Functions[i]
		if g := unpricedBy(modelGaps(f)); g != nil {
			cd.fns[f.ID] = &fnCost{why: g.reason, managed: g.managed}
			continue
		}
		k := f.Region + "/" + cmp.Or(f.Architecture, cost.ArchX86)
		if _, seen := prices[k]; !seen {
			var up *unitPrices
			if p, err := t.Prices(f.Region, f.Architecture); err == nil && len(p.Duration) > 0 {
				up = &unitPrices{gbs: float64(p.Duration[0].PerGBSecond), pcEnabled: float64(p.ProvisionedPerGBSecond)}
			}
			prices[k] = up
		}
	}
	costs, err := cost.Model(res, t, opt)
	if err != nil {
		return nil, nil, fmt.Errorf("insights: %w", err)
	}
	cd.projection = costs.Methods.Projection
	for i := range costs.Functions {
		fc := &costs.Functions[i]
		if _, gap := cd.fns[fc.ID]; gap {
			continue // a model gap already said why (and whether it is Managed Instances)
		}
		if fc.Unpriced != "" {
			cd.fns[fc.ID] = &fnCost{why: fc.Unpriced}
			continue
		}
		c := &fnCost{days: make([]*Breakdown, len(fc.Days)), projected: fc.ProjectedMonth,
			price: prices[fc.Region+"/"+fc.Architecture]}
		for d, b := range fc.Days {
			if b != nil {
				day := *b
				c.days[d] = &day
			}
		}
		if fc.MonthToDate != nil {
			c.monthToDate = ptr(fc.MonthToDate.Total)
		}
		cd.fns[fc.ID] = c
	}
	for _, g := range costs.Regions {
		rc := &regionCost{days: make([]*float64, len(g.Days)), projected: g.ProjectedMonth}
		for d, b := range g.Days {
			if b != nil {
				rc.days[d] = ptr(b.Total)
			}
		}
		cd.regions[g.Account+"/"+g.Region] = rc
	}
	for _, g := range costs.Accounts {
		if g.ProjectedMonth != nil {
			if cd.projected == nil {
				cd.projected = new(float64)
			}
			*cd.projected += *g.ProjectedMonth
		}
	}
	return cd, costs, nil
}
