package cost

import (
	"time"

	"github.com/lambdaudit/lambdaudit/metrics"
	"github.com/lambdaudit/lambdaudit/scanner"
)

// Breakdown is a cost in USD by component.
type Breakdown struct {
	Requests            float64 `json:"requests"`
	Duration            float64 `json:"duration"`
	Init                float64 `json:"init"`
	Ephemeral           float64 `json:"ephemeral"`
	ProvisionedIdle     float64 `json:"provisionedIdle"`
	ProvisionedDuration float64 `json:"provisionedDuration"`
	Total               float64 `json:"total"`
}

func (b *Breakdown) sum() {
	b.Total = b.Requests + b.Duration + b.Init + b.Ephemeral + b.ProvisionedIdle + b.ProvisionedDuration
}

// Add adds o to b, totals included.
func (b *Breakdown) Add(o Breakdown) {
	b.Requests += o.Requests
	b.Duration += o.Duration
	b.Init += o.Init
	b.Ephemeral += o.Ephemeral
	b.ProvisionedIdle += o.ProvisionedIdle
	b.ProvisionedDuration += o.ProvisionedDuration
	b.Total += o.Total
}

// Options of Model.
type Options struct {
	// FreeTier applies the monthly free tier once per account.
	FreeTier bool
	// Now is when the costs are computed; zero means the scan's window
	// end.
	Now time.Time
}

// Costs is what a scan's functions cost.
type Costs struct {
	Window     metrics.Window `json:"window"`
	PricesAsOf string         `json:"pricesAsOf"`
	FreeTier   bool           `json:"freeTier"`
	Functions  []FunctionCost `json:"functions"`
	Regions    []GroupCost    `json:"regions"`
	Accounts   []GroupCost    `json:"accounts"`
}

// FunctionCost is one function's cost.
type FunctionCost struct {
	ID      string `json:"id"`
	Account string `json:"account"`
	Region  string `json:"region"`
	Name    string `json:"name"`
	// Days has one Breakdown per window day, oldest first; nil where the
	// scan has no data for the day (no data is not $0).
	Days []*Breakdown `json:"days"`
	// Usage are the billed quantities behind Days, nil alike.
	Usage []*Usage `json:"usage"`
	// WindowDay is the report day's cost (the window's last day); nil
	// without data.
	WindowDay *Breakdown `json:"windowDay"`
	// MonthToDate sums the days of the report day's month the window
	// covers, up to the report day.
	MonthToDate *Breakdown `json:"monthToDate"`
	// ProjectedMonth is the report day's month projected (see Project).
	ProjectedMonth *float64 `json:"projectedMonth"`
}

// GroupCost is the cost of an account-region (Region set) or an account.
type GroupCost struct {
	Account        string       `json:"account"`
	Region         string       `json:"region,omitempty"`
	Days           []*Breakdown `json:"days"`
	WindowDay      *Breakdown   `json:"windowDay"`
	MonthToDate    *Breakdown   `json:"monthToDate"`
	ProjectedMonth *float64     `json:"projectedMonth"`
}

// Model prices every function of a scan result per window day.
func Model(res *scanner.Result, t *Table, opt Options) (*Costs, error) {
	panic("cost: not yet implemented")
}
