package cost

import (
	"time"
)

// Architectures as Lambda names them.
const (
	ArchX86   = "x86_64"
	ArchARM64 = "arm64"
)

// Tier is one band of the monthly duration price: the GB-s of an
// account's month (per region and architecture) up to UpToGBSeconds are
// billed at PerGBSecond; UpToGBSeconds 0 means no upper bound (the last
// tier).
type Tier struct {
	UpToGBSeconds float64 `json:"upToGBSeconds,omitempty"`
	PerGBSecond   float64 `json:"perGBSecond"`
}

// Prices are the Lambda rates of one region and architecture, in USD.
type Prices struct {
	Region       string `json:"region"`
	Architecture string `json:"architecture"`
	// PerRequest is the price of one request ($0.20 per million is
	// 0.0000002).
	PerRequest float64 `json:"perRequest"`
	// Duration are the on-demand duration tiers, in ascending order.
	Duration []Tier `json:"duration"`
	// EphemeralPerGBSecond is charged for the ephemeral storage
	// configured above the free 512 MB, per GB-s of billed duration.
	EphemeralPerGBSecond float64 `json:"ephemeralPerGBSecond"`
	// ProvisionedPerGBSecond is provisioned concurrency while enabled
	// (allocated GB × seconds enabled); ProvisionedDurationPerGBSecond
	// the duration of invocations it serves.
	ProvisionedPerGBSecond         float64 `json:"provisionedPerGBSecond"`
	ProvisionedDurationPerGBSecond float64 `json:"provisionedDurationPerGBSecond"`
	// Source says where these rates come from, or which of them could
	// not be found.
	Source string `json:"source"`
}

// FreeTier is the monthly free allowance of an account.
type FreeTier struct {
	Requests  float64 `json:"requests"`
	GBSeconds float64 `json:"gbSeconds"`
}

// Table is a dated set of prices per region and architecture.
type Table struct {
	Schema   string   `json:"schema"`
	Version  int      `json:"version"`
	AsOf     string   `json:"asOf"` // YYYY-MM-DD
	Source   string   `json:"source"`
	Currency string   `json:"currency"`
	FreeTier FreeTier `json:"freeTier"`
	// Prices has one entry per region and architecture.
	Entries []Prices `json:"prices"`
	// Origin is where the table was read from ("embedded" or a path); not
	// part of the file.
	Origin string `json:"-"`
	index  map[string]int
}

// AsOfTime is the table's as-of date.
func (t *Table) AsOfTime() time.Time {
	d, _ := time.Parse(time.DateOnly, t.AsOf)
	return d
}

// Embedded is the price table compiled into the tool.
func Embedded() *Table { panic("cost: not yet implemented") }

// Load reads a price table file (as `lambdaudit cost refresh` writes it).
func Load(path string) (*Table, error) { panic("cost: not yet implemented") }

// Prices are the rates of a region and architecture; an error names a
// region or architecture the table has no entry for.
func (t *Table) Prices(region, arch string) (Prices, error) { panic("cost: not yet implemented") }
